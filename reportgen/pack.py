"""Writing a pack atomically: build in a temporary directory beside the target, then swap.

A crash, a Ctrl-C, a SIGKILL or an input error never leaves a half-written pack at the target
path, and a previous pack there survives a failed run intact. One build at a time writes a
given target: :func:`pack_lock` holds an exclusive lock file beside it, and only the lock
holder removes the staging and retired directories that killed runs left behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import InputError

try:  # POSIX; on other systems builds run unlocked and leave stale directories alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".reportgen-staging-"
RETIRED_PREFIX = ".reportgen-retired-"
LOCK_PREFIX = ".reportgen-lock-"
LOCK_WAIT = 600.0  # seconds a build waits for another build of the same target


def looks_like_pack(path: Path) -> bool:
    """A directory reportgen may replace: empty, or holding a previous pack."""
    try:
        before = path.stat()
        if not stat.S_ISDIR(before.st_mode):
            return False
        if _holds_pack(path):
            return True
        # Another build may have swapped the pack away while we looked; only a directory
        # that stayed in place is judged.
        return path.stat().st_ino != before.st_ino
    except FileNotFoundError:
        return True


def _holds_pack(path: Path) -> bool:
    entries = list(path.iterdir())
    return not entries or (path / "manifest.json").is_file() or any(path.glob("*/matrix.json"))


def target_tag(target: Path) -> str:
    """Fixed-length tag of a target's name; ties its lock, staging and retired names to it
    (a name of any length or character set still gives a valid, unambiguous file name)."""
    name = target.absolute().name.encode("utf-8", "surrogateescape")
    return hashlib.sha256(name).hexdigest()[:12]


def lock_path(target: Path) -> Path:
    target = target.absolute()
    return target.parent / f"{LOCK_PREFIX}{target_tag(target)}"


@contextlib.contextmanager
def pack_lock(target: Path, wait: float = LOCK_WAIT, poll: float = 0.1) -> Iterator[Path]:
    """Hold the exclusive lock of ``target`` (flock on a file beside it) while the block runs.

    The lock file is never deleted (deleting it would let two runs lock different inodes);
    the kernel drops the lock when the process ends, however it ends. Waits up to ``wait``
    seconds for another holder, then raises InputError naming the holder's pid.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if fcntl is not None:
            _acquire(fd, path, wait, poll)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, path: Path, wait: float, poll: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise InputError(
                    f"another reportgen run (pid {holder}) is writing this pack; "
                    f"waited {wait:.0f} s",
                    file=path,
                    hint="Wait for it to finish, or choose another --out directory.",
                ) from None
            time.sleep(poll)


def _leftovers(target: Path, prefix: str) -> list[Path]:
    return sorted(target.parent.glob(f"{prefix}{target_tag(target)}-*"))


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed runs of ``target`` left beside it; call only under its lock.

    A retired directory is a whole previous pack moved aside just before the swap; if a run
    was killed between the two renames the target is missing, and the newest retired pack
    that still verifies is put back. Returns the paths removed.
    """
    from reportgen.verify import pack_is_intact  # verify -> manifest; avoid an import cycle

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
    return removed


def _check_replaceable(target: Path) -> None:
    if not looks_like_pack(target):
        kind = "a file" if target.exists() and not target.is_dir() else "a directory"
        raise InputError(
            f"the output path is {kind} that is not a reportgen pack; refusing to replace it",
            file=target,
            hint="Choose a new or empty directory with --out.",
        )


@contextlib.contextmanager
def atomic_pack(target: Path) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``target`` in one rename."""
    target = target.absolute()
    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror}", file=target
        ) from exc
    with pack_lock(target):
        if fcntl is not None:
            clean_stale(target)
        _check_replaceable(target)  # another run may have written it while we waited
        staging = _make_staging(target)
        try:
            yield staging
            os.chmod(staging, 0o755)
            _swap(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


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
