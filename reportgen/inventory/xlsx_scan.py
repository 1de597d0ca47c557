"""Measuring the parts of an .xlsx chunk by chunk, before calamine parses them.

Two things calamine cannot be trusted with: one huge cell or string (it allocates whatever
the part holds) and a worksheet whose cells lie far apart (it allocates the whole range
between them as one dense grid and aborts the process when that fails). A scanner is fed a
part's bytes in chunks, keeps only an unfinished element between chunks, and reports the
range the cells span; an element or text run over the budget raises ``PartTooBig``.

Nothing here trusts a part's name or its root element: calamine reads a worksheet from any
part a relationship names, whatever its root, from its first ``<sheetData>``, and gathers a
string from every ``<c>``, ``<si>`` or ``<definedName>``, whatever namespace prefix they
carry. So every element of those names is measured in every part scanned, and cells are
placed from the first ``sheetData`` tag of any part. The prolog (XML declaration, comments,
processing instructions, however long) is read by a tokenizer, not a window: a DTD
anywhere in a part is refused. Comments, CDATA sections and processing instructions count
as text of the element around them (calamine joins the text on either side of them).

Each chunk of a worksheet first takes a fast path of a few C-speed passes (``bytes.count``,
``bytes.find`` and regex searches), about 0.3 s for a million cells, when it is written as
Excel writes it ("plain"): every cell tag is ``<c r="..."``, its reference upper-case
letters and a row without leading zeros, and no ``r`` attribute appears anywhere else but
on a row. Then each cell's position is its ``r``, exactly as calamine reads it, and:

- every cell or string closes within half the budget of the previous one (checked with a
  ``find`` per half-budget window, not a split into a million pieces);
- when no reference lies outside the box ``A1:Z{N}`` (N the largest row that keeps the box
  within the cell limit, 99,999 by default) the box bounds the chunk; otherwise every
  reference is read (one ``findall``).

A worksheet with a chunk that is not plain, or whose bound is too wide to decide, is
measured again from the start, tag by tag, as calamine reads it (``xlsx_cells``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reportgen.inventory.xlsx_cells import CellsTooLong, Extent, scan_tags
from reportgen.inventory.xlsx_entries import (
    ROW_OBJECTS,
    attribute_count,
    count_entries,
    element_count,
    object_bound,
    object_count,
)

__all__ = ["CellsTooLong", "Extent", "PartScanner", "scan_tags"]

_SPACE = rb" \t\r\n"  # quick-xml ends a tag's name at one of these (for a regex class)
_WHITE = b" \t\r\n"  # the same bytes, to test one
_PFX = rb"(?:[^ \t\r\n/<>:]*:)?"  # any prefix: the local name follows the first colon


def _opening(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"<" + _PFX + name + rb"[" + _SPACE + rb"/>]")


# Elements whose text calamine joins into one string, across their children and comments.
_ELEMENTS = (b"c", b"si", b"definedName")
_OPEN = {name: _opening(name) for name in _ELEMENTS}
_UNPREFIXED = {name: re.compile(rb"</?" + name + rb"[ \t\r\n/>]") for name in _ELEMENTS}
_CLOSE = {name: re.compile(rb"</" + _PFX + name + rb">") for name in _ELEMENTS}
_LAST_OPEN = {
    name: re.compile(rb".*(<" + _PFX + name + rb"[" + _SPACE + rb"/>])", re.S) for name in _ELEMENTS
}
_SHEET_DATA = _opening(b"sheetData")
# A row's opening, closing or empty tag, any prefix, quoted attributes whole ('>' may be in one)
_EMPTY_ROW = re.compile(rb"<row(?=[ \t\r\n/])(?:[^<>\"'/]++|\"[^\"<]*+\"|'[^'<]*+'|/(?!>))*+/>")
_ROW_TAG = re.compile(
    rb"<(/?)(?:([^ \t\r\n/<>:]*):)?row(?=[ \t\r\n/>])(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+>"
)  # its prefix in group 2
# A start tag's name, then its attributes one by one, each value whole: an xmlns found by a
# search, inside another attribute's value or at the end of its name, was taken for a
# declaration (51d).
_TAG_NAME = re.compile(rb"<[^ \t\r\n/<>]+")
_ATTRIBUTE = re.compile(
    rb"[ \t\r\n]+([^ \t\r\n=/<>\"']+)[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"<]*)\"|'([^'<]*)')"
)
_TAG_END = re.compile(rb"[ \t\r\n]*/?>")
# A shared string with no element inside: empty, or text alone (comments are text by now)
_CHILDLESS_SI = re.compile(
    rb"<" + _PFX + rb"si(?:[ \t\r\n](?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+)?"
    rb"(?:/>|>[^<]*+</" + _PFX + rb"si[ \t\r\n]*>)"
)
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# A start tag (comments, CDATA and PIs are text by the time it is looked for), quoted values whole
_START_TAG = re.compile(rb"<[^/!?<>](?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+>")
_ROOT_NAME = re.compile(rb"<([^ \t\r\n/>]*)[ \t\r\n/>]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_SPECIAL_OPENERS = (b"<!--", b"<![CDATA[", b"<?")
_SPECIAL_OPENER = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_SPECIAL_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
# A '<' inside a quoted attribute value: XML forbids it, quick-xml takes it, and it would
# hide a long attribute from the text-run measure. The cheap test first, then the exact one.
_LT_IN_QUOTES_HINT = re.compile(rb"=[ \t\n\x0c\r]*(?:\"[^\"<]*<|'[^'<]*<)")
_LT_IN_QUOTES = re.compile(
    rb"<[A-Za-z_:][^<>\"'=]*+(?:=[^<>\"']*+(?:\"[^\"<]*+\"|'[^'<]*+')[^<>\"'=]*+)*+"
    rb"=[^<>\"']*+(?:\"[^\"<]*+<|'[^'<]*+<)"
)
# Plain worksheet chunks (see the module's docstring).
_PREFIXED_CELL = re.compile(rb"<[^ \t\r\n/<>:]*:c[ \t\r\n/>]")
_ENDS = (b" ", b">", b"/", b"\t", b"\n", b"\r")  # what may follow a tag's name
_OTHER_CELL_TAG = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="))')
# calamine finds an attribute key 'r' after a space or a closing quote, with spaces before
# its '=' or not: anywhere but at '<c r="' and '<row r="' is not plain.
_KEY_MARKS = (b"\t", b"\n", b"\r", b"\x0c", b'"', b"'")
_SPACED_R_KEY = re.compile(rb"r[ \t\n\x0c\r]+=")
_ODD_REF = re.compile(rb'<c r="(?![A-Z]{1,3}[1-9][0-9]{0,6}")')
_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_OUTSIDE_BOX = {
    digits: re.compile(rb'<c r="(?![A-Z][1-9]\d{0,%d}")' % (digits - 1)) for digits in range(1, 8)
}
_BOX_COLUMNS = 26


class PartTooBig(Exception):
    """An element or text run is over the byte budget of one cell."""


class PartHasDtd(Exception):
    """The part declares a DTD: Excel never writes one, entity bombs and XXE need one."""


class PartMalformed(Exception):
    """The part is XML no spreadsheet application writes, in a way that hides its sizes."""


class RowTooFull(Exception):
    """A row holds more elements and attributes than ``xlsx_entries.ROW_OBJECTS``."""


class PartHasTooMany(Exception):
    """The part holds more entries of one list than its cap (``xlsx_entries``)."""

    def __init__(self, name: bytes, count: int, cap: int) -> None:
        super().__init__(name, count, cap)
        self.name, self.count, self.cap = name, count, cap


def longest_run(data: bytes) -> int:
    """The longest stretch without a tag: one text node, or one tag's attributes."""
    return max(map(len, data.split(b"<")))


