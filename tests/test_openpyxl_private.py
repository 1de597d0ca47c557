"""openpyxl's private API is reached through one adapter, on the versions it is tested on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from openpyxl import Workbook

from reportgen.core.openpyxl_private import TESTED, openpyxl_version, written_sheet_path

PACKAGE = Path(__file__).resolve().parent.parent / "reportgen"
ADAPTER = PACKAGE / "core" / "openpyxl_private.py"


def test_the_installed_openpyxl_is_in_the_tested_range():
    low, high = TESTED
    assert low <= openpyxl_version() < high, openpyxl_version()


def test_no_other_module_reaches_into_openpyxl_privates():
    """Neither `openpyxl.x._y` imports nor `._writer` attributes outside the adapter."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == ADAPTER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("openpyxl") and any(p.startswith("_") for p in module.split(".")):
                found.append(f"{path.name}: from {module}")
            if isinstance(node, ast.Attribute) and node.attr == "_writer":
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert found == []


def test_written_sheet_path_is_the_file_openpyxl_wrote(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    ws.append(["a", 1])
    with pytest.raises(ValueError, match="still open"):
        written_sheet_path(ws)
    ws.close()
    path = written_sheet_path(ws)
    assert b"<sheetData>" in path.read_bytes() and b"<v>1</v>" in path.read_bytes()
