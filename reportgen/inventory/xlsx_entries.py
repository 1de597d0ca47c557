"""How many entries of each list a workbook part may hold before calamine or openpyxl reads it.

calamine keeps every shared string (``<si>``), defined name and sheet entry of a workbook
as its own object, and openpyxl (``build --evidence``) every style record and custom
document property (docProps/custom.xml) too, whatever the strings hold: a 2.5 MB workbook
of 60 million empty ``<si>`` took 3.35 GB and aborted the process under a 3 GiB cap. Each
string's *size* is measured elsewhere (``xlsx_scan``); here the guard counts the elements
in every part, whatever its name or root (calamine finds these parts by name, openpyxl by
whatever [Content_Types].xml says, and neither checks the root), and refuses a part over
the cap as soon as it passes it.

openpyxl also keeps, one object of some 130 bytes an element whatever its name, every
element of the parts it reads (the content types, the workbook and its relationships, the
styles, the document properties, a chartsheet) but those it lets go of once read: what each
row of a sheet holds, and each shared string's ``<si>`` and text. 20 million empty ``<x/>`` in
styles.xml, a 151 KB workbook, took 2.65 GB (pass 48d). Each attribute (a namespace
declaration too) costs about as much again: 150,000 elements of 100 attributes each took
1.44 GB (pass 65d). So the elements and attributes it would keep are counted too, in all
parts together, and refused past :data:`KEPT_OBJECTS`.

The caps come from real limits: a sheet cannot name more strings, carry more comments or
hyperlinks than it has cells (an eighth of ``--max-cells`` keeps calamine's strings, about
55 bytes each, near 70 MB); Excel itself allows 64,000 cell formats, so no list of the
style sheet needs more than 65,000; 100,000 defined names, sheets or custom document
properties, or relationships in one part, is far beyond any workbook a person keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits

STYLE_ENTRIES = 65_000  # Excel's own limit is 64,000 cell formats
WORKBOOK_ENTRIES = 100_000
CELL_SHARE = 8  # entries that come one per cell at most: an eighth of --max-cells
# Elements and attributes openpyxl keeps, in all parts together: about 260 MB. Excel's
# largest style sheet (64,000 formats, each with its alignment) holds about 1,200,000.
KEPT_OBJECTS = 2_000_000
# Elements and attributes of one row, which openpyxl holds until the row ends (an element
# some 300 bytes: 2 million took 650 MB); a row of 1,000 cells (--max-columns' default)
# holds about 6,000, and a megabyte of rows back to back under 150,000.
ROW_OBJECTS = 150_000


@dataclass(frozen=True)
class Entry:
    """One list calamine or openpyxl materialises, entry by entry."""

    label: str  # what the message calls the entries
    per_cell: bool  # capped by --max-cells (else by a fixed bound)


ENTRIES: dict[bytes, Entry] = {
    b"si": Entry("shared strings", True),
    b"comment": Entry("comments", True),
    b"hyperlink": Entry("hyperlinks", True),
    # openpyxl makes an object of some 1.2 KB of each of the workbook's: 1,200,000, under an
    # eighth of --max-cells, took 1.5 GB (pass 48d); a workbook has a few dozen
    b"Relationship": Entry("relationships", False),
    b"definedName": Entry("defined names", False),
    b"sheet": Entry("sheet entries", False),
    b"externalReference": Entry("external references", False),
    b"numFmt": Entry("number formats", False),
    b"xf": Entry("cell formats", False),
    b"font": Entry("fonts", False),
    b"fill": Entry("fills", False),
    b"border": Entry("borders", False),
    b"dxf": Entry("differential formats", False),
    b"cellStyle": Entry("cell styles", False),
    b"rgbColor": Entry("colours", False),
    b"tableStyle": Entry("table styles", False),
    # openpyxl reads docProps/custom.xml (not app.xml; calamine neither) into an object of
    # some 2 KB a property: 400,000 in a 2.2 MB file took 790 MB (pass 46d). A fixed bound,
    # as an eighth of --max-cells would still let 2.5 GB through.
    b"property": Entry("custom document properties", False),
}
_WORKBOOK_LISTS = (b"definedName", b"sheet", b"externalReference", b"property", b"Relationship")
# An opening tag of a listed local name, with any prefix; its name ends as quick-xml ends it.
_OPEN = re.compile(rb"<(?:[^ \t\r\n/<>:]*:)?(" + b"|".join(ENTRIES) + rb")[ \t\r\n/>]")
# A tag other than a closing tag or one of a worksheet's cell data (none of them is listed):
# a region without one holds no entry, and this search costs a seventh of _OPEN's.
_OTHER_TAG = re.compile(rb"<(?!/|(?:c|v|row|is|t|f|r)[ \t\r\n/>])")
# A whole tag, each quoted value whole ('<' is in none: PartMalformed); possessive, so that
# a search from each '<' stops at the next one.
_WHOLE_TAG = re.compile(rb"""<(?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+>""")


def entry_caps(limits: Limits) -> dict[bytes, int]:
    """The most entries of each kind one part may hold."""
    per_cell = max(1, limits.max_sheet_cells // CELL_SHARE)
    return {
        name: per_cell
        if entry.per_cell
        else WORKBOOK_ENTRIES
        if name in _WORKBOOK_LISTS
        else STYLE_ENTRIES
        for name, entry in ENTRIES.items()
    }


def count_entries(region: bytes, counts: dict[bytes, int]) -> None:
    """Add the opening tags of each listed element in ``region`` (whole tags) to ``counts``.
    A cheap test first: most regions of a worksheet hold cell data only."""
    first = _OTHER_TAG.search(region)
    if first is None:
        return
    for name in _OPEN.findall(region, first.start()):
        counts[name] = counts.get(name, 0) + 1


def cap_reason(name: bytes) -> str:
    if ENTRIES[name].per_cell:
        return "an eighth of --max-cells; the readers keep each one as an object"
    if name in _WORKBOOK_LISTS:
        return "far more than any workbook a person keeps"
    return "Excel itself allows 64,000 cell formats"


def cap_hint(name: bytes) -> str:
    if ENTRIES[name].per_cell:
        return "Raise --max-cells if this workbook is genuine."
    return "Copy the data into a new workbook, or save it as CSV, and run again."


def element_count(region: bytes) -> int:
    """The elements opened in ``region`` (whole tags; comments and CDATA made text)."""
    return region.count(b"<") - region.count(b"</")


def attribute_count(region: bytes) -> int:
    """The attributes, namespace declarations too, of the tags in ``region`` (whole tags):
    the '=' inside them. One inside a value counts as well, which errs high only; one in
    text does not (a shared string 'env=prod' is no attribute)."""
    if b"=" not in region:
        return 0
    return b"".join(_WHOLE_TAG.findall(region)).count(b"=")


def object_count(region: bytes) -> int:
    """The elements and attributes of ``region`` (whole tags): the objects openpyxl makes."""
    return element_count(region) + attribute_count(region)


def object_bound(region: bytes) -> int:
    """An upper bound of :func:`object_count`, at a fraction of its cost: every '=' counts,
    in text too."""
    return element_count(region) + region.count(b"=")


class ElementTally:
    """The elements and attributes openpyxl would keep of the parts read so far, all
    together."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, path: Path, part: str, count: int) -> None:
        """Add ``part``'s elements and attributes; InputError naming it once the total is
        over the cap."""
        self.total += count
        if self.total > KEPT_OBJECTS:
            raise InputError(
                f"workbook part '{part}' brings the workbook's elements and attributes outside "
                f"rows and shared strings to {self.total:,}, over the limit of "
                f"{KEPT_OBJECTS:,} (the spreadsheet reader keeps each of them as an object; a "
                "workbook holds a few thousand)",
                file=path,
                hint="Copy the data into a new workbook, or save it as CSV, and run again.",
            )
