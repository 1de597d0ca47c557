"""The guard's part scanner does work in proportion to the part, whatever it holds.

Each case below took the scanner time in the square of a run's length (53d): the
checks are hang guards with a wide margin (the old code took 10 to 100 times the limit
given), not speed targets, which are in ``make bench``.
"""

from __future__ import annotations

import contextlib
import re
import signal
from collections.abc import Iterator

import pytest

from reportgen.inventory.xlsx_cells import scan_tags
from reportgen.inventory.xlsx_scan import PartScanner, PartTooBig, _as_text

_BUDGET = 393_206  # the guard's cell budget at the default --max-cell-chars
_CHUNK = 1 << 20


@contextlib.contextmanager
def _within(seconds: int) -> Iterator[None]:
    def expired(signum, frame):
        raise TimeoutError(f"the scan ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _scanned(part: bytes) -> PartScanner:
    scanner = PartScanner(_BUDGET, caps={})
    for at in range(0, len(part), _CHUNK):
        scanner.feed(part[at : at + _CHUNK])
    scanner.finish()
    return scanner


def test_runs_of_xmlns_in_text_are_scanned_in_one_pass() -> None:
    """Pass 53d D1: each 'xmlns' of a text run was searched back to its tag: 2,500 runs of
    390 KB (a 1.4 MB file) ran past 300 s."""
    part = b'<styleSheet xmlns="urn:s">' + (b"<x>" + b"xmlns" * 78_000 + b"</x>") * 200
    with _within(15):
        scanner = _scanned(part + b"</styleSheet>")
    control = _scanned(part.replace(b"xmlns" * 10, b"abcde" * 10) + b"</styleSheet>")
    assert (scanner.elements, scanner.kept) == (control.elements, control.kept)


def test_unfinished_comment_openers_are_scanned_in_one_pass() -> None:
    """Pass 53d D2: a regex searched from each unfinished '<!--' to the buffer's end:
    100,000 of them (a 10 KB file) took 204 s before the part was refused."""
    part = b"<styleSheet>" + b"<!--" * 100_000
    with _within(15), pytest.raises(PartTooBig):
        _scanned(part)


@pytest.mark.parametrize("opener", [b"<a", b"<![CDATA[", b"<!--", b"<?"])
def test_a_run_of_unclosed_tags_is_placed_in_one_pass(opener: bytes) -> None:
    """Pass 54d D1: the exact cell scan searched for a tag from every '<' of a run of
    unclosed ones to the end: 6 KB held validate for 255 s."""
    cell = b'<worksheet><sheetData><row r="3"><c r="B3"><v>1</v></c>'
    with _within(15):
        extent = scan_tags([cell + opener * (300_000 // len(opener))], _BUDGET)
    assert (extent.top, extent.left) == (2, 1)  # the one cell before the run


_OLD = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)


@pytest.mark.parametrize(
    "text",
    [
        b"<a><!-- x --><b/><![CDATA[<c>]]><?pi ?></a>",
        b"<a><!-- <?x?> --><?y <!-- ?>",
        b"<!---->< !-- <![CDATA[]]]]><?>?>",
        b"<a><!-- never closed <b/>",
        b"<a/><?pi never closed <!-- -->",
        b"no special at all",
    ],
)
def test_specials_are_made_text_as_before(text: bytes) -> None:
    """Up to the first unfinished one, exactly what the one regex made of them."""
    made, unfinished = _as_text(text)
    before = _OLD.sub(lambda found: b"_" * len(found.group()), text)
    assert len(made) == len(text)
    assert made[:unfinished] == before[:unfinished]
    assert made[unfinished:] == text[unfinished:]
