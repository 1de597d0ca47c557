"""Which cells of an inventory sheet Excel shows as other text than they hold.

A cell's number format can show it as words it does not hold: ``;;;"yes"`` shows 'no'
as yes, ``"yes"`` shows 0 as yes, ``0;;`` shows a zero as nothing; and so can a conditional
format's. calamine reads what the cell holds, and a row went into packs its author saw it
kept out of, exit 0 (75a), as the evidence reader already refused (70a). The sheet is read
again, with an XML parser, only when the styles hold such a format: a search of its text
missed a cell without an ``s`` (style 0), one whose tag held a '>' in an attribute, one
whose reference had 8 digits, and every conditional format (76a).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from defusedxml import ElementTree

from reportgen.core.errors import InputError, column_letter
from reportgen.core.markdown import shorten
from reportgen.core.numformats import shows_number_as_is, shows_text_as_is
from reportgen.core.owners import spelt_out
from reportgen.core.sealed import SealedCopy
from reportgen.inventory.xlsx_parts import sheet_part
from reportgen.inventory.xlsx_scan import column_index
from reportgen.inventory.xlsx_styles import Styles, local_name, read_styles

_KEPT = 64  # cells kept for each column: its first ones and its last
# The ranges of a sheet's conditional formats that show cells otherwise, read at most: each
# is compared with the columns read. 190,000 ranges an element in element after element, a
# 33 KB workbook, took 1 GB and 51 s while kept (80d).
MAX_RANGES = 100_000
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,10})")
_TEXT_TYPES = ("s", "str", "inlineStr")


@dataclass(frozen=True)
class ShownOtherwise:
    """A cell whose number format shows other text than it holds."""

    row: int  # 1-based
    number_format: str
    conditional: bool = False


@dataclass(frozen=True)
class Wanted:
    """The columns reportgen reads (0-based) and the row their header is on (1-based)."""

    columns: frozenset[int]
    header_row: int


class _TooManyRanges(Exception):
    """The sheet's conditional formats that show cells otherwise cover more than
    :data:`MAX_RANGES` ranges."""


@dataclass
class _Found:
    cells: dict[int, list[ShownOtherwise]] = field(default_factory=dict)
    # by column read, the first row from the header down a conditional format shows
    # otherwise, and its format
    conditional: dict[int, tuple[int, str]] = field(default_factory=dict)
    ranges_read: int = 0
    too_many_ranges: bool = False

    # cells calamine gives as empty that hold an error value or an unsaved formula, by column
    empty: dict[int, list[ShownOtherwise]] = field(default_factory=dict)

    def add(self, column: int, cell: ShownOtherwise) -> None:
        _keep(self.cells.setdefault(column, []), cell)

    def add_empty(self, column: int, cell: ShownOtherwise) -> None:
        _keep(self.empty.setdefault(column, []), cell)

    def counted(self, where: str) -> list[str]:
        """The ranges of an sqref, counted towards :data:`MAX_RANGES` as they are read."""
        parts = where.split()
        self.ranges_read += len(parts)
        if self.ranges_read > MAX_RANGES:
            raise _TooManyRanges
        return parts

    def add_ranges(self, parts: list[str], code: str, wanted: Wanted) -> None:
        """A conditional format's ranges showing cells as ``code`` does, as far as they
        reach the columns read: every range kept took memory in step with the sheet."""
        for first, last, left, right in _boxes(parts):
            row = max(first, wanted.header_row)
            if last < row:
                continue
            for index in wanted.columns:
                kept = self.conditional.get(index)
                if left <= index <= right and (kept is None or row < kept[0]):
                    self.conditional[index] = (row, code)


def _keep(kept: list[ShownOtherwise], cell: ShownOtherwise) -> None:
    """A column's first cells, and its last."""
    kept[min(len(kept), _KEPT - 1) :] = [cell]


def shown_otherwise(workbook: SealedCopy, sheet: str, wanted: Wanted) -> _Found:
    """Such cells of ``sheet``, by 0-based column (the first of each column, and its
    last), and where its conditional formats give the columns read such a format."""
    try:
        with zipfile.ZipFile(workbook.reader()) as archive:
            text, number, differential = _disguising(read_styles(archive))
            part = sheet_part(archive, sheet)
            if part is None:
                return _Found()
            if not _worth_parsing(archive, part, {*text, *number}):
                return _Found()
            with archive.open(part) as stream:
                return _read(stream, text, number, differential, wanted)
    except _TooManyRanges:
        return _Found(too_many_ranges=True)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return _Found()  # calamine read the part: what cannot be read again is no cell
    except ElementTree.ParseError:
        return _Found()


