"""A folder held open by a descriptor while a run writes temporary files in it.

A build's staging folder and a bundle's temporary zip are made in the folder of their
output and removed from it by name relative to that descriptor, so they go wherever the
folder has been moved meanwhile (sixteenth adversarial pass: a folder renamed during the
run kept a half-written pack of 5.6 MB, or a temporary zip of 210 MB, and the build said
it had removed it). Without descriptors for folders (Windows), by path as before.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from reportgen.core.removal import remove_tree

_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_BY_DESCRIPTOR = {os.mkdir, os.open, os.unlink, os.rmdir, os.stat} <= os.supports_dir_fd
_TRIES = 100  # as tempfile: a name taken 100 times running is no accident


class HeldFolder:
    """The folder at ``path``, open (where the system allows) until :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, _FOLDER_FLAGS) if _BY_DESCRIPTOR else None
        # New files a failed run could not take back out of the folder once it was moved:
        # its error must not say nothing it wrote was left in place (pass 49b)
        self.left_in_place: list[str] = []

    def __enter__(self) -> HeldFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _at(self, name: str) -> str:
        """``name`` as the os functions take it with ``dir_fd=self.fd``."""
        return name if self.fd is not None else str(self.path / name)

    def make_folder(self, prefix: str) -> str:
        """The name of a new, empty folder (mode 0700, as mkdtemp's) made in this one."""
        for _ in range(_TRIES):
            name = prefix + secrets.token_hex(4)
            try:
                os.mkdir(self._at(name), 0o700, dir_fd=self.fd)
            except FileExistsError:
                continue
            return name
        raise FileExistsError(f"no free name starting {prefix!r} in {self.path}")

    def make_file(self, prefix: str) -> tuple[int, str]:
        """(an open descriptor, the name) of a new, empty file (mode 0600, as mkstemp's)."""
        for _ in range(_TRIES):
            name = prefix + secrets.token_hex(4)
            try:
                return os.open(self._at(name), _NEW_FILE, 0o600, dir_fd=self.fd), name
            except FileExistsError:
                continue
        raise FileExistsError(f"no free name starting {prefix!r} in {self.path}")

    def remove_folder(self, name: str) -> list[tuple[str, OSError]]:
        """Remove the folder ``name`` and all in it (remove_tree: never across a mount)."""
        return remove_tree(Path(self._at(name)), dir_fd=self.fd)

    def identity(self, name: str) -> tuple[int, int, int, int] | None:
        """Device, inode, size and modification time of ``name`` here (never through a
        link), as movejournal.identity_of gives them; None when there is none."""
        try:
            info = os.stat(self._at(name), dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return None
        return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns

    def replace(self, source: str, target: str) -> None:
        """Rename ``source`` over ``target``, both in this folder wherever it is now."""
        if self.fd is None:
            os.replace(self._at(source), self._at(target))
        else:
            os.replace(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def remove_file(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._at(name), dir_fd=self.fd)

    def holds(self, name: str) -> bool:
        """Whether ``name`` is still in this folder, wherever it is now."""
        try:
            os.stat(self._at(name), dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return False
        return True

    def now(self) -> Path | None:
        """Where the folder is now, where the system tells (Linux); None when it cannot,
        or the folder was removed."""
        if self.fd is None:
            return None
        try:
            found = os.readlink(f"/proc/self/fd/{self.fd}")
        except OSError:
            return None
        return None if found.endswith(" (deleted)") or not found.startswith("/") else Path(found)

    def moved(self) -> bool:
        """Whether ``path`` no longer names this folder (renamed or removed meanwhile)."""
        if self.fd is None:
            return not self.path.is_dir()
        try:
            here = os.stat(self.path)
        except OSError:
            return True
        held = os.fstat(self.fd)
        return (here.st_dev, here.st_ino) != (held.st_dev, held.st_ino)
