"""Reading files that must be regular files of a bounded size.

A FIFO never reaches end of file, ``/dev/zero`` never ends and reports a size of 0, and a
sparse file can claim 16 GB while taking no disk: ``stat`` says what a path is before
anything opens it, and the open file's own ``fstat`` says it again (the path may have been
swapped in between). Only then is the size checked against its cap, and the read stops one
byte past the cap in case the file grows while it is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError, environment_error

_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)
_CHUNK = 1024 * 1024


def file_kind(mode: int) -> str:
    """What a stat mode says a path is, in words ("a FIFO (named pipe)")."""
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def _refuse_kind(mode: int, path: Path, what: str) -> InputError:
    return InputError(f"{what} is {file_kind(mode)}, not a regular file", file=path)


def stat_input(path: Path, what: str, *, follow_symlinks: bool = True) -> os.stat_result:
    """The stat of an input the user named, refused when there is none: missing, behind a
    symbolic link that loops (``pathlib.Path.exists`` says False for both), or refused
    by the machine. ``what`` names it at the start of a message ("inventory file")."""
    try:
        return os.stat(path, follow_symlinks=follow_symlinks)
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a stat that follows links: ELOOP is a loop, nothing else
            raise InputError(
                f"{what} cannot be reached: a symbolic link on its path loops (too many "
                "levels of symbolic links)",
                file=path,
                hint="Check where each link points (ls -l): one leads back to itself.",
            ) from None
        raise environment_error(exc, path) from exc


def open_regular(path: Path, what: str, *, follow_symlinks: bool = True) -> int:
    """An fd of ``path`` opened for reading, refused unless it is a regular file. ``what``
    names it at the start of a message ("YAML file", "the manifest").

    ``stat`` first, so a FIFO or a device is never opened; O_NONBLOCK, so a FIFO swapped in
    after that cannot block the open; ``fstat`` of the open file last, which is what counts.
    """
    before = stat_input(path, what, follow_symlinks=follow_symlinks)
    if not stat.S_ISREG(before.st_mode):
        raise _refuse_kind(before.st_mode, path, what)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise InputError(f"{what} is a symbolic link", file=path) from exc
        raise environment_error(exc, path) from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _refuse_kind(mode, path, what)
    return fd


def too_big(size: int, limit: int, path: Path, what: str, hint: str | None = None) -> InputError:
    return InputError(
        f"{what} is {size:,} bytes, over the limit of {limit:,} bytes", file=path, hint=hint
    )


def read_fd(fd: int, limit: int, path: Path, what: str, hint: str | None = None) -> bytes:
    """Every byte of an open regular file of at most ``limit`` bytes: the size ``fstat``
    reports is checked before the first read, and the read stops one byte past the limit."""
    try:
        size = os.fstat(fd).st_size
    except OSError as exc:  # a network file system's stale handle named no file (58b)
        raise environment_error(exc, path) from exc
    if size > limit:
        raise too_big(size, limit, path, what, hint)
    chunks, total = [], 0
    try:
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise too_big(total, limit, path, what, hint)
    except BlockingIOError:  # only a non-regular file blocks; open_regular refused those
        raise InputError(f"{what} cannot be read without waiting", file=path) from None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    return b"".join(chunks)


def open_input(path: Path, what: str = "inventory file") -> BinaryIO:
    """``path`` open for reading, refused unless a regular file (:func:`open_regular`: never
    a blocking open): an inventory swapped for a FIFO after its check hung the build in
    open() (twenty-second adversarial pass)."""
    return os.fdopen(open_regular(path, what), "rb")


def read_regular(
    path: Path, limit: int, what: str, *, follow_symlinks: bool = True, hint: str | None = None
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; InputError otherwise."""
    fd = open_regular(path, what, follow_symlinks=follow_symlinks)
    try:
        return read_fd(fd, limit, path, what, hint)
    finally:
        os.close(fd)


def read_dense(path: Path, limit: int, what: str, hint: str | None = None) -> bytes:
    """:func:`read_regular`, refusing a file with holes whatever its size: a sparse file of
    zeros is never something a person wrote, and reading it costs as if it were (a 60 MB
    template of NULs grew to 9.9 GB in Jinja and WeasyPrint: fourteenth adversarial pass)."""
    fd = open_regular(path, what)
    try:
        dense_size(fd, path, limit, what, hint)
        return read_fd(fd, limit, path, what, hint)
    finally:
        os.close(fd)


def dense_size(
    fd: int, path: Path, limit: int, what: str, hint: str | None = None, holes_hint: str = ""
) -> int:
    """The size of the open regular file ``fd``; InputError when it is over ``limit`` bytes
    or has holes (``holes_hint``, else ``hint``, says what to do then)."""
    size = os.fstat(fd).st_size
    if size > limit:
        raise too_big(size, limit, path, what, hint)
    if has_holes(fd, size):
        raise InputError(
            f"{what} is a sparse file ({size:,} bytes, with holes)",
            file=path,
            hint=holes_hint or hint,
        )
    return size


def has_holes(fd: int, size: int) -> bool:
    """Whether the open file has a hole (``truncate -s 1T`` makes one of a terabyte):
    SEEK_HOLE finds the first; a file system that cannot tell says there is none."""
    if size == 0 or not hasattr(os, "SEEK_HOLE"):
        return False
    try:
        first_hole = os.lseek(fd, 0, os.SEEK_HOLE)
    except OSError:
        return False
    finally:
        os.lseek(fd, 0, os.SEEK_SET)
    return first_hole < size
