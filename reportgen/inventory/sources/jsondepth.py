"""Where JSON bytes open and close strings, and how deep they nest, tracked before the parser
sees them.

Every open container costs the walk a JSON path part and a prefix ('x.item.item...'), so
nesting n deep costs O(n²) (with ijson's ``parse``, used before, a 400 KB file of 200,000 '['
took 10.5 GB and 70 s). So the raw bytes are scanned here, read by read, and only when a
read could pass the limit is the running depth followed bracket by bracket.

Every step is a C call over a whole read, never a Python step per byte, escape or string
(a regular expression over strings took 1 s per 4 MB string of ``\\ud83d``-style escapes and
minutes for one of ``\\"``): first each escape pair that could hide or fake a quote (``\\\\``
and ``\\"``) becomes two plain bytes, keeping every offset (:meth:`DepthTracker.plain`:
``bytes.replace`` pairs backslashes left to right, as a JSON reader does); then every quote
left opens or closes a string, so the bytes outside strings are every other piece between
quotes (``bytes.split``), and their brackets are counted.
"""

from __future__ import annotations

import itertools

_BRACKETS = b"[]{}"
_OTHER = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1
_NEUTRAL = b"__"  # what an escape pair becomes: neither a quote nor a backslash


class DepthTracker:
    """Follows the strings and nesting of JSON bytes fed in order: :meth:`plain` first, then
    :meth:`feed` with what it returned. ``feed`` says where in a read the depth first passes
    ``limit`` (the offset just after that bracket), or -1."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0  # open containers at the end of what was fed
        self.in_string = False
        self.escaped = False  # the last byte made plain was a backslash starting an escape

    def plain(self, data: bytes) -> bytes:
        """``data`` with its escaped backslashes and quotes made plain bytes, of the same
        length: every quote in what is returned opens or closes a string."""
        if self.escaped and data:  # the previous read ended on the backslash of this escape
            data = b"_" + data[1:]
        if b"\\" not in data:
            self.escaped = False
            return data
        data = data.replace(b"\\\\", _NEUTRAL).replace(b'\\"', _NEUTRAL)
        self.escaped = data.endswith(b"\\")  # one left over at the end escapes the next byte
        return data

    def feed(self, plain: bytes) -> int:
        if not plain:
            return -1
        depth, in_string = self.depth, self.in_string
        pieces = plain.split(b'"')
        structure = b"".join(pieces[1::2] if in_string else pieces[0::2])
        if len(pieces) % 2 == 0:  # an odd number of quotes
            self.in_string = not in_string
        opens = structure.count(b"[") + structure.count(b"{")
        if depth + opens > self.limit:  # it may pass the limit: follow it exactly
            brackets = structure.translate(None, _OTHER)
            steps = itertools.accumulate(map(_DELTA.__getitem__, brackets), initial=depth)
            if max(steps) > self.limit:
                return _offset_past(plain, self.limit, depth, in_string)
        self.depth += opens - structure.count(b"]") - structure.count(b"}")
        return -1


def _offset_past(plain: bytes, limit: int, depth: int, in_string: bool) -> int:
    """The offset just after the bracket that takes the depth past ``limit`` (read once, at
    the failure, so a plain loop does; escapes were made plain)."""
    for index, byte in enumerate(plain):
        if byte == 0x22:
            in_string = not in_string
        elif in_string:
            continue
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return index + 1
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return len(plain)
