"""Temporary folders that a killed run does not leave behind for ever.

``tempfile.TemporaryDirectory`` removes its folder when the block ends, even on an error
or an interrupt, but not when the process is killed outright (SIGKILL, the out-of-memory
killer): a killed ``--evidence`` read left a copy of a 950 MB workbook in the system temp
folder, and nothing ever removed it. So each folder made here holds an exclusive ``flock``
on itself for as long as its run lives (the kernel drops it when the process dies, however
it dies), and every new one first removes the folders of the same kind that killed runs
left (:func:`reportgen.core.sweeping.sweep_abandoned`: this user's, older than a few
seconds, whose lock nobody holds).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reportgen.core.errors import InputError, lock_errors
from reportgen.core.stopping import stop_signals_held
from reportgen.core.sweeping import sweep_abandoned


@contextlib.contextmanager
def run_temp_dir(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A new folder ``prefix*`` in ``parent`` (the system temp folder by default), held
    locked while the block runs and removed after it; dead runs' folders are swept first."""
    where = Path(parent or tempfile.gettempdir())
    sweep_abandoned(where, prefix, folders=True)
    path: Path | None = None
    fd: int | None = None
    try:
        # Made and removed whole, a stop signal answered after: one that came while the
        # copies in it were deleted left the folder, and the pack's files in it (64b).
        with stop_signals_held():
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        _lock(fd, path)
        yield path
    finally:
        with stop_signals_held():
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            if fd is not None:
                os.close(fd)


def _lock(fd: int, path: Path) -> None:
    """Lock the folder, or say which one a file system refused to lock and where it is
    set: flock's error names no file, and the output's hint misled (pass 66b)."""
    try:
        with lock_errors(path):
            fcntl.flock(fd, fcntl.LOCK_EX)
    except InputError as error:
        error.hint = (
            f"The temporary folder is made in {path.parent}: set TMPDIR to a folder on a "
            "local disk, and run again."
        )
        raise
