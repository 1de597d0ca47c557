"""A workbook renamed over the checked one between the .xlsx guard and the reader.

The guard and the reader must read the same bytes: a cell-range bomb renamed over an
inventory just after its checks aborted calamine with a Rust backtrace, exit 134
(twenty-second adversarial pass). Here the file swapped in is a harmless workbook with
other cells, so a reader that opens the path again shows itself by what it reads; the
inventory's formula diagnosis and the evidence workbook's openpyxl read are held to the
same rule.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from packhelpers import run

from reportgen.evidence import read as evidence_read
from reportgen.evidence.read import read_workbook
from reportgen.inventory import readers
from reportgen.inventory.limits import Limits
from reportgen.inventory.load import InventoryOptions, read_inventory
from reportgen.inventory.readers import read_table
from reportgen.inventory.scope import ScopeParser

FID = "soc2"


def _inventory(path: Path, services: list[str | None], formulas: bool = False) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Inventory"
    sheet.append(["Service", "Account"])
    for number, service in enumerate(services, start=2):
        sheet.append([service, "123456789012"])
        if formulas and service is None:
            sheet.cell(number, 1).value = '="Amazon "&"RDS"'  # saved without its value
    book.save(path)
    return path


def _swap_after_check(monkeypatch, module, replacement: Path) -> list[Path]:
    """Make ``module``'s check_xlsx rename ``replacement`` over the file it just checked."""
    checked: list[Path] = []
    real = module.check_xlsx

    def check_then_swap(path: Path, *args):
        real(path, *args)
        os.replace(replacement, path)
        checked.append(path)

    monkeypatch.setattr(module, "check_xlsx", check_then_swap)
    return checked


def _cells(path: Path) -> list[str]:
    table = read_table(path, Limits())
    return [str(cell) for sheet in table.sheets for _, row in sheet.rows for cell in row]


def test_the_inventory_read_is_the_inventory_checked(tmp_path, monkeypatch):
    path = _inventory(tmp_path / "inventory.xlsx", ["Amazon S3", "AWS Lambda"])
    other = _inventory(tmp_path / "other.xlsx", ["Amazon EC2"])
    checked = _swap_after_check(monkeypatch, readers, other)
    cells = _cells(path)
    assert checked == [path]  # the swap did happen, before the read
    assert "Amazon S3" in cells and "AWS Lambda" in cells
    assert "Amazon EC2" not in cells
    monkeypatch.undo()
    assert "Amazon EC2" in _cells(path)  # the file on disk is now the other one


def test_the_blank_cell_diagnosis_reads_the_inventory_checked(tmp_path, monkeypatch, catalogs):
    """A formula saved without its value is said to be one, from the checked workbook."""
    path = _inventory(tmp_path / "inventory.xlsx", ["Amazon S3", None], formulas=True)
    other = _inventory(tmp_path / "other.xlsx", ["Amazon S3", None])  # no formula there
    _swap_after_check(monkeypatch, readers, other)
    inventory = read_inventory(path, InventoryOptions(), catalogs.resolver, ScopeParser({}))
    reasons = [u.reason for u in inventory.unresolved]
    assert any("a formula with no saved value" in r for r in reasons), reasons


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack"
    args = ("-q", "build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*args, pdf=False)
    return out


def test_the_evidence_workbook_read_is_the_one_checked(pack, tmp_path, monkeypatch):
    path = tmp_path / "raci.xlsx"
    shutil.copy(pack / FID / f"harbourline-{FID}-raci.xlsx", path)
    other = tmp_path / "other.xlsx"
    book = load_workbook(path)
    book["Evidence"].cell(4, 1).value = "not a control of this framework"
    book.save(other)
    checked = _swap_after_check(monkeypatch, evidence_read, other)
    edits = read_workbook(path, Limits())
    assert checked == [path]
    assert edits.items
    assert all(item.control != "not a control of this framework" for item in edits.items)
