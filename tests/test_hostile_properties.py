"""Generated inventories: every run ends in a valid pack or a clean InputError, and no row
is silently dropped.

Hypothesis writes .csv files (four delimiters, UTF-8 with or without BOM, UTF-16) and .xlsx
files (written part by part, so a cell holds exactly the text generated) with shuffled and
duplicated headers, title rows, blank rows, arbitrary Unicode, control characters, formula
prefixes, markup, huge and empty cells. Each inventory is built in-process (the catalogs are
loaded once; they are not what is under test) and its pack is read back from disk.

The CI profile (tests/conftest.py) is derandomized with a fixed number of examples, so a
run is repeatable; ``HYPOTHESIS_PROFILE=deep`` explores more.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import hostile_files as hf
import pytest
from hostile import HOSTILE_VALUES, check_pack, examples, hostile_inventory_rows, tally
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.core.errors import InputError
from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, build
from reportgen.render import RenderOptions

FRAMEWORKS = ["pci-dss", "iso-27001", "soc2"]
SERVICES = [
    "Amazon S3",
    "s3",
    "EC2",
    "aws lambda",
    "Amazon DynamoDB",
    "arn:aws:s3:::bucket-1",
    "arn:aws:rds:eu-west-1:111122223333:db:orders",
    "AWS::RDS::DBInstance",
    "AWS::SQS::Queue",
    "Snowflake",  # never resolves
]
SCOPES = ["", "all", "none", "PCI DSS", "soc2", "ISO 27001", "pci; soc2", "-", "HIPAA"]
HEADERS = {
    "service": ["Service", "AWS Service", "service_name", "SERVICE", "Product"],
    "resource_type": ["Resource Type", "CFN Type"],
    "resource": ["Resource ID", "ARN", "Resource ARN / ID"],
    "scope": ["Scope", "Frameworks", "Audit scope"],
    "owner": ["Owner", "Team"],
    "notes": ["Notes", "Comments"],
    "region": ["Region"],
}
# Anything but lone surrogates, which no file encoding can hold.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
FORMULA = st.builds(
    lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@", "\t=", "\r="]), ANY_TEXT
)
_NORMAL_CELL = st.one_of(
    st.sampled_from(SERVICES),
    st.sampled_from(HOSTILE_VALUES),
    ANY_TEXT,
    FORMULA,
    st.sampled_from(["", " ", "\t", "\u00a0", "\u3000"]),
)
_HUGE_CELL = st.sampled_from(["x" * 40_000, "y" * 32_767])  # over and at the cell limit
# Rare enough that most tables build: one cell in 500 is huge, one scope in ~12 unknown.
# (Not 0 or 1999: Hypothesis tries the bounds of a range far more often than the middle.)
CELL = st.integers(0, 499).flatmap(lambda n: _HUGE_CELL if n == 333 else _NORMAL_CELL)
SCOPE_CELL = st.integers(0, 11).flatmap(
    lambda n: st.just("HIPAA") if n == 7 else st.sampled_from(SCOPES[:-1])
)


@dataclass
class Table:
    """A generated inventory: rows of text from row 1, and where its header is."""

    rows: list[list[str]]
    header_row: int  # 1-based
    has_service: bool

    def __repr__(self) -> str:  # huge cells would make a failure report unreadable
        def short(cell: str) -> str:
            return repr(cell) if len(cell) <= 40 else f"{cell[:20]!r}...({len(cell):,} chars)"

        rows = ",\n  ".join("[" + ", ".join(map(short, row)) + "]" for row in self.rows)
        return f"Table(header_row={self.header_row}, rows=[\n  {rows}])"


@st.composite
def tables(draw: st.DrawFn) -> Table:
    fields = draw(st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, max_size=7))
    if draw(st.integers(0, 9)):  # nine in ten tables name their service column
        fields.append(draw(st.sampled_from(["service", "resource_type", "resource"])))
    columns = [
        (draw(st.sampled_from(HEADERS[f])), SCOPE_CELL if f == "scope" else CELL) for f in fields
    ]
    extras = draw(st.lists(st.sampled_from(["", "Misc", "Cost centre", "Tags"]), max_size=2))
    columns = draw(st.permutations(columns + [(name, CELL) for name in extras]))
    titles = draw(st.lists(st.lists(ANY_TEXT, max_size=1), max_size=2))
    rows: list[list[str]] = [list(title) for title in titles]
    rows.append([name for name, _ in columns])
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 5)) == 0:  # a blank row, of any length
            rows.append([""] * draw(st.integers(0, len(columns))))
        else:
            rows.append([draw(cell) for _, cell in columns])
    has_service = any(f in ("service", "resource_type", "resource") for f in fields)
    return Table(rows=rows, header_row=len(titles) + 1, has_service=has_service)


def write_csv_file(folder: Path, table: Table, delimiter: str, encoding: str) -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(table.rows)
    path = folder / "inventory.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def written_rows(table: Table, kind: str) -> list[list[str]]:
    """The rows as a reader will see them: XML cannot hold most control characters."""
    if kind == "csv":
        return table.rows
    return [[hf._ILLEGAL_XML.sub("", cell) for cell in row] for row in table.rows]


pytestmark = pytest.mark.usefixtures("cached_catalogs")


def run_build(inventory: Path, kind: str, table: Table) -> None:
    """Build in-process; assert a clean error or a complete pack that accounts every row."""
    folder = inventory.parent
    config = folder / "reportgen.yaml"
    config.write_text("customer:\n  name: Generated Co\n", encoding="utf-8")
    out = folder / "out"
    try:
        result = build(
            BuildOptions(
                run=RunOptions(config=config, inventory=inventory),
                out=out,
                # The PDF adds seconds per example and nothing this property is about;
                # hostile text in the PDF is covered by tests/test_pdf*.py.
                render=RenderOptions(writers=("matrix", "xlsx")),
            )
        )
    except InputError as error:
        assert error.file == str(inventory) or error.file == str(config), str(error)
        assert not out.exists()
        tally(f"generated {kind}", "clean error")
        tally(f"generated {kind} error", re.sub(r"[\d,]+|'.*'", "N", error.message)[:60])
        return
    inventory_read = result.inputs.inventory
    header = inventory_read.header.row  # the generated one, unless its row had no service
    rows = written_rows(table, kind)
    filled = {n: sum(1 for c in cells if c.strip()) for n, cells in enumerate(rows, start=1)}
    expected = {n for n, count in filled.items() if n > header and count}
    # Above the header: one-cell rows are titles; any other row is named in a warning.
    above = [str(n) for n, count in filled.items() if n < header and count >= 2]
    if above:
        warning = f"row(s) {', '.join(above)} above this header row were skipped"
        assert any(warning in w for w in result.inputs.warnings), result.inputs.warnings
    resolved = [item.row.row for item in inventory_read.rows]
    matrices = check_pack(out, FRAMEWORKS)
    for fid, matrix in matrices.items():
        unresolved = [entry["row"] for entry in matrix["unresolved"]]
        assert sorted(resolved + unresolved) == sorted(expected), "a row was dropped or doubled"
        assert matrix["scope"]["inventory_rows"] == len(expected)
        in_scope = sum(1 for item in inventory_read.rows if item.row.in_scope(fid))
        assert sum(service["resources"] for service in matrix["services"]) == in_scope
    tally(f"generated {kind}", "pack")


@settings(max_examples=examples(100))
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_generated_csv_inventories(table, delimiter, encoding):
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv_file(Path(folder), table, delimiter, encoding)
        run_build(path, "csv", table)


@settings(max_examples=examples(100))
@given(table=tables())
def test_generated_xlsx_inventories(table):
    with tempfile.TemporaryDirectory() as folder:
        path = hf.write_rows(Path(folder) / "inventory.xlsx", table.rows)
        run_build(path, "xlsx", table)


@settings(max_examples=4)
@given(table=tables(), as_csv=st.booleans())
@example(table=Table(hostile_inventory_rows(), header_row=1, has_service=True), as_csv=False)
def test_generated_inventories_through_the_cli(table, as_csv):
    """A few through the real command line: exit 0 with a pack or 2 with one message."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if as_csv:
            path = write_csv_file(folder, table, ",", "utf-8")
        else:
            path = hf.write_rows(folder / "inventory.xlsx", table.rows)
        (folder / "c.yaml").write_text("customer: {name: CLI Co}\n", encoding="utf-8")
        # One framework, every writer (PDF included): the full path a user's build takes.
        argv = ["-q", "build", "--config", "c.yaml", "--inventory", path.name, "--out", "out"]
        argv += ["--framework", "soc2"]
        result = subprocess.run(
            [sys.executable, "-m", "reportgen", *argv],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in result.stderr
        assert result.returncode in (0, 2), result.stderr
        if result.returncode == 0:
            check_pack(folder / "out", ["soc2"])
            summary = json.loads((folder / "out" / "soc2" / "matrix.json").read_text())
            assert summary["scope"]["inventory_rows"] >= 1
            tally("generated via CLI", "pack")
        else:
            assert result.stderr.startswith("error: ") and path.name in result.stderr
            tally("generated via CLI", "clean error")
