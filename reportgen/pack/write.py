"""Writing a pack atomically: build in a temporary directory beside the target, then swap.

A crash, a Ctrl-C, a SIGKILL or an input error never leaves a half-written pack at the target
path, and a previous pack there survives a failed run intact. One build at a time writes a
place: :func:`pack_lock` locks the target's parent directory, and only the lock holder
cleans up what killed runs left behind (:func:`clean_stale`). An old pack is deleted only
once it is out of the way and found as it was when it was checked; anything else of the
user's is put back or kept, and said (:func:`_swap`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import secrets
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reportgen.core import reserve
from reportgen.core.errors import (
    ENVIRONMENT_ERRORS,
    InputError,
    environment_error,
    environment_errors,
    lock_errors,
)
from reportgen.core.heldfolder import HeldFolder
from reportgen.core.outfiles import (
    FOLDER_ACLS,
    created_mode,
    make_parents,
    remove_made,
    same_acls,
)
from reportgen.core.removal import remove_tree
from reportgen.core.stopping import mark_finished, stop_signals_held
from reportgen.pack.files import PackDir, PackFileProblem, file_limit
from reportgen.pack.target import (
    Replace,
    Snapshot,
    check_replaceable,
    differences,
    plain_output_path,
    snapshot,
)
from reportgen.pack.verify import verify_pack

try:  # POSIX; on other systems builds run unlocked and leave stale directories alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".reportgen-staging-"
RETIRED_PREFIX = ".reportgen-retired-"
DISCARD_PREFIX = ".reportgen-discarded-"  # an old pack checked, replaced and being deleted
_LEGACY_LOCK_PREFIX = ".reportgen-lock-"  # a lock file per target, before 0.2: cleaned up
LOCK_WAIT = 600.0  # seconds a build waits for another build in the same place
WAIT_SAID_AFTER = 1.0  # seconds of waiting for the lock before the wait is said
log = logging.getLogger("reportgen.pack")

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
    if fcntl is None:
        parent.mkdir(parents=True, exist_ok=True)
        yield parent
        return
    deadline = time.monotonic() + wait
    while True:
        parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError as exc:  # a failed build removed the folder it made
            if time.monotonic() >= deadline:
                raise environment_error(exc, parent) from exc
            continue  # make it again
        _HELD.add(fd)
        try:
            _acquire(fd, parent, max(deadline - time.monotonic(), 0.0), poll)
            if _same_folder(fd, parent):
                break
        except BaseException:
            _release(fd)
            raise
        _release(fd)  # locked a folder that was removed meanwhile: lock the one there now
    try:
        yield parent
    finally:
        _release(fd)


def _release(fd: int) -> None:
    _HELD.discard(fd)
    os.close(fd)  # releases the lock


def _same_folder(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the folder open at ``fd``: a failed build removes the
    empty folders it made (remove_made, under the lock), which a build waiting for the lock
    had opened."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (info.st_dev, info.st_ino) == (opened.st_dev, opened.st_ino)


def _acquire(fd: int, parent: Path, wait: float, poll: float) -> None:
    """Take the lock, waiting up to ``wait`` seconds; a wait of more than a moment is said
    once (a build that sat silent for minutes looked hung)."""
    deadline = time.monotonic() + wait
    said = False
    while True:
        try:
            with lock_errors(parent):  # a file system that takes no lock; flock names no file
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not said and deadline - time.monotonic() < wait - WAIT_SAID_AFTER:
                log.warning(
                    "%s in %s; waiting for it (at most %.0f s)",
                    _holder_text(fd),
                    parent,
                    max(deadline - time.monotonic(), 0.0),
                )
                said = True
            if time.monotonic() >= deadline:
                raise InputError(
                    f"{_holder_text(fd)} in this directory; waited {wait:.0f} s",
                    file=parent,
                    hint="Wait for it to finish, or choose an output directory elsewhere.",
                ) from None
            time.sleep(poll)


def _holder_text(fd: int) -> str:
    """Who holds the lock, and what that means, as a message says it: another build, or
    another program (any process may flock a folder: ``flock -x out -c ...``)."""
    holder = _lock_holder(fd)
    if holder is None:
        return "another reportgen build is writing a pack"
    try:
        name = Path(f"/proc/{holder}/comm").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        # /proc/locks names the process that took the lock; one that inherited it (a
        # program the holder started) keeps it after that process has ended.
        return (
            f"a process left running by pid {holder}, which has ended, still holds the build "
            "lock (fuser -v on the folder names it)"
        )
    except OSError:
        name = ""
    name = name.strip()
    if not name or "python" in name or "reportgen" in name:
        return f"another reportgen build (pid {holder}) is writing a pack"
    return f"another program, {name} (pid {holder}), holds the build lock"


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
    """The directories beside ``target`` named ``<prefix><its tag>-*``, oldest change first.
    Real directories only, by lstat: a link or a file of such a name is no leftover of ours
    and is never followed, restored or deleted."""
    start, found = f"{prefix}{target_tag(target)}-", []
    try:
        with os.scandir(target.parent) as entries:
            for entry in entries:
                if not entry.name.startswith(start):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed meanwhile
                    continue
                if stat.S_ISDIR(info.st_mode):
                    found.append((info.st_ctime_ns, entry.name, Path(entry.path)))
    except (FileNotFoundError, NotADirectoryError):  # a file where a folder was (66b)
        return []
    return [path for *_, path in sorted(found)]


def retired_beside(target: Path) -> Path | None:
    """The pack a build killed between its two renames moved aside from ``target`` (the
    newest, which the next build puts back), or None."""
    retired = _leftovers(target, RETIRED_PREFIX)
    return retired[-1] if retired else None


def clean_stale(
    target: Path, notes: list[str] | None = None, retired_too: bool = True
) -> list[Path]:
    """Remove what killed runs of ``target`` left beside it; call only under its lock.

    Staging directories (a killed build's unfinished pack) and discarded ones (an old pack
    checked and being deleted when its build was killed) are removed. A retired directory is
    a whole previous pack moved aside just before the swap: if a run was killed between the
    two renames the target is missing, and the newest retired pack is put back whatever it
    holds (it is the user's; the build then checks it as any pack at its target); where the
    target holds no pack that verifies, the newest is kept and ``notes`` names it. Any other
    retired pack is removed only when it still verifies (files missing aside: a deletion was
    under way); one with files changed or not listed is kept, and ``notes`` gets a line
    naming it. With ``retired_too`` false those are left for :func:`remove_retired`, which a
    build calls once its own pack is in place. Returns the paths removed; one that could
    not be removed whole is noted.
    """
    notes = [] if notes is None else notes
    removed: list[Path] = []
    for path in _leftovers(target, STAGING_PREFIX):
        _remove(path, removed, notes, "an unfinished pack a killed build left")
    for path in _leftovers(target, DISCARD_PREFIX):
        _remove(path, removed, notes, f"a previous pack of '{target.name}' a build replaced")
    _remove_empty_retired(target, removed)
    _put_back_or_keep_newest(target, notes)
    _remove_empty_team_edits(target, removed)
    if retired_too:
        remove_retired(retired_to_remove(target), target, notes, removed)
    legacy_lock = target.parent / f"{_LEGACY_LOCK_PREFIX}{target_tag(target)}"
    if legacy_lock.is_file() and not legacy_lock.is_symlink():
        legacy_lock.unlink(missing_ok=True)
        removed.append(legacy_lock)
    return removed


def _remove_empty_retired(target: Path, removed: list[Path]) -> None:
    """Remove the empty retired folders of ``target``: no pack, but the name a build made
    and then removed before moving the pack to it, left by one killed between (75b)."""
    for path in _leftovers(target, RETIRED_PREFIX):
        with contextlib.suppress(OSError):  # not empty: a pack moved aside
            path.rmdir()
            removed.append(path)


def _remove_empty_team_edits(target: Path, removed: list[Path]) -> None:
    """Remove the empty team-edits folders of ``target`` a build killed before it moved the
    team's workbooks into them left (one stayed for good, unnamed: 63b). Only an empty one
    goes (rmdir), and only by the very name a build gives it."""
    own = re.compile(re.escape(_fitting_name(target.name)) + r"\.team-edits-\d{8}T\d{6}Z-\w{8}")
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            if own.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):  # not empty: the team's workbooks are in it
                    _remove_empty_folders(Path(entry.path))
                    removed.append(Path(entry.path))


def _remove_empty_folders(top: Path) -> None:
    """Remove ``top`` and the folders in it, deepest first, when they hold no file at all
    (a build killed as it moved the workbooks left an empty framework folder: 65b); an
    OSError when any holds something else, before anything is removed."""
    folders: list[str] = []
    for path, names, files in os.walk(top, topdown=True, followlinks=False):
        links = [name for name in names if os.path.islink(os.path.join(path, name))]
        if files or links:
            raise OSError(errno.ENOTEMPTY, "holds files", path)
        folders.append(path)
    for path in reversed(folders):
        os.rmdir(path)


def _put_back_or_keep_newest(target: Path, notes: list[str]) -> None:
    """The newest retired pack put back where the target is missing; kept, and named,
    where the target holds no whole pack."""
    retired = _leftovers(target, RETIRED_PREFIX)
    if retired and not os.path.lexists(target):
        newest = retired.pop()
        held = _worth_keeping(newest)
        try:
            newest.rename(target)
        except OSError as exc:  # left where it is, and said: never deleted
            notes.append(
                f"{newest}: a previous pack of '{target.name}' that a build killed while "
                f"replacing it moved aside; it could not be put back ({exc.strerror}) and is "
                "kept there."
            )
        else:
            if held is not None:  # the check of the target says what next; this says why
                notes.append(
                    f"the pack at {target} was put back from {newest.name}, where a build "
                    f"killed while replacing it had moved it; it holds {held}"
                )
    elif retired and not _holds_a_whole_pack(target):
        # What the user put at the target since is no whole pack: the newest, the only copy
        # of the previous pack, was deleted as it verified, and the build then refused (42b
        # W1; a manifest.json of the user's own, one copied alone, or one listing no file
        # counted: 43b, 44b, 45b).
        notes.append(
            f"{retired.pop()}: a previous pack of '{target.name}' that a build killed while "
            f"replacing it moved aside; kept, since {target} holds no whole pack. Move it "
            "back or what you need out of it, then delete it."
        )


def put_back_before_reading(paths: list[Path], notes: list[str]) -> None:
    """Put back, under its lock, a pack a build killed between its two renames moved aside
    from the folder ``paths`` name (or hold a file of). A rebuild in place (--previous and
    --evidence naming its --out) read them before its lock settled the target: it stopped at
    "no such directory", saying the next build would put the pack back, and every next build
    was the same one (60b)."""
    for path in paths:
        missing = _first_missing(path.absolute())
        if missing is None or retired_beside(missing) is None:
            continue
        with pack_lock(missing), stop_signals_held() as stops:
            if os.path.lexists(missing):  # another build put it back meanwhile
                continue
            said = len(notes)
            clean_stale(missing, notes, retired_too=False)
            if not os.path.lexists(missing):  # "the next build puts it back" would be false
                raise InputError(
                    "a build killed while replacing this pack moved it aside, and it could "
                    "not be put back before it was read",
                    file=missing,
                    details=notes[said:],
                    hint="Rename it back yourself once what stopped it is fixed (an immutable "
                    "folder: lsattr, chattr -i; a folder you may not write in), then run again.",
                )
            if len(notes) == said:
                notes.append(
                    f"the pack at {missing} was put back from beside it, where a build killed "
                    "while replacing it had moved it, before it was read"
                )
            if stops:  # said now: the build's notes are printed as it ends, and it will not
                for note in notes[said:]:  # (a stop signal dropped them: 74b)
                    log.warning("%s", note)
                del notes[said:]


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that is missing (``path`` itself, or one it is in)."""
    if os.path.lexists(path):
        return None
    while path.parent != path and not os.path.lexists(path.parent):
        path = path.parent
    return path


def retired_to_remove(target: Path) -> list[Path]:
    """The retired packs beside ``target`` that go once they are found to verify: all but
    the newest where the target holds no whole pack (that one is kept)."""
    retired = _leftovers(target, RETIRED_PREFIX)
    if retired and not _holds_a_whole_pack(target):
        retired.pop()
    return retired


def remove_retired(
    retired: list[Path], target: Path, notes: list[str], removed: list[Path] | None = None
) -> None:
    """Remove each of ``retired`` that still verifies; name the others as kept. A build
    does so only once its own pack is in place: one that removed them first and was then
    refused (a read-only file in the target) had deleted the only copy of the previous
    pack (46b)."""
    removed = [] if removed is None else removed
    for path in retired:
        if not os.path.lexists(path):
            continue
        kept = _worth_keeping(path)
        if kept is None:
            _remove(path, removed, notes, "a previous pack a killed build moved aside")
        else:
            notes.append(
                f"{path}: a previous pack of '{target.name}' that a build killed while "
                f"replacing it moved aside; kept, since it holds {kept}. Move what you need "
                "out of it, then delete it."
            )


def _holds_a_whole_pack(target: Path) -> bool:
    """Whether ``target`` holds a pack that verifies: every file its manifest lists, as
    written, and no other; and it lists some (one listing none verified: 45b)."""
    try:
        result = verify_pack(target)
        return result.ok and result.checked > 0
    except (InputError, OSError):
        return False


def _worth_keeping(pack: Path) -> str | None:
    """None when deleting the retired ``pack`` loses nothing reportgen did not write (it
    verifies, or only lacks listed files); else what it holds, in words."""
    try:
        result = verify_pack(pack)
    except (InputError, OSError) as exc:
        return (
            f"what reportgen cannot check ({exc.message if isinstance(exc, InputError) else exc})"
        )
    found = []
    if result.altered:
        found.append(f"{len(result.altered)} changed file(s) ({_first(result.altered)})")
    if result.extra:
        found.append(f"{len(result.extra)} file(s) it does not list ({_first(result.extra)})")
    return " and ".join(found) or None


def _first(names: list[str]) -> str:
    more = f", and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _remove(path: Path, removed: list[Path], notes: list[str], what: str) -> None:
    failures = remove_tree(path)
    if failures:
        notes.append(not_removed(path, what, failures))
    else:
        removed.append(path)


def not_removed(path: Path, what: str, failures: list[tuple[str, OSError]]) -> str:
    """A warning naming the folder ``path`` that could not be deleted whole, the first file
    that could not be and why (its folders then cannot be either)."""
    causes = [f for f in failures if f[1].errno != errno.ENOTEMPTY] or failures
    name, error = causes[0]
    shown = os.path.relpath(name, path) if name != str(path) else path.name
    reason = ENVIRONMENT_ERRORS.get(error.errno or 0) or error.strerror or str(error)
    more = f" (and {len(causes) - 1} more)" if len(causes) > 1 else ""
    why = _WHY_NOT_REMOVED.get(error.errno or 0, "")
    return (
        f"{path}: {what}, which could not be deleted whole: {shown}: {reason}{more}{why}. "
        "What is left is in that folder; delete it once that is fixed (a later build of "
        "this output directory tries again)."
    )


_WHY_NOT_REMOVED = {
    errno.EPERM: " (an immutable or append-only file? 'lsattr' shows it, 'chattr -i' clears it)",
    errno.EBUSY: " (a file system mounted inside it?)",
}


@contextlib.contextmanager
def atomic_pack(
    target: Path, replace: Replace | None = None, notes: list[str] | None = None
) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``target`` in one rename.

    ``target`` must be replaceable (pack_target.check_replaceable): what the path is,
    checked before the work; what the directory holds, under the lock (before it, another
    build may be swapping its pack in, and a survey would mix two packs), and once more just
    before the swap, since the build takes seconds to minutes: a file someone saved into the
    pack, or a workbook edited, in the meantime is not lost either. What is there is
    snapshotted right after the check under the lock, before the build; just before the
    swap it must still match that snapshot, whatever --overwrite or --discard-edits allow
    (they waive what was there before the build, not what was saved during it), and the old
    pack, once moved aside, must match it too, else it is put back (see _swap). ``notes``
    gets a line for anything kept or left beside the target that the user should know of
    (clean_stale, _discard); on an InputError they are added to its details instead.
    """
    said: list[str] = []
    target = plain_output_path(target).absolute()  # its staging folder goes beside it
    try:
        with _locked(target, replace, said) as staging:
            yield staging
    except InputError as exc:
        exc.details.extend(said)
        raise
    if notes is not None:
        notes.extend(said)


@contextlib.contextmanager
def _locked(target: Path, replace: Replace | None, notes: list[str]) -> Iterator[Path]:
    check_replaceable(target, replace, contents=False)
    made = make_parents(target)  # a failed build removes them again, when empty
    try:
        with pack_lock(target):
            try:
                with _staged(target, replace, notes) as staging:
                    yield staging
            except BaseException:
                remove_made(made)  # under the lock: a build waiting for it makes them anew
                raise
    except BaseException:
        remove_made(made)  # and when the lock was never taken (a timeout, an interrupt)
        raise


@contextlib.contextmanager
def _staged(target: Path, replace: Replace | None, notes: list[str]) -> Iterator[Path]:
    """The build's staging folder, under the lock; swapped in when the block succeeds."""
    if fcntl is not None:
        clean_stale(target, notes, retired_too=False)
    retired = retired_to_remove(target) if fcntl is not None else []
    check_replaceable(target, replace)
    # What the check above allowed to lose, and no more: --overwrite and --discard-edits
    # waive what was there before the build, never what is saved during it.
    before = snapshot(target)
    with _held_parent(target) as parent:
        name = _make_staging(target, parent)
        staging = target.parent / name
        try:
            yield staging
            with environment_errors(target):
                _give_mode(staging, target)
            check_replaceable(target, replace)
            _refuse_changed_during_build(target, before)
            _swap(staging, target, before, notes, replace.carried if replace else frozenset())
        except BaseException as exc:
            # By name in the folder held open: a folder renamed while the build ran took
            # the staging folder with it, and a removal by path left it there.
            parent.remove_folder(name)  # ours; never across a mount someone made in it
            _say_staging_removed(exc, parent, name, target)
            _note_out_of_memory(exc, target)
            raise
        remove_retired(retired, target, notes)  # the new pack is in: they are old packs now


def _note_out_of_memory(exc: BaseException, target: Path) -> None:
    """A build out of memory said "ran out of memory" and no more, not what became of the
    pack (pass 31d): the error carries it as a note, which the command line prints."""
    if isinstance(exc, MemoryError) or reserve.out_of_memory(exc):
        kept = "the pack there is unchanged" if target.exists() else "nothing was written"
        with contextlib.suppress(MemoryError):  # the room to say it may be gone too
            exc.add_note(f"while building {target}; {kept}")


def _give_mode(folder: Path, model: Path) -> None:
    """Give ``folder``, made by this build (mkdtemp's 0700), the mode of the folder ``model``
    it takes the place of (setgid and sticky bits too), and its group where the user may
    set it: a pack kept private (``chmod 700``, a setgid group folder 2770) was replaced by
    a world-readable one, 0755 whatever the umask (fourteenth adversarial pass, P29). With
    nothing at ``model``, what mkdir gives under the umask, as the files inside have; the
    setgid bit a folder inherits from a setgid parent is kept."""
    made = folder.lstat()
    try:
        info = model.lstat()
    except FileNotFoundError:
        os.chmod(folder, created_mode(folder=True) | (made.st_mode & stat.S_ISGID))
        return
    if info.st_gid != made.st_gid:
        # Not a member of that group (EPERM): the mode still keeps out everyone else.
        with contextlib.suppress(PermissionError):
            os.chown(folder, -1, info.st_gid)
    os.chmod(folder, stat.S_IMODE(info.st_mode))  # after chown, which clears setgid
    same_acls(folder, model, FOLDER_ACLS)  # its group bits are an ACL's mask (57b)


def _refuse_changed_during_build(target: Path, before: Snapshot | None) -> None:
    """Refuse to replace ``target`` when anything in it changed since it was checked, before
    the build: a file saved into the pack, a workbook edited, while the build ran."""
    changes = differences(before, snapshot(target))
    if not changes:
        return
    more = [f"... and {len(changes) - 5} more"] if len(changes) > 5 else []
    raise InputError(
        f"the output directory changed while this build ran ({len(changes)} change(s)); "
        "it is left as it is, and the new pack was not written",
        file=target,
        details=changes[:5] + more,
        hint="Run the build again: it checks the output directory afresh (what was saved "
        "there meanwhile is then named, and kept unless you allow otherwise).",
    )


def _say_staging_removed(exc: BaseException, parent: HeldFolder, name: str, target: Path) -> None:
    """A refusal met while writing (a full disk...) names the file in the staging directory,
    which is gone by the time the user reads the message: say so, and what became of the
    pack at ``target``; and, when the output's folder was moved while the build ran, that
    this is why the file was not found (not a typing mistake)."""
    if not isinstance(exc, InputError) or exc.file is None:
        return
    if not Path(exc.file).absolute().is_relative_to(target.parent / name):
        return
    # Only what is so (fifteenth and sixteenth adversarial passes: the folder was left in
    # a folder moved under the build, and the message said it was removed).
    gone = not parent.holds(name)
    removed = "has been removed" if gone else "could not be removed"
    if parent.moved():
        exc.details.append(
            f"{target.parent} was moved or removed while the build ran; the staging folder "
            f"the new pack was being written in ({name}) {removed}, and nothing was written"
        )
        exc.hint = "Run the build again once the output's folder stays where it is."
        return
    kept = f"the pack at {target} is unchanged" if target.exists() else "nothing was written"
    exc.details.append(
        f"the new pack was being written in a staging folder beside {target.name}; "
        f"that folder {removed}{'' if gone else f' ({name})'}, and {kept}"
    )


def _held_parent(target: Path) -> HeldFolder:
    try:
        return HeldFolder(target.parent)
    except OSError as exc:
        raise _cannot_write_beside(target, exc) from exc


def _make_staging(target: Path, parent: HeldFolder) -> str:
    try:
        return parent.make_folder(f"{STAGING_PREFIX}{target_tag(target)}-")
    except OSError as exc:
        raise _cannot_write_beside(target, exc) from exc


def _cannot_write_beside(target: Path, exc: OSError) -> InputError:
    why = exc.strerror or str(exc)
    return InputError(f"cannot write beside the output directory: {why}", file=target)


def _swap(
    staging: Path,
    target: Path,
    before: Snapshot | None,
    notes: list[str],
    carried: frozenset[str] = frozenset(),
) -> None:
    """Retire the pack at ``target``, check it, and rename ``staging`` into its place.

    The old pack was checked (check_replaceable) just before ``before`` was taken, and found
    unchanged since just before this; a file saved into it after that, or one written, must
    not be deleted with it. Once moved aside it is out of reach of anything that opens it by
    its path, so it is compared with ``before`` there (metadata only: a few dozen lstat
    calls) and put back, the build refused, if anything differs; so it is too on any failure
    or interrupt before the new pack is in place. Each rename is atomic, so ``target`` is
    always absent or one complete pack; builds of one folder take turns on pack_lock.
    """
    # The folder for the team's edited workbooks is made first: made after the swap, a
    # failure (a name too long, a full disk) came with the new pack in place and the old one
    # hidden away (ninth adversarial pass).
    edits = _prepare_team_edits(target, carried)
    try:
        _swap_in(staging, target, before, notes, edits)
    except BaseException:
        if edits is not None:
            with contextlib.suppress(OSError):
                edits[0].rmdir()  # still empty: the edits are moved only once all went well
        raise


def _swap_in(
    staging: Path,
    target: Path,
    before: Snapshot | None,
    notes: list[str],
    edits: tuple[Path, list[str]] | None,
) -> None:
    """The renames and what follows them, with Ctrl-C, SIGTERM and SIGHUP held back: one
    arriving as the old pack was moved aside skipped the put-back, and the build exited 130
    with the pack under a hidden name; one arriving as the new pack went in said
    "terminated" with the swap done and the old pack left beside it (fifteenth adversarial
    pass, C42, C43). A signal that came before the new pack is in puts the old one back and
    stops the build; one that came after lets the swap finish, and the build says so."""
    with stop_signals_held() as stops:
        retired = _rename_in(staging, target, before, stops)
        # The new pack is in place: from here on nothing raises, what goes wrong is noted.
        mark_finished("the pack was written")
        if retired is not None and (edits is None or _move_team_edits(retired, edits, notes)):
            _discard(retired, target, notes)  # else kept whole, with the team's workbooks
        if stops:
            notes.append(_finished_despite(stops[0], target))
            stops.clear()  # answered: the build goes on to report what it did


def _rename_in(
    staging: Path, target: Path, before: Snapshot | None, stops: list[int]
) -> Path | None:
    """Retire the pack at ``target``, compare it with ``before``, rename ``staging`` in;
    the retired pack (None when there was none). The old pack is put back on any failure,
    a difference, or a stop signal noted in ``stops`` before the new pack went in."""
    retired = _retire(target)
    changes: list[str] = []
    try:
        if retired is not None:
            changes = differences(before, snapshot(retired))
        if stops:
            raise KeyboardInterrupt  # the held signal itself is delivered as the hold ends
        if not changes:
            staging.rename(target)
    except BaseException as exc:
        kept = _put_back(retired, target) if retired is not None else None
        if not isinstance(exc, OSError):
            _say_stopped(exc, target, retired, kept)
            raise
        error = environment_error(exc, target)
        if kept is not None:
            error.details.append(f"the previous pack is kept at {kept}")
        raise error from exc
    if retired is not None and changes:
        raise _changed_meanwhile(target, changes, _put_back(retired, target))
    return retired


def _say_stopped(exc: BaseException, target: Path, retired: Path | None, kept: Path | None) -> None:
    """Say where the previous pack is when a stop signal came during the swap: the exit
    status alone (130, 143, 129) says nothing of it."""
    if not isinstance(exc, KeyboardInterrupt) or retired is None:
        return
    if kept is None:
        log.warning(
            "stopped before the new pack replaced the previous one: %s is as it was", target
        )
    else:
        log.warning(
            "stopped before the new pack replaced the previous one, which is kept at %s "
            "(something else is at %s now)",
            kept,
            target,
        )


def _finished_despite(signum: int, target: Path) -> str:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return (
        f"{name} came as the new pack was being put in place at {target}; the swap was "
        "finished rather than broken off, and the new pack is there"
    )


def _prepare_team_edits(target: Path, carried: frozenset[str]) -> tuple[Path, list[str]] | None:
    """The pack's workbooks the team edited and this build carried on from with --evidence,
    and an empty folder beside the pack to move them into (None when there are none): what
    --evidence carries is the Evidence sheet's team columns and added rows and the RACI
    letters, and anything else typed into the workbook (a sheet of notes, a cell elsewhere)
    would go with the old pack."""
    if not carried:
        return None
    edited = [name for name, sha256 in _edited_files(target) if sha256 in carried]
    if not edited:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    prefix = f"{_fitting_name(target.name)}.team-edits-{stamp}-"
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent)), edited
    except OSError as exc:
        error = environment_error(exc, target.parent / prefix)
        error.details.append("nothing was changed: the previous pack is as it was")
        raise error from exc


