"""Helpers for the pack tests: run reportgen in a process, build packs, hash trees."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def run(
    *args: str | Path,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    check: int | None = 0,
) -> subprocess.CompletedProcess:
    environ = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    process = subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
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


def build(project: Path, out: Path, *extra: str | Path, env: dict | None = None) -> Path:
    run("-q", "build", "--config", "reportgen.yaml", "--out", out, *extra, cwd=project, env=env)
    return out


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative POSIX path -> SHA-256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
