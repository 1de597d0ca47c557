"""Broken and hostile files through the real command line, one process each.

Every case runs ``reportgen`` in a subprocess (calamine aborts the whole process on some
inputs, so nothing here may run inside pytest), measures its peak RSS with wait4, and
checks: the exit status, that stderr names the file (and sheet, row, column, line where
they apply), that no traceback is printed, and that a failed ``build`` writes nothing.
The cases run four at a time in one fixture; each test then reads its case's result.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hostile_files as hf
import pytest
from conftest import ROOT, SAMPLE_INVENTORY, write_csv
from hostile import FIGURES, check_pack, tally
from measured import Outcome, measured, measured_all

CONFIG = "customer:\n  name: Test Co\n"
GOOD_ROWS = [["Service", "Resource ID", "Scope"], ["Amazon S3", "b-1", "all"], ["EC2", "i-1", ""]]
# Peak RSS of a run refused at reading is 60-80 MB; a bomb that got through would take
# hundreds. A run that builds a pack also renders a PDF (WeasyPrint: 150-250 MB).
RSS_LIMIT_MB = 200
RSS_LIMIT_PACK_MB = 400


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]  # writes the inventory (or config) into a directory
    expect: list[str]  # fragments stderr must contain
    status: int = 2
    args: list[str] = field(default_factory=list)  # extra CLI arguments
    target: str = "inventory"  # what make() wrote: the inventory or the config
    command: str = "build"
    seconds: float | None = None  # a bound on its wall time, where time is what it tests


def _csv(rows, **kw):
    return lambda d: write_csv(d / "inv.csv", rows, **kw)


def _bytes(name: str, data: bytes):
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


def _text(name: str, text: str, encoding: str = "utf-8"):
    return _bytes(name, text.encode(encoding))


def _file(builder, name: str = "inv.xlsx", *args):
    return lambda d: builder(d / name, *args)


def _config(text: str):
    return _text("reportgen.yaml", text)


def _fifo(name: str):
    def make(d: Path) -> Path:
        (d / name).unlink(missing_ok=True)
        os.mkfifo(d / name)
        return d / name

    return make


def _dev_zero(name: str):
    def make(d: Path) -> Path:
        (d / name).unlink(missing_ok=True)
        (d / name).symlink_to("/dev/zero")
        return d / name

    return make


def _symlink_loop(name: str):
    def make(d: Path) -> Path:
        (d / name).symlink_to("other.csv")
        (d / "other.csv").symlink_to(name)
        return d / name

    return make


def _unknown_keys(count: int):
    return _config(CONFIG + "".join(f"key{i}: 1\n" for i in range(count)))


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)
FRAMEWORK_HEAD = "id: {id}\nname: X\nfull_name: X\nversion: '1'\ncatalog_version: '1'\n"


def _as_scanned(value: str) -> str:
    """A cell's value as the guard quotes it: a comment is text of its length there."""
    return re.sub("<!--.*?-->", lambda found: "_" * len(found.group()), value)