def _worth_parsing(archive: zipfile.ZipFile, part: str, styles: set[int]) -> bool:
    """Whether the sheet may hold a cell read otherwise than shown: there is a style showing
    other text (a search for the cells naming it was beaten by blanks across its blocks'
    edges and by ' 1 ' or '+1' for 1: 78a); or a conditional format, an error value or a
    formula (a cell holding #N/A or a formula saved without its value is read as empty,
    every framework in a scope column: 78a). Searched for as bytes, words no split hides,
    the part parsed only then: parsed for every sheet, a large one took 3.5 times as long
    to read (77d)."""
    if styles:
        return True
    words = (b"conditionalFormatting", b'"e"', b"'e'", b"&#", b":f", b"<f")
    longest, tail = max(map(len, words)), b""
    with archive.open(part) as stream:
        while block := stream.read(1 << 20):
            if any(word in tail + block for word in words):
                return True
            tail = block[-longest:]
    return False


def _disguising(styles: Styles) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """The cell styles whose format shows a text cell, and those showing a number, as other
    text; and the differential styles (of conditional formats) showing either so."""
    codes = [code for _, code in styles.cells]
    text = {i: code for i, code in enumerate(codes) if code and not shows_text_as_is(code)}
    number = {i: code for i, code in enumerate(codes) if code and not shows_number_as_is(code)}
    differential = {i: code for i, code in enumerate(styles.differential) if _disguises(code)}
    return text, number, differential


def _disguises(code: str) -> bool:
    return bool(code) and not (shows_text_as_is(code) and shows_number_as_is(code))


def _read(
    stream: IO[bytes],
    text: dict[int, str],
    number: dict[int, str],
    differential: dict[int, str],
    wanted: Wanted,
) -> _Found:
    found = _Found()
    row, column = 0, -1
    formats: list[str] = []  # those of the conditional format being read
    pending: list[str] = []  # its <sqref> children's ranges read before any of its formats
    for event, node in _events(stream):
        name = local_name(node.tag)
        if event == "start" and name == "row":
            row, column = _number(node.get("r"), row + 1), -1
        elif event == "start" and name == "c":
            row, column = _place(node.get("r"), row, column)
            code = _cell_format(node, text, number)
            if code is not None:
                found.add(column, ShownOtherwise(row, code))
        elif event == "end" and name == "c" and (said := _read_as_empty(node)):
            found.add_empty(column, ShownOtherwise(row, said))
        elif event == "end" and name == "cfRule":
            dxf = node.get("dxfId")
            if dxf and dxf.isdigit() and int(dxf) in differential:
                formats.append(differential[int(dxf)])
        elif event == "end" and name == "numFmt" and _disguises(node.get("formatCode", "")):
            formats.append(node.get("formatCode", ""))  # an Excel 2010 one, in the sheet
        elif event == "end" and name == "sqref":
            # each counted as read: joined, then split, 900 of 100,000 ranges took 5.8 GB
            # before the bound was checked (81d)
            parts = found.counted(node.text or "")
            node.clear()  # type: ignore[attr-defined]
            if formats:
                found.add_ranges(parts, formats[0], wanted)
            else:
                pending += parts
        elif event == "end" and name == "conditionalFormatting":
            if formats:  # one is enough to refuse the cells: each paired with each range
                # of a format of 2,000 rules and 20,000 ranges took 5.8 GB (79d)
                parts = found.counted(node.get("sqref") or "") + pending
                found.add_ranges(parts, formats[0], wanted)
            formats, pending = [], []
            node.clear()  # type: ignore[attr-defined]
    return found


def _events(stream: IO[bytes]) -> Iterator[tuple[str, object]]:
    """The parser's start and end events; each row let go of once read, so memory stays
    with the row being read (a sheet's rows were held by the tree as they were parsed)."""
    parents: list[object] = []
    for event, node in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            parents.append(node)
        else:
            parents.pop()
        yield event, node
        if event == "end" and local_name(node.tag) == "row" and parents:
            parents[-1].clear()  # type: ignore[attr-defined]


def _number(text: str | None, otherwise: int) -> int:
    return int(text) if text and text.isdigit() and len(text) <= 10 else otherwise


def _place(reference: str | None, row: int, column: int) -> tuple[int, int]:
    """A cell's row and 0-based column: by its reference, as calamine reads it (any case,
    leading zeros), or the next column of the row."""
    match = _REFERENCE.fullmatch(reference or "")
    if match is None:
        return row, column + 1
    return int(match[2]), column_index(match[1].upper().encode())