def box_digits(max_cells: int) -> int:
    """Row digits of the largest box A1:Z{10^d - 1} within ``max_cells`` (0: none fits)."""
    digits = 0
    while digits < max(_OUTSIDE_BOX) and (10 ** (digits + 1) - 1) * _BOX_COLUMNS <= max_cells:
        digits += 1
    return digits


def column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def read_prolog(buffer: bytes, final: bool = False) -> tuple[bool, str | None] | None:
    """(is XML, root element's local name) once the prolog is read, None if more bytes are
    needed. Skips a BOM, white space, the declaration, comments and processing instructions,
    however long; a DTD raises PartHasDtd. A part whose first content is not markup is not
    XML; one with no content at all is (an empty part holds nothing to measure)."""
    at = 3 if buffer.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while at < len(buffer) and buffer[at] in _WHITE:
            at += 1
        rest = buffer[at:]
        if not rest:
            return (True, None) if final else None
        if rest[:1] != b"<":
            return False, None
        head = rest[:9].upper()
        if head == b"<!DOCTYPE":
            raise PartHasDtd
        if len(rest) < 9 and b"<!DOCTYPE".startswith(head) and not final:
            return None
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->"), (b"<!", b">")):
            if rest.startswith(opener):
                end = buffer.find(closer, at + len(opener))
                if end < 0:
                    return (False, None) if final else None
                at = end + len(closer)
                break
        else:
            name = _ROOT_NAME.match(rest)
            if name is None:
                return (True, _local(rest[1:])) if final else None
            return True, _local(name.group(1))


