"""Unpacking a gzip export with its cost bounded by the size limit.

Python's ``gzip`` walks every member and every header byte in Python before it yields a
byte: a 100 MB file of five million empty members (it unpacks to nothing) took 42 s, and a
100 MB file name in one header 19 s, whatever ``--max-export-mb`` said (fifth adversarial
pass). Here zlib parses each member's header, checksum and length in C, and two bounds make
the work proportional to the limit, as for a plain file:

- the packed bytes read may not pass the limit (plus 1 MB of headers): a real gzip is
  smaller than what it unpacks to;
- the members may not pass ``FREE_MEMBERS`` plus one per ``BYTES_PER_MEMBER`` unpacked
  (bgzip's blocks hold 64 KB; ``cat a.gz b.gz`` makes a member per file), since each
  member costs a fixed amount of work however little it holds.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError

MAGIC = b"\x1f\x8b"
FREE_MEMBERS = 1_000
BYTES_PER_MEMBER = 4_096
HEADER_ALLOWANCE = 1024 * 1024  # packed bytes allowed past the limit: headers, trailers
_FEED = 64 * 1024  # packed bytes given to zlib at once (what a member's end copies)
_GZIP = 16 + zlib.MAX_WBITS


class ByteStream(io.RawIOBase):
    """A read-only stream over ``source`` whose subclass gives ``read``; closing it closes
    the source (the export readers stack one on another)."""

    source: BinaryIO

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.source.close()
        super().close()


class PackedTooLarge(InputError):
    """More packed bytes than the limit allows (plus HEADER_ALLOWANCE)."""


class GunzipReader(ByteStream):
    """The unpacked bytes of every member of the gzip stream ``raw``, in order."""

    def __init__(self, raw: BinaryIO, path: Path, limit: int, flag: str) -> None:
        self.source, self.path, self.limit, self.flag = raw, path, limit, flag
        self.members = self.produced = self.packed = 0
        self._inflater: zlib._Decompress | None = None
        self._rest = b""  # packed bytes read past the end of the last member

    def read(self, size: int = -1) -> bytes:
        size = size if size is not None and size > 0 else _FEED
        while self._inflater is not None or self._next_member():
            inflater = self._inflater
            assert inflater is not None
            source = inflater.unconsumed_tail or self._feed()
            if not source:
                raise self._damaged("is cut short")
            try:
                data = inflater.decompress(source, size)
            except zlib.error as exc:
                raise self._damaged(f"is damaged ({exc})") from exc
            self.produced += len(data)
            if inflater.eof:
                self._rest, self._inflater = inflater.unused_data, None
            if data:
                return data
        return b""

    def _damaged(self, why: str) -> InputError:
        return InputError(f"cannot read the file: the gzip data {why}", file=self.path)

    def _feed(self) -> bytes:
        if self._rest:
            data, self._rest = self._rest, b""
            return data
        data = self.source.read(_FEED)
        self.packed += len(data)
        if self.packed > self.limit + HEADER_ALLOWANCE:
            raise PackedTooLarge(
                f"the gzip file is larger than {self.limit // (1024 * 1024):,} MB, the most "
                "an export may unpack to",
                file=self.path,
                hint=f"Raise {self.flag} if this file is genuine.",
            )
        return data

    def _next_member(self) -> bool:
        """Start the next member; False at the end of the file (or of its zero padding)."""
        start = self._feed()
        while start and not start[0]:  # zero padding between or after members, as gzip
            start = start.lstrip(b"\0") or self._feed()
        if not start:
            return False
        self.members += 1
        if self.members > FREE_MEMBERS + self.produced // BYTES_PER_MEMBER:
            raise InputError(
                f"the gzip file holds more than {self.members - 1:,} members for the "
                f"{self.produced:,} bytes they unpack to; refusing it, as its cost is not "
                "bounded by what it holds",
                file=self.path,
                hint="Unpack it and compress it again with gzip, or give it unpacked.",
            )
        self._inflater = zlib.decompressobj(_GZIP)
        self._rest = start
        return True