def _fitting_name(name: str) -> str:
    """``name`` cut, with a digest of it, so that the team-edits folder's name keeps to the
    255 bytes a file name may have (37 go to '.team-edits-<UTC>-' and mkdtemp's suffix)."""
    room = 255 - 37
    if len(os.fsencode(name)) <= room:
        return name
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    cut = os.fsencode(name)[: room - 9].decode("utf-8", "ignore")
    return f"{cut}~{digest}"


def _move_team_edits(retired: Path, edits: tuple[Path, list[str]], notes: list[str]) -> bool:
    """Move the team's edited workbooks out of the previous pack into their folder; False,
    with the whole previous pack moved there instead, when one cannot be moved (an immutable
    file: the build had reported a failure with the new pack already in place and the old
    one hidden: eleventh adversarial pass)."""
    kept, edited = edits
    moved: list[str] = []
    try:
        for name in edited:
            (kept / name).parent.mkdir(parents=True, exist_ok=True)
            (retired / name).rename(kept / name)
            moved.append(name)
        _give_mode(kept, retired)  # the team's workbooks stay as private as their pack was
    except OSError as exc:
        # those moved already go back, so that the previous pack is kept whole as said: the
        # first of two was left outside it, the pack kept without it (78b)
        stranded = [name for name in moved if not _moved_back(kept / name, retired / name)]
        notes.append(_previous_pack_kept(retired, kept, edited, exc, stranded))
        return False
    names = ", ".join(edited)
    notes.append(
        f"the team's edited workbook(s) of the previous pack ({names}) are kept in {kept}: "
        "their Evidence sheet's team columns and added rows and their RACI letters were "
        "carried into the new pack, anything else typed in them (another sheet, a cell "
        "elsewhere) was not"
    )
    return True


