"""Helpers for the pack tests: run reportgen in a process, build packs, hash trees."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
# The command line, in a process, as a user runs it; or without the PDF writer, for tests of
# pack mechanics that do not need the PDF (see reportgen_without_pdf.py).
REPORTGEN = [sys.executable, "-m", "reportgen"]
REPORTGEN_WITHOUT_PDF = [sys.executable, str(Path(__file__).with_name("reportgen_without_pdf.py"))]


def interruptible() -> None:
    """preexec_fn of a build a test interrupts: Ctrl-C acts on it even when the suite
    itself runs as a background job (`make test &`), whose children a shell starts with
    SIGINT ignored; reportgen, as any program should, leaves an ignored SIGINT ignored.
    SIGHUP likewise: a suite run under nohup starts everything with it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def run(
    *args: str | Path,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    check: int | None = 0,
    pdf: bool = True,
) -> subprocess.CompletedProcess:
    environ = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    process = subprocess.run(
        [*(REPORTGEN if pdf else REPORTGEN_WITHOUT_PDF), *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check is not None:
        assert process.returncode == check, process.stderr + process.stdout
    assert "Traceback" not in process.stderr
    return process


def build(
    project: Path, out: Path, *extra: str | Path, env: dict | None = None, pdf: bool = True
) -> Path:
    command = ("-q", "build", "--config", "reportgen.yaml", "--out", out, *extra)
    run(*command, cwd=project, env=env, pdf=pdf)
    return out


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative POSIX path -> SHA-256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