def _local(name: bytes) -> str:
    return name.split(b":", 1)[-1].decode("utf-8", "replace")


class PartScanner:
    """Feed a part's bytes in order; then read ``is_xml``, ``kind``, ``extent`` and
    ``needs_rescan``.

    ``extent`` is exact for the chunks measured cell by cell; ``bound`` also covers the
    chunks that took the fast path (see the module's docstring), so it is an upper bound of
    the worksheet's range. ``exact`` says whether every chunk was measured exactly.
    ``has_cells`` says whether the part has a ``sheetData`` tag (calamine reads cells from
    no other part).
    """

    def __init__(
        self, budget: int, max_cells: int | None = None, caps: dict[bytes, int] | None = None
    ) -> None:
        self.budget = budget
        # Entries of each list calamine or openpyxl keeps one object for (``xlsx_entries``),
        # counted when ``caps`` is given; over a cap raises PartHasTooMany at once.
        self.caps = caps
        self.entries: dict[bytes, int] = {}
        self.kept = 0  # elements and attributes outside every row: openpyxl keeps them
        self.elements = 0  # every element, rows' too
        self.attributes = 0  # every attribute, rows' too (an upper bound in rows)
        self.childless_strings = 0  # <si> holding no element (see xlsx_guard._elements_kept)
        self._row_depth = 0  # rows open, one inside another
        self._row_objects = 0  # elements and attributes of the outermost row under way
        self._foreign: set[bytes] = set()  # prefixes bound to another namespace
        self._main: set[bytes] = set()  # prefixes the root element binds to the main one
        self._root_end: int | None = None  # where the root's start tag ends, in its region
        self._odd = (
            False  # a start tag declaring namespaces could not be read attribute by attribute
        )
        self.is_xml: bool | None = None  # None until the prolog is read
        self.kind: str | None = None  # the root element's local name: worksheet, sst ...
        self.has_cells = False
        # calamine also reads a sheet's merged ranges, about 18 bytes each, from anywhere.
        self.merged_ranges = 0
        self.extent = Extent()
        self.needs_rescan = False  # some cell is not written as Excel does: use scan_tags
        self._tail = b""
        digits = box_digits(max_cells) if max_cells is not None else 0
        self._outside_box = _OUTSIDE_BOX.get(digits)
        self._box = Extent(0, 10**digits - 2, 0, _BOX_COLUMNS - 1)
        self._boxed = False  # some chunk took the fast path
        self._special = False  # the buffer held a comment, CDATA, PI or DTD
        # Called with each measured region (whole tags, comments made text), to read it.
        self.on_region: Callable[[bytes], None] | None = None

    @property
    def exact(self) -> bool:
        return not self._boxed

    @property
    def bound(self) -> Extent:
        return self.extent.union(self._box) if self._boxed else self.extent

    def feed(self, chunk: bytes) -> None:
        buffer = self._tail + chunk
        if self.is_xml is None:
            found = read_prolog(buffer)
            if found is None:
                if len(buffer) > self.budget:  # a prolog (a comment ...) longer than a cell
                    raise PartTooBig
                self._tail = buffer
                return
            self.is_xml, self.kind = found
        if not self.is_xml:
            return  # the caller refuses it, or never gives it to calamine
        buffer = self._neutralise(buffer)
        present = [name for name in _ELEMENTS if _present(buffer, name)]
        cut = self._cut(buffer, present)
        self._measure(buffer[:cut], present)
        self._tail = buffer[cut:]
        if len(self._tail) > self.budget:  # one unfinished element or text run
            raise PartTooBig

    def finish(self) -> None:
        if self.is_xml is None:
            self.is_xml, self.kind = read_prolog(self._tail, final=True) or (False, None)
        if self.is_xml:
            tail = self._neutralise(self._tail)
            self._measure(tail, [name for name in _ELEMENTS if _present(tail, name)])
        self._tail = b""

    def _neutralise(self, buffer: bytes) -> bytes:
        """Refuse a DTD; turn complete comments, CDATA and PIs into text of their length."""
        self._special = b"<!" in buffer or b"<?" in buffer
        if self._special:
            buffer, finished = specials_as_text(buffer)
            if _DOCTYPE.search(buffer, 0, finished):  # past it: inside the unfinished one
                raise PartHasDtd
        if _LT_IN_QUOTES_HINT.search(buffer) and _LT_IN_QUOTES.search(buffer):
            raise PartMalformed
        return buffer

    def _cut(self, buffer: bytes, present: list[bytes]) -> int:
        """Where to split: before an unfinished comment, cell or string, else before the
        last tag."""
        at = buffer.rfind(b"<")
        cut = len(buffer) if at < 0 else at
        for opener in _SPECIAL_OPENERS if self._special else ():
            found = buffer.find(opener)  # complete ones are text by now
            if 0 <= found < cut:
                cut = found
        for name in present:
            cut = min(cut, _unfinished(buffer, name, cut))
        return cut

    def _measure(self, region: bytes, present: list[bytes]) -> None:
        if self.on_region is not None:
            self.on_region(region)
        if self.caps is not None:  # the guard's scan (a later one finds what it found)
            self.kept += self._kept(region)
        if b"mergeCell" in region:  # '<mergeCells>' counts once too: a bound, not a count
            self.merged_ranges += region.count(b"<mergeCell") + region.count(b":mergeCell")
        if self.caps is not None:
            self._count_entries(region, self.caps)
            if b"si" in region:
                self.childless_strings += len(_CHILDLESS_SI.findall(region))
        for name in present:
            self._check_elements(region, name)
        if not present and longest_run(region) > self.budget:
            raise PartTooBig
        if not self.has_cells:
            start = _SHEET_DATA.search(region)
            if start is None:
                return
            self.has_cells = True
            region = region[start.start() :]
        self._place_cells(region)

    def _kept(self, region: bytes) -> int:
        """The elements and attributes of ``region`` outside every row, which openpyxl keeps
        as it reads a sheet: it lets go of what a row of the main namespace holds once the
        outermost such row ends, of nothing else (20 million ``<x/>`` in styles.xml took
        2.65 GB: pass 48d; rows of another namespace, or nested, hid 5 million from the
        count: 49d; attributes, 15 million on elements of another namespace: 65d). What a
        row holds is held whole until its end, so it is bounded too (RowTooFull). Only a
        sheet's count is read this way (see xlsx_guard); every other part's is
        :attr:`elements` and :attr:`attributes`."""
        elements = element_count(region)
        self.elements += elements
        if self._root_end is None:
            root = _START_TAG.search(region)
            self._root_end = root.end() if root is not None else None
        if b"xmlns" in region:
            self._note_namespaces(region)
        self._root_end = 0 if self._root_end is not None else None  # later regions: none
        if self._rows_only(region, elements):
            self.attributes += region.count(b"=")  # rows' alone: an upper bound will do
            return 0
        self.attributes += attribute_count(region)
        kept, at = 0, 0
        for tag in _ROW_TAG.finditer(region):
            if not self._is_main(tag.group(2) or b""):
                continue  # no namespace's or another one's 'row': an element like any other
            kept += self._held(region[at : tag.start()])
            if tag.group(1):
                self._row_depth = max(0, self._row_depth - 1)
            elif not tag.group().endswith(b"/>"):
                self._row_objects = 0 if self._row_depth == 0 else self._row_objects
                self._row_depth += 1
            at = tag.end()
        return kept + self._held(region[at:])

    def _note_namespaces(self, region: bytes) -> None:
        """Prefixes (b"" for the default) the root element binds to the main namespace, and
        those bound anywhere so far to any other: a row is one openpyxl lets go of only under
        the first. The main namespace bound on an inner element (a row's own ``xmlns``)
        holds only inside it, so it counts for nothing here. Each start tag holding
        ``xmlns`` is read attribute by attribute ('<' is in no value: PartMalformed)."""
        tags: set[int] = set()
        start, searched = -1, 0  # the last '<' before ``at``; where that search reached
        at = region.find(b"xmlns")
        while at >= 0:
            # Forward from the last search: back from each 'xmlns' of a long run of them in
            # text, to the same '<', was quadratic (a 1.4 MB file ran past 300 s: 53d).
            found = region.rfind(b"<", searched, at)
            start, searched = (found if found >= 0 else start), at
            if start >= 0 and start not in tags:
                tags.add(start)
                self._note_tag(region, start, at)  # every declaration of that tag
                at = region.find(b"xmlns", at + 5)
                continue
            # What follows up to the next '<' is of a tag read, or of text: passed over.
            searched = region.find(b"<", at)
            at = region.find(b"xmlns", searched) if searched >= 0 else -1

    def _note_tag(self, region: bytes, start: int, at: int) -> None:
        """The declarations of the tag opening at ``start``, when ``at`` lies inside it. Its
        end is found with its values whole: a '>' in one ahead of an ``xmlns`` hid it (52d)."""
        tag = _START_TAG.match(region, start)
        if tag is not None and tag.end() <= at:
            return  # ``at`` is in the text after the tag
        if tag is None and region[start + 1 : start + 2] == b"/":
            end = region.find(b">", start)  # a closing tag holds no values
            if 0 <= end < at:
                return
        name = _TAG_NAME.match(region, start)
        pos = name.end() if name is not None and region[start + 1 : start + 2] != b"/" else -1
        while pos >= 0 and (attribute := _ATTRIBUTE.match(region, pos)) is not None:
            pos = attribute.end()
            key = attribute.group(1)
            if key == b"xmlns" or key.startswith(b"xmlns:"):
                value = attribute.group(2)
                uri = value if value is not None else attribute.group(3)
                if uri != _MAIN_NS:
                    self._foreign.add(key[6:])
                elif start < (self._root_end or 0):
                    self._main.add(key[6:])
        if pos < 0 or _TAG_END.match(region, pos) is None:
            self._odd = True  # no row is counted as let go of from here on

    def _is_main(self, prefix: bytes) -> bool:
        """Whether a row under ``prefix`` is of the main namespace wherever it lies: one
        bound to it and never to another (a sheet without the main namespace's declaration
        hid 5 million elements in plain rows: pass 50d)."""
        return not self._odd and prefix in self._main and prefix not in self._foreign

    def _rows_only(self, region: bytes, elements: int) -> bool:
        """Whether ``region`` (of ``elements`` elements) is rows back to back, as writers
        write them, none nested and none over its bound: then none of its elements is kept,
        and no row need be looked at one by one (that took a third longer over a
        300,000-row sheet). Its objects are bounded from above: each '=' counts."""
        total = elements + region.count(b"=")
        start = self._row_depth
        if start > 1 or not self._is_main(b"") or b":row" in region or b"xmlns" in region:
            return False
        if not (start or region.startswith((b"<row ", b"<row>"))):
            return False
        if self._row_objects + total > ROW_OBJECTS:
            return False
        closed = region.count(b"</row>")
        if region.count(b"</row") != closed:  # '</row >' closes a row too
            return False
        followed = region.count(b"</row><row ") + region.count(b"</row><row>")
        ends_out = region.endswith(b"</row>")
        if closed != followed + ends_out or _EMPTY_ROW.search(region):
            return False
        opened = region.count(b"<row ") + region.count(b"<row>")
        if opened - closed != (not ends_out) - start:  # then no row opens inside another
            return False
        last = max(region.rfind(b"<row "), region.rfind(b"<row>"))
        self._row_depth = 0 if ends_out else 1
        if last < 0:
            self._row_objects += total
        else:
            self._row_objects = object_bound(region[last:]) - 1
        return True

    def _held(self, piece: bytes) -> int:
        """``piece``'s elements and attributes when outside a row; inside one, 0, counted to
        the row's."""
        count = object_count(piece)
        if not self._row_depth:
            return count
        self._row_objects += count
        if self._row_objects > ROW_OBJECTS:
            raise RowTooFull
        return 0

    def _count_entries(self, region: bytes, caps: dict[bytes, int]) -> None:
        count_entries(region, self.entries)
        for name, count in self.entries.items():
            if count > caps.get(name, count):
                raise PartHasTooMany(name, count, caps[name])

    def _check_elements(self, region: bytes, name: bytes) -> None:
        """Each piece between two closing tags holds one element and the markup before it.
        Rich text splits one string into many short runs, so runs alone do not tell."""
        close = b"</" + name + b">"
        if self._closes_often(region, close):
            return
        self._check_pieces(region, name, close)

    def _closes_often(self, region: bytes, close: bytes) -> bool:
        """True when a closing tag falls in every half-budget window up to the last one and
        what follows it is short: then no piece between two closing tags (nor the trailer)
        can exceed the budget. A few ``find`` calls per chunk instead of a split."""
        last = region.rfind(close)
        if last < 0 or len(region) - last > self.budget:
            return False
        step = self.budget // 2
        return all(region.find(close, start, start + step) >= 0 for start in range(0, last, step))

    def _check_pieces(self, region: bytes, name: bytes, close: bytes) -> None:
        prefixed = b":" + close[2:] in region  # then split the slower way
        pieces = _CLOSE[name].split(region) if prefixed else region.split(close)
        trailer = pieces.pop()  # after the last element: other markup
        if longest_run(trailer) > self.budget:
            raise PartTooBig
        if not pieces or max(map(len, pieces)) <= self.budget:
            return
        for piece in pieces:
            if len(piece) <= self.budget:
                continue
            last = _LAST_OPEN[name].match(piece)
            element = len(piece) - last.start(1) if last is not None else 0
            if element > self.budget or longest_run(piece) > self.budget:
                raise PartTooBig

    def _place_cells(self, region: bytes) -> None:
        if self.needs_rescan:
            return  # measured tag by tag afterwards
        if not _plain(region):
            self.needs_rescan = True
        elif self._outside_box is not None and self._outside_box.search(region) is None:
            self._boxed = True
        else:
            pairs = _REF.findall(region)
            if pairs:
                rows = [int(row) - 1 for _, row in pairs]
                columns = [column_index(letters) for letters in {letters for letters, _ in pairs}]
                self.extent.add([min(rows), max(rows)], columns)


