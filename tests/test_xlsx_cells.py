"""The guard's tag-by-tag placement (xlsx_cells.scan_tags) against calamine itself.

Each worksheet below is small, so calamine can read it in this process; the range it
reports must be the one scan_tags computes, or one that holds it (the guard may count a
cell calamine leaves out, never the reverse). Every spelling is one a crafted file could use
to place a cell where a simpler scan would not look.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
import python_calamine

from reportgen.inventory.xlsx_cells import parse_ref, scan_tags
from reportgen.inventory.xlsx_scan import PartScanner

V = "<v>1</v>"
SHEETS = {
    "plain": f'<row r="2"><c r="B2">{V}</c><c r="D5">{V}</c></row>',
    "no-positions": f"<row><c>{V}</c><c>{V}</c></row><row><c>{V}</c></row>",
    "row-positions-only": f'<row r="3"><c>{V}</c><c>{V}</c></row><row r="7"><c>{V}</c></row>',
    "closing-rows-only": f"<c>{V}</c></row></row></row><c>{V}</c>",
    "open-rows-only": f"<row><c>{V}</c><row><c>{V}</c><row><c>{V}</c>",
    "lower-case": f'<row r="1"><c r="c3">{V}</c></row>',
    "leading-zeros": f'<row r="1"><c r="B007">{V}</c></row>',
    "prefix": f'<x:row r="2"><x:c r="C2">{V}</x:c><x:c>{V}</x:c></x:row>',
    "empty-prefix": f'<row><:c r="E4">{V}</:c></row>',
    "single-quotes-spaces": f"<row r = '3'><c  r = 'B3' >{V}</c></row>",
    "second-r": f'<row><c r="A1"\tr="F6">{V}</c></row>',
    "r-after-quote": f'<row><c r="A1"r="G2">{V}</c></row>',
    "r-s-t-then-r": f'<row><c r="A1" s="0" t="n" r="H9">{V}</c></row>',
    "gt-in-attribute": f'<row><c x="a>b" r="C3">{V}</c><c>{V}</c></row>',
    "key-with-space": f'<row><c x r="D4">{V}</c><c r="A1">{V}</c></row>',
    "comment": f'<row><!-- <c r="Z99">{V}</c> --><c r="B2">{V}</c></row>',
    "cdata": f'<row><![CDATA[</row><c r="Z99">]]><c>{V}</c><c>{V}</c></row>',
    "pi": f'<row><?x <c r="Z99"> ?><c r="C1">{V}</c></row>',
    "empty-cells-skipped": f'<row><c r="A1">{V}</c><c r="J10"/><c r="K11"></c></row>',
    "row-end-inside-cell": f"<row><c><v>1</v></row></row></c><c>{V}</c></row><c>{V}</c>",
    "nested-cell": f"<row><c><c>{V}</c></c><c>{V}</c></row>",
    "after-sheet-data": f'<row><c r="A1">{V}</c></row></sheetData><sheetData><c r="Z9">{V}</c>',
}


HEAD = f'<?xml version="1.0"?><worksheet xmlns="{hf.MAIN}" xmlns:x="{hf.MAIN}"><sheetData>'


def _workbook(path: Path, body: str) -> Path:
    return hf.workbook(path, f"{HEAD}{body}</sheetData></worksheet>")


@pytest.mark.parametrize("name", SHEETS)
def test_placement_matches_calamine(name: str, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "w.xlsx", SHEETS[name])
    try:
        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Inventory")
    except Exception as exc:  # calamine refuses the spelling: nothing of it is allocated
        pytest.skip(f"calamine refuses it: {exc}")
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/worksheets/sheet1.xml")
    extent = scan_tags([part[:40], part[40:]], 1 << 20)  # split mid-tag on purpose
    if sheet.start is None:
        assert extent.area >= 0
        return
    (top, left), (bottom, right) = sheet.start, sheet.end
    assert extent.top is not None and extent.left is not None, name
    assert extent.top <= top and extent.left <= left, (name, extent, sheet.start)
    assert extent.bottom >= bottom and extent.right >= right, (name, extent, sheet.end)
    assert extent.area == (bottom - top + 1) * (right - left + 1), (name, extent)


def test_references_read_as_calamine_reads_them() -> None:
    assert parse_ref(b"A1") == (0, 0)
    assert parse_ref(b"xfd1048576") == (1_048_575, 16_383)
    assert parse_ref(b"B007") == (6, 1)
    assert parse_ref(b"5") == (4, None)
    assert parse_ref(b"AAAAAAA1") == (0, 321_272_406)
    assert parse_ref(b"A4294967297") == (0, 0)  # the row wraps at 2**32, as in calamine
    assert parse_ref(b"A0") is None and parse_ref(b"$A$1") is None and parse_ref(b"A") is None


def test_a_chunk_not_written_as_excel_does_is_measured_tag_by_tag() -> None:
    """The fast paths take only chunks whose every cell is '<c r="...' as Excel writes it."""
    plain = b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
    for odd in (b"<c>", b'<c r="a1">', b'<x:c r="A1">', b'<c r="A1"\tr="B2">', b"<c r='A1'>"):
        scanner = PartScanner(1 << 20, 10_000_000)
        scanner.feed(b"<worksheet>" + plain.replace(b'<c r="A1">', odd) + b"</worksheet>")
        scanner.finish()
        assert scanner.needs_rescan, odd
    scanner = PartScanner(1 << 20, 10_000_000)
    scanner.feed(b"<worksheet>" + plain + b"</worksheet>")
    scanner.finish()
    assert not scanner.needs_rescan and scanner.has_cells
