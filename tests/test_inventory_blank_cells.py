"""A service cell calamine reads as empty but Excel shows filled, through the command line:
a formula saved without its value (openpyxl saves them so) and an error value (#N/A) are
named as what they are, with their column, not as "no service given" (thirteenth
adversarial pass)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import write_config
from openpyxl import Workbook
from packhelpers import run

CONFIG = "customer:\n  name: Test Co\ninventory:\n  path: inv.xlsx\n"
HEADER = ["Service", "Resource ID"]


def _workbook(path: Path, service: object, patches: tuple[tuple[bytes, bytes], ...]) -> None:
    """Row 2 a known service, row 3 ``service`` in the service column; each patch replaces
    bytes of the worksheet's XML (a cell openpyxl will not write)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Inv"
    for row in (HEADER, ["Amazon S3", "b-1"], [service, "r-3"]):
        sheet.append(row)
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    part = "xl/worksheets/sheet1.xml"
    for old, new in patches:
        assert old in parts[part], parts[part]
        parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def _strict(folder: Path) -> str:
    write_config(folder, CONFIG)
    process = run("validate", "--config", folder / "reportgen.yaml", "--strict", check=2)
    assert "Traceback" not in process.stderr
    return " ".join(process.stderr.split())


AT = "inv.xlsx, sheet 'Inv', row 3, column A (Service): the row could not be resolved"


# Excel saves a formula that failed as an error cell holding its formula and the error.
FAILED_FORMULA = (
    (b'<c r="A3">', b'<c r="A3" t="e">'),
    (b"<f>1/0</f><v></v>", b"<f>1/0</f><v>#DIV/0!</v>"),
)


@pytest.mark.parametrize(
    ("service", "patches", "said"),
    [
        (
            '=CONCATENATE("Amazon ","EC2")',
            (),
            "the cell holds a formula with no saved value, not a service name (the program "
            "that wrote the file did not calculate it: open the file in Excel and save it",
        ),
        ("#N/A", (), "the cell holds the error value #N/A, not a service name"),
        ("=1/0", FAILED_FORMULA, "the cell holds the error value #DIV/0!, not a service name"),
    ],
    ids=["formula-without-value", "error-na", "error-div0"],
)
def test_a_service_cell_excel_shows_filled_is_named(tmp_path, service, patches, said):
    _workbook(tmp_path / "inv.xlsx", service, patches)
    message = _strict(tmp_path)
    assert f"{AT} (--strict): {said}" in message, message


def test_a_service_cell_empty_in_the_file_too_has_no_service(tmp_path):
    _workbook(tmp_path / "inv.xlsx", None, ())
    message = _strict(tmp_path)
    assert "inv.xlsx, sheet 'Inv', row 3: the row could not be resolved" in message
    assert "no service given" in message


def test_a_cell_reference_of_thousands_of_digits_is_passed_over(tmp_path):
    """Pass 72d D1: a comment before the row holding `<c r="A` and 5,000 nines: the
    diagnosis of the formula's empty cell read the row number with int(), past the digits
    Python reads, and the run was an internal error (exit 1)."""
    comment = b'<!-- <c r="A' + b"9" * 5000 + b'"/> --><row r="3"'
    patches = ((b'<row r="3"', comment),)
    _workbook(tmp_path / "inv.xlsx", '=CONCATENATE("Amazon ","EC2")', patches)
    message = _strict(tmp_path)
    assert f"{AT} (--strict): the cell holds a formula with no saved value" in message, message
