"""Temporary folders that a killed run does not leave behind for ever.

``tempfile.TemporaryDirectory`` removes its folder when the block ends, even on an error
or an interrupt, but not when the process is killed outright (SIGKILL, the out-of-memory
killer): a killed ``--evidence`` read left a copy of a 950 MB workbook in the system temp
folder, and nothing ever removed it. So each folder made here holds an exclusive ``flock``
on itself for as long as its run lives (the kernel drops it when the process dies, however
it dies), and every new one first removes the folders of the same kind, owned by this user,
whose lock nobody holds any more.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def run_temp_dir(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A new folder ``prefix*`` in ``parent`` (the system temp folder by default), held
    locked while the block runs and removed after it; dead runs' folders are swept first."""
    where = Path(parent or tempfile.gettempdir())
    sweep(prefix, where)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep(prefix: str, where: Path) -> list[Path]:
    """Remove the ``prefix*`` folders in ``where`` that are this user's and that no live
    run holds; returns them. A folder that cannot be opened or locked is left alone."""
    removed = []
    with contextlib.suppress(OSError):
        with os.scandir(where) as entries:
            candidates = [
                Path(entry.path)
                for entry in entries
                if entry.name.startswith(prefix) and _ours(entry)
            ]
        for path in candidates:
            if _abandoned(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _ours(entry: os.DirEntry) -> bool:
    try:
        stat = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return entry.is_dir(follow_symlinks=False) and stat.st_uid == os.getuid()


def _abandoned(path: Path) -> bool:
    """True when nobody holds the folder's lock (its run is dead), taking it to remove it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # the lock, if taken, goes with it; the folder is removed next
    return True
