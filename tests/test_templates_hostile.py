"""User templates are trusted code, but the PDF renderer still reads nothing outside the
template folders on their behalf: a template that links out is refused before it is read,
a refused URL (a huge ``data:`` URI, a ``<link rel=attachment>``) is an error with the URL
cut short, never a silent hole. Through the command line, one framework each."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from measured import measured
from packhelpers import EPOCH, REPORTGEN

MARKER = "root:x:0:0:reportgen-test-marker"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_csv(tmp_path / "inventory.csv", [["Service", "Resource ID"], ["Amazon S3", "b-1"]])
    write_config(tmp_path, MINIMAL_CONFIG)
    (tmp_path / "mine" / "partials").mkdir(parents=True)
    return tmp_path


def build(project: Path, timeout: float = 300):
    argv = [*REPORTGEN, "build", "--config", str(project / "reportgen.yaml")]
    argv += ["--out", str(project / "out"), "--framework", "soc2", "--templates", "mine"]
    return measured(argv, project, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=timeout)


def extend(project: Path, block: str) -> None:
    (project / "mine" / "report.html").write_text(
        '{% extends "default:report.html" %}{% block cover_logo %}' + block + "{% endblock %}"
    )


def test_a_partial_that_links_outside_the_folder_is_refused(project):
    secret = project / "passwd"
    secret.write_text(MARKER + "\n")
    (project / "mine" / "partials" / "appendix-glossary.html").symlink_to(secret)
    result = build(project)
    assert result.status == 2, result.stderr
    assert "the template 'partials/appendix-glossary.html' links to a file outside" in result.text
    assert MARKER not in result.stderr and not (project / "out").exists()


def test_a_huge_data_uri_is_refused_and_cut_in_the_message(project):
    """A 60 MB data: URI was printed whole in the error."""
    extend(project, '<img src="data:image/png;base64,' + "A" * 60_000_000 + '">')
    result = build(project)
    assert result.status == 2, result.stderr[:2000]
    assert "does not fetch: data:image/png;base64,AAAA" in result.text
    assert len(result.stderr) < 2000, f"{len(result.stderr):,} characters of error"
    assert not (project / "out").exists()


def test_a_link_rel_attachment_is_refused_not_dropped(project):
    """WeasyPrint fetches attachments while writing the PDF, after the layout was checked:
    a refused one was dropped in silence."""
    (project / "mine" / "notes.txt").write_text("notes\n")
    extend(project, '<link rel="attachment" href="notes.txt">')
    result = build(project)
    assert result.status == 2, result.stderr
    assert "does not fetch: file://" in result.text and "notes.txt" in result.text
    assert not (project / "out").exists()
