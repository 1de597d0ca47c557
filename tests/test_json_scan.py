"""The bytes between an export and the parser: strings and nesting found at C speed, and long
strings handed to the parser whole (reportgen/inventory/sources/jsondepth.py, RawGuard).

The scan makes escapes plain with ``bytes.replace`` and splits on quotes; these tests hold it
to a byte-by-byte reading of the same JSON, split into reads at every place a read can end
(inside an escape, between a backslash and what it escapes, inside a run of backslashes).
`make bench` (bench/exports.py) measures its speed; here only what it finds.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reportgen.inventory.sources.jsondepth import DepthTracker
from reportgen.inventory.sources.jsonstream import RawGuard, StringTooLong

# Text full of what a scan can get wrong: quotes, backslashes, brackets, escapes of each.
_TRICKY = st.text(alphabet=st.sampled_from('"\\[]{}a\U0001f600\u00e9/\n'), max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=12,
)


def _reference(data: bytes) -> list[tuple[int, bool]]:
    """(depth, inside a string) after each byte, read one byte at a time."""
    depth, in_string, escaped, states = 0, False, False, []
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
        elif byte in b"]}":
            depth -= 1
        states.append((depth, in_string))
    return states


@given(_VALUES, st.booleans(), st.lists(st.integers(min_value=1, max_value=7), max_size=40))
def test_the_scan_agrees_with_a_byte_by_byte_reading_wherever_the_reads_end(value, ascii, steps):
    data = json.dumps({"x": value}, ensure_ascii=ascii).encode()
    reference = _reference(data)
    tracker, offset = DepthTracker(limit=1_000), 0
    cuts = [*(sum(steps[: i + 1]) for i in range(len(steps))), len(data)]
    for cut in (c for c in cuts if c <= len(data)):
        if cut <= offset:
            continue
        assert tracker.feed(tracker.plain(data[offset:cut])) == -1
        offset = cut
        assert (tracker.depth, tracker.in_string) == reference[cut - 1], (data, cut)
    assert (tracker.depth, tracker.in_string) == (0, False)


@given(_VALUES, st.integers(min_value=1, max_value=5))
def test_the_depth_limit_is_found_at_the_same_bracket(value, limit):
    data = json.dumps([[value]]).encode()
    reference = _reference(data)
    expected = next((i + 1 for i, (depth, _) in enumerate(reference) if depth > limit), -1)
    tracker, found, offset = DepthTracker(limit), -1, 0
    for start in range(0, len(data), 5):  # reads of 5 bytes
        past = tracker.feed(tracker.plain(data[start : start + 5]))
        if past >= 0:
            found = start + past
            break
        offset = start
    assert found == expected, (data, offset)


class _Reads(io.RawIOBase):
    """Bytes in reads of ``size`` at most, counted."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.offset, self.reads = data, size, 0, 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        size = min(self.size, size if size >= 0 else self.size)
        chunk = self.data[self.offset : self.offset + size]
        self.offset += len(chunk)
        return chunk


def test_a_read_that_ends_inside_a_string_goes_on_to_its_end():
    text = "\\ud83d\\ude00" * 50_000  # 600 KB, as written in the file
    data = b'{"a": ["' + text.encode() + b'", "b"], "c": "' + b"x" * 200_000 + b'"}'
    guard = RawGuard(_Reads(data, 64 * 1024), Path("x.json"), 4 << 20, 128)
    first = guard.read(64 * 1024)
    closing = data.index(b'"', 8)  # the string's end, in the tenth read of 64 KB
    assert first == data[: (closing // (64 * 1024) + 1) * 64 * 1024]  # read on to that read
    assert guard.depth.in_string  # it ends inside the next string, which yajl then buffers
    rest = guard.read(64 * 1024)  # the next string, open at the end of the first read
    assert rest == data[len(first) :] and not guard.depth.in_string


def test_a_string_over_the_limit_is_cut_at_the_limit_and_refused_on_the_next_read():
    data = b'{"a": "' + b"y" * 1_000 + b'"}'
    guard = RawGuard(_Reads(data, 64), Path("x.json"), 300, 128)
    handed = guard.read(64)
    assert handed == data[: 7 + 300]  # the key and the string's first 300 bytes: its path
    assert guard.failure is not None and "longer than 300 bytes" in guard.failure.message


def _through(guard: RawGuard, size: int) -> bytes:
    """What the guard hands on, read to the end or to the refusal it raises."""
    handed = b""
    with contextlib.suppress(StringTooLong):
        while piece := guard.read(size):
            handed += piece
    return handed


@given(
    st.lists(st.integers() | st.none() | st.booleans() | _TRICKY, min_size=1, max_size=60),
    st.integers(min_value=1, max_value=40),
)
def test_only_strings_are_held_to_the_string_limit(values, size):
    """Tenth pass: 4 MB of `0,0,0,...` between two strings was refused as a string too
    long. Text outside strings, however long, passes; a string over the limit never does."""
    data = json.dumps({"k": values}).encode()
    guard = RawGuard(_Reads(data, size), Path("x.json"), 40, 128)
    longest = max((len(json.dumps(v)) - 2 for v in values if isinstance(v, str)), default=0)
    handed = _through(guard, size)
    assert (guard.failure is None) == (longest <= 40), (data, size)
    if guard.failure is None:
        assert handed == data


def test_millions_of_small_numbers_between_strings_pass():
    data = b'{"a": "x", "n": [' + b"0," * 3_000_000 + b'0], "b": "y"}'  # 6 MB of numbers
    guard = RawGuard(_Reads(data, 64 * 1024), Path("x.json"), 4 << 20, 128)
    assert _through(guard, 64 * 1024) == data and guard.failure is None


@given(st.text(max_size=30), st.integers(min_value=1, max_value=13), st.booleans())
def test_a_lone_high_surrogate_is_refused_wherever_the_reads_end(text, size, lone):
    """Eleventh pass: yajl read "pr\\ud800od" as "pr?od", text changed without a word.
    Escaped pairs (any character past U+FFFF, ensure_ascii) pass, split at any read."""
    value = json.dumps(text)[1:-1] + ("\\ud800" if lone else "")
    data = ('{"k": "' + value + 'x"}').encode()
    guard = RawGuard(_Reads(data, size), Path("x.json"), 1 << 20, 128)
    handed = _through(guard, size)
    assert (guard.failure is not None) == lone, (data, size)
    if not lone:
        assert handed == data
    else:
        assert "lone UTF-16 surrogate" in guard.failure.message
