"""Writing a pack atomically: build in a temporary directory beside the target, then swap.

A crash, a Ctrl-C or an input error never leaves a half-written pack at the target path,
and a previous pack there survives a failed run intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import InputError

STAGING_PREFIX = ".reportgen-staging-"
RETIRED_PREFIX = ".reportgen-retired-"


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


@contextlib.contextmanager
def atomic_pack(target: Path) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``target`` in one rename."""
    target = target.absolute()
    if not looks_like_pack(target):
        kind = "a file" if target.exists() and not target.is_dir() else "a directory"
        raise InputError(
            f"the output path is {kind} that is not a reportgen pack; refusing to replace it",
            file=target,
            hint="Choose a new or empty directory with --out.",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target.parent))
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror}", file=target
        ) from exc
    try:
        yield staging
        os.chmod(staging, 0o755)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


_SWAP_ATTEMPTS = 100


def _swap(staging: Path, target: Path) -> None:
    """Retire the pack at ``target`` and rename ``staging`` into its place.

    Another build into the same directory may swap at the same moment. Each rename is
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
    retired = Path(tempfile.mkdtemp(prefix=RETIRED_PREFIX, dir=target.parent))
    retired.rmdir()
    try:
        target.rename(retired)
    except FileNotFoundError:
        return None
    return retired


def _discard(retired: Path | None) -> None:
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
