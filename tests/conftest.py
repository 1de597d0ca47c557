"""Shared fixtures: packaged catalogs loaded once, helpers to write inventories and configs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from reportgen.inputs import Catalogs, load_catalogs

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = ROOT / "inputs" / "reportgen.yaml"
SAMPLE_INVENTORY = ROOT / "inputs" / "inventory.xlsx"
# The id lists of the three standards, copied from ../shared/reference so a clone on its own
# can run the suite; test_catalogs checks the copies against the originals when present.
REFERENCE = ROOT / "tests" / "reference"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"


SAMPLE_EPOCH = "1764547200"  # 2025-12-01T00:00:00Z: the sample pack's build time in tests


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return load_catalogs()


@pytest.fixture(scope="session")
def sample_pack(tmp_path_factory) -> Path:
    """The sample pack, built once per session by the CLI: all three frameworks, PDFs too.

    Run from the checkout with a relative config path and a fixed SOURCE_DATE_EPOCH, so the
    matrices (and the golden HTML rendered from them) do not depend on where the clone is.
    """
    out = tmp_path_factory.mktemp("pack") / "harbourline"
    command = ["--quiet", "build", "--config", "inputs/reportgen.yaml", "--out", str(out)]
    process = subprocess.run(
        [sys.executable, "-m", "reportgen", *command],
        cwd=ROOT,
        env={**os.environ, "SOURCE_DATE_EPOCH": SAMPLE_EPOCH},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert process.returncode == 0, process.stderr + process.stdout
    return out


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], sheet: str = "Inventory") -> Path:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], delimiter: str = ",", bom: bool = False
) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_config(directory: Path, body: str, name: str = "reportgen.yaml") -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


MINIMAL_CONFIG = """\
customer:
  name: Test Co
inventory:
  path: inventory.csv
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with a minimal config and a small CSV inventory of the seed services."""
    write_csv(
        tmp_path / "inventory.csv",
        [
            ["Service", "Resource ID", "Account", "Region", "Scope"],
            ["Amazon EC2", "i-001", "111122223333", "eu-west-1", "all"],
            ["Amazon RDS", "db-1", "111122223333", "eu-west-1", "all"],
            ["Amazon S3", "bucket-1", "111122223333", "eu-west-1", "all"],
            ["DynamoDB", "table-1", "111122223333", "eu-west-1", "all"],
            ["SQS", "queue-1", "111122223333", "eu-west-1", "all"],
        ],
    )
    write_config(tmp_path, MINIMAL_CONFIG)
    return tmp_path
