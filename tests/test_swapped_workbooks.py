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
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from measured import measured
from openpyxl import Workbook, load_workbook
from packhelpers import run

from reportgen.core.errors import InputError
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

    def check_then_swap(path: Path, *args, **options):
        found = real(path, *args, **options)
        os.replace(replacement, path)
        checked.append(path)
        return found

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


def _padded(path: Path, megabytes: int) -> Path:
    """A genuine inventory with an image-like part of random bytes, stored uncompressed."""
    _inventory(path, ["Amazon S3"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.bin", os.urandom(megabytes << 20))
    return path


def test_a_workbook_is_held_once_and_outside_the_processs_heap(tmp_path):
    """Twenty-third pass: the copy read once was held as bytes two or three times over (a
    944 MB workbook peaked at 2.96 GB). It is a sealed memfd now, which calamine streams."""
    inventory = _padded(tmp_path / "inventory.xlsx", 300)
    config = tmp_path / "reportgen.yaml"
    config.write_text("customer:\n  name: Test Co\n", encoding="utf-8")
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", str(config)]
    outcome = measured([*argv, "--inventory", str(inventory)], tmp_path, timeout=300)
    assert outcome.status == 0, outcome.text
    assert outcome.rss_mb < 250, outcome.rss_mb  # the bytes held once as bytes: over 300


def test_a_sparse_workbook_is_refused_with_a_hint_that_helps(tmp_path):
    path = tmp_path / "inventory.xlsx"
    _inventory(path, ["Amazon S3"])
    with path.open("r+b") as handle:  # a hole in the middle, as cp --sparse=always makes
        data = handle.read()
        handle.seek(0)
        handle.truncate()
        handle.write(data[:1024])
        handle.seek(len(data) + (8 << 20))
        handle.write(data[1024:])
    with pytest.raises(InputError, match="sparse file") as raised:
        read_table(path, Limits())
    assert "cp --sparse=never" in (raised.value.hint or "")
    assert "--max-uncompressed-mb" not in (raised.value.hint or "")


def test_calamine_out_of_memory_is_not_called_a_damaged_workbook(tmp_path, monkeypatch):
    """Twenty-third pass: under a memory cap calamine's 'out of memory' was reported as
    "cannot read this workbook, it is damaged"; it is a MemoryError, which the command line
    reports as running out of memory (exit 2, with its hint)."""

    class Calamine:
        PasswordError = type("PasswordError", (Exception,), {})

        class CalamineWorkbook:
            @staticmethod
            def from_path(_name: str) -> None:
                raise RuntimeError("out of memory")

            from_filelike = from_path

    monkeypatch.setattr(readers, "python_calamine", Calamine)
    with pytest.raises(MemoryError):
        read_table(_inventory(tmp_path / "inventory.xlsx", ["Amazon S3"]), Limits())


def test_a_sheet_calamine_has_no_room_for_is_said_not_aborted(tmp_path):
    """Twenty-fourth pass: under a memory cap a genuine sheet (here two cells spanning
    10,000,000, within --max-cells) made calamine abort the process: "memory allocation of
    320000000 bytes failed", status 134. What it will take is now asked first."""
    import resource
    import subprocess

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists():
        pytest.skip("the installed reportgen command is not beside this Python")
    book = Workbook()
    book.active.title = "Inventory"
    book.active.append(["Service", "Account"])
    book.active.append(["Amazon S3", "123456789012"])
    book.active["J1000000"] = "x"
    book.save(tmp_path / "inventory.xlsx")
    (tmp_path / "reportgen.yaml").write_text("customer:\n  name: Test Co\n", encoding="utf-8")
    cap = 400 * 1024 * 1024

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    argv = [str(launcher), "validate", "--inventory", str(tmp_path / "inventory.xlsx")]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            preexec_fn=limit, check=False)  # fmt: skip
    assert result.returncode == 2, result.stderr
    said = "inventory.xlsx, sheet 'Inventory': ran out of memory: reading this sheet takes about"
    assert said in result.stderr, result.stderr  # pass 26d: it named no file, no sheet


def _validate_capped(folder: Path, cap: int, *args: str) -> subprocess.CompletedProcess:
    import resource

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists():
        pytest.skip("the installed reportgen command is not beside this Python")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return subprocess.run([str(launcher), "validate", *args], cwd=folder, capture_output=True,
                          text=True, timeout=300, preexec_fn=limit, check=False)  # fmt: skip


def test_the_sample_inventory_is_read_under_a_modest_memory_cap():
    """Twenty-sixth pass: the room a sheet needs was weighed on the scanner's rough bound
    (A1:Z99999 for 63 rows, 187 MB), so the sample was refused under every cap up to 295 MB;
    its cells are counted exactly under a cap now. (It needs about 100 MB.)"""
    root = Path(__file__).resolve().parents[1]
    result = _validate_capped(root, 200 * 1024 * 1024, "--config", "inputs/reportgen.yaml")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("limit", ["RLIMIT_AS", "RLIMIT_DATA"])
def test_the_room_check_needs_no_proc(tmp_path, limit):
    """Twenty-sixth pass: counted from /proc/self/statm, the room check was skipped where
    /proc is not mounted, and calamine aborted (status 134). The room is tried instead.
    Twenty-seventh: under a data size limit (prlimit --data) it was not made at all."""
    probe = (
        "import builtins, resource, sys\n"
        "from reportgen.core.reserve import require_headroom\n"
        "opened = builtins.open\n"
        "def no_proc(name, *a, **k):\n"
        "    if str(name).startswith('/proc'): raise FileNotFoundError(name)\n"
        "    return opened(name, *a, **k)\n"
        "builtins.open = no_proc\n"
        "cap = 1 << 30\n"
        f"resource.setrlimit(resource.{limit}, (cap, cap))\n"
        "require_headroom(64 << 20)\n"
        "try:\n"
        "    require_headroom(2 << 30)\n"
        "except MemoryError:\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _workbook_with_unnamed_strings(path: Path, count: int, length: int) -> None:
    """A workbook of one small sheet (inline text) and ``count`` shared strings of
    ``length`` characters that no cell names."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{text}</t></is></c></row>'
        for n, text in ((1, "Service"), (2, "Amazon S3"))
    )
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kinds}.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{kinds}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
        'name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}"><Relationship '
        f'Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
        f'Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{cells}'
        "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f'<sst xmlns="{main}" count="{count}" uniqueCount="{count}">'.encode())
            one = f"<si><t>{'A' * length}</t></si>".encode()
            for _ in range(count):
                strings.write(one)
            strings.write(b"</sst>")


def test_shared_strings_no_sheet_names_are_weighed_before_the_workbook_opens(tmp_path):
    """Twenty-seventh pass: calamine reads every shared string as it opens the workbook; a
    318 KB workbook holding 300 MB of strings no cell named aborted it under a cap (status
    134, 'memory allocation of 30000 bytes failed'), the room checked for its sheet only."""
    _workbook_with_unnamed_strings(tmp_path / "inventory.xlsx", 5_000, 30_000)
    (tmp_path / "reportgen.yaml").write_text("customer:\n  name: Test Co\n", encoding="utf-8")
    result = _validate_capped(tmp_path, 200 * 1024 * 1024, "--inventory", "inventory.xlsx")
    assert result.returncode == 2, result.stderr
    said = "inventory.xlsx: ran out of memory: reading the workbook's shared strings takes about"
    assert said in result.stderr, result.stderr
