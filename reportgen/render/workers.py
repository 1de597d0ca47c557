"""Forked worker processes that never outlive the build that started them.

A build renders frameworks in forked children. If the build is killed (SIGKILL, SIGTERM,
Ctrl-C, a crash) its children must die with it: an orphaned renderer keeps writing into a
staging directory and burning CPU for minutes. Each child asks the kernel to kill it when
its parent dies (``PR_SET_PDEATHSIG`` on Linux; elsewhere a thread watches the parent's
pid), and the parent kills every child it still has when it stops for any reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import IO, Any, TypeVar

from reportgen.core.reserve import MEMORY_HINT, address_space_limited
from reportgen.core.stopping import STOP_SIGNALS
from reportgen.core.terminal import say_nothing_of_unraisable

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1


class WorkerDied(RuntimeError):
    """A worker ended without a result (killed by a signal, out of memory): ``index`` is its
    task, ``exitcode`` its status as multiprocessing gives it (-9: killed by SIGKILL)."""

    def __init__(self, index: int, exitcode: int | None) -> None:
        super().__init__(f"a renderer (task {index}) ended without a result, exit code {exitcode}")
        self.index, self.exitcode = index, exitcode
        self.python_gave_up = False  # "Fatal Python error" (a stack overflow out of memory)


# Why a worker that died of a signal most likely did. reportgen never signals a renderer
# while the build runs (it kills them only once the build itself is stopping), so the
# kernel, another process or a C library the renderer uses did: the user's machine, not a
# bug to report. Each: (the likely cause, what to do).
_C_LIBRARY = (
    "a C library it uses (GLib, Pango, Cairo) gave up, most often for want of memory or of a "
    "thread under a memory limit (ulimit -v, prlimit --as, a container's limit); a line it "
    "printed above may say more",
    MEMORY_HINT,
)
_CAUSES: dict[int, tuple[str, str]] = {
    signal.SIGKILL: (
        "most often the kernel's out-of-memory killer, otherwise another process (an "
        "administrator, a job scheduler, a container's memory limit)",
        "Look for the out-of-memory killer in the kernel log (dmesg); free some memory or "
        "raise the limit, then build again.",
    ),
    signal.SIGTERM: (
        "another process asked it to stop (an administrator, a job scheduler, a service manager)",
        "Build again; if it happens again, find what stops reportgen's processes.",
    ),
    signal.SIGTRAP: _C_LIBRARY,
    signal.SIGABRT: _C_LIBRARY,
    signal.SIGSEGV: _C_LIBRARY,
    signal.SIGBUS: _C_LIBRARY,
}


def death(exitcode: int | None) -> tuple[str, str]:
    """How a worker ended (``exitcode`` as multiprocessing gives it), in words with its
    likely cause, and what to do about it."""
    if exitcode is None or exitcode >= 0:
        return f"ended with exit status {exitcode} and no result", "Build again."
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    cause, hint = _CAUSES.get(-exitcode, ("the kernel or another process sent it", "Build again."))
    return f"was ended by {name}: {cause}", hint


def run_forked(
    count: int,
    work: Callable[[int], T],
    workers: int,
    on_done: Callable[[int], None] | None = None,
) -> list[T]:
    """``[work(0), ..., work(count - 1)]``, each in a forked child, ``workers`` at a time.

    The first exception a child raises is raised here (the other children are killed);
    ``on_done(i)`` is called as each finishes.
    """
    context = multiprocessing.get_context("fork")
    pending = list(range(count))
    running: dict[int, tuple[Any, Connection]] = {}
    results: dict[int, T] = {}
    logs: dict[int, IO[bytes]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                index = pending.pop(0)
                logs[index] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _relay
                running[index] = _start(context, work, index, logs[index].fileno())
            for index in _finished(running):
                process, connection = running.pop(index)
                try:
                    results[index] = _collect(process, connection, index)
                except WorkerDied as died:
                    died.python_gave_up = _relay(logs.pop(index))
                    raise
                _relay(logs.pop(index))
                if on_done:
                    on_done(index)
    finally:
        for process, connection in running.values():
            _stop(process, connection)
        for log in logs.values():
            _relay(log)
    return [results[index] for index in range(count)]


_LOG_TAIL = 64 * 1024  # of what a renderer printed, relayed once it ends


def _relay(log: IO[bytes]) -> bool:
    """Print what a renderer wrote on its standard error (a library's warning, a C
    library's last words) but Python's own fatal dump, which names reportgen's frames to
    no use: under a memory limit a renderer printed "Fatal Python error: Cannot recover
    from stack overflow" and 40 frames (29d). Whether it held one."""
    with contextlib.suppress(OSError, ValueError), log:
        log.seek(max(0, log.seek(0, os.SEEK_END) - _LOG_TAIL))
        text = log.read().decode("utf-8", "replace")
        fatal = text.find("Fatal Python error")
        kept = text if fatal < 0 else text[:fatal]
        if kept.strip():
            sys.stderr.write(kept if kept.endswith("\n") else kept + "\n")
            sys.stderr.flush()
        return fatal >= 0
    return False


def _start(
    context: Any, work: Callable[[int], Any], index: int, log: int
) -> tuple[Any, Connection]:
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(work, index, sender, os.getpid(), log),
        name=f"reportgen-render-{index}",
    )
    # Ctrl-C, SIGTERM and SIGHUP are held back across the fork: one arriving then would run the
    # parent's handler in the child before the child has set its own, and the child would
    # print a KeyboardInterrupt traceback. Held back, each side gets it once unblocked.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    sender.close()  # the child holds the other copy; EOF here means it is gone
    return process, receiver


