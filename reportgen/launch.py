"""The ``reportgen`` command: imports the CLI, then runs it.

Importing reportgen.cli loads WeasyPrint, pydantic and rich, which takes about a second;
Ctrl-C in that second came before the CLI's own handlers were in place and printed a
traceback (tenth adversarial pass). Here only the standard library is loaded first.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
from typing import Any

from reportgen.core.reserve import MEMORY_HINT, out_of_memory  # the standard library only
from reportgen.core.stopping import STOP_SIGNALS  # the standard library only


def main() -> None:
    _refuse_a_cap_too_small_to_start_in()
    run_cli = _import_cli()
    try:
        run_cli()
    finally:
        # The command is over, its status decided: a Ctrl-C now, as the interpreter shuts
        # down, would end it with a traceback or killed by the signal (status -2); so would
        # SIGTERM or SIGHUP, whose handlers the CLI has put back (143 or 129 after the
        # output was written and said: 83b).
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def _refuse_a_cap_too_small_to_start_in() -> None:
    """Exit 2 with a message when the address-space limit is below what loading the
    libraries takes. Under such a cap the import failed somewhere different each run: a
    MemoryError (said well), a ValueError from the compiler, or a library written in Rust
    (pydantic-core) aborting the process with a Rust backtrace, status 134 (nineteenth pass:
    caps of 56 to 68 MB). None of those can be caught, so the cap is read before. So is the
    data-size limit (ulimit -d): under 60 to 65 MB of it a Rust library panicked and the
    process hung, unkillable but by SIGKILL (twenty-seventh pass)."""
    for limit, name, floor in _FLOORS:
        soft, _hard = resource.getrlimit(limit)
        if soft == resource.RLIM_INFINITY or soft >= floor:
            continue
        # In ulimit's unit (KiB) and in MiB, each named, cut not rounded: a cap of 128 MB
        # (decimal) was "122 MB" beside "128 MB" (23rd pass); one byte under, "128.0" (26a).
        mib = soft * 100 // 2**20 / 100
        _say(
            f"error: ran out of memory: the {name} is {soft // 1024:,} KiB ({mib:.2f} MiB), "
            f"and reportgen needs at least {floor // 1024:,} KiB ({floor / 2**20:.2f} MiB) "
            "to start\nRaise the memory limit, then run it again.\n"
        )
        raise SystemExit(2)


def _import_cli() -> Any:
    """reportgen.cli's main; exit 130 when Ctrl-C came while it was imported. The interrupt
    is noted as it comes: a library may wrap the KeyboardInterrupt it raised in an error
    of its own (pydantic building a model's serializer: a SchemaError, and a traceback)."""
    interrupted: list[int] = []

    def note(signum: int, frame: Any) -> None:
        interrupted.append(signum)
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:  # not when the shell had it ignored
        signal.signal(signal.SIGINT, note)
    try:
        from reportgen.cli import main as run_cli
    except BaseException as exc:
        # SystemError: a C extension that failed to allocate as it loaded, under a cap of
        # about 50 MB ("error return without exception set"); nothing of reportgen's raises it
        if out_of_memory(exc) or isinstance(exc, SystemError):
            _say(f"error: ran out of memory\n{MEMORY_HINT}\n")
            raise SystemExit(2) from None
        if not interrupted and not isinstance(exc, KeyboardInterrupt):
            raise
        _say("aborted\n")  # as the CLI says it once it runs
        raise SystemExit(130) from None
    finally:
        if previous is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous)
    if interrupted:  # between the import's end and the handler's removal
        _say("aborted\n")
        raise SystemExit(130)
    return run_cli


def _say(text: str) -> None:
    """Write to standard error, when there is one that takes it: closed (2>&-, sys.stderr
    None) or full (2>/dev/full), the failed write made exit 2 a bug's status 1 (41d)."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # Python's flush at exit: quiet


# Loading the libraries takes about 84 MB of address space (measured with prlimit --as on
# Python 3.11, x86-64); the margin covers other versions and a first run compiling .pyc.
START_BYTES = 128 * 2**20
# Of that, about 70 MB is data (prlimit --data: the sample validated from 70 MB; under 60
# to 65 MB a Rust library panicked and hung). Renderers need more, said as they run.
START_DATA_BYTES = 96 * 2**20
_FLOORS = (
    (resource.RLIMIT_AS, "memory limit (ulimit -v)", START_BYTES),
    (resource.RLIMIT_DATA, "data size limit (ulimit -d)", START_DATA_BYTES),
)

# Said when the libraries cannot even be loaded: the CLI's own hint is not loaded yet.
