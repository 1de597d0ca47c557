"""The mount table as reportgen needs it (Linux /proc/self/mountinfo): which folders are
mount points, and where else a folder reached through a bind mount can be seen. Elsewhere,
or where the table cannot be read, there are no mounts to find and no aliases."""

from __future__ import annotations

import ctypes
import os
import re
from dataclasses import dataclass
from pathlib import Path

MOUNT_TABLE = Path("/proc/self/mountinfo")
_MAX_HOPS = 16  # a bind mount of a bind mount of ...: enough for any real set-up
# File systems whose files are the kernel's state made up as they are read, not data on a
# disk: their sizes mean nothing (/proc reports 0, /sys 4096) and some never end.
KERNEL_FILE_SYSTEMS = frozenset(
    b"proc sysfs debugfs tracefs securityfs configfs cgroup cgroup2 bpf pstore efivarfs "
    b"fusectl binfmt_misc selinuxfs nsfs rpc_pipefs devpts mqueue".split()
)


@dataclass(frozen=True)
class Mount:
    """One line of the table: the file system (``device``, major:minor), the folder of it
    that is mounted (``root``, within that file system) and where (``point``)."""

    device: bytes
    root: bytes
    point: bytes
    kind: bytes = b""  # the file system type ("ext4", "proc"), after the " - " separator


def mount_table() -> list[Mount]:
    """Every mount of the table; empty where there is none to read."""
    try:
        lines = MOUNT_TABLE.read_bytes().splitlines()
    except OSError:
        return []
    return [mount for line in lines if (mount := _parsed(line)) is not None]


def mount_points() -> set[bytes]:
    """Every mount point of the mount table, resolved paths as bytes."""
    return {mount.point for mount in mount_table()}


def kernel_file_system(
    device: int, path: str | Path | None = None, fd: int | None = None
) -> str | None:
    """The type of kernel file system ("proc", "sysfs") the device of a stat (``st_dev``)
    is mounted as, or None: a file system on a disk. The mount table is read first; where it
    does not list the device, the file system of ``fd`` or ``path`` is asked (statfs): with
    no table (no /proc) a config file of /sys was read as one (twenty-sixth pass), and a
    /proc of another mount namespace, reached as /proc/<pid>/root/proc, is in no table of
    this one (its environ was sent to STS as a web identity token: thirty-fifth pass)."""
    wanted = f"{os.major(device)}:{os.minor(device)}".encode()
    for mount in mount_table():
        if mount.device == wanted and mount.kind in KERNEL_FILE_SYSTEMS:
            return mount.kind.decode()
    if fd is not None:
        return _statfs_kind(fd)
    return _statfs_kind(path) if path is not None else None


def kernel_file_words(kind: str) -> str:
    """How a message says what a file of kernel file system ``kind`` is."""
    return f"a file of the kernel's {kind} file system (the machine's state, made up as it is read)"


# statfs' f_type of the kernel file systems above (linux/magic.h).
_MAGIC = {
    0x9FA0: "proc", 0x62656572: "sysfs", 0x64626720: "debugfs", 0x74726163: "tracefs",
    0x73636673: "securityfs", 0x62656570: "configfs", 0x27E0EB: "cgroup",
    0x63677270: "cgroup2", 0xCAFE4A11: "bpf", 0x6165676C: "pstore", 0xDE5E81E4: "efivarfs",
    0x65735543: "fusectl", 0x42494E4D: "binfmt_misc", 0xF97CFF8C: "selinuxfs",
    0x6E736673: "nsfs", 0x67596969: "rpc_pipefs", 0x1CD1: "devpts", 0x19800202: "mqueue",
}  # fmt: skip


def _statfs_kind(where: str | Path | int) -> str | None:
    """The kernel file system ``where`` (a path, or an open descriptor: fstatfs) is on, by
    statfs' f_type; None elsewhere, or where statfs cannot be called (not Linux's libc)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        buffer = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes; f_type first
        if isinstance(where, int):
            failed = libc.fstatfs(where, buffer) != 0
        else:
            failed = libc.statfs(os.fsencode(where), buffer) != 0
        if failed:
            return None
    except (OSError, AttributeError, TypeError, ValueError):
        return None
    return _MAGIC.get(ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF)


def _parsed(line: bytes) -> Mount | None:
    fields = line.split(b" ")
    if len(fields) < 5:
        return None
    # Optional fields (shared:1, master:2) come between the mount point and " - ".
    rest = fields[fields.index(b"-", 5) + 1 :] if b"-" in fields[5:] else []
    kind = rest[0] if rest else b""
    return Mount(fields[2], _unescaped(fields[3]), _unescaped(fields[4]), kind)


def _unescaped(field: bytes) -> bytes:
    """Spaces, tabs, newlines and backslashes come as \\040 and the like."""
    return re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), field)


def aliases(path: Path, table: list[Mount] | None = None) -> list[Path]:
    """Other paths that reach the folder ``path`` reaches (links resolved) through a bind
    mount: a folder bound elsewhere is also seen where it was bound from, and a check that
    walks up from a path (is it inside a pack?) must walk up from those too."""
    table = mount_table() if table is None else table
    start = Path(os.path.realpath(path))
    found: list[Path] = []
    pending = [start]
    while pending and len(found) < _MAX_HOPS:
        for alias in _through_nearest_mount(os.fsencode(pending.pop()), table):
            if alias not in found and alias != start:
                found.append(alias)
                pending.append(alias)
    return found


def _through_nearest_mount(path: bytes, table: list[Mount]) -> list[Path]:
    """``path`` as seen through the other mounts of the file system of its nearest mount
    point, where they show the folder that mount point shows."""
    nearest = _nearest_mount(path, table)
    if nearest is None:
        return []
    below = path[len(nearest.point) :].lstrip(b"/")
    seen = nearest.root.rstrip(b"/") + b"/" + below if below else nearest.root
    found = []
    for other in table:
        if other.device != nearest.device or other.point == nearest.point:
            continue
        if (within := _within(seen, other.root)) is not None:
            found.append(Path(os.fsdecode(os.path.join(other.point, within))))
    return found


def _nearest_mount(path: bytes, table: list[Mount]) -> Mount | None:
    """The mount of the table ``path`` is on (the last mounted at its longest mount point)."""
    best: Mount | None = None
    for mount in table:
        longer = best is None or len(mount.point) >= len(best.point)
        if longer and _within(path, mount.point) is not None:
            best = mount
    return best


def _within(path: bytes, folder: bytes) -> bytes | None:
    """``path`` relative to ``folder`` (b"" for the folder itself), or None if outside."""
    if folder == b"/" or path == folder:
        return path[len(folder) :].lstrip(b"/") if folder == b"/" else b""
    if path.startswith(folder + b"/"):
        return path[len(folder) + 1 :]
    return None
