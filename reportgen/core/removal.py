"""Deleting a folder reportgen made, and all in it, without ever leaving it: links inside
are removed, never followed, and a file system mounted inside is left in place."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from reportgen.core.mounts import mount_points


def remove_tree(path: Path, dir_fd: int | None = None) -> list[tuple[str, OSError]]:
    """Delete the directory ``path`` and all in it, links inside removed, never followed;
    what could not be deleted, as (path, error), else []. With ``dir_fd``, ``path`` is
    relative to the folder open there, wherever that folder has been moved (so are the
    paths returned).

    Never across a file system boundary: a folder on another device than ``path`` (st_dev),
    or a mount point (a bind mount of the same file system: /proc/self/mountinfo), is left
    in place, with all on it, and returned as EBUSY naming it. shutil.rmtree entered such a
    mount and, as a discarded pack kept it, emptied it again on every later build."""
    failures: list[tuple[str, OSError]] = []
    try:
        top = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [(str(path), exc)]
    if not stat.S_ISDIR(top.st_mode):
        return [(str(path), NotADirectoryError(errno.ENOTDIR, "not a folder", str(path)))]
    mounts = mount_points()
    folders = [str(path)]
    try:
        for where, subfolders, files, fd in os.fwalk(path, follow_symlinks=False, dir_fd=dir_fd):
            _unlink_all(where, files, fd, failures)
            for name in list(subfolders):
                kept = _not_to_enter(where, name, fd, top.st_dev, mounts, failures)
                if kept:
                    subfolders.remove(name)
                else:
                    folders.append(os.path.join(where, name))
    except OSError as exc:
        failures.append((str(path), exc))
    for folder in reversed(folders):  # the deepest first
        try:
            os.rmdir(folder, dir_fd=dir_fd)
        except OSError as exc:
            failures.append((folder, exc))
    return [(name, error) for name, error in failures if not isinstance(error, FileNotFoundError)]


def _unlink_all(where: str, files: list[str], fd: int, failures: list) -> None:
    for name in files:
        try:
            os.unlink(name, dir_fd=fd)
        except OSError as exc:
            failures.append((os.path.join(where, name), exc))


def _not_to_enter(
    where: str, name: str, fd: int, device: int, mounts: set[bytes], failures: list
) -> bool:
    """Whether remove_tree leaves the folder ``name`` alone: a link to one (removed here,
    never followed), one that is gone, or a mount (left in place, with a failure naming it)."""
    full = os.path.join(where, name)
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return True
    if not stat.S_ISDIR(info.st_mode):  # a link to a folder: the link goes, not its target
        try:
            os.unlink(name, dir_fd=fd)
        except OSError as exc:
            failures.append((full, exc))
        return True
    if info.st_dev != device or os.fsencode(_real_path(full, fd, name)) in mounts:
        busy = OSError(errno.EBUSY, "a file system is mounted on it; left in place", full)
        failures.append((full, busy))
        return True
    return False


def _real_path(full: str, fd: int, name: str) -> str:
    """Where the folder ``name`` in the folder open at ``fd`` is now: ``full`` may be
    relative to a folder open elsewhere (remove_tree's dir_fd), or name a folder renamed
    since. /proc knows (Linux, the one system whose mounts remove_tree reads)."""
    try:
        return os.path.join(os.readlink(f"/proc/self/fd/{fd}"), name)
    except OSError:
        return os.path.realpath(full)