def specials_as_text(buffer: bytes) -> tuple[bytes, int]:
    """``buffer`` with its complete comments, CDATA sections and PIs made text of their
    length, up to the first one unfinished, and where that starts (the rest is cut there,
    and comes back with the next chunk). One regex searched from each unfinished opener
    to the end: 100,000 '<!--' in a 10 KB file took 204 s (53d)."""
    out, at, unfinished = bytearray(), 0, len(buffer)
    while (opener := _SPECIAL_OPENER.search(buffer, at)) is not None:
        close = _SPECIAL_CLOSERS[opener.group()]
        end = buffer.find(close, opener.end())
        if end < 0:
            unfinished = opener.start()
            break
        end += len(close)
        out += buffer[at : opener.start()] + b"_" * (end - opener.start())
        at = end
    return (bytes(out + buffer[at:]) if out else buffer), unfinished


def _present(region: bytes, name: bytes) -> bool:
    """Whether an element of this local name opens or closes in the region: substring
    tests first, the prefix-aware regexes only when some prefix could be there."""
    if name not in region:
        return False
    if (b"<" + name in region or b"</" + name in region) and _UNPREFIXED[name].search(region):
        return True
    return _maybe_prefixed(region, name) and bool(
        _CLOSE[name].search(region) or _OPEN[name].search(region)
    )


