"""Run reportgen in its own process and measure it: exit status, output, peak RSS, seconds.

Each run is forked by a small launcher process that caps the address space, waits for it
and writes its peak RSS to a file. Forking from the pytest worker itself (preexec_fn, or the
vfork Popen uses) would report the worker's size: the kernel carries the high-water RSS of
the process that execs into the new program, so the figure would grow with whatever tests
that worker ran before, not with the case. A run that outlives its timeout is killed with
its whole process group, so a hang fails its test instead of the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Address-space cap for every run, so a regression fails the case instead of the machine.
ADDRESS_SPACE = 3 * 1024**3

LAUNCHER = """
import os, resource, signal, sys
resource.setrlimit(resource.RLIMIT_AS, ({space}, {space}))
if {fsize}:  # a file size limit: writes past it fail with EFBIG, as on a full disk
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:  # died of a signal: so does the launcher, for the caller to see
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str
    rss_mb: float
    seconds: float
    folder: Path

    @property
    def text(self) -> str:
        """stderr with rich's line wrapping undone, for finding a message in it."""
        return " ".join(self.stderr.split())


def measured(
    argv: list[str],
    folder: Path,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    max_file_bytes: int = 0,
) -> Outcome:
    """Run ``argv`` to completion in ``cwd`` (default ``folder``); output and the peak RSS
    file go to ``folder``. Peak RSS is of this one process, not of its children.
    ``max_file_bytes`` sets RLIMIT_FSIZE (0: none)."""
    launcher = LAUNCHER.format(space=ADDRESS_SPACE, fsize=max_file_bytes)
    started = time.perf_counter()
    rss = folder / "peak-rss-kb"
    rss.unlink(missing_ok=True)
    with (folder / "stdout").open("w+") as out, (folder / "stderr").open("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", launcher, str(rss), *argv],
            cwd=cwd or folder,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError(f"{argv} still ran after {timeout} s") from None
        out.seek(0)
        err.seek(0)
        return Outcome(
            status=status,
            stdout=out.read(),
            stderr=err.read(),
            rss_mb=int(rss.read_text()) / 1024 if rss.exists() else 0.0,
            seconds=time.perf_counter() - started,
            folder=folder,
        )


def measured_all(
    cases: Sequence[Any], run: Callable[[Any, Path], Outcome], base: Path, workers: int
) -> dict[str, Outcome]:
    """Each case's Outcome by its name, ``run(case, base / case.name)`` in ``workers``
    threads (each run is its own process: the threads only wait)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {case.name: pool.submit(run, case, base / case.name) for case in cases}
        return {name: future.result() for name, future in futures.items()}
