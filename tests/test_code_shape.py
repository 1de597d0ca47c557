"""Small things a new contributor trips over (issue 18): the templates' context keys are all
documented, code comments cite documents the repository holds, warnings printed by the
CLI carry no literal markup, explain and the pack use the one clock."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CONFIG, SAMPLE_EPOCH
from rich.console import Console

from reportgen import cli
from reportgen.core.clock import day_of, iso, long_date, parse_iso
from reportgen.inputs import RunOptions
from reportgen.pipeline import prepare
from reportgen.render.pdf import report_context

TEMPLATES_README = ROOT / "templates" / "README.md"


def _documented_keys() -> set[str]:
    text = TEMPLATES_README.read_text(encoding="utf-8")
    table = text.split("## Data the templates receive", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    return names


@pytest.fixture(scope="module")
def pci_matrix() -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
        _inputs, matrices = prepare(RunOptions(config=SAMPLE_CONFIG, frameworks=("pci-dss",)))
    return matrices["pci-dss"]


def test_templates_readme_documents_every_context_key(pci_matrix):
    """Each top-level name the report templates receive has its row, and no row is stale."""
    assert set(report_context(pci_matrix)) == _documented_keys()


def test_comments_cite_only_documents_the_repository_holds():
    """A comment citing a design note the repository lacks, or a docs/ page that is not
    there, sends a contributor nowhere."""
    folders = ("docs", "tests", "templates", "reportgen", "bench", "tools")
    found = [*ROOT.glob("*.md"), *(p for d in folders for p in ROOT.glob(f"{d}/**/*.md"))]
    held = {p.relative_to(ROOT).as_posix() for p in found}
    names = {path.rsplit("/", 1)[-1] for path in held}
    cited = re.compile(r"\b(docs/[\w-]+\.md|(?:[\w-]+/)*[A-Z][A-Z_-]+\.md)\b")
    missing = []
    for folder in ("reportgen", "tests", "bench", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(__file__):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for name in cited.findall(line):
                    if name not in held and ("/" in name or name not in names):
                        missing.append(f"{path.relative_to(ROOT)}:{number}: {name}")
    assert missing == []


def test_library_warnings_print_in_colour_not_as_literal_markup(monkeypatch):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, markup=False, highlight=False)
    monkeypatch.setattr(cli, "err", console)
    monkeypatch.setitem(cli._state, "quiet", False)
    cli._SayHandler().emit(logging.makeLogRecord({"msg": "HTTP 429; retrying in 1 s"}))
    printed = buffer.getvalue()
    assert "HTTP 429; retrying in 1 s" in printed
    assert "[yellow]" not in printed and "[/]" not in printed
    assert "\x1b[33m" in printed  # yellow on a terminal


def test_one_timestamp_format(pci_matrix):
    stamp = pci_matrix["generated_at"]
    assert iso(parse_iso(stamp)) == stamp
    assert day_of(stamp).isoformat() == "2025-12-01" == day_of("2025-12-01").isoformat()
    assert long_date(stamp) == "1 December 2025" and long_date(None) == ""


def test_no_module_parses_timestamps_but_the_clock():
    """strptime / fromisoformat on a pack's timestamps live in reportgen/core/clock.py alone (the
    evidence reader parses the dates people type into a workbook, not timestamps)."""
    allowed = {Path("reportgen/core/clock.py"), Path("reportgen/evidence/read.py")}
    allowed |= {Path("reportgen/render/xlsx_evidence.py")}
    found = []
    for path in (ROOT / "reportgen").rglob("*.py"):
        relative = path.relative_to(ROOT)
        text = path.read_text(encoding="utf-8")
        if relative not in allowed and re.search(r"strptime\(|fromisoformat\(", text):
            found.append(str(relative))
    assert found == []