def _maybe_prefixed(region: bytes, name: bytes) -> bool:
    """Whether ``:name`` followed by what may end a tag's name occurs: cheap substring
    tests before a regex that tries every '<' (ARNs put ':c' in many inventories)."""
    return b":" + name in region and any(b":" + name + end in region for end in _ENDS)


def _unfinished(buffer: bytes, name: bytes, end: int) -> int:
    """Where an element of this local name that does not close before ``end`` opens, or
    ``end``. The usual case costs two short searches: after the last plain closing tag."""
    close = b"</" + name + b">"
    last_close = buffer.rfind(close, 0, end)
    if last_close >= 0:
        opened = _OPEN[name].search(buffer, last_close, end)
        while opened is not None and _closes_itself(buffer, opened.start(), end):
            opened = _OPEN[name].search(buffer, opened.end(), end)
        if opened is None:
            return end
        if _CLOSE[name].search(buffer, opened.start(), end) is None:
            return opened.start()
    last = _LAST_OPEN[name].match(buffer, 0, end)  # prefixed closing tags: the slow way
    if last is None or _closes_itself(buffer, last.start(1), end):
        return end
    if _CLOSE[name].search(buffer, last.start(1), end) is not None:
        return end
    return last.start(1)


# The rest of a tag after its '<', quoted attribute values whole ('>' may be in one).
_TAG_REST = re.compile(rb"(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*>")


