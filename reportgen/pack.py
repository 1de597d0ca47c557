"""Writing a pack atomically: build in a temporary directory beside the target, then swap.

A crash, a Ctrl-C or an input error never leaves a half-written pack at the target path,
and a previous pack there survives a failed run intact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import InputError

STAGING_PREFIX = ".reportgen-staging-"
RETIRED_PREFIX = ".reportgen-retired-"


def looks_like_pack(path: Path) -> bool:
    """A directory reportgen may replace: empty, or holding a previous pack."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    entries = list(path.iterdir())
    if not entries:
        return True
    return (path / "manifest.json").is_file() or any(path.glob("*/matrix.json"))


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


def _swap(staging: Path, target: Path) -> None:
    retired = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=RETIRED_PREFIX, dir=target.parent))
        retired.rmdir()
        target.rename(retired)
    try:
        staging.rename(target)
    except OSError:
        if retired is not None:
            retired.rename(target)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
