"""A streamed table writes the cells openpyxl would: the same sheet XML, byte for byte, for
every column kind and every hostile value, with its rules (conditional formats) kept."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from hostile import XML_SAFE_VALUES
from openpyxl import Workbook

from reportgen.render.xlsx_style import CellMaker, PrintInfo
from reportgen.render.xlsx_table import Column, Table, Written, colour_owners, write_table
from reportgen.render.zipfix import save_workbook

COLUMNS = [
    Column("Id", minimum=5),
    Column("Text", "text", cap=30),
    Column("Wrapped", "wrap", minimum=20),
    Column("Count", "number"),
    Column("Owner", "owner", width=12, rotated=True),
    Column("Status", "status"),
]


def rows() -> list[list[object]]:
    values = [*XML_SAFE_VALUES, "", "Customer", "Third party (Stackwise)", "x" * 400]
    return [
        [f"C{n}", value, value[::-1], n if n % 3 else None, value[:12], value[-5:]]
        for n, value in enumerate(values)
    ]


def sheet_xml(tmp_path: Path, streamed: bool) -> bytes:
    wb = Workbook(write_only=True)
    info = PrintInfo("Test Co", "SOC 2", "Confidential", "RG-1")

    def rules(written: Written) -> None:
        colour_owners(written.ws, written.column_range(4))

    write_table(
        wb, CellMaker(), info, Table("Table", COLUMNS, rows(), streamed=streamed, rules=rules)
    )
    path = tmp_path / f"{streamed}.xlsx"
    save_workbook(wb, path, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml") + archive.read("xl/styles.xml")


def test_streamed_cells_are_the_cells_openpyxl_writes(tmp_path):
    streamed, through_openpyxl = sheet_xml(tmp_path, True), sheet_xml(tmp_path, False)
    assert b"conditionalFormatting" in streamed and b"<f>" not in streamed
    assert streamed.count(b"<row ") == len(rows()) + 1  # the header and every row
    assert b'ht="' in streamed  # wrapped text made some rows taller
    assert streamed == through_openpyxl
