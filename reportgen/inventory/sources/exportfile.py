"""Opening an export file (plain or gzipped) as a byte stream that keeps to the size limit.

Exports are read as streams, never whole: a Cost and Usage Report or an organisation's AWS
Config query can be gigabytes. The limit counts the bytes handed to the parser, so a small
gzip that unpacks to terabytes stops at the same point as a plain file of that size.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError
from reportgen.core.safefiles import open_input
from reportgen.inventory.sources.gunzip import (
    HEADER_ALLOWANCE,
    ByteStream,
    GunzipReader,
    PackedTooLarge,
)
from reportgen.inventory.sources.gunzip import MAGIC as GZIP_MAGIC

HEAD_BYTES = 64 * 1024


class LimitedReader(ByteStream):
    """A readable byte stream that raises an InputError past ``limit`` bytes."""

    def __init__(self, inner: BinaryIO, path: Path, limit: int, flag: str) -> None:
        self.source, self.path, self.limit, self.flag = inner, path, limit, flag
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        return self._read(size if size is not None and size >= 0 else 1 << 20)

    def _read(self, size: int) -> bytes:
        try:
            data = self.source.read(size)
        except (OSError, EOFError, zlib.error) as exc:  # a damaged or truncated gzip
            raise InputError(f"cannot read the file: {exc}", file=self.path) from exc
        self.count += len(data)
        if self.count > self.limit:
            raise InputError(
                f"the export holds more than {self.limit // (1024 * 1024):,} MB"
                + (" once unpacked" if isinstance(self.source, GunzipReader) else ""),
                file=self.path,
                hint=f"Raise {self.flag} if this file is genuine.",
            )
        return data


def is_gzip(path: Path) -> bool:
    with open_input(path) as handle:
        return handle.read(2) == GZIP_MAGIC


def open_export(path: Path, limit: int, flag: str = "--max-export-mb") -> LimitedReader:
    """The file's bytes, unpacked when it is gzipped, refused past ``limit`` bytes."""
    raw: BinaryIO = open_input(path)
    gzipped = raw.read(2) == GZIP_MAGIC
    raw.seek(0)
    if gzipped:
        raw = GunzipReader(raw, path, limit, flag)  # type: ignore[assignment]
    return LimitedReader(raw, path, limit, flag)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of the file's content, unpacked when it is gzipped. A gzip is read
    no further than ``size`` packed bytes plus 1 MB of headers: unbounded, an empty member
    before 20 GB of zero padding was read to its end before --max-export-mb 1 was checked
    (eighth adversarial pass)."""
    with open_export(path, limit=size) as stream:
        try:
            return stream.read(size)
        except PackedTooLarge:
            raise InputError(
                f"the gzip file's first {size // 1024} KB of content are not in its first "
                f"{(size + HEADER_ALLOWANCE) // 1024:,} KB (zero padding, empty members or a "
                "huge header): not an export reportgen reads",
                file=path,
                hint="Unpack it and compress it again with gzip, or give it unpacked.",
            ) from None
