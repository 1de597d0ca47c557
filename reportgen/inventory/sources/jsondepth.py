"""The nesting depth of JSON bytes, tracked before the parser sees them.

ijson's ``parse`` builds the prefix of every event ('x.item.item...'), and keeps one per open
container: nesting n deep costs O(n²) before reportgen's own depth check sees the events (a
400 KB file of 200,000 '[' took 10.5 GB and 70 s). So the raw bytes are scanned here, read by
read: strings are cut out with a regular expression (C speed), the brackets left are counted,
and only when a read could pass the limit is the running depth followed bracket by bracket.
"""

from __future__ import annotations

import itertools
import re

# The rest of a string (after its opening quote or a read's start) up to its closing quote.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_OTHER = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1


class DepthTracker:
    """Follows the nesting of JSON bytes fed in order; ``feed`` says where in a read the
    depth first passes ``limit`` (the offset just after that bracket), or -1."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0  # open containers at the end of what was fed
        self.in_string = False
        self.escaped = False  # the last byte fed was a backslash inside a string

    def feed(self, data: bytes) -> int:
        if not data:
            return -1
        state = (self.depth, self.in_string, self.escaped)
        structure = self._outside_strings(data)
        opens = structure.count(b"[") + structure.count(b"{")
        if self.depth + opens > self.limit:  # it may pass the limit: follow it exactly
            brackets = structure.translate(None, _OTHER)
            steps = itertools.accumulate(map(_DELTA.__getitem__, brackets), initial=self.depth)
            if max(steps) > self.limit:
                return _offset_past(data, self.limit, *state)
        self.depth += opens - structure.count(b"]") - structure.count(b"}")
        return -1

    def _outside_strings(self, data: bytes) -> bytes:
        """The bytes of ``data`` outside strings (quotes and contents dropped); updates the
        string state for the next read."""
        start = 0
        if self.in_string:
            start, self.escaped = (1 if self.escaped else 0), False
            end = _STRING_REST.match(data, start).end()  # type: ignore[union-attr]
            if end >= len(data) - 1 and data[end:] != b'"':  # the string goes on
                self.escaped = data[end:] == b"\\"
                return b""
            start, self.in_string = end + 1, False
        outside = _STRING.sub(b"", data[start:])
        opened = outside.find(b'"')
        if opened < 0:
            return outside
        rest = outside[opened + 1 :]  # an open string: no closing quote in this read
        self.in_string = True
        self.escaped = _STRING_REST.match(rest).end() < len(rest)  # type: ignore[union-attr]
        return outside[:opened]


def _offset_past(data: bytes, limit: int, depth: int, in_string: bool, escaped: bool) -> int:
    """The offset just after the bracket that takes the depth past ``limit`` (read once, at
    the failure, so a plain loop does)."""
    for index, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return index + 1
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return len(data)