def _moved_back(moved: Path, home: Path) -> bool:
    try:
        moved.rename(home)
    except OSError:
        return False
    return True


def _previous_pack_kept(
    retired: Path, kept: Path, edited: list[str], exc: OSError, stranded: list[str]
) -> str:
    """Keep the whole previous pack in the team-edits folder (a folder renames whatever
    its files allow), and say where; ``stranded``: the workbooks moved out of it that could
    not be put back, said where they are."""
    reason = ENVIRONMENT_ERRORS.get(exc.errno or 0) or exc.strerror or str(exc)
    for name in edited:  # the folders made for them, if still empty
        with contextlib.suppress(OSError):
            (kept / name).parent.rmdir()
    where = kept / "previous-pack"
    try:
        _give_mode(kept, retired)
        retired.rename(where)
    except OSError:
        where = retired  # left where the swap put it; the next build names it too
    whole = "whole, with them," if not stranded else "with the others"
    outside = f", and {', '.join(stranded)} in {kept}" if stranded else ""
    return (
        f"the team's edited workbook(s) of the previous pack ({', '.join(edited)}) could not "
        f"be moved out of it ({reason}); the previous pack is kept {whole} in {where}"
        f"{outside}. The new pack is in place"
    )


def _edited_files(pack: Path) -> list[tuple[str, str]]:
    """(name, SHA-256) of each file the pack's manifest lists whose bytes changed since,
    read through the pack reader: a file reached through a link (a folder of the pack that
    is a link to the user's own) is not the pack's, and is never moved (eleventh pass)."""
    try:
        with PackDir(pack) as reader:
            outputs = reader.manifest().manifest.outputs
            return [
                (entry.path, sha256)
                for entry in outputs
                if (sha256 := _digest(reader, entry.path)) not in (None, entry.sha256)
            ]
    except (InputError, OSError):
        return []