CASES = [
    # --- broken files
    Case("empty-file", _bytes("inv.csv", b""), ["inv.csv: the inventory is empty (0 bytes)"]),
    Case("blank-csv", _text("inv.csv", " \r\n\t\n"), ["inv.csv: inventory file has no content"]),
    Case(
        "header-only-csv",
        _csv([["Service", "Region"]]),
        ["inv.csv, row 1: the inventory has a header row but no data rows"],
    ),
    Case(
        "header-only-xlsx",
        _file(hf.write_rows, "inv.xlsx", [["Title"], [], ["Service", "Owner"], ["", ""]]),
        ["inv.xlsx, sheet 'Inventory', row 3: the inventory has a header row but no data rows"],
    ),
    Case(
        "no-service-column",
        _csv([["Owner", "Region"], ["Security", "eu-west-1"]]),
        ["no service column", "headers found (row 1): 'Owner', 'Region'", "'aws service'"],
    ),
    Case(
        "empty-sheet-xlsx",
        _file(hf.write_rows, "inv.xlsx", []),
        ["inv.xlsx, sheet 'Inventory': the inventory is empty"],
    ),
    Case(
        "truncated-xlsx",
        lambda d: hf.truncated(d / "inv.xlsx", SAMPLE_INVENTORY),
        ["inv.xlsx: cannot read this workbook: it is truncated"],
    ),
    Case(
        "corrupt-deflate-xlsx",
        lambda d: hf.flipped_bytes(d / "inv.xlsx", SAMPLE_INVENTORY),
        ["inv.xlsx: cannot read this workbook: part 'xl/worksheets/sheet1.xml'", "damaged"],
    ),
    Case(
        "malformed-sheet-xml",
        _file(hf.malformed_sheet),
        ["inv.xlsx: cannot read sheet 'Inventory': the workbook is damaged"],
    ),
    Case(
        "broken-cell-tag",
        _file(hf.broken_cell_tag),
        ["sheet 'Inventory': the workbook is damaged (its XML could not be read; the reader"],
    ),
    Case(
        "sheet-part-missing",
        _file(hf.sheet_part_missing),
        ["the workbook is damaged (its part is missing from the file, or the workbook links"],
    ),
    *[
        Case(
            f"shared-index-{name}",
            _file(hf.shared_index_not_a_number, "inv.xlsx", value),
            [f"cell A2 is a shared-string cell whose value '{_as_scanned(value)[:40]}", "not the"],
        )
        for name, value in (
            ("abc", "abc"),
            ("negative", "-1"),
            ("hex", "0x3"),
            ("empty", ""),
            ("past-the-strings", "2"),  # 41d: said naming no cell
            ("past-a-usize", str(2**64)),  # 41d: read as string 0, without a word
            ("65-digits", "1" * 65),  # 42d: not looked at, string 0 without a word
            ("5000-digits", "9" * 5000),
            ("plus", "+1"),  # 43d: '+1', '1_0' read as string 0, without a word
            ("underscore", "1_0"),
            ("comment", "1<!-- a -->0"),  # calamine reads '1' of it
            ("entity", "1&#48;"),
        )
    ],
    Case(  # 43d: the cell was blamed, not the missing part
        "shared-strings-missing",
        _file(hf.shared_strings_missing),
        ["whose value '0' is not the number of a string it holds: it has no shared strings"],
    ),
    Case(  # 44d: calamine made room for 10^11 strings, and aborted (exit 134)
        "shared-strings-declared-huge",
        _file(hf.shared_strings_declared_huge),
        ["(the shared strings) declares 99,999,999,999 strings (uniqueCount) but holds 1"],
    ),
    Case(  # 45d: 40 leading zeros hid the count past the 30 digits read
        "shared-strings-declared-huge-zero-padded",
        _file(hf.shared_strings_declared_huge, "inv.xlsx", "0" * 40 + "100000000000"),
        ["declares 100,000,000,000 strings (uniqueCount) but holds 1"],
    ),
    Case(  # 42d: the sheet's index past the strings it kept was blamed
        "shared-strings-cut-short",
        _file(hf.shared_strings_cut_short),
        ["inv.xlsx: workbook part 'xl/sharedStrings.xml' (the shared strings) is cut short"],
    ),
    Case("zip-not-xlsx", _file(hf.zip_not_xlsx), ["inv.xlsx: this is a zip archive but not"]),
    Case("legacy-xls", _file(hf.ole_file, "inv.xls"), ["inv.xls: legacy Excel 97-2003 (.xls)"]),
    Case(
        "ole-signature-xlsx",
        _file(hf.ole_file),
        ["inv.xlsx: this workbook is encrypted (password-protected) or in a legacy format"],
    ),
    Case(
        "password-protected-xlsx",
        lambda d: hf.encrypted_xlsx(d / "inv.xlsx", SAMPLE_INVENTORY),
        ["inv.xlsx: this workbook is encrypted (password-protected)", "Remove the password"],
    ),
    Case(
        "zip-encrypted-part",
        _file(hf.zip_encrypted_member),
        ["inv.xlsx: this workbook is encrypted (password-protected)"],
    ),
    Case(
        "binary-csv-with-nuls",
        _bytes("inv.csv", bytes(range(256)) * 8),
        ["inv.csv: this is not a text CSV file (it contains binary data: a NUL byte at line 1"],
    ),
    Case(  # tenth pass: where in the file was not said
        "csv-with-a-nul-on-line-3",
        _bytes("inv.csv", b"Service,Resource ID\nS3,b1\nEC2,i\x00x\n"),
        ["inv.csv: this is not a text CSV file (it contains binary data: a NUL byte at line 3"],
    ),
    Case(  # eleventh pass: a NUL past the first block was read as text
        "csv-with-a-nul-past-the-first-block",
        _bytes("inv.csv", b"Service,Resource ID\n" + b"S3,bucket\n" * 600 + b"EC2,i\x00x\n"),
        ["inv.csv, row 602, column B: cell holds a NUL character: binary data, not text"],
    ),
    Case(
        "binary-csv-without-nuls",
        _bytes("inv.csv", bytes(range(1, 256)) * 16),
        ["inv.csv: this is not a text CSV file (it contains binary data: from line 1: "],
    ),
    Case("missing-path", lambda d: d / "nope.csv", ["nope.csv: inventory file not found"]),
    Case(  # thirteenth pass: a loop was "inventory file not found", the cause is ELOOP
        "symlink-loop",
        _symlink_loop("inv.csv"),
        ["inv.csv: inventory file cannot be reached: a symbolic link on its path loops"],
    ),
    Case(  # thirteenth pass: procfs reports 0 bytes, so this file was "empty (0 bytes)"
        "procfs-file",
        lambda _d: Path("/proc/self/status"),
        ["/proc/self/status: the inventory is a file of the kernel's proc file system"],
    ),
    Case(
        "directory-path",
        lambda d: (d / "dir.csv").mkdir() or d / "dir.csv",
        ["dir.csv: expected an inventory file but found a directory"],
    ),
    Case(
        "pdf-named-inventory",
        _bytes("inv.pdf", b"%PDF-1.7\n"),
        ["inv.pdf: unsupported inventory file type '.pdf'"],
    ),
    Case(
        "unknown-scope",
        _csv([["Service", "Scope"], ["S3", "HIPAA"]]),
        ["inv.csv, row 2, column B (Scope)", "HIPAA"],
    ),
    Case(
        "configured-sheet-missing",
        _file(hf.write_rows, "inv.xlsx", GOOD_ROWS),
        ["sheet 'Assets' not found; the workbook has: 'Inventory'"],
        target="both",
        args=["--config-text", CONFIG + "inventory: {sheet: Assets}\n"],
    ),
    # --- config and catalogs
    Case(
        "invalid-yaml",
        _config("customer:\n  name: [Test Co\nframeworks: [pci-dss]\n"),
        ["reportgen.yaml:3: invalid YAML", "(column"],
        target="config",
    ),
    Case(
        "wrong-type",
        _config(CONFIG + "inventory:\n  header_row: four\n"),
        ["reportgen.yaml: config is not valid", "line 4: inventory.header_row", "integer"],
        target="config",
    ),
    Case(
        "wrong-type-list",
        _config("customer:\n  name: [a, b]\n"),
        ["line 2: customer.name: Input should be a valid string"],
        target="config",
    ),
    Case(
        "unknown-framework-config",
        _config(CONFIG + "frameworks: [pci-dss, hipaa]\n"),
        ["line 3: frameworks[1]: unknown framework 'hipaa' (frameworks: pci-dss, iso-27001, soc2)"],
        target="config",
    ),
    Case(
        "unknown-framework-flag",
        _csv(GOOD_ROWS),
        ["--framework: unknown framework '../../etc'"],
        args=["--framework", "../../etc"],
    ),
    Case(
        "alias-bomb",
        _config(CONFIG + ALIAS_BOMB),
        ["reportgen.yaml:4: YAML aliases (*name) are not allowed"],
        target="config",
    ),
    Case(
        "yaml-too-big",
        _config(CONFIG + "# padding\n" * 120_000),
        ["reportgen.yaml: YAML file is 1,200,026 bytes, over the limit of 1,048,576 bytes"],
        target="config",
        args=["--max-yaml-mb", "1"],
    ),
    Case(
        "yaml-deep-nesting",
        _config("customer: " + "[" * 5000 + "]" * 5000 + "\n"),
        ["reportgen.yaml:1: invalid YAML: exceeded maximum nesting depth"],
        target="config",
    ),
    Case(
        "yaml-nul-bytes",
        _bytes("reportgen.yaml", b"customer:\n  name: a\x00b\n"),
        ["reportgen.yaml: not a text YAML file (it contains NUL bytes)"],
        target="config",
    ),
    Case(  # tenth pass: was "it contains NUL bytes", which says nothing of what to do
        "yaml-utf16",
        _text("reportgen.yaml", "\ufeffcustomer:\n  name: Zürich AG\n", "utf-16-le"),
        ["reportgen.yaml: YAML file is UTF-16 (it starts with a UTF-16 byte order mark); save it"],
        target="config",
    ),
    Case(
        "yaml-latin1",
        _text("reportgen.yaml", "customer:\n  name: Zürich AG\n", "latin-1"),
        ["reportgen.yaml: YAML file is not valid UTF-8"],
        target="config",
    ),
    Case(
        "yaml-python-tag",
        _config("customer: !!python/object/apply:os.system ['id']\n"),
        ["reportgen.yaml:1: invalid YAML"],
        target="config",
    ),
    Case(
        "framework-id-traversal",
        _text("fw.yaml", FRAMEWORK_HEAD.format(id="../evil")),
        ["fw.yaml: framework catalog is not valid", "id: String should match pattern"],
        args=["--framework-catalog", "fw.yaml"],
        target="catalog",
    ),
    Case(
        "framework-id-reserved",
        _text("fw.yaml", FRAMEWORK_HEAD.format(id="con")),
        ["fw.yaml: framework catalog is not valid", "'con' cannot name a folder"],
        args=["--framework-catalog", "fw.yaml"],
        target="catalog",
    ),
    Case(
        "framework-id-long",
        _text("fw.yaml", FRAMEWORK_HEAD.format(id="a" * 300)),
        ["fw.yaml: framework catalog is not valid", "at most 40 characters"],
        args=["--framework-catalog", "fw.yaml"],
        target="catalog",
    ),
    # --- files that are not files: nothing may wait on a FIFO or read /dev/zero without end
    Case(
        "config-fifo",
        _fifo("reportgen.yaml"),
        ["reportgen.yaml: YAML file is a FIFO (named pipe), not a regular file"],
        target="config",
        seconds=20,
    ),
    Case(
        "config-dev-zero",
        _dev_zero("reportgen.yaml"),
        ["reportgen.yaml: YAML file is a character device, not a regular file"],
        target="config",
        seconds=20,
    ),
    Case(
        "catalog-fifo",
        _fifo("services.yaml"),
        ["services.yaml: YAML file is a FIFO (named pipe), not a regular file"],
        args=["--catalog", "services.yaml"],
        target="catalog",
        seconds=20,
    ),
    Case(
        "framework-catalog-dev-zero",
        _dev_zero("fw.yaml"),
        ["fw.yaml: YAML file is a character device, not a regular file"],
        args=["--framework-catalog", "fw.yaml"],
        target="catalog",
        seconds=20,
    ),
    Case(
        "inventory-fifo",
        _fifo("inv.csv"),
        ["inv.csv: the inventory is a FIFO (named pipe), not a regular file"],
        seconds=20,
    ),
    Case(
        "inventory-dev-zero",
        _dev_zero("inv.csv"),
        ["inv.csv: the inventory is a character device, not a regular file"],
        seconds=20,
    ),
    # --- every unknown key is named, in time linear in their number
    Case(
        "40k-unknown-keys",
        _unknown_keys(40_000),
        ["config is not valid (40,000 problems)", "line 3: key0: unknown key", "39,800 more"],
        target="config",
        command="validate",
        seconds=30,
    ),
    # A 5 MB config, under the size limit, of one unknown key holding a flow list of 2.5
    # million items: 14 s and 930 MB (PyYAML's node tree) before its key was reported.
    Case(
        "5mb-flow-list",
        _config(CONFIG + "junk: [" + "0," * 2_500_000 + "0]\n"),
        ["reportgen.yaml:3: the file holds more than 200,000 YAML nodes", "--max-yaml-mb"],
        target="config",
        command="validate",
        seconds=10,
    ),
    # --- limits
    Case(
        "zip-members",
        _file(hf.many_parts, "inv.xlsx", 10_001),
        ["inv.xlsx: workbook has 10,0", "parts, over the limit of 10,000", "--max-zip-members"],
    ),
    Case(
        "zip-members-understated",
        _file(hf.understated_part_count, "inv.xlsx", 10_001),
        ["inv.xlsx: workbook has 10,0", "parts, over the limit of 10,000"],
    ),
    Case(
        "zip-members-flag",
        _file(hf.write_rows, "inv.xlsx", GOOD_ROWS),
        ["inv.xlsx: workbook has 6 parts, over the limit of 5"],
        args=["--max-zip-members", "5"],
    ),
    Case(
        "uncompressed-flag",
        _file(hf.padded, "inv.xlsx", 2 * 1024 * 1024),
        ["inv.xlsx: workbook expands to 2,", "over the limit of 1,048,576 bytes"],
        args=["--max-uncompressed-mb", "1"],
    ),
    Case(
        "lying-zip-header",
        _file(hf.lying_size),
        ["part 'xl/worksheets/sheet1.xml' inflates beyond the 1,000 bytes it declares"],
    ),
    Case(
        "huge-shared-string",
        _file(hf.huge_shared_string),
        ["inv.xlsx: workbook part 'xl/sharedStrings.xml' holds a cell or text of more than"],
    ),
    Case(
        "huge-inline-cell",
        _file(hf.huge_inline_cell),
        ["inv.xlsx: workbook part 'xl/worksheets/sheet1.xml' holds a cell or text of more"],
    ),
    Case(
        "rich-text-bomb",
        _file(hf.rich_text_string),
        ["workbook part 'xl/sharedStrings.xml' holds a cell or text of more than"],
    ),
    Case(
        "entity-bomb",
        _file(hf.entity_bomb),
        ["workbook part 'xl/sharedStrings.xml' declares a DTD (<!DOCTYPE>)"],
    ),
    Case(
        "far-apart-cells",
        _file(hf.far_apart_cells),
        ["cells from A1 to XFD1048576: a range of 17,179,869,184 cells", "--max-cells"],
    ),
    Case(
        "far-cells-without-positions",
        _file(hf.implied_far_cells),
        ["cells from A1 to XFD1048576", "over the limit of 10,000,000"],
    ),
    Case(
        "stray-cell-beyond-columns",
        _file(hf.stray_cell),
        ["inv.xlsx, sheet 'Inventory', row 3, column ALN: a cell lies beyond the limit of 1,000"],
    ),
    Case(
        "max-rows",
        _csv([["Service"], *[["S3"]] * 5]),
        ["inv.csv, row 5: more than 3 rows below the header row (row 1), 0 of them blank"],
        args=["--max-rows", "3"],
    ),
    Case(
        "long-cell-csv",
        _csv([["Service", "Notes"], ["S3", "n" * 40_000]]),
        ["inv.csv, row 2, column B: cell holds 40,000 characters, over the limit of 32,767"],
    ),
    Case(
        "long-cell-xlsx",
        _file(hf.write_rows, "inv.xlsx", [["Service", "Notes"], ["S3", "n" * 40_000]]),
        ["sheet 'Inventory', row 2, column B: cell holds 40,000 characters"],
    ),
    Case(
        "csv-field-over-csv-limit",
        _csv([["Service", "Notes"], ["S3", "n" * 200_000]]),
        ["inv.csv, row 2: a cell holds more than 32,767 characters"],
    ),
    Case(
        "csv-too-many-columns",
        _text("inv.csv", "Service,Notes\nS3," + "," * 5000 + "\n"),
        ["inv.csv, row 2: row has more than 1,000 columns", "--max-columns"],
    ),
    Case(
        "csv-one-line-of-commas",
        _text("inv.csv", "Service\n" + "," * 5_000_000 + "\n"),
        ["inv.csv, row 2: row has more than 1,000 columns"],
    ),
    Case(
        "csv-unbalanced-quote-spanning-lines",
        _text("inv.csv", 'Service,Notes\nS3,"' + ("a,b,c\n" * 2000)),
        [
            "inv.csv, row 2: row has more than 1,000 columns (or a quote opened on it is never "
            "closed)",
            "Close the quote",
        ],  # eighth pass: the quote was not named
    ),
    Case(
        "csv-size-flag",
        _text("inv.csv", "Service\n" + "S3\n" * 400_000),
        ["inv.csv: CSV file is 1,200,008 bytes, over the limit of 1,048,576"],
        args=["--max-csv-mb", "1"],
    ),
    # --- inputs that must still build a pack
    Case("utf16-bom-csv", _text("inv.csv", "Service,Region\nS3,eu\n", "utf-16"), [], status=0),
    Case(
        "utf16-no-bom-csv", _text("inv.csv", "Service,Region\nS3,eu\n", "utf-16-le"), [], status=0
    ),
    Case(
        "latin1-csv",
        _text("inv.csv", "Service;Notes\nS3;Café Zürich\n", "cp1252"),
        ["warning:", "not valid UTF-8", "Windows-1252"],
        status=0,
    ),
    Case("xlsx-named-csv", _file(hf.write_rows, "inv.csv", GOOD_ROWS), [], status=0),
    Case("huge-dimension", _file(hf.huge_dimension), [], status=0),
    Case(
        "formula-and-markup-cells",
        lambda d: write_csv(d / "inv.csv", __import__("hostile").hostile_inventory_rows()),
        [],
        status=0,
    ),
]


