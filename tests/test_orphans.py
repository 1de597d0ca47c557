"""A killed build takes its renderers with it and leaves the next build free to run.

A real build (PDF writer included, so that rendering lasts seconds) is killed while its
forked renderers work; /proc must show none of them alive soon after, the next build of the
same target must not wait for a lock, and SIGTERM must behave as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packhelpers import EPOCH, REPORTGEN, build, interruptible, tree_hashes

from reportgen.pack.verify import verify_pack
from reportgen.pack.write import RETIRED_PREFIX, STAGING_PREFIX

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


def _start_build(
    project: Path, out: Path, *, session: bool = False
) -> tuple[subprocess.Popen, set[int]]:
    """A PDF-writing build of the three frameworks, returned once its renderers run.
    ``session``: in a process group of its own, as a shell's job is, to signal it whole."""
    process = subprocess.Popen(
        [*REPORTGEN, "-q", "build", "--config", "reportgen.yaml", "--out", str(out)],
        cwd=project,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=session,
        preexec_fn=interruptible,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        renderers = _children(process.pid)
        if renderers:
            time.sleep(0.5)  # let them get into the work
            return process, renderers | _children(process.pid)
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no renderer seen; stderr: {process.communicate()[1]}")


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = {pid for pid in pids if _alive(pid)}
        if not alive:
            return set()
        time.sleep(0.1)
    return alive


def _leftovers(folder: Path) -> list[str]:
    prefixes = (STAGING_PREFIX, RETIRED_PREFIX)
    return [p.name for p in folder.iterdir() if p.name.startswith(prefixes)]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="renderers fork on 2+ cores")
def test_sigkill_takes_the_renderers_and_the_lock_with_it(project, tmp_path):
    out = tmp_path / "out" / "pack"
    process, renderers = _start_build(project, out)
    process.kill()
    process.wait(timeout=30)
    process.stderr.close()
    assert _gone_within(renderers, 10) == set(), "renderers outlived the killed build"
    started = time.monotonic()
    build(project, out, pdf=False)  # no lock held by a dead run: it does not wait
    assert time.monotonic() - started < 60
    assert verify_pack(out).ok and _leftovers(out.parent) == []


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="renderers fork on 2+ cores")
@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "aborted")],
)
def test_sigterm_and_sigint_stop_cleanly_and_keep_the_old_pack(
    project, tmp_path, signum, status, word
):
    out = build(project, tmp_path / "pack", pdf=False)
    before = tree_hashes(out)
    process, renderers = _start_build(project, out)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert word in stderr and "Traceback" not in stderr
    assert _gone_within(renderers, 10) == set()
    assert tree_hashes(out) == before and verify_pack(out).ok
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="renderers fork on 2+ cores")
@pytest.mark.parametrize(
    ("signum", "times", "gap", "to", "status", "word"),
    [
        (signal.SIGTERM, 6, 0.02, "process", 143, "terminated"),  # a service manager's
        (signal.SIGINT, 4, 0.05, "group", 130, "aborted"),  # Ctrl-C: the whole job
    ],
    ids=["SIGTERM-x6", "SIGINT-x4"],
)
def test_repeated_signals_stop_quietly(project, tmp_path, signum, times, gap, to, status, word):
    """adversarial #53: an impatient user (or a service manager) signals again and again.
    The first signal stops the build; the rest must not break off the clean-up or print a
    traceback (from the build, from multiprocessing's exit handler or from a renderer),
    nor kill the exiting process with its default action (status -15 instead of 143).
    Sent to the build alone, or to its whole process group (renderers included) as a
    shell's job control does."""
    out = build(project, tmp_path / "pack", pdf=False)
    before = tree_hashes(out)
    process, renderers = _start_build(project, out, session=True)
    send = os.killpg if to == "group" else os.kill
    for _ in range(times):
        with contextlib.suppress(ProcessLookupError):  # it may have finished stopping
            send(process.pid, signum)
        time.sleep(gap)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr.strip()) == (status, word), stderr
    assert _gone_within(renderers, 10) == set()
    assert tree_hashes(out) == before and verify_pack(out).ok
    assert _leftovers(tmp_path) == []


def test_a_failing_renderer_stops_the_build_with_its_message(project, tmp_path, monkeypatch):
    """An error raised in a forked renderer reaches the user as the same clear message."""
    from reportgen.core.errors import InputError
    from reportgen.render import workers

    def fail(index: int) -> int:
        if index == 1:
            raise InputError("template broken", file="report.html", line=3, hint="Fix it.")
        time.sleep(30)  # still running when the failure arrives: must be killed
        return index

    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        workers.run_forked(2, fail, workers=2)
    assert time.monotonic() - started < 20
    assert str(caught.value) == "report.html:3: template broken\nFix it."
    assert _children(os.getpid()) == set() or not any(map(_alive, _children(os.getpid())))


def test_a_renderer_killed_by_a_signal_is_reported(monkeypatch):
    from reportgen.render import workers

    def die(index: int) -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return index

    with pytest.raises(workers.WorkerDied, match="ended without a result"):
        workers.run_forked(1, die, workers=1)
    assert sys.platform  # the parent survived to get here
