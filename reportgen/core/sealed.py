"""A private copy of an input file that cannot change once made, for readers that open it
more than once.

A workbook is checked by the guard, then read by calamine or openpyxl, then read again for
a diagnosis; each opened the path anew, so a cell-range bomb renamed over the checked file
in between was read unchecked and aborted calamine (twenty-second adversarial pass). The
file is copied once, from one open, into memory that only this process can reach (a
Linux ``memfd``, sealed against writes, so not even a process reaching it through
``/proc`` can change it) or, where there is none, an unnamed temporary file. Every reader
then reads the copy: Python's from byte 0 with a handle of its own (:meth:`reader`), a
library that takes a file name through ``/proc/self/fd`` (:attr:`name`), so that calamine
streams it rather than holding it as bytes: copies as bytes held a 944 MB workbook three
times over, 2.96 GB (twenty-third pass); the memfd holds it once.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import environment_errors
from reportgen.core.safefiles import dense_size, open_regular, too_big

try:  # Linux: file seals
    import fcntl

    _SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
except (ImportError, AttributeError):  # pragma: no cover - other systems
    fcntl = None  # type: ignore[assignment]
    _SEALS = 0

_CHUNK = 1 << 20
_HOLES_HINT = "Copy it with 'cp --sparse=never' (or save it again), then run again."


class SealedCopy:
    """The bytes of a regular file as they were read, once; close it when done."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self.size = size

    @classmethod
    def of(cls, path: Path, limit: int, what: str, hint: str | None = None) -> SealedCopy:
        """A copy of the regular file ``path``, refused (InputError) over ``limit`` bytes,
        or when it has holes (a sparse file of zeros costs as if it were written out)."""
        source = open_regular(path, what)
        try:
            dense_size(source, path, limit, what, hint, _HOLES_HINT)
            with environment_errors(path):
                copy = cls(_private_file(), 0)
                try:
                    copy.size = _copy(source, copy._fd, limit, path, what, hint)
                    copy._seal()
                except BaseException:
                    copy.close()
                    raise
            return copy
        finally:
            os.close(source)

    @property
    def name(self) -> str | None:
        """A file name that opens the copy, for a library that takes names; None where the
        system has no ``/proc/self/fd``."""
        name = f"/proc/self/fd/{self._fd}"
        return name if os.path.exists(name) else None

    def _seal(self) -> None:
        if fcntl is not None:
            with contextlib.suppress(OSError):  # a temporary file takes no seals
                fcntl.fcntl(self._fd, fcntl.F_ADD_SEALS, _SEALS)

    def head(self, size: int) -> bytes:
        return os.pread(self._fd, size, 0)

    def reader(self) -> BinaryIO:
        """A handle that reads the copy from byte 0, with a position of its own."""
        return io.BufferedReader(_PositionalReader(self._fd, self.size), _CHUNK)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    __del__ = close  # one dropped without close: its memory is not kept for the run

    def __enter__(self) -> SealedCopy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _private_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("reportgen-input", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    return os.dup(tempfile.TemporaryFile().fileno())  # pragma: no cover - not Linux


def _copy(source: int, target: int, limit: int, path: Path, what: str, hint: str | None) -> int:
    """Bytes copied; the copy stops one byte past ``limit`` (a file that grew meanwhile)."""
    total = 0
    while chunk := os.read(source, min(_CHUNK, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise too_big(total, limit, path, what, hint)
        view = memoryview(chunk)
        while view:
            view = view[os.write(target, view) :]
    return total


class _PositionalReader(io.RawIOBase):
    """Reads a file descriptor by position (pread), so that readers sharing it never move
    each other's place."""

    def __init__(self, fd: int, size: int) -> None:
        super().__init__()
        self._fd, self._size, self._at = fd, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = os.pread(self._fd, len(buffer), self._at)
        buffer[: len(data)] = data
        self._at += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._at = base + offset
        return self._at

    def tell(self) -> int:
        return self._at
