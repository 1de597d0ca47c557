"""Writing a pack atomically: build in a temporary directory beside the target, then swap.

A crash, a Ctrl-C, a SIGKILL or an input error never leaves a half-written pack at the target
path, and a previous pack there survives a failed run intact. One build at a time writes a
place: :func:`pack_lock` locks the target's parent directory, and only the lock holder
removes the staging and retired directories that killed runs left behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.pack.target import Replace, check_replaceable
from reportgen.pack.verify import pack_is_intact

try:  # POSIX; on other systems builds run unlocked and leave stale directories alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".reportgen-staging-"
RETIRED_PREFIX = ".reportgen-retired-"
_LEGACY_LOCK_PREFIX = ".reportgen-lock-"  # a lock file per target, before 0.2: cleaned up
LOCK_WAIT = 600.0  # seconds a build waits for another build in the same place

# Lock descriptors this process holds. A forked child (a renderer) inherits them, and a flock
# lives as long as any descriptor of it: a renderer orphaned by a killed build would hold
# the lock. Children close their copies at once.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def target_tag(target: Path) -> str:
    """Fixed-length tag of a target's name; ties its staging and retired names to it
    (a name of any length or character set still gives a valid, unambiguous file name)."""
    name = target.absolute().name.encode("utf-8", "surrogateescape")
    return hashlib.sha256(name).hexdigest()[:12]


@contextlib.contextmanager
def pack_lock(target: Path, wait: float = LOCK_WAIT, poll: float = 0.1) -> Iterator[Path]:
    """Hold the exclusive lock of ``target``'s parent directory while the block runs.

    The lock is a flock on the parent directory itself, so no lock file is ever left
    behind; builds into one parent take turns (a build is seconds; they wait up to
    ``wait`` seconds, then InputError). The kernel drops the lock when the process ends,
    however it ends, and forked children never keep it (see _HELD).
    """
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield parent
        return
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    _HELD.add(fd)
    try:
        _acquire(fd, parent, wait, poll)
        yield parent
    finally:
        _HELD.discard(fd)
        os.close(fd)  # releases the lock


def _acquire(fd: int, parent: Path, wait: float, poll: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _lock_holder(fd)
                who = f" (pid {holder})" if holder else ""
                raise InputError(
                    f"another reportgen build{who} is writing a pack in this directory; "
                    f"waited {wait:.0f} s",
                    file=parent,
                    hint="Wait for it to finish, or choose an output directory elsewhere.",
                ) from None
            time.sleep(poll)


def _lock_holder(fd: int) -> int | None:
    """The pid holding the flock on ``fd``'s inode, from /proc/locks (Linux), else None."""
    info = os.fstat(fd)
    inode = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        lines = Path("/proc/locks").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == inode:
            return int(fields[4]) if fields[4].isdigit() else None
    return None


def _leftovers(target: Path, prefix: str) -> list[Path]:
    return sorted(target.parent.glob(f"{prefix}{target_tag(target)}-*"))


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed runs of ``target`` left beside it; call only under its lock.

    A retired directory is a whole previous pack moved aside just before the swap; if a run
    was killed between the two renames the target is missing, and the newest retired pack
    that still verifies is put back. Returns the paths removed.
    """
    removed = []
    retired = sorted(_leftovers(target, RETIRED_PREFIX), key=lambda p: p.stat().st_mtime)
    if not target.exists():
        for candidate in reversed(retired):
            if pack_is_intact(candidate):
                candidate.rename(target)
                retired.remove(candidate)
                break
    for path in [*_leftovers(target, STAGING_PREFIX), *retired]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    legacy_lock = target.parent / f"{_LEGACY_LOCK_PREFIX}{target_tag(target)}"
    if legacy_lock.is_file() and not legacy_lock.is_symlink():
        legacy_lock.unlink(missing_ok=True)
        removed.append(legacy_lock)
    return removed


@contextlib.contextmanager
def atomic_pack(target: Path, replace: Replace | None = None) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``target`` in one rename.

    ``target`` must be replaceable (pack_target.check_replaceable): what the path is,
    checked before the work; what the directory holds, under the lock (before it, another
    build may be swapping its pack in, and a survey would mix two packs), and once more just
    before the swap, since the build takes seconds to minutes: a file someone saved into the
    pack, or a workbook edited, in the meantime is not lost either.
    """
    target = target.absolute()
    check_replaceable(target, replace, contents=False)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror}", file=target
        ) from exc
    with pack_lock(target):
        if fcntl is not None:
            clean_stale(target)
        check_replaceable(target, replace)
        staging = _make_staging(target)
        try:
            yield staging
            os.chmod(staging, 0o755)
            check_replaceable(target, replace)
            _swap(staging, target)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            _say_staging_removed(exc, staging, target)
            raise


def _say_staging_removed(exc: BaseException, staging: Path, target: Path) -> None:
    """A refusal met while writing (a full disk...) names the file in the staging directory,
    which is gone by the time the user reads the message: say so, and what became of the
    pack at ``target``."""
    if not isinstance(exc, InputError) or exc.file is None:
        return
    if not Path(exc.file).absolute().is_relative_to(staging):
        return
    kept = f"the pack at {target} is unchanged" if target.exists() else "nothing was written"
    exc.details.append(
        f"the new pack was being written in a staging folder beside {target.name}; "
        f"that folder has been removed, and {kept}"
    )


def _make_staging(target: Path) -> Path:
    try:
        prefix = f"{STAGING_PREFIX}{target_tag(target)}-"
        return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    except OSError as exc:
        raise InputError(
            f"cannot write beside the output directory: {exc.strerror}", file=target
        ) from exc


_SWAP_ATTEMPTS = 100


def _swap(staging: Path, target: Path) -> None:
    """Retire the pack at ``target`` and rename ``staging`` into its place.

    pack_lock serialises builds of one target; where flock is missing (Windows), or for a
    build of another name racing in the same place, another swap may run at the same moment.
    Each rename is
    atomic, so ``target`` is always absent or one complete pack; when the other build's pack
    lands between our two renames, ours is retired-and-replaced again: the last wins.
    """
    for _ in range(_SWAP_ATTEMPTS):
        retired = _retire(target)
        try:
            staging.rename(target)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # another build's pack landed
                _discard(retired)
                continue
            if retired is not None and not target.exists():
                retired.rename(target)  # put the previous pack back
            raise
        _discard(retired)
        return
    raise InputError("other builds kept replacing the output directory; try again", file=target)


def _retire(target: Path) -> Path | None:
    """Move the current pack aside; None when there is none (or another build took it)."""
    if not target.exists():
        return None
    retired = Path(
        tempfile.mkdtemp(prefix=f"{RETIRED_PREFIX}{target_tag(target)}-", dir=target.parent)
    )
    retired.rmdir()
    try:
        target.rename(retired)
    except FileNotFoundError:
        return None
    return retired


def _discard(retired: Path | None) -> None:
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
