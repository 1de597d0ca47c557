"""Shared fixtures: packaged catalogs loaded once, helpers to write inventories and configs."""

from __future__ import annotations

import csv
import fcntl
import functools
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from fake_tickets import FakeTickets
from hypothesis import HealthCheck, settings
from openpyxl import Workbook

import reportgen.inputs
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES
from reportgen.inputs import Catalogs, load_catalogs

# Hypothesis: the CI profile is repeatable (derandomized) and bounded by each test's
# max_examples; HYPOTHESIS_PROFILE=deep explores with fresh randomness (and hostile.examples
# gives the property tests ten times the examples).
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, suppress_health_check=_SLOW
)
settings.register_profile("deep", deadline=None, suppress_health_check=_SLOW)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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


@functools.lru_cache(maxsize=4)
def _cached_catalogs(services: tuple, frameworks: tuple, max_yaml_bytes: int) -> Catalogs:
    return load_catalogs(list(services), list(frameworks), max_yaml_bytes)


@pytest.fixture
def cached_catalogs(monkeypatch):
    """Builds in this test reuse loaded catalogs (for tests of many builds of one catalog)."""
    monkeypatch.setattr(
        reportgen.inputs,
        "load_catalogs",
        lambda s=(), f=(), m=DEFAULT_MAX_YAML_BYTES: _cached_catalogs(tuple(s), tuple(f), m),
    )


@pytest.fixture(scope="session")
def sample_pack(tmp_path_factory) -> Path:
    """The sample pack, built once per run by the CLI: all three frameworks, PDFs too.

    Run from the checkout with a relative config path and a fixed SOURCE_DATE_EPOCH, so the
    matrices (and the golden HTML rendered from them) do not depend on where the clone is.
    With pytest-xdist the workers share one build: the first to ask builds it under a lock
    in the run's common temporary folder, the others wait for it. Tests only read it.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by every worker of this run
    out = root / "sample-pack" / "harbourline"
    with (root / "sample-pack.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").is_file():
            _build_sample_pack(out)
    return out


def _build_sample_pack(out: Path) -> None:
    command = ["--quiet", "build", "--config", "inputs/reportgen.yaml", "--out", str(out)]
    process = subprocess.run(
        [sys.executable, "-m", "reportgen", *command],
        cwd=ROOT,
        # tests/test_manifest.py builds it again with another hash seed: same bytes.
        env={**os.environ, "SOURCE_DATE_EPOCH": SAMPLE_EPOCH, "PYTHONHASHSEED": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert process.returncode == 0, process.stderr + process.stdout


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


# ---------------------------------------------------------------- the fake ticket server


@pytest.fixture
def server():
    with FakeTickets() as fake:
        yield fake


@pytest.fixture
def jira_cloud(server, monkeypatch) -> FakeTickets:
    creds = server.state.creds
    monkeypatch.setenv("REPORTGEN_JIRA_URL", server.url)
    monkeypatch.setenv("REPORTGEN_JIRA_EMAIL", creds.email)
    monkeypatch.setenv("REPORTGEN_JIRA_TOKEN", creds.token)
    monkeypatch.delenv("REPORTGEN_JIRA_PAT", raising=False)
    return server


@pytest.fixture
def servicenow(server, monkeypatch) -> FakeTickets:
    creds = server.state.creds
    monkeypatch.setenv("REPORTGEN_SERVICENOW_URL", server.url)
    monkeypatch.setenv("REPORTGEN_SERVICENOW_USER", creds.sn_user)
    monkeypatch.setenv("REPORTGEN_SERVICENOW_PASSWORD", creds.sn_password)
    monkeypatch.delenv("REPORTGEN_SERVICENOW_TOKEN", raising=False)
    return server


def pytest_sessionfinish(session) -> None:
    """An xdist worker hands its hostile-suite figures to the controller, which prints them."""
    from hostile import FIGURES, TALLY

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["hostile"] = json.dumps([dict(TALLY), FIGURES])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent when run without it
def pytest_testnodedown(node, error) -> None:
    from hostile import FIGURES, TALLY

    tally, figures = json.loads(getattr(node, "workeroutput", {}).get("hostile", "[{}, {}]"))
    TALLY.update(tally)
    FIGURES.update(figures)


def pytest_terminal_summary(terminalreporter) -> None:
    """The hostile suite's figures: outcomes per kind of input, peak RSS of the bombs."""
    from hostile import FIGURES, TALLY

    if not TALLY and not FIGURES:
        return
    terminalreporter.section("hostile input")
    for key, count in sorted(TALLY.items()):
        terminalreporter.write_line(f"{key}: {count}")
    for key, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{key}: {value}")
