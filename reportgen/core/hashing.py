"""Content hashes for document control and manifests."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reportgen.core.errors import InputError, environment_errors
from reportgen.core.safefiles import open_regular

_CHUNK = 1024 * 1024


def file_sha256(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file, read in chunks."""
    with path.open("rb") as handle:
        digest, size = _digest(handle)
    return digest.hexdigest(), size


def fd_sha256(fd: int) -> tuple[str, int]:
    """:func:`file_sha256` of an open file read by position, whatever its handle's mode or
    place: what a command wrote, before it is moved where another file may replace it."""
    digest, size = hashlib.sha256(), 0
    while chunk := os.pread(fd, _CHUNK, size):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _digest(handle: BinaryIO, limit: int | None = None) -> tuple[Any, int]:
    """The SHA-256 of what ``handle`` holds (at most ``limit`` bytes), and its size."""
    digest = hashlib.sha256()
    size = 0
    while limit is None or size < limit:
        chunk = handle.read(_CHUNK if limit is None else min(_CHUNK, limit - size))
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    return digest, size


@dataclass(frozen=True)
class FileState:
    """What changes when a file is written, replaced or renamed over (ctime cannot be set
    back by a user, unlike mtime)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileState:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def file_state(path: Path) -> FileState | None:
    """The state of the file at ``path`` before it is read; None when it cannot be seen
    (the reader then says why)."""
    try:
        return FileState.of(os.stat(path))
    except (OSError, ValueError):
        return None


def read_sha256(path: Path, before: FileState | None, what: str) -> tuple[str, int]:
    """(hex SHA-256, size) of an input a run has read, taken after the read: an InputError
    unless the file is still the one that was there before the read (same state), so the
    hash recorded is of the bytes the result was computed from. Reads at most the size seen
    before (plus one byte), and never a FIFO or a device swapped in since."""
    fd = open_regular(path, what)
    with environment_errors(path), os.fdopen(fd, "rb") as handle:
        digest, size = _digest(handle, (before.size if before else 0) + 1)
        after = FileState.of(os.fstat(handle.fileno()))
    if before is None or after != before or size != before.size:
        raise InputError(
            f"{what} changed while this build read it; the pack would not record the "
            "bytes it was computed from",
            file=path,
            hint="Run the build again once nothing else is writing to that file.",
        )
    return digest.hexdigest(), size
