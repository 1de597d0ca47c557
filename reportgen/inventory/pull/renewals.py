"""What reportgen refuses in the credential renewals botocore makes ahead of the keys' expiry.

botocore renews a source's keys (and an SSO token) before a request in the 15 minutes
before their expiry, and in the first 5 of those, its advisory window, it logs a failed
renewal and signs with the old keys. A renewal reportgen refused (a bound passed, a key
given twice, an emptied token file) was so tried again before every request, each time
costing its bound, and the pull ended exit 0 without a word (79c C1, 80c C1 and C2). Each
such refusal is noted as botocore logs it, and the next request of any client stops with
the first.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator
from typing import Any

from reportgen.core.errors import InputError

# Where botocore logs a renewal that failed in its advisory window, with the exception.
_RENEWING_LOGGERS = ("botocore.credentials", "botocore.tokens")
_MARK = "reportgen_refused"
_RENEWING = (
    "while botocore renewed the credentials ahead of their expiry; the pull stops rather "
    "than ask again"
)


def mark_refused(error: Exception) -> Exception:
    """Mark one of botocore's own exceptions, raised for reportgen's refusal (a process
    past its bounds is said as botocore says a process that failed), as a refusal."""
    setattr(error, _MARK, True)
    return error


class Refusals:
    """The first refusal of a credential renewal that botocore went on without."""

    def __init__(self) -> None:
        self.first: Exception | None = None

    def note(self, error: BaseException) -> None:
        refused = isinstance(error, InputError) or getattr(error, _MARK, False)
        if self.first is None and (refused or _unusable(error)) and isinstance(error, Exception):
            self.first = error

    def stop_if_any(self, **_: Any) -> None:
        """Raise the refusal noted, if any: a handler of botocore's before-send event. One
        of botocore's own exceptions is raised as it is, said by the pull as a renewal."""
        first = self.first
        if isinstance(first, InputError):
            said = copy.copy(first)  # raised anew: the first stays as noted
            said.details = [*first.details, _RENEWING]
            raise said
        if first is not None:
            raise first


# What botocore raises on an answer it cannot use (a field missing, a number that is none),
# never on a passing failure: SSO's expiresIn as text, a container answer without its
# AccessKeyId, were ignored and asked for again before every request, exit 0 (83c).
_UNUSABLE = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def _unusable(error: BaseException) -> bool:
    module = type(error).__module__.split(".")[0]
    return isinstance(error, _UNUSABLE) and module not in ("botocore", "urllib3")


def stop_once_refused(client: Any, refusals: Refusals) -> None:
    """Stop each request of ``client`` once a credential renewal was refused: before it is
    signed (signing renews the keys: the refused renewal was made a second time), and
    before it is sent (the renewal refused as it was signed)."""
    for event in ("before-sign.*.*", "before-send.*.*"):
        client.meta.events.register(event, refusals.stop_if_any, unique_id=f"reportgen-{event}")


class _Noting(logging.Handler):
    def __init__(self, refusals: Refusals) -> None:
        super().__init__(logging.WARNING)
        self._refusals = refusals

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self._refusals.note(record.exc_info[1])


@contextlib.contextmanager
def refusals_noted(refusals: Refusals) -> Iterator[None]:
    """While active, note each refusal botocore logs as a renewal that failed; its loggers
    are let through at WARNING meanwhile, whatever level they had."""
    handler = _Noting(refusals)
    loggers = [logging.getLogger(name) for name in _RENEWING_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
