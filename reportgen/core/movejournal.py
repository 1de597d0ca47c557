"""A note of the files a run is moving into place, so that the next run can undo what a
killed one left half-done.

A run killed outright (SIGKILL, the out-of-memory killer) between two moves of files
written together left a pull's new snapshot beside the earlier sidecar and ``init``'s new
inventory beside the old config, and the second names that would have put them back stayed
for ever (twenty-sixth pass). So, before its first move, a run writes down what it moves:
each file's name, the new file's identity, the earlier file's, and the second name that
keeps the earlier one. The note, ``.<name>.reportgen-journal-*`` beside the files, holds an
exclusive ``flock`` while its run lives and is removed once every file is in, or put back.

The next run writing into that folder settles a note nobody holds: where some of its files
were moved and others not, the earlier ones are put back; either way the run's leftovers
(second names, swap names, temporary files) are removed, each only while it is the very
file the note names (device, inode, size and modification time), never another. A swap
name holding any other file (one a user saved there as the run was killed) is left, and
said.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from reportgen.core.errors import lock_errors
from reportgen.core.sweeping import open_to_lock

try:  # POSIX; elsewhere no note is kept (nothing could tell a live run's from a dead one's)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

JOURNAL_MARK = ".reportgen-journal-"
SWAP_MARK = ".reportgen-swap-"
_MAX_BYTES = 64 * 1024  # a note names a few files; anything bigger is not one of ours
_MAX_FILES = 8  # reportgen moves one file or a pair; a note naming more is not one of ours
# reportgen's temporary files: a prefix of its own (``.reportgen-bundle-``...) or the
# default ``.<name>.``, then 8 hex digits (heldfolder.make_file); nothing else (pass 31a).
_TEMPORARY = r"\.reportgen-[a-z]+-[0-9a-f]{8}"
_YOUNG = 10.0  # seconds: an empty note this young may be a live run's, not yet locked
log = logging.getLogger("reportgen.files")

Identity = tuple[int, int, int, int]  # device, inode, size, modification time (ns)


def identity_of(path: Path | str) -> Identity | None:
    """The identity of the file at ``path`` (never through a link), or None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


@dataclass(frozen=True)
class Moving:
    """One file a run moves into place, all names in one folder."""

    name: str  # where it goes
    temporary: str  # where it was written
    new: Identity
    earlier: Identity | None  # the file it replaces (None: nothing was there)
    kept: str | None = None  # a second name of the earlier file, to put it back with
    kept_as: Identity | None = None