def _closes_itself(buffer: bytes, start: int, end: int) -> bool:
    """Whether the tag at ``start`` is whole before ``end`` and empty (``<c r="A7" s="1"/>``,
    as Excel writes a formatted cell without a value): taken for one left open, 4,000 of
    them after a sheet's last value were carried as one cell past the cell limit, and the
    sheet refused (63d)."""
    rest = _TAG_REST.match(buffer, start + 1, end)
    return rest is not None and buffer[rest.end() - 2 : rest.end() - 1] == b"/"


def _plain(region: bytes) -> bool:
    """True when every cell's position is its ``<c r="..."`` reference, as Excel writes it,
    so that reading those references finds every cell calamine places (and more): every
    cell tag is ``<c r="``, with a reference as Excel writes it, and an attribute key ``r``
    appears nowhere else but there and on a row. Substring counts first: a regex that can
    start anywhere costs a hundred times more."""
    if _OTHER_CELL_TAG.search(region):
        return False
    keys = region.count(b" r=")
    if keys != region.count(b'<c r="') + region.count(b'<row r="'):
        return False
    if region.count(b"r=") != keys and any(mark + b"r=" in region for mark in _KEY_MARKS):
        return False
    if _SPACED_R_KEY.search(region):
        return False
    if _maybe_prefixed(region, b"c") and _PREFIXED_CELL.search(region):
        return False
    return _ODD_REF.search(region) is None
