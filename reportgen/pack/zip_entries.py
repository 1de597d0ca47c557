"""Reading a zip from the front, one local file header at a time, with bounded reads.

``bundle -o`` must tell an earlier bundle (replaced on a re-run) from a user's own zip
(kept unless --force) without reading either whole, and without trusting the central
directory at the end of a file of any size: the entries are walked from offset 0, each
header read on its own (30 bytes and its name), each entry's data skipped by the size the
header gives. Only what bundle writes is followed: no data descriptor, no encryption, no
zip64 sizes (bundle's files are at most 1024 MB; zipfile switches to zip64 past 2 GB).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # a local file header's fixed 30 bytes
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIGNATURE = b"PK\x01\x02"  # the central directory follows the last entry
_ENCRYPTED, _DATA_DESCRIPTOR = 0x01, 0x08
_STORED, _DEFLATED = 0, 8
_ZIP64 = 0xFFFFFFFF


@dataclass(frozen=True)
class LocalEntry:
    name: bytes  # as stored: UTF-8 (flag 0x800) or ASCII for the names bundle writes
    method: int
    crc: int
    compressed: int  # bytes of data after the header
    size: int  # bytes once inflated
    data_at: int  # offset of the entry's data

    @property
    def end(self) -> int:
        """Where the next entry's header (or the central directory) starts."""
        return self.data_at + self.compressed


def local_entry(fd: int, offset: int) -> LocalEntry | None:
    """The entry whose local header is at ``offset``, or None when there is none there, or
    it is one bundle never writes (encrypted, a data descriptor, zip64 sizes, a method
    other than stored or deflated)."""
    header = os.pread(fd, _LOCAL.size, offset)
    if len(header) < _LOCAL.size:
        return None
    signature, _, flags, method, _, _, crc, compressed, size, name_length, extra_length = (
        _LOCAL.unpack(header)
    )
    if signature != _LOCAL_SIGNATURE or flags & (_ENCRYPTED | _DATA_DESCRIPTOR):
        return None
    if method not in (_STORED, _DEFLATED) or _ZIP64 in (compressed, size):
        return None
    name = os.pread(fd, name_length, offset + _LOCAL.size)
    if len(name) < name_length:
        return None
    data_at = offset + _LOCAL.size + name_length + extra_length
    return LocalEntry(name, method, crc, compressed, size, data_at)


def entry_bytes(fd: int, entry: LocalEntry, limit: int) -> bytes | None:
    """The inflated bytes of ``entry``, checked against its CRC-32; None when it holds more
    than ``limit`` bytes (by its header, then as it inflates) or is damaged. Reads at most
    ``limit`` plus deflate's worst-case overhead."""
    if entry.size > limit or entry.compressed > limit + limit // 1000 + 1024:
        return None
    data = os.pread(fd, entry.compressed, entry.data_at)
    if len(data) < entry.compressed:
        return None
    if entry.method == _DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, entry.size + 1)
        except zlib.error:
            return None
        if not inflater.eof:
            return None
    if len(data) != entry.size or zlib.crc32(data) != entry.crc:
        return None
    return data


def central_directory_at(fd: int, offset: int) -> bool:
    """Whether the central directory starts at ``offset`` (no further entry before it)."""
    return os.pread(fd, len(_CENTRAL_SIGNATURE), offset) == _CENTRAL_SIGNATURE
