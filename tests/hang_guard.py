"""A hang guard for work that once took time in the square of its input: it fails the
test with the old code's hang instead of hanging the suite. Speed targets are not
asserted here; they are in ``make bench``."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block once ``seconds`` have passed (SIGALRM)."""

    def expired(signum, frame):
        raise TimeoutError(f"the work ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
