"""Which sheet is the inventory, and where its header is, through the command line: hidden
sheets are read only when the config names them; a header search that fails says where it
looked and how to point it further down."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import write_config
from openpyxl import Workbook
from packhelpers import run

CONFIG = "customer:\n  name: Test Co\ninventory:\n  path: inv.xlsx\n"


def workbook(path: Path, sheets: list[tuple[str, str, list[list[object]]]]) -> Path:
    """(title, state, rows) per sheet; state is visible, hidden or veryHidden. openpyxl
    will not save a workbook with no visible sheet, so states are set in its XML after."""
    book = Workbook()
    book.remove(book.active)
    for title, _state, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    states = {title: state for title, state, _rows in sheets if state != "visible"}
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    xml = parts["xl/workbook.xml"].decode()
    for title, state in states.items():
        sheet = re.compile(f'(<sheet [^>]*name="{re.escape(title)}"[^>]* state=")visible"')
        xml, count = sheet.subn(rf'\1{state}"', xml)
        assert count == 1, xml
    parts["xl/workbook.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


OLD = [["Service", "Resource ID"], ["Amazon S3", "old-bucket"]]
CURRENT = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["AWS Lambda", "fn-1"]]


def validate(folder: Path, check: int | None = None, extra: str = "") -> tuple[int, str]:
    write_config(folder, CONFIG + extra)
    process = run("validate", "--config", folder / "reportgen.yaml", cwd=folder, check=check)
    return process.returncode, " ".join((process.stdout + process.stderr).split())


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_does_not_shadow_the_visible_inventory(tmp_path, state):
    workbook(tmp_path / "inv.xlsx", [("Old", state, OLD), ("Current", "visible", CURRENT)])
    status, output = validate(tmp_path)
    assert status == 0, output
    assert "sheet 'Current'" in output and "2 resolved" in output
    assert "hidden sheet(s) 'Old' skipped; name one in inventory.sheet to read it" in output


def test_a_hidden_sheet_is_read_when_the_config_names_it(tmp_path):
    workbook(tmp_path / "inv.xlsx", [("Old", "hidden", OLD), ("Current", "visible", CURRENT)])
    status, output = validate(tmp_path, extra="  sheet: Old\n")
    assert status == 0, output
    assert "sheet 'Old'" in output and "1 resolved" in output and "skipped" not in output


def test_a_workbook_of_hidden_sheets_is_refused_naming_them(tmp_path):
    sheets = [("Old", "hidden", OLD), ("Older", "veryHidden", OLD)]
    workbook(tmp_path / "inv.xlsx", sheets)
    status, output = validate(tmp_path)
    assert status == 2, output
    assert "inv.xlsx: every worksheet is hidden ('Old', 'Older')" in output
    assert "inventory: {sheet: ...}" in output


def test_a_header_below_the_search_window_is_pointed_at(tmp_path):
    rows: list[list[object]] = [[] for _ in range(199)] + CURRENT
    workbook(tmp_path / "inv.xlsx", [("Inventory", "visible", rows)])
    status, output = validate(tmp_path)
    assert status == 2, output
    assert (
        "sheet 'Inventory': no header row in the first 30 rows (all blank); "
        "the first filled row is row 200"
    ) in output
    assert "If row 200 is the header, set it in the config: inventory: {header_row: 200}" in output
    status, output = validate(tmp_path, extra="  header_row: 200\n")
    assert status == 0 and "2 resolved" in output, output


def test_a_header_below_title_rows_names_the_window_and_the_setting(tmp_path):
    rows: list[list[object]] = [[f"note {n}", "x"] for n in range(40)] + CURRENT
    workbook(tmp_path / "inv.xlsx", [("Inventory", "visible", rows)])
    status, output = validate(tmp_path)
    assert status == 2, output
    assert "no service column found in the first 30 rows" in output
    assert "set inventory.header_row to its row number" in output
    status, output = validate(tmp_path, extra="  header_row: 35\n")
    assert status == 2 and "no service column found in row 35 (inventory.header_row)" in output