def _run_case(case: Case, folder: Path) -> Outcome:
    folder.mkdir(parents=True)
    config = folder / "reportgen.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    made = case.make(folder)
    out = ["--out", str(folder / "out")] if case.command == "build" else []
    args = [case.command, "--config", str(config), *out, *case.args]
    if case.status == 0 and case.command == "build" and "--framework" not in args:
        args += ["--framework", "soc2"]  # every writer runs; one framework keeps it quick
    if "--config-text" in args:  # the case brings its own config next to its inventory
        at = args.index("--config-text")
        config.write_text(args[at + 1], encoding="utf-8")
        del args[at : at + 2]
    if case.target in ("inventory", "both"):
        args += ["--inventory", str(made)]
    else:
        hf.write_rows(folder / "inv.xlsx", GOOD_ROWS)
        args += ["--inventory", str(folder / "inv.xlsx")]
    timeout = 120 if case.seconds else 600
    return measured([sys.executable, "-m", "reportgen", *args], folder, timeout=timeout)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    return measured_all(CASES, _run_case, tmp_path_factory.mktemp("hostile"), workers=4)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case(case: Case, outcomes: dict[str, Outcome]) -> None:
    result = outcomes[case.name]
    report = f"exit {result.status}\n{result.stderr}"
    assert result.status == case.status, report
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr, report
    text = " ".join(result.stderr.split())  # rich wraps long messages
    for fragment in case.expect:
        assert " ".join(fragment.split()) in text, f"{fragment!r} not in:\n{report}"
    limit = RSS_LIMIT_PACK_MB if case.status == 0 else RSS_LIMIT_MB
    assert result.rss_mb < limit, f"peak RSS {result.rss_mb:.0f} MB"
    if case.seconds is not None:
        assert result.seconds < case.seconds, f"{result.seconds:.1f} s"
        FIGURES[f"seconds {case.name}"] = f"{result.seconds:.1f} s"
    FIGURES[f"peak RSS {case.name}"] = f"{result.rss_mb:.0f} MB"
    out = result.folder / "out"
    if case.status == 0:
        check_pack(out, ["soc2"])
        tally("hostile files", "pack")
    else:
        assert result.stderr.startswith("error: "), report
        assert not out.exists(), "a failed build left output behind"
        assert not [p for p in result.folder.iterdir() if p.name.startswith(".reportgen-")]
        tally("hostile files", "clean error")


