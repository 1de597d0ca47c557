"""A build leaves no temporary file or folder behind: not on success, not on failure, not
when interrupted. Each build runs with its own TMPDIR, so what WeasyPrint (its
``weasyprint-*`` font folders) and openpyxl (``openpyxl.*`` sheet files) would leave there
is seen, and the output's parent is checked for reportgen's own staging and scratch folders.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from packhelpers import EPOCH, REPORTGEN, interruptible

ROWS = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["Amazon S3", "b-1"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_csv(tmp_path / "inventory.csv", ROWS)
    write_config(tmp_path, MINIMAL_CONFIG)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path


def start(project: Path, *extra: str) -> subprocess.Popen:
    argv = [*REPORTGEN, "build", "--config", "reportgen.yaml", "--out", "out/pack", *extra]
    env = {**os.environ, "TMPDIR": str(project / "tmp"), "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.Popen(
        argv,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )


def leftovers(project: Path) -> list[str]:
    """Whatever the build left in its TMPDIR, and reportgen's temporary folders anywhere
    under the output folder (staging, retired, scratch)."""
    found = [f"TMPDIR/{p.name}" for p in (project / "tmp").iterdir()]
    return found + [str(p.relative_to(project)) for p in (project / "out").rglob(".reportgen-*")]


def test_a_successful_build_leaves_no_temporary_files(project):
    process = start(project, "--framework", "soc2", "--framework", "iso-27001")
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert list((project / "out" / "pack" / "soc2").glob("*.pdf"))
    assert leftovers(project) == []


def test_a_failed_build_leaves_no_temporary_files(project):
    """A template that refers to a URL fails the PDF after WeasyPrint laid the document out
    (and made its font folder)."""
    templates = project / "mine"
    templates.mkdir()
    (templates / "report.html").write_text(
        '{% extends "default:report.html" %}'
        '{% block cover_logo %}<img src="http://127.0.0.1:9/logo.png">{% endblock %}'
    )
    process = start(project, "--framework", "soc2", "--templates", str(templates))
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 2, stderr
    assert "does not fetch: http://127.0.0.1:9/logo.png" in stderr
    assert leftovers(project) == []
    assert not (project / "out" / "pack").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_build_leaves_no_temporary_files(project, signum):
    """Stopped while its renderers write (their scratch folders exist), the build kills them
    and removes its staging directory, scratch folders and all. SIGHUP (the terminal
    closed) left it all as SIGKILL does (adversarial-15b C15)."""
    process = start(project, "--framework", "soc2", "--framework", "iso-27001")
    deadline = time.monotonic() + 300
    while not list((project / "out").glob(".reportgen-staging-*/*/.reportgen-tmp-*")):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the renderers never started"
        time.sleep(0.05)
    time.sleep(1.0)  # well into the rendering
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    assert leftovers(project) == []
    assert not (project / "out" / "pack").exists()
