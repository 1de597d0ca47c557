"""What killed runs leave behind, and removing it safely.

A run killed outright (SIGKILL, the out-of-memory killer) cannot clean up: its temporary
folder (``--evidence``, ``attach``) or its temporary file beside an output (``bundle -o``,
``inventory pull -o``) would stay for ever. So each such entry holds an exclusive ``flock``
while its run lives (the kernel drops it however the process dies), and the next run of
that kind removes the entries of the same prefix whose lock nobody holds.

One rule for both kinds, because each guard closes a hole the other once had:

- only this user's entries of the expected kind, looked at with ``lstat`` (a link is never
  followed, never removed);
- never one younger than ABANDONED_AFTER: a run makes its entry and locks it a moment
  later, and a sweep in that instant must not rob it;
- the lock is taken on the very entry that was looked at (same device and inode, before
  and after), so a name swapped in between is left alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from pathlib import Path

from reportgen.core.removal import remove_tree

try:  # POSIX; elsewhere nothing is locked, so nothing is swept
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

ABANDONED_AFTER = 10.0  # seconds


def sweep_abandoned(folder: Path, prefix: str, *, folders: bool = False) -> list[Path]:
    """Remove the ``prefix*`` entries in ``folder`` that killed runs left (folders when
    ``folders``, else regular files), under the rules of the module; returns them."""
    if fcntl is None:  # pragma: no cover - Windows
        return []
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.name.startswith(prefix)]
    except OSError:
        return []
    return [folder / name for name in names if _remove_abandoned(folder / name, folders)]


def open_to_lock(path: Path, folder: bool = False) -> int | None:
    """A descriptor of ``path`` (no link followed) on which a lock can be taken, or None:
    a file open for writing where it may be, as a Linux NFS client refuses an exclusive
    lock on one open for reading only (EBADF), so a killed run's note or temporary file
    was never settled or swept there (pass 67b); a folder, for reading (it cannot be
    opened otherwise)."""
    flags = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    modes = [os.O_RDONLY | os.O_DIRECTORY] if folder else [os.O_RDWR, os.O_RDONLY]
    for mode in modes:
        try:
            return os.open(path, flags | mode)
        except OSError as exc:
            if mode == modes[-1] or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                return None
    return None


def _remove_abandoned(path: Path, folders: bool) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if folders else stat.S_ISREG(info.st_mode)
    young = time.time() - info.st_mtime < ABANDONED_AFTER
    if not kind_ok or info.st_uid != os.getuid() or young:
        return False
    fd = open_to_lock(path, folders)
    if fd is None:
        return False
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken: its run is dead
            if _same_file(os.fstat(fd), info) and _same_file(os.lstat(path), info):
                _remove(path, folders)
                return True
        return False
    finally:
        os.close(fd)


def _remove(path: Path, folders: bool) -> None:
    if folders:
        # Never across a mount made inside it: shutil.rmtree emptied one (eleventh pass).
        failures = remove_tree(path)
        if failures:
            raise failures[0][1]
    else:
        os.unlink(path)


def _same_file(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)
