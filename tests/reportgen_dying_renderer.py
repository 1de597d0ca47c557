"""``python -m reportgen`` whose renderer of one framework dies as the machine kills one.

REPORTGEN_TEST_DIE=<framework>:<how> makes the renderer of that framework, once its
matrix.json is written, die the way a machine makes a renderer die: ``SIGKILL`` (the kernel's
out-of-memory killer), ``SIGTERM`` (an administrator, a job scheduler), ``SIGTRAP`` (GLib's
abort when it cannot start a thread under a memory limit, as WeasyPrint's Pango did under
``prlimit --as``), ``SIGABRT``, ``MemoryError`` (Python's, under the same limit), or
``exhausted`` (that MemoryError with the address space really full). No core
file is written. Otherwise the real command line in its own process, forked renderers and
all, without the PDF writer (see reportgen_without_pdf.py).
"""

from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path

from reportgen.cli import main
from reportgen.render import FrameworkJob
from reportgen.render.formats import FORMATS, OutputFormat


def _die(job: FrameworkJob) -> list[Path]:
    framework, _, how = os.environ.get("REPORTGEN_TEST_DIE", "").partition(":")
    if job.framework_id == framework:
        if how == "MemoryError":
            raise MemoryError
        if how == "exhausted":
            _exhaust_memory()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), signal.Signals[how])
        time.sleep(60)  # a signal the process does not die of: the test times out
    return []


# What the renderer that ran out of memory keeps: held by the module, so that only what
# reportgen itself set aside is left for the clean-up and the message.
_HOG: list[bytearray] = []


def _exhaust_memory() -> None:
    """Python's MemoryError with no memory left, as under ``prlimit --as`` (adversarial 4a
    #15: printing the message then ran out too): the address space is capped a little
    above what the process uses, then filled in ever smaller pieces until nothing fits."""
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (used + 64 * 1024 * 1024, hard))
    for piece in (1024 * 1024, 64 * 1024, 4096, 256):
        try:
            while True:
                _HOG.append(bytearray(piece))
        except MemoryError:
            pass
    raise MemoryError


FORMATS.unregister("pdf")
FORMATS.register(OutputFormat("dying", "a renderer that dies (tests)", framework=_die))

if __name__ == "__main__":
    main()
