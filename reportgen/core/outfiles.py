"""Writing a file the user named (``bundle -o``, ``inventory pull -o``): what may stand at
that path, and how it is replaced. ``init``, which writes in place, uses
:func:`refuse_special` alone (with its own --force rule for existing files).

A file is written beside its path and renamed over it, so whatever the path named is gone
afterwards: a rename over ``/dev/full`` (as root) replaced the device with a zip. So the
path is looked at with ``lstat`` first, and again just before the rename:

- nothing there, or an empty regular file (``mktemp``'s): written;
- a symbolic link, a FIFO, a device, a socket or a directory: refused, whatever the flags
  (the rename would replace the link or the node itself, never write through it);
- a regular file: replaced only when it is what this command writes (``ours``: an earlier
  bundle, an earlier pull's snapshot), or with ``--force``.

A temporary file of a run killed outright (SIGKILL, the out-of-memory killer) would stay
beside the path for ever: with ``locked`` (bundle, pull), the temporary file holds an
exclusive ``flock`` while its run lives (the kernel drops it however the process dies), and
the next run to write into that folder first removes the files of that prefix, this
user's, whose lock nobody holds (:func:`reportgen.core.sweeping.sweep_abandoned`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import signal
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from reportgen.core.errors import (
    InputError,
    check_output_path,
    environment_error,
    environment_errors,
    lock_errors,
)
from reportgen.core.exchange import exchange
from reportgen.core.heldfolder import HeldFolder
from reportgen.core.movejournal import (
    SWAP_MARK,
    Identity,
    Moving,
    Note,
    identity_of,
    noted,
    settle_killed,
)
from reportgen.core.safefiles import file_kind, open_regular
from reportgen.core.stopping import mark_finished, stop_signals_held
from reportgen.core.sweeping import sweep_abandoned

try:  # POSIX; elsewhere temporary files are neither locked nor swept
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_HEAD = 64 * 1024  # the most :func:`read_start` reads
log = logging.getLogger("reportgen.files")


def refuse_special(path: Path) -> os.stat_result | None:
    """InputError when ``path`` is a link, a FIFO, a device, a socket or a directory (or a
    part of its folder is a file); its lstat when it is a regular file; None when there is
    nothing there."""
    check_output_path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            "the output path is a symbolic link; refusing to replace it",
            file=path,
            hint="Choose another path, or remove the link; --force never replaces one.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"the output path is {file_kind(info.st_mode)}, not a regular file; refusing to "
            "replace it",
            file=path,
            hint="Choose another path; --force never replaces one.",
        )
    return info


def check_output_file(
    path: Path, what: str, ours: Callable[[Path], bool], *, force: bool = False
) -> None:
    """InputError unless ``path`` may be replaced by a new file: see the module. ``what``
    names what the command writes ("a bundle reportgen wrote")."""
    info = refuse_special(path)
    if info is None or info.st_size == 0 or force or ours(path):
        return
    raise InputError(
        f"the output path holds a file that is not {what}; refusing to replace it",
        file=path,
        hint="Choose another path, or pass --force to replace that file.",
    )


def read_start(path: Path, size: int) -> bytes:
    """The first ``size`` bytes (at most 64 KB) of a regular file, never through a link;
    b"" for anything that cannot be read so (``ours`` tests use it)."""
    try:
        fd = open_regular(path, "the output file", follow_symlinks=False)
    except InputError:
        return b""
    try:
        return os.read(fd, min(size, _HEAD))
    except OSError:
        return b""
    finally:
        os.close(fd)


def make_parents(target: Path) -> list[Path]:
    """Create the folders of ``target`` that are missing; those it created, outermost first
    (for :func:`remove_made`, should what was to be written there fail)."""
    missing = []
    for folder in target.parents:
        if os.path.lexists(folder):
            break
        missing.append(folder)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # mkdir(parents=True) may fail part-way (a name too long further down, no inodes
        # left): the folders it made before that were left behind (fifteenth pass, C31).
        remove_made(missing[::-1])
        raise _folder_not_made(exc, target.parent) from exc
    return missing[::-1]


def _folder_not_made(exc: OSError, folder: Path) -> InputError:
    """The error of a failed mkdir, naming the folder it failed on, not the file to be
    written in it; a link to a folder that does not exist is said to be one (it was "a
    file of that name is in the way", naming the file: nineteenth adversarial pass)."""
    error = environment_error(exc, None if exc.filename is not None else folder)
    error.message = f"cannot create the output directory: {error.message}"
    dangling = next(
        (f for f in (folder, *folder.parents) if f.is_symlink() and not f.exists()), None
    )
    try:
        pointed = os.readlink(dangling) if dangling is not None else None
    except OSError:  # the link gone since: the error as it is
        pointed = None
    if pointed is not None:
        error.file = str(dangling)
        error.message = (
            "cannot create the output directory: this is a symbolic link to "
            f"'{pointed}', which does not exist"
        )
        error.hint = "Create the folder the link points to, or name another folder."
    return error


def remove_made(made: list[Path]) -> None:
    """Remove the folders :func:`make_parents` made, the deepest first, each only while it
    is empty (rmdir): never one that was there before, nor one another run writes into."""
    for folder in reversed(made):
        try:
            os.rmdir(folder)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENAMETOOLONG):
                continue  # never made: the mkdir of a folder above it failed
            return  # not empty (another run's, or the user's), so neither are its parents