def _finished(running: dict[int, tuple[Any, Connection]]) -> list[int]:
    handles = {}
    for index, (process, connection) in running.items():
        handles[connection] = index
        handles[process.sentinel] = index
    ready = wait(list(handles))
    return sorted({handles[handle] for handle in ready})


def _collect(process: Any, connection: Connection, index: int) -> Any:
    try:
        status, value = connection.recv()
    except (EOFError, OSError):
        process.join()
        raise WorkerDied(index, process.exitcode) from None
    except SystemError as exc:
        # Unpickling the child's answer with no memory left: a C function failed without
        # saying why ("error return without exception set" was an internal error: 28d).
        if address_space_limited():
            raise MemoryError(f"reading renderer {index}'s answer") from exc
        raise
    finally:
        connection.close()
    process.join()
    if status == "error":
        raise value
    return value


def _stop(process: Any, connection: Connection) -> None:
    with contextlib.suppress(OSError, ValueError):
        process.kill()
        process.join(timeout=10)
    connection.close()


def _child(
    work: Callable[[int], Any], index: int, sender: Connection, parent: int, log: int
) -> None:
    # The parent owns interruption: Ctrl-C and a closed terminal's SIGHUP reach the whole
    # process group, and the parent kills its children itself; a child ignores them and
    # dies of SIGTERM without a word.
    for ignored in set(STOP_SIGNALS) - {signal.SIGTERM}:
        signal.signal(ignored, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _die_with_parent(parent)
    # What fails in a child goes back to the parent, which says it once: out of memory,
    # objects collected meanwhile printed "Exception ignored in: ..." by the dozen (28d).
    sys.unraisablehook = say_nothing_of_unraisable
    with contextlib.suppress(OSError):  # its standard error, relayed by the parent (_relay)
        sys.stderr.flush()
        os.dup2(log, 2)
    try:
        outcome: tuple[str, Any] = ("ok", work(index))
    except BaseException as exc:  # every failure, interrupts too, goes back to the parent
        outcome = ("error", exc)
    _send(sender, outcome)
    # Done: the parent reports what happened. Leave at once, holding the outcome: nothing
    # after this (collecting the failed work's objects, multiprocessing's exit handlers)
    # may print to the user's terminal.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _send(sender: Connection, outcome: tuple[str, Any]) -> None:
    try:
        sender.send(outcome)
    except Exception as exc:  # an unpicklable result or exception, or the parent is gone
        with contextlib.suppress(Exception):  # gone: it has nobody to tell
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:  # pragma: no cover - no prctl: watch the parent's pid instead
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:  # pragma: no cover - not Linux
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
