"""A profile's ``credential_process``, run for botocore within bounds.

botocore runs the command with ``Popen(...).communicate()``: no deadline and its output read
whole, so a process that waits for ever held the pull for ever, and one that printed without
end took memory without end; what it printed was then parsed with ``json.loads`` and indexed,
so output that was not a JSON object of the right shape ended in a traceback. botocore takes
the ``popen`` to use as an argument of its ProcessProvider; :func:`bounded_processes` makes
:class:`BoundedProcess` the default for every such provider made while it is active (a role
profile's ``source_profile`` gets one of its own, made as the role is assumed).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from reportgen.core.markdown import shorten
from reportgen.inventory.pull.renewals import mark_refused
from reportgen.inventory.sources.jsonstream import DuplicateKey, loads_unique

PROCESS_BYTES = 1 << 20  # of stdout, and of stderr: a credential process prints about 1 KB
# A process may ask for a touch or a PIN before it answers (a hardware key, a vault).
PROCESS_SECONDS = 120.0
_PIECE = 1 << 16
_POLL = 0.25  # seconds between looks at whether the process has exited
_AFTER_EXIT = 1.0  # seconds its pipes may stay open once it has exited


@contextlib.contextmanager
def swapped(owner: Any, name: str, value: Any) -> Iterator[None]:
    """``owner.name`` is ``value`` while active: a piece of botocore the pull bounds (its
    providers are made, and read files, inside botocore, out of reportgen's reach)."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def bounded_processes() -> contextlib.AbstractContextManager[None]:
    from botocore.credentials import ProcessProvider

    # (popen,): its one default
    return swapped(ProcessProvider.__init__, "__defaults__", (BoundedProcess,))


class BoundedProcess:
    """What botocore's ProcessProvider uses of a Popen, ``communicate()`` and ``returncode``,
    with a deadline and a cap on what the process prints; stdout that is not a JSON object
    of string keys, or stderr that is not UTF-8, is refused or replaced before botocore
    reads it."""

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        try:
            self._process = subprocess.Popen(args, **kwargs)
        except OSError as exc:  # not found, not executable: botocore let it through whole
            raise _failed(f"cannot run {args[0]!r}: {exc.strerror or exc}") from None
        self.returncode: int | None = None

    def communicate(self) -> tuple[bytes, bytes]:
        process = self._process
        deadline = time.monotonic() + PROCESS_SECONDS
        try:
            out, _ = _read(process, deadline)
            # One that closed its output and goes on is held to the same deadline; the
            # TimeoutExpired of wait() quoted the command line, a token in it too.
            self.returncode = process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            _stop(process)
            raise _failed(_too_slow()) from None
        except BaseException:
            _stop(process)
            raise
        if self.returncode == 0:
            _check_answer(out)
        # What it wrote to stderr is not passed on: botocore quotes it in its error, and a
        # process that wrote its keys there had them printed (seventeenth pass).
        said = (
            f"the process {_ended(self.returncode)}; what it wrote to stderr is not shown, "
            "as it may hold keys: run the command yourself to see it"
        )
        return out, said.encode("utf-8")


def _ended(status: int | None) -> str:
    """How the process ended: 'exited with status -11' was a signal's number (32d)."""
    if status is not None and status < 0:
        try:
            return f"was ended by {signal.Signals(-status).name}"
        except ValueError:
            return f"was ended by signal {-status}"
    return f"exited with status {status}"


def _read(process: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """Both pipes to their end, each within PROCESS_BYTES, by ``deadline``; or until a
    moment after the process has exited, when something it started still holds them (it
    was waited on for the whole deadline: seventeenth pass)."""
    out, err = process.stdout, process.stderr
    got: dict[int, bytearray] = {}
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for pipe in (out, err):
            if pipe is not None:
                selector.register(pipe.fileno(), selectors.EVENT_READ)
                got[pipe.fileno()] = bytearray()
        while selector.get_map():
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                raise _failed(_too_slow())
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _AFTER_EXIT:
                break
            for key, _ in selector.select(min(left, _POLL)):
                piece = os.read(key.fd, _PIECE)
                if not piece:
                    selector.unregister(key.fd)
                    continue
                got[key.fd] += piece
                if len(got[key.fd]) > PROCESS_BYTES:
                    raise _failed(f"the process printed more than {PROCESS_BYTES:,} bytes")
    return _bytes(got, out), _bytes(got, err)


def _bytes(got: dict[int, bytearray], pipe: IO[bytes] | None) -> bytes:
    return bytes(got[pipe.fileno()]) if pipe is not None else b""


def _check_answer(out: bytes) -> None:
    """What botocore reads of the output, checked first: it indexed a list, decoded bytes
    that are not UTF-8 and passed a number on as a key, each a traceback. The output is never
    quoted: it holds the keys."""
    try:
        parsed = loads_unique(out.decode("utf-8"))
    except DuplicateKey as exc:  # botocore keeps the last; the first was printed (48c C3)
        raise _failed(
            f"the process printed the key '{shorten(exc.key, 60)}' twice in one object "
            "(readers differ on which value counts)"
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _failed("the process printed no JSON object (JSON in UTF-8 is expected)") from None
    if not isinstance(parsed, dict):
        raise _failed("the process printed JSON that is not an object")
    if parsed.get("Version") != 1:  # botocore's refusal quoted the value (twentieth pass)
        raise _failed('the process printed no "Version": 1 (the only version botocore reads)')
    for key in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"):
        value = parsed.get(key)
        if value is not None and not isinstance(value, str):
            raise _failed(f"the process printed a {key} that is not a string")
    expiration = parsed.get("Expiration")
    if isinstance(expiration, str) and len(expiration) > 64:  # dateutil: 50 s for 1 MB (21d)
        raise _failed("the process printed an Expiration longer than any date and time")
    if isinstance(expiration, str) and not _is_time(expiration):
        raise _failed("the process printed an Expiration that is not a date and time")


def _is_time(text: str) -> bool:
    from dateutil.parser import parse  # what botocore reads Expiration with

    try:
        parse(text)
    except (ValueError, OverflowError):
        return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and what it started (a shell's sleep outlived it: sixteenth pass);
    it is not put in a process group of its own, which would cut it off the terminal a
    process asking for a PIN or a touch reads from."""
    for pid in [*_descendants(process.pid), process.pid]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (Linux's /proc; none elsewhere)."""
    found, queue = [], [pid]
    while queue and len(found) < 1000:
        parent = queue.pop()
        for tasks in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                children = [int(c) for c in tasks.read_text().split()]
                found += children
                queue += children
    return found


def _too_slow() -> str:
    return f"the process did not finish within {PROCESS_SECONDS:.0f} seconds"


def _failed(why: str) -> Exception:
    from botocore.exceptions import CredentialRetrievalError

    error = CredentialRetrievalError(provider="custom-process", error_msg=why)
    return mark_refused(error)
