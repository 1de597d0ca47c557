"""Temporary folders of killed runs are swept by the next run (third adversarial pass: a
SIGKILL during an --evidence read left 947 MB in $TMPDIR, during attach 56 MB, for ever)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from packhelpers import build, run

from reportgen.core.sweeping import sweep_abandoned
from reportgen.core.tempdirs import run_temp_dir

HOLD = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def sweep(prefix: str, where: Path) -> list[Path]:
    return sweep_abandoned(where, prefix, folders=True)


def _age(path: Path) -> None:
    """As a folder looks a minute after its run made it (younger ones are never swept)."""
    old = time.time() - 60
    os.utime(path, (old, old))


def _killed_run(where: Path, name: str) -> Path:
    """What a run killed outright leaves: its folder, with a file in it, and no lock."""
    folder = where / name
    folder.mkdir()
    (folder / "copy.xlsx").write_bytes(b"x" * 1000)
    _age(folder)
    return folder


def _live_run(folder: Path) -> subprocess.Popen:
    """Another run, alive, holding its folder."""
    folder.mkdir()
    _age(folder)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


def test_a_dead_runs_folder_is_swept_and_a_live_ones_is_not(tmp_path):
    dead = _killed_run(tmp_path, "reportgen-evidence-dead1")
    other_kind = _killed_run(tmp_path, "reportgen-attach-dead2")
    holder = _live_run(tmp_path / "reportgen-evidence-live")
    try:
        with run_temp_dir("reportgen-evidence-", tmp_path) as mine:
            assert mine.is_dir() and not dead.exists()
            assert (tmp_path / "reportgen-evidence-live").is_dir() and other_kind.is_dir()
            assert sweep("reportgen-evidence-", tmp_path) == []  # this run holds its own
        assert not mine.exists()
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert sweep("reportgen-evidence-", tmp_path) == [tmp_path / "reportgen-evidence-live"]


def test_a_link_or_a_file_named_like_a_folder_is_never_touched(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    (tmp_path / "reportgen-attach-link").symlink_to(outside)
    (tmp_path / "reportgen-attach-file").write_text("mine")
    old = time.time() - 60
    for path in (tmp_path / "reportgen-attach-link", tmp_path / "reportgen-attach-file"):
        os.utime(path, (old, old), follow_symlinks=False)
    assert sweep("reportgen-attach-", tmp_path) == []
    assert (outside / "keep").exists() and (tmp_path / "reportgen-attach-file").exists()


def test_a_folder_just_made_and_not_yet_locked_is_left_alone(tmp_path):
    """A run makes its folder, then locks it: a sweep in between must not rob it."""
    young = tmp_path / "reportgen-attach-young"
    young.mkdir()
    (young / "part").write_bytes(b"x")
    assert sweep("reportgen-attach-", tmp_path) == []
    assert (young / "part").exists()
    os.utime(young, (time.time() - 60,) * 2)
    assert sweep("reportgen-attach-", tmp_path) == [young]


def test_a_build_with_evidence_sweeps_what_a_killed_one_left(project: Path, tmp_path: Path):
    pack = build(project, tmp_path / "pack", pdf=False)
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = _killed_run(temp, "reportgen-evidence-killed")
    command = ("-q", "build", "--config", "reportgen.yaml", "--out", tmp_path / "again")
    run(*command, "--evidence", pack, cwd=project, env={"TMPDIR": str(temp)}, pdf=False)
    assert not dead.exists()
    assert sorted(p.name for p in temp.iterdir()) == []


def test_a_sweep_never_enters_a_mount_inside_a_dead_runs_folder(tmp_path, monkeypatch):
    """Eleventh pass: shutil.rmtree entered a bind mount made inside a killed run's
    reportgen-attach-* folder and deleted the files on it, silently."""
    import reportgen.core.removal as removal

    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("not reportgen's")
    dead = tmp_path / "reportgen-attach-dead"
    (dead / "mnt").mkdir(parents=True)
    (dead / "part").write_bytes(b"ours")
    real = removal.mount_points
    point = os.fsencode(os.path.realpath(dead / "mnt"))
    monkeypatch.setattr(removal, "mount_points", lambda: real() | {point})
    (dead / "mnt" / "precious").write_text("on the mount")  # what a mount would show
    os.utime(dead, (time.time() - 60,) * 2)
    assert sweep("reportgen-attach-", tmp_path) == []  # not removed whole: a mount is in it
    assert (dead / "mnt" / "precious").read_text() == "on the mount"
    assert not (dead / "part").exists()  # what is reportgen's own is gone
    assert (keep / "precious").exists()


def test_a_stop_signal_while_the_folder_is_removed_waits_for_the_removal(tmp_path):
    """Pass 64b: a Ctrl-C (or SIGTERM) that came while the folder's copies were deleted
    stopped the deletion part-way: the folder stayed, the pack's files in it, unnamed. In a
    process of its own: signal handlers are the main thread's, which a test worker may not
    run tests in."""
    script = (
        "import os, shutil, signal, sys\n"
        "from pathlib import Path\n"
        "from reportgen.core import tempdirs\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)  # a worker ignores it\n"
        "remove = shutil.rmtree\n"
        "def interrupted(path, *args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGINT)  # comes as the removal starts\n"
        "    remove(path, *args, **kwargs)\n"
        "tempdirs.shutil.rmtree = interrupted\n"
        "try:\n"
        "    with tempdirs.run_temp_dir('reportgen-test-', Path(sys.argv[1])) as folder:\n"
        "        (folder / 'copy.xlsx').write_bytes(b'the pack s file')\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60)
    assert done.returncode == 130
    assert list(tmp_path.iterdir()) == []