def test_bombs_are_bombs(outcomes: dict[str, Outcome]) -> None:
    """The crafted bombs really are: small on disk, hundreds of MB or a giant grid inside."""
    for name in ("huge-shared-string", "huge-inline-cell"):
        bomb = outcomes[name].folder / "inv.xlsx"
        assert bomb.stat().st_size < 400_000 and hf.deflate_ratio(bomb) > 900
    assert (outcomes["far-apart-cells"].folder / "inv.xlsx").stat().st_size < 4096


def test_debug_shows_the_traceback_for_a_hostile_file(tmp_path):
    path = hf.far_apart_cells(tmp_path / "inv.xlsx")
    (tmp_path / "c.yaml").write_text(CONFIG, encoding="utf-8")
    argv = ["--debug", "validate", "--config", str(tmp_path / "c.yaml"), "--inventory", str(path)]
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "InputError" in result.stderr


@pytest.mark.slow
def test_380k_unknown_keys_take_seconds_not_minutes(tmp_path):
    """Each unknown key's line used to be found by a scan of its whole mapping: 40,000 keys
    took 30 s and 380,000 ran for many minutes. Now one pass: about 5 s of CPU here, most of
    it PyYAML building its node tree (which is also what the ~700 MB peak is: about 900
    bytes a node). Its 760,000 nodes are over the default bound (5mb-flow-list), so the
    limit is raised to let the tree be built."""
    config = _unknown_keys(380_000)(tmp_path)
    assert config.stat().st_size < 5 * 1024 * 1024  # under --max-yaml-mb's default
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", str(config)]
    argv += ["--max-yaml-mb", "20"]  # 800,000 nodes
    result = measured(argv, tmp_path, timeout=300)
    assert result.status == 2, result.stderr[:2000]
    # 380,000 unknown keys, and no inventory.path: reported in the same run (issue 15)
    assert "config is not valid (380,001 problems)" in result.text
    assert "line 380002: key379999" not in result.text  # the first 200 are named, then a count
    assert "… and 379,801 more; fix these first" in result.text
    assert result.seconds < 90, f"{result.seconds:.1f} s"
    assert result.rss_mb < 1200, f"peak RSS {result.rss_mb:.0f} MB"
    FIGURES["seconds 380k-unknown-keys"] = f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"


@pytest.mark.parametrize(
    ("name", "shared"),
    [("xl/sharedStrings.xml", True), ("foo/SharedStrings.XML", True), ("xl/strings.xml", False)],
)
def test_a_shared_strings_part_is_known_wherever_the_workbook_is(name, shared):
    """Pass 45d: _rels/.rels put the workbook at foo/workbook.xml, and calamine read
    foo/sharedStrings.xml, which no check of the guard looked at (exit 134)."""
    from reportgen.inventory.xlsx_guard import _is_shared_strings

    assert _is_shared_strings(name) is shared
