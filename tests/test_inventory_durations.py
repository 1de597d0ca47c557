"""A number in a cell with a duration format ([h]:mm:ss) past what reportgen can hold as an
elapsed time (999,999,999 days) is refused naming its cell, exit 2, in any column, read or
not: calamine raised OverflowError while it handed on the row, an internal error, exit 1
(fourteenth adversarial pass)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_config
from openpyxl import Workbook
from packhelpers import run

CONFIG = "customer:\n  name: Test Co\nframeworks: [pci-dss]\ninventory:\n  path: inv.xlsx\n"
HEADER = ["Service", "Resource ID", "Account", "Notes", "Extra"]


def _workbook(path: Path, value: float, row: int, column: int, number_format: str) -> None:
    """Rows of a known service under the header; ``value`` in ``column`` (1-based) of
    ``row``, with ``number_format``. Account IDs are numbers past the limit too, in cells
    formatted as numbers: only the duration cell is named."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Inv"
    sheet.append(HEADER)
    for number in range(2, row + 2):
        sheet.append(["Amazon S3", f"b-{number}", 111122223333, "", ""])
    cell = sheet.cell(row=row, column=column, value=value)
    cell.number_format = number_format
    book.save(path)


@pytest.mark.parametrize(
    ("value", "row", "column", "number_format"),
    [
        (1e9, 2, 5, "[h]:mm:ss"),  # an unread column
        (-1e10, 53, 4, "[h]:mm:ss"),  # far down, past the first rows read
        (1e12, 3, 4, "[mm]:ss"),  # a custom elapsed-time format
    ],
    ids=["1e9-unread-column", "negative-row-53", "custom-format"],
)
def test_a_duration_too_long_is_named_by_its_cell(tmp_path, value, row, column, number_format):
    _workbook(tmp_path / "inv.xlsx", value, row, column, number_format)
    write_config(tmp_path, CONFIG)
    process = run("validate", "--config", tmp_path / "reportgen.yaml", check=2)
    message = " ".join(process.stderr.split())
    assert "Traceback" not in process.stderr and "internal error" not in message
    letter = "ABCDE"[column - 1]
    assert f"inv.xlsx, sheet 'Inv', row {row}, column {letter}" in message, message
    assert "elapsed time" in message and "999,999,999 days" in message, message


def test_build_refuses_it_and_leaves_no_folders(tmp_path):
    _workbook(tmp_path / "inv.xlsx", 1e9, 2, 5, "[h]:mm:ss")
    write_config(tmp_path, CONFIG)
    out = tmp_path / "deep" / "a" / "b" / "pack"
    process = run("build", "--config", tmp_path / "reportgen.yaml", "--out", out, check=2)
    assert "row 2, column E" in process.stderr, process.stderr
    assert not (tmp_path / "deep").exists()


def test_a_duration_within_range_is_still_read(tmp_path):
    _workbook(tmp_path / "inv.xlsx", 1.5, 2, 4, "[h]:mm:ss")
    write_config(tmp_path, CONFIG)
    run("validate", "--config", tmp_path / "reportgen.yaml", check=0)