def created_mode(*, folder: bool = False) -> int:
    """0o666 less the process's umask: what open() gives a file it creates (0o777 less it,
    what mkdir gives a folder, with ``folder``). A file written through mkstemp (0600) and
    renamed into place is unreadable to the team a user shares it with, however their umask
    says files should be (eleventh adversarial pass); a folder made by mkdtemp (0700) too."""
    umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


def replacing_mode(path: Path) -> int:
    """The permissions for a file written over ``path``: those of the regular file there
    (its read and write bits), so that a file the user made private stays so; with nothing
    there, what :func:`created_mode` gives. A bundle was written 0644 whatever the umask,
    and widened a 0600 zip it replaced (fifteenth adversarial pass, C22)."""
    try:
        info = os.lstat(path)
    except OSError:
        return created_mode()
    if not stat.S_ISREG(info.st_mode):
        return created_mode()  # refused before the rename anyway (check_output_file)
    return stat.S_IMODE(info.st_mode) & 0o777  # never a set-id bit on a file we wrote


_ACCESS_ACL = "system.posix_acl_access"
_DEFAULT_ACL = "system.posix_acl_default"
FOLDER_ACLS = (_ACCESS_ACL, _DEFAULT_ACL)


def same_acls(target: int | Path, earlier: Path, names: tuple[str, ...] = (_ACCESS_ACL,)) -> None:
    """Give ``target``, just given ``earlier``'s mode, the POSIX ACLs ``earlier`` has, and
    take from it those ``earlier`` has not (one inherited from its folder's default). With
    an ACL, a mode's group bits are its mask, not the group's: a zip kept private by an ACL
    (0600 and one named reader) was replaced by a plain 0640 one, its group let in (57b).
    Nothing at ``earlier``: ``target`` keeps what it was given. A file system that holds
    no ACL is passed over; any other failure (a failing or full disk) is raised: passed over,
    the new file kept the ACL's mask as its group's bits, its group let in (73b)."""
    for name in names:
        try:
            value = os.getxattr(earlier, name, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENODATA:
                _acl_call(os.removexattr, target, name)
            elif exc.errno not in _NO_ACLS and exc.errno != errno.ENOENT:  # nothing there
                raise
            continue
        _acl_call(os.setxattr, target, name, value)


# What a file system without ACLs (or an ACL not there) answers: nothing to keep.
_NO_ACLS = frozenset({errno.ENODATA, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


def _acl_call(call: Callable[..., None], *args: Any) -> None:
    try:
        call(*args)
    except OSError as exc:
        if exc.errno not in _NO_ACLS:
            raise


def replacing_modes(paths: Iterable[Path]) -> int:
    """One mode for files written together over ``paths``: what :func:`replacing_mode`
    gives for each, the bits all allow, so none replaced private comes back readable by
    more (a pull over a 0600 snapshot wrote it 0644: 55b)."""
    mode = 0o777
    for path in paths:
        mode &= replacing_mode(path)
    return mode


def write_replacing(
    path: Path,
    write: Callable[[IO[Any]], None],
    check: Callable[[], None],
    *,
    text: bool = False,
    mode: int | None = None,
    prefix: str | None = None,
    locked: bool = False,
    replace: bool = True,
    final: bool = True,
) -> None:
    """Write ``path`` whole or not at all: ``write`` fills a temporary file beside it (text
    in UTF-8 when ``text``), then ``check`` runs again (the path may have changed while the
    file was written) and the file is renamed over ``path``. A full disk, a permission...
    is an InputError naming ``path``. ``mode``: the file's permissions (else mkstemp's
    0600); ``prefix``: of the temporary file's name (else ``.<name>.``); ``locked``: the
    temporary file is flocked until it is renamed, and dead runs' files of that prefix are
    swept first (see the module; give a prefix no user file has); ``replace`` False: a
    file that appears at ``path`` meanwhile is never replaced (:func:`_move_in`); ``final``
    False: not the command's own output, so a stop signal once it is in still stops it
    (attach's temporary zip made Ctrl-C ignored for the uploads after it: 83b)."""
    prefix = prefix or f".{path.name}."
    settle_moves(path.parent)
    if locked:
        with environment_errors(path):
            sweep_abandoned(path.parent, prefix)
    with _held_folder(path) as folder, _saying_moved(folder):
        temporary, lock = _write_temporary(path, write, text, mode, prefix, locked, folder)
        try:
            with stop_signals_held() as stops:
                [checked] = _checked([path], check)
                moving = _moving(path, temporary, checked)
                with environment_errors(path), noted(path.parent, [moving]):
                    _stop_if_asked(stops)  # the last moment nothing has changed (27b)
                    _discard(_move_in(temporary, path, replace, checked))
                _all_moved_in(stops, [path], final)
        except BaseException:
            _remove_temporary(folder, Path(temporary).name)  # wherever the folder has gone
            raise
        finally:
            if lock is not None:
                os.close(lock)


def write_together(
    outputs: Sequence[tuple[Path, Callable[[IO[Any]], None]]],
    check: Callable[[], None],
    *,
    text: bool = False,
    mode: int | None = None,
    prefix: str | None = None,
    locked: bool = False,
    replace: bool = True,
) -> None:
    """Write several files that describe each other (a snapshot and its sidecar) all or
    none: each is filled in a temporary file beside it first, ``check`` runs once all are
    written, and then each is renamed over its path; should one rename fail, the files the
    earlier renames replaced are put back. Renaming one while the next could not yet be
    written left a new CSV beside the sidecar of the pull before (fourteenth pass).
    ``prefix`` and ``locked`` as for :func:`write_replacing`: a pull killed while writing
    left its temporary snapshot for ever (fifteenth adversarial pass, F11)."""
    for folder in dict.fromkeys(path.parent for path, _ in outputs):
        settle_moves(folder)
        if locked and prefix:
            with environment_errors(folder):
                sweep_abandoned(folder, prefix)
    temporaries: list[tuple[Path, str]] = []
    locks: list[int] = []
    with contextlib.ExitStack() as stack:
        folders: dict[Path, HeldFolder] = {}
        for path, _ in outputs:
            if path.parent not in folders:
                folders[path.parent] = stack.enter_context(_held_folder(path))
                stack.enter_context(_saying_moved(folders[path.parent]))
        try:
            for path, write in outputs:
                named = prefix or f".{path.name}."
                folder = folders[path.parent]
                made = _write_temporary(path, write, text, mode, named, locked, folder)
                temporaries.append((path, made[0]))
                locks += [made[1]] if made[1] is not None else []
            with stop_signals_held() as stops:
                checked = _checked([path for path, _ in temporaries], check)
                held = folders[temporaries[0][0].parent] if len(folders) == 1 else None
                _rename_all(temporaries, replace, checked, stops, held)
                _all_moved_in(stops, [path for path, _ in temporaries])
        except BaseException:
            for path, temporary in temporaries:  # those not renamed yet
                _remove_temporary(folders[path.parent], Path(temporary).name)
            raise
        finally:
            for lock in locks:
                os.close(lock)


def _stop_if_asked(stops: list[int]) -> None:
    """Stop before the first file is moved in, when a stop signal came (it is delivered
    as the hold ends). Once moving has begun, a signal waits until every file is in or put
    back: Ctrl-C between a pull's two renames left the new CSV beside the earlier sidecar,
    and one just after a name exchange removed the user's file, put back under the
    temporary name (twenty-third pass)."""
    if stops:
        raise KeyboardInterrupt


def _all_moved_in(stops: list[int], paths: list[Path], final: bool = True) -> None:
    """The command's files are in place: a stop signal from now on ends nothing (one just
    after, as the command said what it wrote, exited 130 "aborted": 80b); one that came
    once files were being moved in waited for them: say so, and let the command finish. It
    said "aborted" (exit 130) with the new files in place and the earlier ones gone
    (twenty-fourth pass); a build says the same of its swap."""
    where = ", ".join(str(path) for path in paths)
    if final:
        mark_finished(f"{where} {'were' if len(paths) > 1 else 'was'} written")
    if not stops:
        return
    try:
        name = signal.Signals(stops[0]).name
    except ValueError:
        name = f"signal {stops[0]}"
    log.warning(
        "%s came as %s was being moved into place; that was finished rather than broken "
        "off, and the new file(s) are there",
        name,
        where,
    )
    stops.clear()


def _held_folder(path: Path) -> HeldFolder:
    """The folder ``path`` is written in, held open while its temporary file is: removed
    from there wherever the folder was moved meanwhile (sixteenth pass: a bundle left its
    210 MB temporary zip in a folder renamed while it wrote)."""
    with environment_errors(path):
        return HeldFolder(path.parent)


@contextlib.contextmanager
def _saying_moved(folder: HeldFolder) -> Iterator[None]:
    """A file not found because its folder was renamed while it was written is no typing
    mistake: say what happened, and that nothing it wrote is in place (a temporary name
    left in the folder where it is now is its note's to settle: "the temporary file was
    removed" was not always true, 43b)."""
    try:
        yield
    except InputError as exc:
        if folder.moved():
            left = ", ".join(folder.left_in_place)
            exc.details.append(
                f"{folder.path} was moved or removed while the file was written; "
                + (
                    f"the new {left} could not be taken back and is in place there now"
                    if left
                    else "nothing reportgen wrote was left in place"
                )
            )
            exc.hint = "Run the command again once the folder stays where it is."
        raise


def _write_temporary(
    path: Path,
    write: Callable[[IO[Any]], None],
    text: bool,
    mode: int | None,
    prefix: str,
    locked: bool,
    folder: HeldFolder,
) -> tuple[str, int | None]:
    """A temporary file beside ``path`` (in ``folder``) filled by ``write``, and its lock
    when ``locked``; nothing is left behind when writing it fails."""
    with environment_errors(path):
        fd, name = folder.make_file(prefix)
    temporary, lock = str(path.parent / name), None
    try:
        with lock_errors(path):  # a lock a network file system refuses (57b, 67b)
            lock = _hold(fd) if locked else None  # a copy: closing the handle keeps it
        opened = os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")
        with environment_errors(path), opened as handle:
            write(handle)
            # on disk before it takes the name: after a power loss the earlier file came
            # back empty or short on a file system that orders no rename after writes (71b)
            handle.flush()
            os.fsync(handle.fileno())
            if mode is not None:
                os.chmod(temporary, mode)
                same_acls(handle.fileno(), path)
    except BaseException:
        _remove_temporary(folder, name)
        if lock is not None:
            os.close(lock)
        raise
    return temporary, lock


def _remove_temporary(folder: HeldFolder, name: str) -> None:
    """Remove a temporary file on the way out of a failure. One that cannot be removed (the
    folder made immutable meanwhile) is said, and the failure that led here is still the
    one reported: the removal's "operation not permitted" replaced it, and with it the
    words saying a new file was left in place (fiftieth pass, 50b F1)."""
    try:
        folder.remove_file(name)
    except OSError as exc:
        log.warning(
            "%s: this temporary file could not be removed (%s); remove it once the folder "
            "allows it",
            (folder.now() or folder.path) / name,
            exc.strerror or type(exc).__name__,
        )


def _rename_all(
    renames: list[tuple[Path, str]],
    replace: bool,
    checked: list[Identity | None],
    stops: list[int],
    held: HeldFolder | None = None,
) -> None:
    """Rename each temporary file over its path; on any failure, undo those done. The
    moves are noted first (movejournal), then each earlier file is kept under a second
    name, so that a run killed at any point is undone or tidied by the next: second names
    made before the note stayed for good (twenty-sixth pass). ``held``: the files' folder,
    held open, where the undoing is done, wherever the folder was moved meanwhile (by path,
    init's folder renamed between its two moves kept the first file: thirty-third pass)."""
    names = [None if identity is None else _kept_name(path) for (path, _), identity in
             zip(renames, checked, strict=True)]  # fmt: skip
    moving = [
        _moving(path, temporary, identity, name, identity)
        for (path, temporary), identity, name in zip(renames, checked, names, strict=True)
    ]
    kept: list[str | None] = []
    done: list[tuple[Path, str | None]] = []
    with environment_errors(renames[0][0]), _noted_together(moving, renames) as note:
        try:
            for (path, _), name in zip(renames, names, strict=True):
                kept.append(_keep_earlier(path, name) if name else None)
            made = [_moving(path, t, i, k) for (path, t), i, k in
                    zip(renames, checked, kept, strict=True)]  # fmt: skip
            if made != moving:  # a copy (no hard links) is a file of its own: said again
                note.say(made)
            _stop_if_asked(stops)
            for (path, temporary), identity, second in zip(renames, checked, kept, strict=True):
                _discard(_move_in(temporary, path, replace, identity))
                done.append((path, second))
        except BaseException:
            undo = zip(done, moving[: len(done)], strict=True)
            for (path, second), noted_move in reversed(list(undo)):
                if not _put_back(path, second, held, noted_move.new):
                    kept = [name for name in kept if name != second]
            raise
        finally:
            _discard_all(kept, held)  # while the note stands: a kill now leaves none for good


def _discard_all(kept: list[str | None], held: HeldFolder | None = None) -> None:
    """Each second name, removed where the folder ``held`` is now when it was moved
    meanwhile (by path, one left there went unsaid: 50b)."""
    for second in kept:
        if second is not None and held is not None and held.moved():
            second = str((held.now() or held.path) / Path(second).name)
        _discard(second)


def _noted_together(
    moving: list[Moving], renames: list[tuple[Path, str]]
) -> contextlib.AbstractContextManager[Note]:
    """The note of the moves, where the files share a folder (they always do: a snapshot
    and its sidecar, init's two files); elsewhere none."""
    folders = {path.parent for path, _ in renames}
    if len(folders) == 1:
        return noted(renames[0][0].parent, moving)
    return contextlib.nullcontext(Note(None))


def _moving(
    path: Path,
    temporary: str,
    checked: Identity | None,
    kept: str | None = None,
    kept_as: Identity | None = None,
) -> Moving:
    """What the note says of one move (see :mod:`movejournal`); ``kept_as``: the second
    name's identity, that of the file it was made of unless given."""
    return Moving(
        name=path.name,
        temporary=Path(temporary).name,
        new=identity_of(temporary) or (0, 0, 0, 0),
        earlier=checked,
        kept=None if kept is None else Path(kept).name,
        kept_as=kept_as if kept_as is not None or kept is None else identity_of(kept),
    )


def settle_moves(folder: Path) -> None:
    """Undo what runs killed while moving files into ``folder`` left half-done, and say
    so (:mod:`movejournal`); the commands writing there call it before their checks. A stop
    signal waits until what was put back is said: one in the middle put a file back and
    dropped the words, and no later run said it (73b)."""
    with stop_signals_held():
        for sentence in settle_killed(folder):
            log.warning("%s", sentence)


def _checked(paths: list[Path], check: Callable[[], None]) -> list[Identity | None]:
    """Run ``check``; which file (or None: nothing) stood at each path while it looked. A
    file that changed under the check (swapped in as it ran) is refused."""
    before = [identity_of(path) for path in paths]
    check()
    after = [identity_of(path) for path in paths]
    for path, first, second in zip(paths, before, after, strict=True):
        if first != second:
            raise _appeared(path)
    return after


def _move_in(temporary: str, path: Path, replace: bool, checked: Identity | None) -> str | None:
    """The written file renamed to ``path``, never over another file than the one checked
    there (``checked``; None: nothing was there). Where nothing was, a hard link fails if a
    name appeared since, where rename() replaced the file a user saved in that moment
    (twenty-second pass, init and bundle -o); a file system without hard links gets the
    check and a rename. With ``replace``, the names are exchanged, and the earlier file
    looked at where it now is: the one checked, or it is put back (:mod:`exchange`).
    Returns the name the replaced file now has (to remove), or None."""
    with environment_errors(path):
        if checked is None or not replace:
            _link_in(temporary, path, checked)
            return None
        return _exchange_in(temporary, path, checked)


def _exchange_in(temporary: str, path: Path, checked: Identity) -> str | None:
    """:func:`_move_in` by exchanging names. The exchange is made under a name of its own
    that no sweep removes (``.<name>.reportgen-swap-*``): a run killed outright between the
    exchange and the exchange back left the user's file under the temporary name, which the
    next run's sweep deleted (twenty-fourth pass). Killed in that instant, a run leaves a
    file under that name, never removed by reportgen: the user's, the earlier one, or its
    own."""
    swap = str(path.with_name(f".{path.name}{SWAP_MARK}{secrets.token_hex(6)}"))
    os.rename(temporary, swap)
    try:
        exchanged = exchange(swap, path)
    except BaseException as exc:
        try:
            _named_back(swap, temporary)
        except OSError:  # the folder moved meanwhile: its error hid the exchange's (43b)
            raise exc from None
        if not isinstance(exc, FileNotFoundError):
            raise
        _link_in(temporary, path, None)  # the checked file is gone: nothing to replace
        return None
    if not exchanged:  # a file system that cannot exchange: the checks and a rename
        _named_back(swap, temporary)
        os.replace(temporary, path)
        return None
    if identity_of(swap) != checked:
        _put_back_exchanged(swap, path)
        os.unlink(swap)  # the file written, back under the swap name
        raise _appeared(path)
    return swap


def _named_back(swap: str, temporary: str) -> None:
    """The new file given back its temporary name, which a failure removes; one that
    cannot be (the folder made immutable) is said, as it stays (71b: left unsaid)."""
    try:
        os.rename(swap, temporary)
    except OSError as exc:
        log.warning(
            "%s: the new file, not put in place, could not be given back its temporary "
            "name (%s) and is left under this one; remove it once the folder allows it",
            swap,
            exc.strerror or type(exc).__name__,
        )
        raise


def _link_in(temporary: str, path: Path, checked: Identity | None) -> None:
    """``temporary`` renamed to ``path`` where nothing may be (``checked`` None), else
    refused: without ``replace`` the command found nothing there, so a file the last check
    saw there appeared since."""
    if checked is not None:
        raise _appeared(path)
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        raise _appeared(path) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(path):
            raise _appeared(path) from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _put_back_exchanged(temporary: str, path: Path) -> None:
    """Exchange the names back: the file that was swapped in at ``path`` while reportgen
    ran returns there, and ``temporary`` names the written file again. Should that fail,
    the user's file is given a name of its own beside ``path``, never left under a name
    that would be removed."""
    try:
        if exchange(temporary, path):
            return
    except OSError:
        pass
    keep = path.with_name(f"{path.name}.kept-{secrets.token_hex(4)}")
    os.rename(temporary, keep)
    raise InputError(
        "a file was written at this path while reportgen ran; it could not be put back, "
        f"and is now {keep.name}",
        file=path,
    )


_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


def _appeared(path: Path) -> InputError:
    return InputError(
        "a file was written at this path while reportgen ran; refusing to replace it",
        file=path,
        hint="Move that file away (or pass --force to replace it), then run again.",
    )


def _kept_name(path: Path) -> str:
    return str(path.with_name(f".{path.name}.{secrets.token_hex(6)}.kept"))


def _keep_earlier(path: Path, kept: str) -> str | None:
    """``kept``, made a second name for the file at ``path`` (a hard link, else a copy), so
    that it can be put back; None when there is nothing there. A file that cannot be kept
    so (immutable, unreadable) is an InputError naming ``path``, raised before anything was
    replaced."""
    try:
        os.link(path, kept, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError:  # a file system without hard links: a copy does
        _copy_regular(path, kept)
    return kept


def _copy_regular(path: Path, kept: str) -> None:
    """Copy the regular file at ``path`` to ``kept``, from the file opened and checked: a
    FIFO or socket swapped in was an internal error (52b), and one swapped in after the
    check, before the copy opened it, blocked the run for good (53b)."""
    fd = open_regular(path, "the file to replace", follow_symlinks=False)
    with os.fdopen(fd, "rb") as source, environment_errors(path):
        try:
            with os.fdopen(_private(kept), "wb") as copy:
                shutil.copyfileobj(source, copy)
                # written before its access is set: a write drops a file's capabilities,
                # and its set-id bits but for root (a small file's bytes, still buffered,
                # went out after them: 57b)
                copy.flush()
                _same_access(copy.fileno(), fd, os.fstat(fd), path)
        except BaseException:  # a full disk left the half-made copy (51b)
            _discard(kept)
            raise


def _private(name: str) -> int:
    """A new file ``name``, opened for writing, that only its owner may read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(name, flags, 0o600)


def _same_access(fd: int, source: int, earlier: os.stat_result, path: Path) -> None:
    """The copy's access: the earlier file's extended attributes (its ACL; without one,
    the folder's default ACL it was given is removed), owner and group where the user may
    set them, then its mode, less any set-id bit when the owner could not be kept. A copy
    took the umask's mode, and put back, a private snapshot (0600) came back readable by
    all (54b); its ACL was lost, a 4755 file came back set-id to the runner, and a group
    the runner could give was not given (55b)."""
    with contextlib.suppress(PermissionError):
        os.fchown(fd, -1, earlier.st_gid)
    with contextlib.suppress(PermissionError):
        os.fchown(fd, earlier.st_uid, -1)
    _same_attributes(fd, source)  # after: a change of owner drops file capabilities (56b)
    mode, now = stat.S_IMODE(earlier.st_mode), os.fstat(fd)
    if now.st_gid != earlier.st_gid:  # setgid to the runner's group (56b)
        mode &= ~stat.S_ISGID
    if now.st_uid != earlier.st_uid:
        mode &= ~(stat.S_ISUID | stat.S_ISGID)
        log.warning(
            "%s: there are no hard links here, so the earlier file is kept as a copy until "
            "the new one is in place, owned by you, not by its owner (uid %d)",
            path,
            earlier.st_uid,
        )
    os.fchmod(fd, mode)  # with the ACL copied, its group bits are the ACL's mask again


def _same_attributes(fd: int, source: int) -> None:
    """Copy ``source``'s extended attributes onto ``fd`` (best effort: a file system may
    take none), and remove an access ACL ``source`` has not. An ACL is no best effort: one
    that cannot be set (a failing disk) is raised, as :func:`same_acls` raises it, or the
    copy put back let its group in (74b)."""
    names = _names(source)
    for name in names:
        if name in (_ACCESS_ACL, _DEFAULT_ACL):
            _acl_call(os.setxattr, fd, name, os.getxattr(source, name))
            continue
        with contextlib.suppress(OSError):
            os.setxattr(fd, name, os.getxattr(source, name))
    if _ACCESS_ACL not in names:
        _acl_call(os.removexattr, fd, _ACCESS_ACL)


def _names(fd: int) -> list[str]:
    try:
        return os.listxattr(fd)
    except OSError:
        return []


def _put_back(path: Path, kept: str | None, held: HeldFolder | None, new: Identity) -> bool:
    """Undo one rename of :func:`_rename_all`: the earlier file back, or the new one gone.
    Where the folder was moved meanwhile, in ``held``, and only while its file is the one
    moved in (``new``); the second names and the note stay there by path, for the next run
    to settle. A file saved at ``path`` since is left as it is. Best effort: the error that
    made it undo is the one reported. False when it could not be done, and said: the
    second name is then the earlier file's only copy, to keep."""
    try:
        if held is not None and held.moved():
            if held.identity(path.name) == new:
                _put_back_held(held, path.name, kept)
                return True
            return _left_saved_held(held, path, kept)
        if identity_of(path) != new:  # saved there since: removed or overwritten (36b)
            return _left_saved(path, kept)
        if kept is None:
            os.unlink(path)
        else:
            os.replace(kept, path)
    except OSError as exc:  # the second name is then the earlier file's only copy (38b B)
        if held is not None and held.moved():  # said where the folder is now (49b)
            held.left_in_place.append(path.name)
            path, kept = _where_now(held, path, kept)
        log.warning(
            "%s could not be put back as it was (%s)%s",
            path,
            exc.strerror or type(exc).__name__,
            "" if kept is None else f"; {_kept_said(kept)}",
        )
        return False
    return True


def _left_saved(path: Path, kept: str | None) -> bool:
    """A file saved at ``path`` since it was moved in is left there; the earlier file's
    second name is then its only copy, kept and said (it was removed without a word: 41b).
    False when there is one."""
    if kept is None:
        return True
    log.warning(
        "%s was saved or removed since reportgen moved a file in, and is left as it is; %s",
        path,
        _kept_said(kept),
    )
    return False


def _left_saved_held(held: HeldFolder, path: Path, kept: str | None) -> bool:
    """:func:`_left_saved` in the folder moved meanwhile: its second name stayed there,
    unnamed, and the run said nothing was written (42b)."""
    if kept is None:
        return True
    return _left_saved(*_where_now(held, path, kept))


def _where_now(held: HeldFolder, path: Path, kept: str | None) -> tuple[Path, str | None]:
    """``path`` and ``kept`` in the folder ``held``, moved meanwhile, where it is now: by
    their old paths they named files that were not there (42b, 49b)."""
    now = held.now()
    if now is None:
        where = "in that folder, wherever it was moved"
        return path, None if kept is None else f"{Path(kept).name} {where}"
    return now / path.name, None if kept is None else str(now / Path(kept).name)


def _kept_said(kept: str) -> str:
    return f"the earlier file is kept as {kept}: look at it, then rename it back or remove it"


def _put_back_held(held: HeldFolder, name: str, kept: str | None) -> None:
    if kept is None:
        held.remove_file(name)
    else:
        held.replace(Path(kept).name, name)


def _discard(kept: str | None) -> None:
    """Remove a second name of an earlier file. One that cannot be (an immutable file) is
    said, and left: its error replaced the one a failed move was undone for, and named
    another file (pass 37b)."""
    if kept is None:
        return
    try:
        Path(kept).unlink(missing_ok=True)
    except OSError as exc:
        log.warning(
            "%s, a copy of an earlier file reportgen kept while moving files in, could not be "
            "removed (%s): look at it, then remove it",
            kept,
            exc.strerror or type(exc).__name__,
        )


def _hold(fd: int) -> int | None:
    """A duplicate of ``fd`` holding an exclusive flock on its file (None without flock)."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    lock = os.dup(fd)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
    return lock
