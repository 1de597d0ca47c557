"""How a build replaces a pack: what it does with files that appear while it runs, with the
old packs killed builds left beside the target, and with what it cannot delete; and the
targets it refuses up front (a mount point, a read-only file system, a pack holding more
than the survey reads). Adversarial report 3a, rows 2, 4, 6, 15, 16, 17, 18, 38 and 43.

Each case runs the command line, in its own process where it can, in-process (``main``,
with one function monkeypatched) where a moment cannot be reached from outside: the instant
between the last check and the swap, an undeletable file. Every case checks the exit status,
the message and which files are left where.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packhelpers import EPOCH, REPORTGEN_WITHOUT_PDF, build, tree_hashes
from test_environment_errors import tmpfs

from reportgen.pack.write import target_tag

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="flock, /proc, SEEK_HOLE")

# One framework: rendered in-process, which the monkeypatched cases need; no PDF.
FAST = ("--framework", "soc2", "--format", "matrix", "--format", "xlsx", "--format", "summary")
WORKBOOK = "soc2/test-co-soc2-raci.xlsx"


def _pack(project: Path, out: Path) -> Path:
    return build(project, out, *FAST, pdf=False)


def _argv(project: Path, out: Path, *extra: str | Path) -> list[str]:
    config = project / "reportgen.yaml"
    return [str(a) for a in ("build", "--config", config, "--out", out, *FAST, *extra)]


def _run(project: Path, out: Path, *extra: str | Path, env: dict | None = None):
    """The build in its own process: (exit status, stderr)."""
    done = subprocess.run(
        [*REPORTGEN_WITHOUT_PDF, *_argv(project, out, *extra)],
        cwd=project,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "COLUMNS": "400", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.returncode, done.stderr


def _in_process(project: Path, out: Path, capsys, monkeypatch, *extra: str):
    """The build through reportgen.cli.main in this process: (exit status, stderr)."""
    from reportgen.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(project)
    capsys.readouterr()
    try:
        main(_argv(project, out, *extra))
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return status, stderr


def _text(stderr: str) -> str:
    return " ".join(stderr.split())


def _ours(folder: Path) -> list[str]:
    """The leftovers of builds in ``folder`` (anything named .reportgen-*)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".reportgen-"))


# ---------------------------------------------------------------- refused up front


def _mounting() -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")


def test_a_mount_point_is_refused_before_the_render(project, tmp_path):
    """adversarial-3a #17: "the file or device is busy", after the whole render."""
    _mounting()
    pack = _pack(project, tmp_path / "pack")
    resume = tmp_path / "resume"
    resume.touch()  # the pause hook says so if the build gets as far as the render
    env = {"REPORTGEN_TEST_PAUSE_AFTER": "render", "REPORTGEN_TEST_RESUME_WHEN": str(resume)}
    with tmpfs("20m") as mount:
        shutil.copytree(pack, mount, dirs_exist_ok=True)
        before = tree_hashes(mount)
        status, stderr = _run(project, mount, "--overwrite", env=env)
        assert status == 2, stderr
        assert "the output directory is a mount point" in stderr
        assert "a mount point cannot be renamed" in _text(stderr)
        assert "paused after render" not in stderr
        assert tree_hashes(mount) == before
        assert not [p for p in mount.parent.iterdir() if target_tag(mount) in p.name]


def test_a_pack_on_a_read_only_file_system_is_said_to_be_so(project, tmp_path):
    """adversarial-3a #6: it was "someone protected it ... chmod -R u+w"."""
    _mounting()
    with tmpfs("20m") as mount:
        pack = _pack(project, mount / "pack")
        before = tree_hashes(pack)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        status, stderr = _run(project, pack)
        assert status == 2, stderr
        assert f"error: {pack}: the pack in the output directory is on a read-only" in stderr
        assert "chmod" not in stderr and "protected" not in stderr
        assert tree_hashes(pack) == before


def test_a_pack_holding_more_than_the_survey_reads_is_refused_for_that(project, tmp_path):
    """adversarial-3a #15: refused as "no manifest.json written by reportgen", counting
    "more than 20,000" then "and 19993 more"."""
    from reportgen.pack.target import _MAX_ENTRIES

    pack = _pack(project, tmp_path / "pack")
    (pack / "extra").mkdir()
    for number in range(_MAX_ENTRIES):
        (pack / "extra" / str(number)).touch()
    status, stderr = _run(project, pack, "--overwrite")
    assert status == 2, stderr
    message = _text(stderr)
    assert "holds a reportgen pack, but also more than 20,000 files and folders" in message
    assert "no manifest.json" not in message
    assert "... and more (the survey stops after 20,000 entries)" in message
    assert not [line for line in stderr.splitlines() if line.strip().endswith(" more")]
    assert len(list((pack / "extra").iterdir())) == _MAX_ENTRIES


def test_a_pack_holding_a_deep_folder_is_refused_for_that(project, tmp_path):
    pack = _pack(project, tmp_path / "pack")
    deep = pack.joinpath(*["d"] * 20)
    deep.mkdir(parents=True)
    (deep / "kept.txt").write_text("keep me\n")
    status, stderr = _run(project, pack, "--overwrite")
    assert status == 2, stderr
    message = _text(stderr)
    assert "holds a reportgen pack, but also folders nested deeper than 16 levels" in message
    assert "- " + "d/" * 16 in stderr
    assert (deep / "kept.txt").read_text() == "keep me\n"