def _digest(reader: PackDir, name: str) -> str | None:
    """SHA-256 of the pack's file ``name``; None when it is not a regular file of the pack
    (missing, a link, in a folder that is a link, too large)."""
    try:
        with reader.stream(name, file_limit(name)) as opened:
            for _ in opened.chunks():
                pass
            return opened.sha256()
    except (InputError, PackFileProblem, OSError):
        return None


def _changed_meanwhile(target: Path, changes: list[str], kept: Path | None) -> InputError:
    where = "it was put back as it was" if kept is None else f"it is kept at {kept}"
    more = [f"... and {len(changes) - 5} more"] if len(changes) > 5 else []
    return InputError(
        "the output directory changed after this build last checked it, as it was "
        f"replacing it ({len(changes)} change(s)); {where}, and the new pack was not "
        "written",
        file=target,
        details=changes[:5] + more,
        hint="Run the build again: it checks the output directory afresh.",
    )


def _put_back(retired: Path, target: Path) -> Path | None:
    """Rename the old pack back to ``target``; None once done, else where it stays (something
    is at ``target``: the new pack, or what was made there meanwhile, is not replaced)."""
    try:
        retired.rename(target)
    except OSError:
        return retired
    return None


def _retire(target: Path) -> Path | None:
    """Move the current pack aside; None when there is none."""
    if not os.path.lexists(target):
        return None
    # named, not made: a folder made for its name and removed before the rename was left
    # empty by a build killed between the two, and every later build took it for a pack
    # moved aside, kept it, and once put it back as the pack (75b)
    for _ in range(100):
        retired = target.parent / f"{RETIRED_PREFIX}{target_tag(target)}-{secrets.token_hex(4)}"
        if os.path.lexists(retired):
            continue
        try:
            target.rename(retired)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise environment_error(exc, target) from exc
        return retired
    raise environment_error(FileExistsError(errno.EEXIST, "no free name"), target)


def _discard(retired: Path, target: Path, notes: list[str]) -> None:
    """Delete the old pack, checked and replaced. It is renamed first, so that a build killed
    while deleting it leaves a name the next one removes without asking (clean_stale); what
    cannot be deleted (an immutable file...) is noted, naming the folder it is left in."""
    doomed = retired.with_name(DISCARD_PREFIX + retired.name.removeprefix(RETIRED_PREFIX))
    try:
        retired.rename(doomed)
    except OSError:
        doomed = retired
    failures = remove_tree(doomed)
    if failures:
        notes.append(not_removed(doomed, f"the previous pack of '{target.name}'", failures))