class Note:
    """An open, locked note; :meth:`say` writes what it holds (again)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd
        self.size = 0  # the longest text written: the note never gets shorter

    def say(self, moving: Sequence[Moving]) -> None:
        if self.fd is None:  # pragma: no cover - Windows
            return
        text = json.dumps({"reportgen-journal": 1, "files": [asdict(m) for m in moving]})
        # Over what it held, blanks after a shorter text, so that the note is whole JSON at
        # every moment: emptied first, a note killed before it was written again was dropped
        # and the second names it listed stayed (pass 30b); cut to length after the write, one
        # killed between the two was the end of its earlier text after the new one, no JSON,
        # and was left as not ours, its second names with it (62b).
        data = text.encode().ljust(self.size)
        _write_all(self.fd, data, 0)
        self.size = len(data)


@contextlib.contextmanager
def noted(folder: Path, moving: Sequence[Moving]) -> Iterator[Note]:
    """Held around the moves (and the second names made for them): the note is written
    first, and removed once they are over (done, or undone by the caller)."""
    if fcntl is None or not moving:  # pragma: no cover - Windows
        yield Note(None)
        return
    path = folder / f".{moving[0].name}{JOURNAL_MARK}{secrets.token_hex(6)}"
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        with lock_errors(folder / moving[0].name):  # flock names no file (68b)
            fcntl.flock(fd, fcntl.LOCK_EX)  # before a byte is written: a note with text is held
        note = Note(fd)
        note.say(moving)
        yield note
    finally:
        _remove_note(path)  # before the lock goes: a note unlocked is a dead run's
        os.close(fd)


def _remove_note(path: Path) -> None:
    """A note that cannot be removed (the folder made immutable, a failing disk) is said:
    it was left without a word (71b); the next run writing there settles it."""
    try:
        os.unlink(path)
    except FileNotFoundError:  # the folder was moved meanwhile: its note went with it
        pass
    except OSError as exc:
        log.warning(
            "%s: this note of the files being moved could not be removed (%s); the next "
            "run writing into this folder settles and removes it",
            path,
            exc.strerror or type(exc).__name__,
        )


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def settle_killed(folder: Path) -> list[str]:
    """Settle the notes of runs killed while moving files into ``folder`` (see the
    module); a sentence for each thing put back, or left for the user to look at."""
    if fcntl is None:  # pragma: no cover - Windows
        return []
    names = _hidden_names(folder)
    swaps = _swaps_by_name(names)
    said: list[str] = []
    for name in names:
        if JOURNAL_MARK in name:
            said += _settle_note(folder, folder / name, swaps)
    return said


def _hidden_names(folder: Path) -> list[str]:
    """The names in ``folder`` that start with a dot, read once: a folder of 20,000 files
    was read again for each file a note named (17 s for five notes, pass 31a)."""
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.name.startswith(".")]
    except OSError:
        return []


def _swaps_by_name(names: list[str]) -> dict[str, list[str]]:
    """The swap names (``.<name>.reportgen-swap-*``) among ``names``, by the name swapped."""
    swaps: dict[str, list[str]] = {}
    for found in names:
        swapped, mark, _ = found.rpartition(SWAP_MARK)
        if mark and swapped:
            swaps.setdefault(swapped[1:], []).append(found)
    return swaps


def _settle_note(folder: Path, path: Path, swaps: dict[str, list[str]]) -> list[str]:
    fd = open_to_lock(path)
    if fd is None:
        return []
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return []  # its run is alive
        if identity_of(path) != (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns):
            return []  # another file under that name now
        moving = _read_note(fd, info.st_size)
        if moving is None and (info.st_size or time.time() - info.st_mtime < _YOUNG):
            return []  # not a note of ours (left alone: pass 27b), or one not yet written
        # One naming no file that is there has nothing to settle or say (pass 37b).
        said = (
            _settle(folder, moving, swaps) if moving and _any_there(folder, moving, swaps) else []
        )
        with contextlib.suppress(OSError):  # said all the same (an immutable folder: 29b)
            os.unlink(path)
        return said
    except OSError:
        return []
    finally:
        os.close(fd)


def _any_there(folder: Path, moving: list[Moving], swaps: dict[str, list[str]]) -> bool:
    """Whether any file the note names is there as the note says, or a swap name of its
    (said either way): a note written by hand with made-up identities had the next run warn
    that the user's own file "was changed", and a file planted beside it was its earlier
    version."""
    for m in moving:
        if swaps.get(m.name):
            return True
        found = {identity_of(folder / m.name), identity_of(folder / m.temporary)}
        if m.kept is not None and _is_kept(folder, m):
            return True
        if found & {m.new, m.earlier} - {None}:
            return True
    return False


def _read_note(fd: int, size: int) -> list[Moving] | None:
    """The files a note names, or None when it is not a whole note of ours."""
    if size > _MAX_BYTES:
        return None
    try:
        data = json.loads(os.pread(fd, size, 0))
        files = data["files"] if data.get("reportgen-journal") == 1 else None
        moving = [_moving(item) for item in files]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        return None  # nested 60,000 deep, or 1e400 for an inode: an internal error (29b)
    if not 0 < len(moving) <= _MAX_FILES:  # none: reportgen never notes nothing (31a)
        return None
    plain = all(_plain_name(n) for m in moving for n in _names(m))
    return moving if plain and all(_ours(m) for m in moving) else None


def _ours(moving: Moving) -> bool:
    """Whether the names a note gives its leftovers are those reportgen gives them: the
    temporary file ``.reportgen-<what>-<8 hex>`` or ``.<name>.<8 hex>``, the second name
    ``.<name>.<12 hex>.kept``. A note written by hand naming the user's own files had them
    removed (visible ones, pass 30b; ``.env``, only hidden, 31a); one forging a file's very
    identity (device, inode, size, time to the nanosecond) is beyond what a note can tell."""
    own = re.escape(f".{moving.name}.")
    kept = moving.kept is None or re.fullmatch(own + r"[0-9a-f]{12}\.kept", moving.kept)
    temporary = re.fullmatch(f"{_TEMPORARY}|{own}[0-9a-f]{{8}}", moving.temporary)
    return bool(kept and temporary) and moving.temporary != moving.name


def _moving(item: dict) -> Moving:
    def ident(value: object) -> Identity | None:
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == 4):
            raise TypeError("not an identity")
        if not all(type(v) is int for v in value):  # never a float, Infinity, a bool
            raise TypeError("not an identity")
        return tuple(value)  # type: ignore[return-value]

    return Moving(
        name=_text(item["name"]),
        temporary=_text(item["temporary"]),
        new=ident(item["new"]) or (0, 0, 0, 0),
        earlier=ident(item["earlier"]),
        kept=None if item["kept"] is None else _text(item["kept"]),
        kept_as=ident(item["kept_as"]),
    )


def _names(moving: Moving) -> list[str]:
    return [n for n in (moving.name, moving.temporary, moving.kept) if n is not None]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a name")
    return value


def _plain_name(name: str) -> bool:
    try:
        name.encode("utf-8")  # a lone surrogate cannot name a file (29b)
    except UnicodeEncodeError:
        return False
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _settle(folder: Path, moving: list[Moving], swaps: dict[str, list[str]]) -> list[str]:
    moved = [identity_of(folder / m.name) == m.new for m in moving]
    said: list[str] = []
    names = ", ".join(str(folder / m.name) for m in moving)
    changed = [m for m in moving if _changed_since(folder, m)]
    half = any(moved) and not all(moved)
    if half and changed:
        # A file edited since is no sign of a move not made: all may have been moved, and
        # putting the others back rolled them back under the edited one (pass 36a F3). The
        # earlier files stay too: a second name was the only copy of one (pass 37a J2).
        kept = [m for m in moving if m.kept is not None and _is_kept(folder, m)]
        said.append(
            f"a run killed while moving {names} into place left a note; "
            + ", ".join(str(folder / m.name) for m in changed)
            + " changed since, so nothing was put back: check that the files agree"
            + "".join(f"; the earlier {folder / m.name} is kept as {folder / m.kept}" for m in kept)
            + ("; look at those, then remove them" if kept else "")
        )
        moving = [replace(m, kept=None, kept_as=None) if m in kept else m for m in moving]
    elif half:
        undone = [m for m, done in zip(moving, moved, strict=True) if done]
        failed = [m for m in undone if not _put_back(folder, m)]
        said.append(
            f"a run killed while moving {names} into place had moved only some of them; "
            + "; ".join(_undone(folder, m, m not in failed) for m in undone)
        )
        # A second name not put back is the only copy of its earlier file: it was removed
        # with the rest of the leftovers, unsaid (pass 38b A).
        moving = [replace(m, kept=None, kept_as=None) if m in failed else m for m in moving]
    elif changed and not all(moved) and len(moving) > 1:
        # Nothing moved in is there as written: a file edited since is all that shows the
        # run got that far, and was settled without a word, the pair half there (46b).
        absent = [m for m, done in zip(moving, moved, strict=True) if not done]
        absent = [m for m in absent if m not in changed]
        said.append(
            f"a run killed while moving {names} into place left a note; "
            + ", ".join(str(folder / m.name) for m in changed)
            + " is neither what it wrote nor what was there before (edited or made since)"
            + "".join(f"; {folder / m.name} was not moved in" for m in absent)
            + ": check that the files agree"
        )
    for m in moving:
        said += _tidy(folder, m, swaps.get(m.name, []))
    return said


def _undone(folder: Path, moving: Moving, done: bool) -> str:
    """What undoing one move did: 'put back' was said of a new file removed (31a)."""
    path = folder / moving.name
    if not done and moving.kept is not None and _is_kept(folder, moving):
        return (
            f"the earlier {path} could not be put back: it is kept as "
            f"{folder / moving.kept}; look at it, then rename it back or remove it"
        )
    if not done:
        return f"{path} could not be put back"
    if moving.earlier is None:
        return f"{path} removed (there was none before)"
    return f"the earlier {path} put back"


def _put_back(folder: Path, moving: Moving) -> bool:
    """The earlier file back at its name (or, where there was none, the new one gone)."""
    target = folder / moving.name
    try:
        kept = folder / moving.kept if moving.kept is not None else None
        if kept is not None and identity_of(kept) == moving.kept_as and _regular(kept):
            os.replace(kept, target)  # a link put back over the user's file: pass 34a
            return True
        if moving.earlier is None and identity_of(target) == moving.new and _regular(target):
            os.unlink(target)
            return True
    except OSError:
        pass
    return False


def _tidy(folder: Path, moving: Moving, swaps: list[str]) -> list[str]:
    """Remove the run's own leftovers of ``moving``; say a swap name (of ``swaps``, those
    of its name) holding another file, and a second name kept where the file at the name
    is neither the new one nor the earlier one."""
    ours = {moving.new, moving.earlier, moving.kept_as} - {None}
    said = []
    kept = None if moving.kept is None else identity_of(folder / moving.kept)
    if kept is not None and kept == identity_of(folder / moving.name):
        # A hard link to a file not yet moved, edited in place since, is that file: it was
        # said to be its earlier version (41b W2). Removed, nothing is lost.
        said += _stuck(folder / moving.kept, {kept})
    # A second name is named only when it is there: a run killed after its note, before it
    # made them, had the next one point at a copy never made (42b).
    elif moving.kept is not None and _changed_since(folder, moving) and _is_kept(folder, moving):
        said.append(
            f"{folder / moving.name} was changed or removed after a run killed while moving "
            f"it in; its earlier version is kept as {folder / moving.kept}: look at it, then "
            "remove it"
        )
    elif moving.kept is not None:
        said += _kept_left(folder, moving)
    said += _stuck(folder / moving.temporary, {moving.new})
    for swap in swaps:
        if _holds_the_only_earlier(folder, moving, swap):
            said.append(
                f"{folder / moving.name} was changed or removed after a run killed while "
                f"moving it in; its earlier version is kept as {folder / swap}: look at it, "
                "then remove it"
            )
            continue
        found = _remove_if(folder / swap, ours)
        if found is False:
            said.append(
                f"{folder / swap} was left by a run killed while moving {moving.name} into "
                "place and is not a file reportgen wrote: look at it, then remove it"
            )
        elif found is not True:
            said.append(_not_removed(folder / swap, found))
    return said


def _holds_the_only_earlier(folder: Path, moving: Moving, swap: str) -> bool:
    """Whether a swap name holds the earlier file while the name holds neither file: it
    is then the only copy of the earlier one, which was removed without a word (48b). A
    second name put back is the earlier file too: where it is a copy (no hard links), it
    was said to be neither, and the swap name kept (50b F2)."""
    earlier, found = moving.earlier, identity_of(folder / moving.name)
    if earlier is None or found in {moving.new, earlier, moving.kept_as} - {None}:
        return False  # the name holds one of them: the swap name is a leftover
    return identity_of(folder / swap) == earlier and _regular(folder / swap)


def _kept_left(folder: Path, moving: Moving) -> list[str]:
    """Remove a second name the note names. A copy (no hard links) made just before the run
    was killed is not yet in the note: when it holds what the name holds, it is removed
    too; else it is said (it was left without a word: 50b)."""
    assert moving.kept is not None
    path = folder / moving.kept
    found = _remove_if(path, {moving.kept_as} - {None})
    if found is False and _same_bytes(path, folder / moving.name):
        found = _remove_if(path, {identity_of(path)})
    if found is False:
        return [
            f"{path} was left by a run killed while keeping a copy of {moving.name} and is "
            "not that file: look at it, then remove it"
        ]
    return [_not_removed(path, found)] if isinstance(found, str) else []


def _same_bytes(first: Path, second: Path) -> bool:
    """Whether two regular files hold the same bytes (read a piece at a time)."""
    try:
        if not (_regular(first) and _regular(second)):
            return False
        if first.stat().st_size != second.stat().st_size:
            return False
        with first.open("rb") as one, second.open("rb") as other:
            while piece := one.read(1 << 20):
                if piece != other.read(len(piece)):
                    return False
    except OSError:
        return False
    return True


def _stuck(path: Path, identities: set[Identity | None]) -> list[str]:
    """Remove a leftover of ours; what to say of one that could not be removed."""
    found = _remove_if(path, identities)
    return [_not_removed(path, found)] if isinstance(found, str) else []


def _not_removed(path: Path, why: str) -> str:
    """A leftover that could not be removed (an immutable file): its error ended settling,
    and every sentence said before it went unsaid (pass 39b)."""
    return f"{path}, left by a run killed while moving files in, could not be removed ({why})"


def _is_kept(folder: Path, moving: Moving) -> bool:
    """Whether the second name still holds the earlier file the note says it keeps."""
    assert moving.kept is not None
    return identity_of(folder / moving.kept) == moving.kept_as and _regular(folder / moving.kept)


def _changed_since(folder: Path, moving: Moving) -> bool:
    """Whether the file at the name is neither the new one nor the earlier one: edited in
    place after the kill, its second name was the only copy of the earlier file, and was
    removed without a word (pass 34b)."""
    found = identity_of(folder / moving.name)
    return found not in {moving.new, moving.earlier, moving.kept_as}


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file, as every file reportgen moves in is: a note
    naming a link's identity had the link removed (pass 33b)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _remove_if(path: Path, identities: set[Identity | None]) -> bool | str:
    """Remove ``path`` when it is one of ``identities``: True once it is gone (or was),
    False when it is another file, left; why, when it is ours and could not be removed."""
    found = identity_of(path)
    if found is None:
        return True
    if found not in identities or not _regular(path):
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return True
