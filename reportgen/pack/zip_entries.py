"""Reading a zip from the front, one local file header at a time, with bounded reads.

``bundle -o`` must tell an earlier bundle (replaced on a re-run) from a user's own zip
(kept unless --force) without trusting the central directory at the end of a file of any
size: the entries are walked from offset 0, each header read on its own (30 bytes and its
name), each entry's data skipped by the size the header gives. Only when every name is a
bundle's is each entry's data inflated, in chunks and never past the size it claims
(entry_bytes, entry_sha256), so that a file edited inside the zip is told from the one
its manifest lists without holding either whole. Only what bundle writes is followed: no
data descriptor, no encryption, no zip64 sizes (bundle's files are at most 1024 MB;
zipfile switches to zip64 past 2 GB).
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # a local file header's fixed 30 bytes
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIGNATURE = b"PK\x01\x02"  # the central directory follows the last entry
_ENCRYPTED, _DATA_DESCRIPTOR = 0x01, 0x08
_STORED, _DEFLATED = 0, 8
_ZIP64 = 0xFFFFFFFF
_CHUNK = 1024 * 1024  # compressed bytes read at a time


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
    data = bytearray()
    return bytes(data) if _inflate(fd, entry, limit, data.extend) else None


def entry_sha256(fd: int, entry: LocalEntry, limit: int) -> str | None:
    """SHA-256 of the inflated bytes of ``entry``, as entry_bytes checks and bounds them,
    inflated and hashed in chunks (an entry may be up to a pack file's cap: 1024 MB)."""
    digest = hashlib.sha256()
    return digest.hexdigest() if _inflate(fd, entry, limit, digest.update) else None


def _inflate(fd: int, entry: LocalEntry, limit: int, sink: Callable[[bytes], object]) -> bool:
    """Feed ``sink`` the inflated bytes of ``entry`` in chunks; False (part of it may have
    been fed) when it holds more than ``limit`` bytes or is damaged: more or fewer bytes
    than its header says, a CRC-32 that differs, a deflate stream that ends early or late.
    Reads at most its compressed size (itself capped by ``limit``), inflates at most one
    byte past its size."""
    if entry.size > limit or entry.compressed > _deflate_bound(entry.size):
        return False
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if entry.method == _DEFLATED else None
    crc, produced, offset = 0, 0, entry.data_at
    while offset < entry.end:
        data = os.pread(fd, min(_CHUNK, entry.end - offset), offset)
        if not data:
            return False  # the file ends inside the entry
        offset += len(data)
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:  # at most one byte past the size: max_length is never 0 (unbounded) here
                    out = inflater.decompress(data, entry.size + 1 - produced)
                except zlib.error:
                    return False
                data = inflater.unconsumed_tail
                if inflater.eof and (inflater.unused_data or offset < entry.end):
                    return False  # bytes after the end of the deflate stream
            produced += len(out)
            if produced > entry.size:
                return False
            crc = zlib.crc32(out, crc)
            sink(out)
    if inflater is not None and not inflater.eof:
        return False
    return produced == entry.size and crc == entry.crc


def _deflate_bound(size: int) -> int:
    """The most compressed bytes ``size`` bytes take, stored or deflated (generously)."""
    return size + size // 1000 + 1024


def central_directory_at(fd: int, offset: int) -> bool:
    """Whether the central directory starts at ``offset`` (no further entry before it)."""
    return os.pread(fd, len(_CENTRAL_SIGNATURE), offset) == _CENTRAL_SIGNATURE


_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # a central directory record's fixed 46 bytes
MOST_DIRECTORY_BYTES = 1 << 20  # a bundle's directory: some 150 bytes a file


def directory_records(fd: int, offset: int, length: int) -> list[tuple[bytes, int]] | None:
    """The central directory's records at ``offset`` (``length`` bytes), each its name and
    its local header's offset; None where it is not one as bundle writes it: a record with
    a comment or an extra field, one past the directory, or bytes left after the last (a
    comment on one file, 76b; a record zipfile lists and reads that no entry before the
    directory holds)."""
    if length > MOST_DIRECTORY_BYTES:
        return None
    data = os.pread(fd, length, offset)
    records, at = [], 0
    while at < len(data):
        if len(data) - at < _CENTRAL.size:
            return None
        fields = _CENTRAL.unpack_from(data, at)
        signature, name_length, extra_length, comment_length = fields[0], *fields[10:13]
        local_offset = fields[16]
        end = at + _CENTRAL.size + name_length
        if signature != _CENTRAL_SIGNATURE or extra_length or comment_length or end > len(data):
            return None
        records.append((data[at + _CENTRAL.size : end], local_offset))
        at = end
    return records if len(data) == length else None
