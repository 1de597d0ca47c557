"""The signals that ask reportgen to stop, and a section they cannot break into.

Ctrl-C (SIGINT), SIGTERM (an administrator, a service manager) and SIGHUP (the terminal
closed, an SSH session dropped) each make the command unwind and clean up (the CLI raises
an interrupt for them). A few steps must not be cut in two, the swap of a pack above all:
an interrupt between its renames left the old pack under a hidden name and nothing at
``--out`` (fifteenth adversarial pass, C42). :func:`stop_signals_held` holds them back.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

# SIGHUP is POSIX only; without it the others still stop the command.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


# Set once the work a stop signal would break off is done, the new pack in place: a signal
# after that ends nothing, and the CLI's handler says so. Set when the command returned, a
# signal while older packs were removed after the swap exited 130 "aborted" with the new
# pack in place and the team-edits folder never named (79b B1).
_finished: list[str] = []


def mark_finished(done: str) -> None:
    """Say that a stop signal from now on would find the work done: ``done`` says what,
    as "the pack was written"."""
    _finished.append(done)


def finished() -> str:
    """What the work done is, or "" while it is not."""
    return _finished[0] if _finished else ""


def forget_finished() -> None:
    """A new command starts: nothing of it is done yet."""
    _finished.clear()


@contextlib.contextmanager
def stop_signals_held() -> Iterator[list[int]]:
    """Hold back the stop signals while the block runs; yield the list of those that came.

    The block looks at the list between its steps to stop where stopping leaves things whole,
    and empties it once a signal is answered otherwise (the work was finished instead). What
    is left in it is delivered when the block ends, to the handler there was before: the
    interrupt then unwinds as usual. A handler is swapped in at the Python level, not by a
    signal mask, since a signal the kernel hands to another thread still runs the main
    thread's handler; a signal that was ignored stays ignored. Outside the main thread,
    where handlers cannot be set (and the main thread gets them anyway), nothing is held.
    """
    came: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return
    previous: dict[int, signal.Handlers | object] = {}

    def note(signum: int, _frame: object) -> None:
        came.append(signum)

    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) not in (signal.SIG_IGN, None):
                previous[signum] = signal.signal(signum, note)
        yield came
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        if came:
            signal.raise_signal(came[0])  # the handler runs now: the first one counts