def _read_as_empty(node: Any) -> str:
    """What a cell calamine gives as empty holds instead: an error value, or a formula saved
    without its value; "" for neither."""
    kind = (node.get("t") or "n").strip()
    if kind == "e":
        return "an error value"
    children = {local_name(child.tag): child for child in node}
    saved = children.get("v")
    # a value saved empty, as openpyxl saves ="none" (<v></v>), is no saved value (79a)
    unsaved = saved is None or not (saved.text or "").strip()
    return "a formula with no saved value" if "f" in children and unsaved else ""


def _cell_format(node: Any, text: dict[int, str], number: dict[int, str]) -> str | None:
    # none: style 0 (76a); an unsigned number as XML reads one, blanks and '+' (78a)
    style = node.get("s", "0").strip().removeprefix("+")
    if not style.isdigit() or len(style) > 9:
        return None
    kind = node.get("t", "n").strip()
    styles = text if kind in _TEXT_TYPES else number if kind == "n" else {}
    return styles.get(int(style))


def _boxes(parts: list[str]) -> Iterator[tuple[int, int, int, int]]:
    """The ranges of an sqref's parts ('B2:B3', 'D5', 'A:A', '2:2'), each as first and last
    row and first and last 0-based column; a whole column or row reaches the sheet's edge."""
    for part in parts:
        ends = [re.fullmatch(r"\$?([A-Za-z]{0,3})\$?([0-9]{0,10})", end) for end in part.split(":")]
        if not ends or None in ends or len(ends) > 2:
            continue
        first, last = ends[0], ends[-1]
        rows = (int(first[2] or 1), int(last[2]) if last[2] else 1 << 40)
        columns = (
            column_index(first[1].upper().encode()) if first[1] else 0,
            column_index(last[1].upper().encode()) if last[1] else 1 << 20,
        )
        yield rows[0], rows[1], columns[0], columns[1]


def read_cell_shown_otherwise(
    workbook: SealedCopy,
    path: str,
    sheet: str,
    header_row: int,
    columns: dict[int, str],
    scopes: frozenset[int] = frozenset(),
) -> InputError | None:
    """The refusal of the first cell of a column reportgen reads (``columns``: its index
    and what the header says), from the header row down, shown as other text than it
    holds, by its own format or a conditional one; or of a scope column (``scopes``) that
    holds an error value or a formula saved without its value, read as empty, which there
    means every framework; None when there is none."""
    found = shown_otherwise(workbook, sheet, Wanted(frozenset(columns), header_row))
    if found.too_many_ranges:
        return InputError(
            "the sheet's conditional formats that make Excel show cells as other text cover "
            f"more than {MAX_RANGES:,} ranges; reportgen checks each against the columns it "
            "reads, and stops there",
            file=path,
            sheet=sheet,
            hint="Clear the sheet's conditional formats (Conditional Formatting > Clear "
            "Rules > Clear Rules from Entire Sheet) and save it again.",
        )
    empty = [
        (cell.row, index, cell.number_format)
        for index in scopes
        for cell in found.empty.get(index, ())
        if cell.row > header_row
    ]
    if empty:
        row, index, what = min(empty)
        return InputError(
            f"the cell holds {what}, which reportgen reads as an empty scope answer, every "
            "framework, where Excel shows something else",
            file=path,
            sheet=sheet,
            row=row,
            column=f"{column_letter(index)} ({spelt_out(shorten(columns[index].strip(), 40))})",
            hint="Write the scope answer in the cell as text (copy, then paste values only).",
        )
    cells = [
        (cell.row, index, cell.number_format, "its number format")
        for index in columns
        for cell in found.cells.get(index, ())
        if cell.row >= header_row
    ]
    cells += [
        (row, index, code, "a conditional format's number format")
        for index, (row, code) in found.conditional.items()
    ]
    if not cells:
        return None
    row, index, number_format, whose = min(cells)
    return InputError(
        f"{whose} {spelt_out(shorten(number_format, 60))} makes Excel show other text than "
        "the cell holds; reportgen reads what it holds, so it would read the cell otherwise "
        "than you see it",
        file=path,
        sheet=sheet,
        row=row,
        column=f"{column_letter(index)} ({spelt_out(shorten(columns[index].strip(), 40))})",
        hint="Give the cell the General or Text format (Format Cells), remove the "
        "conditional format's number format, and write in the cell what it should say.",
    )
