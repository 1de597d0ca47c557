"""Which output directories a build may replace: only a pack that reportgen wrote, as it
wrote it.

A build replaces its target whole, so a wrong "yes" here deletes a user's files. A directory
counts as a pack only by its own manifest (reportgen's schema and generator) and only when
every file in it is one the manifest lists, with the size and SHA-256 the manifest gives: a
Node project's ``manifest.json``, a folder holding a config and a copied ``old/matrix.json``,
a pack where someone saved ``qsa-notes.txt``, or one whose RACI workbook the team filled in
are all refused, naming a few of the files that would be lost. A workbook this build read
with ``--evidence`` is not lost: what the team recorded in it carries into the new pack.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.core.errors import InputError, environment_error
from reportgen.core.mounts import aliases, mount_points
from reportgen.core.pathtext import CONTROL_OR_NOT_UTF8, refuse_unwritable
from reportgen.core.safefiles import file_kind
from reportgen.core.terminal import one_line
from reportgen.pack.files import (
    Listing,
    MachineRefusal,
    PackDir,
    empty_folders,
    file_limit,
    framework_folders,
    list_tree,
    moved_aside,
    open_folder,
    read_manifest,
)
from reportgen.pack.manifest import MANIFEST_NAME
from reportgen.pack.manifest_schema import MAX_DEPTH, Manifest, OutputFile

_MAX_ENTRIES = 20_000  # a pack holds a few dozen files; past this it is someone's tree
_NAMED = 5  # files named in a refusal; the rest are counted


@dataclass(frozen=True)
class Read:
    """A file or folder the build reads: never inside the folder it replaces (_refuse_reads)."""

    what: str  # "the config file", "--previous"...: how the message names it
    path: Path
    # --previous and --evidence read a pack: the pack being replaced, or a file it lists (its
    # RACI workbook), is the normal rebuild; what it reads is in memory by then.
    of_the_pack: bool = False


@dataclass(frozen=True)
class Replace:
    """What the user allows a build to replace beyond a pack exactly as reportgen wrote it."""

    overwrite: bool = False  # --overwrite: a pack with files added (deleted) or missing
    discard_edits: bool = False  # --discard-edits: listed files changed since (changes lost)
    carried: frozenset[str] = frozenset()  # SHA-256 of each workbook this build read (--evidence)
    reads: tuple[Read, ...] = ()  # what the build reads: refused inside the target, any flags


@dataclass
class Survey:
    """What an existing output directory holds, as far as replacing it is concerned."""

    is_pack: bool  # reportgen's manifest at its root
    missing: list[str] = field(default_factory=list)  # listed in the manifest, not there
    foreign: list[str] = field(default_factory=list)  # there, not listed: not ours
    changed: list[str] = field(default_factory=list)  # "name (what differs)": edited since
    folders: list[str] = field(default_factory=list)  # every folder under it, relative
    # Folders holding none of the pack's files: someone made them (a user's tree of empty
    # folders was replaced without a word: fourteenth adversarial pass).
    user_folders: list[str] = field(default_factory=list)
    complete: bool = True  # False: more entries than _MAX_ENTRIES, not all listed
    has_manifest: bool = False  # reportgen's manifest at its root, whatever else is there

    def allowed(self, replace: Replace) -> bool:
        """Whether replacing it loses nothing the user did not allow to lose."""
        if not self.is_pack:
            return not self.foreign and not self.user_folders
        added = bool(self.foreign or self.missing or self.user_folders)
        return (replace.overwrite or not added) and (replace.discard_edits or not self.changed)


def check_replaceable(
    target: Path, replace: Replace | None = None, *, contents: bool = True
) -> None:
    """Raise InputError unless a build may put a new pack at ``target``.

    May: a path that does not exist, a directory holding no file, or a pack reportgen wrote with
    nothing added or changed. ``replace.overwrite`` also lets a pack with added or missing
    files be replaced (the added files are deleted: the user asked for it by name), and
    ``replace.discard_edits`` one whose listed files were changed; a listed file whose bytes
    are those of a workbook this build read with --evidence (``replace.carried``) counts as
    unchanged, since what the team recorded in it carries on. Never: a file, a symbolic link,
    the working directory or one of its parents, or a directory that is not a pack.
    ``contents`` False checks only what the path is, not what the directory holds: before
    the build lock, another build may be swapping its pack in (write.atomic_pack surveys the
    contents under the lock).
    """
    replace = replace or Replace()
    _refuse_inside_a_pack(target)
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            "the output path is a symbolic link; refusing to replace it",
            file=target,
            hint=moved_aside(target)
            or "Give the directory itself with --out (or output.dir), not a link to it.",
        )
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(
            f"the output path is {file_kind(info.st_mode)}, not a directory; refusing to "
            "replace it",
            file=target,
            hint=moved_aside(target) or "Choose a new or empty directory with --out.",
        )
    _refuse_working_directory(target)
    _refuse_mount_point(target)
    _refuse_reads(target, replace.reads)
    if not contents:
        return
    survey = survey_directory(target, replace.carried)
    _refuse_mounts_inside(target, survey.folders)
    if not survey.allowed(replace):
        raise _refusal(target, survey, replace)
    _refuse_read_only(target, survey.is_pack)


def plain_output_path(target: Path) -> Path:
    """``target`` without its '..' parts, as the build must know it before it starts: the
    staging folder is made beside the pack's folder, and ``sub/..`` as a name would put it
    inside, where the survey then counted it as the user's. ``dd/empty/sub/..`` is
    ``dd/empty``. When a symbolic link comes before a '..', the path names one folder as
    written and another as the system follows the link: refused, naming both, rather than
    guessed (a link above them all is followed either way, and is no ambiguity)."""
    _refuse_unwritable_name(target)
    if ".." not in target.parts:
        return target
    parts = target.absolute().parts
    last = max(index for index, part in enumerate(parts) if part == "..")
    head = Path(*parts[: last + 1])
    written, followed = Path(os.path.normpath(head)), Path(os.path.realpath(head))
    if Path(os.path.realpath(written)) != followed:
        tail = parts[last + 1 :]
        raise InputError(
            "the output path goes up ('..') from a symbolic link, so it names two folders: "
            f"'{written.joinpath(*tail)}' as written, and '{followed.joinpath(*tail)}' as "
            "the system follows the link; refusing to guess which",
            file=target,
            hint="Give the output folder without '..' (--out, or output.dir in the config).",
        )
    plain = Path(os.path.normpath(target))
    return plain if plain.name not in ("", "..") else Path(os.path.normpath(target.absolute()))


def _refuse_unwritable_name(target: Path) -> None:
    """A control character or a byte that is not UTF-8 anywhere in the output path: the
    workbook and PDF writers cannot name such a file (UnicodeEncodeError), and Fontconfig,
    given such a path, dropped the shipped fonts for the system's (tenth adversarial pass)."""
    refuse_unwritable(
        str(target.absolute()),
        str(target),
        subject="the output path",
        cannot="the PDF and workbook writers cannot use in a file name",
        hint="Choose an output folder whose path is plain text (--out, or output.dir).",
        found=CONTROL_OR_NOT_UTF8,
    )


def _refuse_reads(target: Path, reads: tuple[Read, ...]) -> None:
    """A build replaces its output directory whole, so an input it reads from inside it (a
    config, an inventory, a catalog, a templates folder saved into the pack) would be
    deleted with the old pack, --overwrite or not; and the next run would not find it.
    Refused before the build, naming it; by the path as given, with links resolved and
    through bind mounts.
    --previous and --evidence may name the pack itself, or a file it lists."""
    places = _both_ways(target)
    listed: dict[str, OutputFile] | None = None
    for read in reads:
        for where in _both_ways(read.path):
            pack = next((p for p in places if where == p or p in where.parents), None)
            if pack is None:
                continue
            if read.of_the_pack and where == pack:
                break
            if read.of_the_pack:
                if listed is None:
                    listed = _listed_files(target) or {}
                if where.relative_to(pack).as_posix() in listed:
                    break
            raise InputError(
                f"{read.what} that this build reads is inside the output directory "
                f"'{target}', which the build replaces whole: it would be deleted with the "
                "old pack; refusing to build",
                file=read.path,
                hint="Move it out of the pack folder (beside it, say) and give its new path, "
                "or choose another directory with --out.",
            )


def _both_ways(path: Path) -> tuple[Path, ...]:
    """``path`` as given (made absolute, '..' taken out), with links resolved, and as seen
    where a bind mount on its way was bound from (an input read through a bind mount of the
    pack was deleted with it: eleventh adversarial pass)."""
    seen = [Path(os.path.abspath(path)), Path(os.path.realpath(path)), *aliases(path)]
    return tuple(dict.fromkeys(seen))


def _refuse_read_only(target: Path, is_pack: bool = True) -> None:
    """A read-only pack is one someone chose to protect: a folder of it, or a file, without
    write permission for its owner (root too honours the mode bits here; --overwrite does
    not override them). Replacing the pack would delete its files, which needs write access
    to its folders, and a protected file says "keep this" even where the folders would allow
    it (``find pack -type f -exec chmod a-w {} +``). Say so before building, naming it.
    A file system mounted read-only is said as such first: no chmod helps there. An empty
    output directory is named as one, not as a pack (fourteenth adversarial pass)."""
    what = "the pack in the output directory" if is_pack else "the output directory"
    if _on_read_only_mount(target):
        raise InputError(
            f"{what} is on a read-only file system (it is mounted read-only); a build cannot "
            "write there",
            file=target,
            hint="Remount that file system read-write, or choose a path on a writable disk "
            "with --out.",
        )
    folders = [target]  # a list, not recursion: a tree of any depth is walked
    while folders:
        folder = folders.pop()
        if not _writable(folder, folder=True):
            raise _read_only(folder, target, is_pack)
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise environment_error(exc, folder) from exc
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
            elif not entry.is_symlink() and not _writable(Path(entry.path), folder=False):
                raise _read_only(Path(entry.path), target, is_pack)


def _on_read_only_mount(path: Path) -> bool:
    """Whether ``path`` lies on a file system mounted read-only (EROFS for any write)."""
    if not hasattr(os, "statvfs"):  # pragma: no cover - Windows
        return False
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _refuse_mount_point(target: Path) -> None:
    """A pack is replaced by renaming the new one into its place and the old one aside, and
    a mount point cannot be renamed (EBUSY): say so before the build, not after it."""
    if is_mount_point(target):
        raise InputError(
            "the output directory is a mount point (a file system is mounted on it); a build "
            "replaces a pack by renaming a new one into its place, and a mount point cannot "
            "be renamed",
            file=target,
            hint=f"Write the pack to a folder inside it, e.g. --out '{target / 'pack'}' (move "
            "a pack that is at the mount point into that folder first: a pack is never "
            "written inside another).",
        )


def _refuse_mounts_inside(target: Path, folders: list[str]) -> None:
    """A file system mounted on a folder of the pack is not the pack's: replacing the pack
    would delete the files on it, or leave the mount behind in a folder reportgen deletes.
    Refused whatever the flags, naming the folder (another device than the target's, or a
    mount point in /proc/self/mountinfo: a bind mount of the same file system)."""
    try:
        device = target.lstat().st_dev
    except OSError as exc:
        raise environment_error(exc, target) from exc
    mounts = mount_points()
    for name in folders:
        folder = target / name
        try:
            info = folder.lstat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise environment_error(exc, folder) from exc
        if info.st_dev != device or os.fsencode(os.path.realpath(folder)) in mounts:
            raise InputError(
                f"a file system is mounted on '{name}' inside the pack in the output "
                "directory; refusing to replace the pack, which would delete what is on it",
                file=target,
                hint=f"Unmount it (umount '{folder}') or choose another directory with --out.",
            )


def is_mount_point(path: Path) -> bool:
    """Whether a file system is mounted on the directory ``path``: another device than its
    parent's (os.path.ismount), or, for a bind mount of a folder of the same file system,
    listed as a mount point in /proc/self/mountinfo (Linux)."""
    if os.path.ismount(path):
        return True
    return os.fsencode(os.path.realpath(path)) in mount_points()


def _writable(path: Path, *, folder: bool) -> bool:
    try:
        info = path.lstat()
    except FileNotFoundError:  # removed meanwhile: nothing to protect
        return True
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if not info.st_mode & stat.S_IWUSR:
        return False
    return not folder or os.access(path, os.W_OK | os.X_OK)


def _read_only(path: Path, target: Path, is_pack: bool = True) -> InputError:
    if not is_pack:  # an empty folder: no pack to speak of
        return InputError(
            "the output directory is read-only (someone protected it); a build cannot write "
            "its pack there",
            file=path,
            hint=f"Make it writable (chmod u+w '{target}'; if it is immutable, 'lsattr -d' shows "
            "it and 'chattr -i' clears it) or choose another directory with --out.",
        )
    what = "a folder" if path.is_dir() else "a file"
    where = "the pack" if path == target else f"{what} of the pack"
    return InputError(
        f"{where} in the output directory is read-only (someone protected it); "
        "refusing to replace the pack",
        file=path,
        hint=f"Make it writable (chmod -R u+w '{target}'; if it is immutable, 'lsattr -d' "
        "shows it and 'chattr -R -i' clears it) or choose another directory with --out.",
    )


def _refuse_inside_a_pack(target: Path) -> None:
    """A pack written inside another pack adds files its manifest does not list: the outer
    pack would no longer verify (and a rebuild of it would refuse, or delete this one)."""
    seen = [target.absolute(), Path(os.path.realpath(target)), *aliases(target)]
    parents = dict.fromkeys(parent for path in seen for parent in path.parents)
    for parent in parents:  # as given, links resolved and through bind mounts: all one pack
        if (parent / MANIFEST_NAME).is_file() and _is_pack(parent):
            raise InputError(
                f"the output directory is inside the reportgen pack '{parent}'; a pack "
                "written there would break that pack's verification",
                file=target,
                hint="Choose a directory outside the pack with --out (e.g. a sibling folder).",
            )


def _is_pack(folder: Path) -> bool:
    """Whether ``folder``, above the output directory, is a pack. A manifest there the user
    may not read is not taken for one: it may be any program's manifest.json, and every
    build below it would be refused for a file that is not the user's to read."""
    try:
        return _listed_files(folder) is not None
    except MachineRefusal:
        return False


def _refuse_working_directory(target: Path) -> None:
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working directory was deleted under us: nothing to protect
        return
    resolved = target.resolve()
    if here == resolved or resolved in here.parents:
        raise InputError(
            "the output directory is the current directory or one of its parents; "
            "refusing to replace it (a build replaces its output directory whole)",
            file=target,
            hint="Give a subdirectory with --out, e.g. --out output/pack.",
        )


def survey_directory(path: Path, carried: frozenset[str] = frozenset()) -> Survey:
    """Compare the files under ``path`` with the manifest at its root (if it is ours): the
    names, then each listed file's size and SHA-256 (``carried``: see check_replaceable)."""
    listing = _files_under(path)
    present = sorted([*listing.files, *listing.too_deep])
    manifest = _manifest_of(path)
    listed = None if manifest is None else {entry.path: entry for entry in manifest.outputs}
    if listed is None or not listing.complete or listing.too_deep:
        # Past the caps the survey is incomplete: a file we did not see could be the user's,
        # so a directory this large or deep is never taken for a pack, whatever its
        # manifest lists (the refusal says which it is).
        unlisted = [name for name in present if listed is None or name not in listed]
        return Survey(
            False,
            foreign=[name for name in unlisted if name != MANIFEST_NAME or listed is None],
            folders=listing.folders,
            user_folders=empty_folders(listing.folders, present),
            complete=listing.complete,
            has_manifest=listed is not None,
        )
    foreign = [name for name in present if name != MANIFEST_NAME and name not in listed]
    missing = set(listed).difference(present)
    there = [entry for name, entry in sorted(listed.items()) if name not in missing]
    changed = _changed(path, there, carried)
    user_folders = empty_folders(listing.folders, [*listed, *framework_folders(manifest)])
    return Survey(True, sorted(missing), foreign, changed, listing.folders, user_folders)


def _changed(root: Path, entries: list[OutputFile], carried: frozenset[str]) -> list[str]:
    """The listed files that are not as reportgen wrote them, each as "name (what differs)":
    the pack reader's check (size from fstat first, then SHA-256 streamed in 1 MB chunks;
    a link, a FIFO or a sparse file is reported unread). A pack holds a few MB; at most
    1024 MB a file is read (files.file_limit)."""
    changed = []
    with PackDir(root) as pack:
        for entry in entries:
            problem = pack.check(entry.path, entry.size, entry.sha256)
            if problem is not None and not (carried and _digest(pack, entry.path) in carried):
                changed.append(f"{entry.path} ({problem})")
    return changed


def _digest(pack: PackDir, name: str) -> str | None:
    """SHA-256 of a regular file of the pack, None when the reader refuses it."""
    try:
        with pack.stream(name, file_limit(name)) as file:
            for _ in file.chunks():
                pass
            return file.sha256()
    except InputError:
        return None


Snapshot = dict[str, tuple[int, ...]]


def snapshot(path: Path) -> Snapshot | None:
    """What is at ``path`` now, entry by entry, to tell later whether anything changed: None
    when nothing is there; else every entry under it (links not followed, at most
    _MAX_ENTRIES and MAX_DEPTH levels: a larger tree is never replaced) by relative path,
    with its kind and inode, and for what is not a folder its size and its modification and
    change times. A file added, removed, written, replaced or renamed since shows as a
    difference; so does ``path`` itself replaced by another folder. Nothing is read."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    found: Snapshot = {".": (info.st_mode, info.st_dev, info.st_ino)}  # times: renames touch it
    if not stat.S_ISDIR(info.st_mode):
        return found
    listing = _files_under(path)
    for name in [*listing.folders, *listing.files, *listing.too_deep]:
        found[name] = _identity(path / name.rstrip("/"))
    if not listing.complete:
        found["..."] = ()  # more than the survey reads: never equal to a replaceable pack's
    return found


def _identity(path: Path) -> tuple[int, ...]:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ()  # removed while it was listed: a difference by itself
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if stat.S_ISDIR(info.st_mode):
        return (info.st_mode, info.st_ino)
    times = (info.st_mtime_ns, info.st_ctime_ns)
    return (info.st_mode, info.st_ino, info.st_size, *times)


def differences(before: Snapshot | None, after: Snapshot | None) -> list[str]:
    """What changed between two snapshots of one place, as "added: name", "removed: name",
    "changed: name" (sorted); empty when nothing did."""
    before, after = before or {}, after or {}
    return [
        f"{how}: {'the folder itself' if name == '.' else name}"
        for name in sorted(before.keys() | after.keys())
        if (how := _change(before.get(name), after.get(name)))
    ]


def _change(was: tuple[int, ...] | None, now: tuple[int, ...] | None) -> str | None:
    if was == now:
        return None
    if was is None:
        return "added"
    return "removed" if now is None else "changed"


def _files_under(root: Path) -> Listing:
    """Everything under ``root`` (links never followed, no recursion: packfiles.list_tree),
    at most _MAX_ENTRIES entries and MAX_DEPTH levels; empty folders lose nothing."""
    fd = open_folder(root)
    try:
        return list_tree(fd, _MAX_ENTRIES)
    except PermissionError as exc:  # a folder that cannot be listed: named, exit 2
        raise environment_error(exc, root / (exc.filename or "")) from None
    finally:
        os.close(fd)


def _listed_files(root: Path) -> dict[str, OutputFile] | None:
    """The outputs listed by reportgen's manifest at ``root``, by path; None when there is
    none (see :func:`_manifest_of`)."""
    manifest = _manifest_of(root)
    return None if manifest is None else {entry.path: entry for entry in manifest.outputs}


def _manifest_of(root: Path) -> Manifest | None:
    """reportgen's manifest at ``root``; None when there is none: the manifest must pass
    the pack reader's checks (reportgen/pack/files.py: no links, a regular file of at most
    4 MB, the strict schema of every field). A manifest the machine would not open (a
    permission, a file descriptor, a failing disk) raises MachineRefusal, exit 2 naming it:
    taken for "not a pack", the survey sent the user to choose another folder for what a
    chmod fixes (fourteenth adversarial pass)."""
    try:
        return read_manifest(root)
    except MachineRefusal:
        raise
    except InputError:
        return None


def _refusal(target: Path, survey: Survey, replace: Replace) -> InputError:
    if not survey.is_pack and survey.has_manifest:
        return _too_large(target, survey)
    if not survey.is_pack:
        lost = _count(survey.foreign, survey.complete) if survey.foreign else _folders(survey)
        return InputError(
            "the output directory is not a reportgen pack (it has no manifest.json written "
            f"by reportgen); refusing to replace it, which would delete {lost}",
            file=target,
            details=_some(survey.foreign or _named(survey.user_folders), complete=survey.complete),
            hint="Choose a new or empty directory with --out.",
        )
    problems, details, hints = [], [], []
    if not replace.overwrite and (survey.foreign or survey.missing or survey.user_folders):
        details += _some(survey.foreign + _named(survey.user_folders))
        if survey.foreign:
            problems.append(f"{_count(survey.foreign)} that reportgen did not write")
        if survey.user_folders:
            problems.append(f"{_folders(survey)} that reportgen did not make")
        if survey.missing:
            problems.append(f"{len(survey.missing)} of its listed file(s) are missing")
            details += _some(survey.missing, "missing: ")
        hints.append(
            "Move your own files out of the pack (a rebuild replaces it whole), or pass "
            "--overwrite to replace it and delete them."
        )
    if not replace.discard_edits and survey.changed:
        problems.append(
            f"{len(survey.changed)} of its listed file(s) changed since reportgen wrote them"
        )
        details += _some(survey.changed, "changed: ")
        hints.append(_EDITED_HINT)
    return InputError(
        "the output directory holds a reportgen pack with "
        + " and ".join(problems)
        + "; refusing to replace it",
        file=target,
        details=details,
        hint=" ".join(hints),
    )


def _too_large(target: Path, survey: Survey) -> InputError:
    """A pack reportgen wrote, holding more than the survey reads (past _MAX_ENTRIES entries
    or MAX_DEPTH levels): what is there, not "no manifest"."""
    if not survey.complete:
        what = (
            f"more than {_MAX_ENTRIES:,} files and folders, more than the survey reads (a "
            "pack holds a few dozen)"
        )
    else:
        what = (
            f"folders nested deeper than {MAX_DEPTH} levels, which the survey does not "
            "enter (a pack reportgen writes is two levels deep)"
        )
    return InputError(
        f"the output directory holds a reportgen pack, but also {what}; refusing to replace "
        "it, which would delete everything in it",
        file=target,
        # The deep folders first (list_tree names them "a/b/.../"): they are the reason.
        details=_some(
            sorted(survey.foreign, key=lambda n: not n.endswith("/")), "", survey.complete
        ),
        hint="Move your own files out of the pack, or choose another directory with --out. "
        "--overwrite does not apply: a build replaces only what its survey has seen.",
    )


_EDITED_HINT = (
    "A rebuild would lose those changes. Move the changed files out of the pack to keep "
    "them; for a RACI workbook your team filled in, pass it (or the pack) with --evidence, "
    "and what they recorded carries into the new pack; or pass --discard-edits to replace "
    "the pack and lose the changes."
)


def _count(names: list[str], complete: bool = True) -> str:
    if not complete:
        return f"more than {_MAX_ENTRIES:,} files and folders"
    if any(name.endswith("/") for name in names):  # list_tree did not enter these
        return f"{len(names)} file(s) and folders nested deeper than {MAX_DEPTH} levels"
    return f"{len(names)} file(s)"


def _folders(survey: Survey) -> str:
    return f"{len(survey.user_folders)} folder(s)"


def _named(folders: list[str]) -> list[str]:
    return [f"{folder} (a folder)" for folder in folders]


def _some(names: list[str], prefix: str = "", complete: bool = True) -> list[str]:
    """The first _NAMED names, then how many more: a count only when the listing was
    complete (past _MAX_ENTRIES the total is not known). Each on one line, escaped: a name
    holding a newline printed a line of its own (fifteenth adversarial pass, C34)."""
    shown = [prefix + one_line(name) for name in names[:_NAMED]]
    if not complete:
        shown.append(f"... and more (the survey stops after {_MAX_ENTRIES:,} entries)")
    elif len(names) > _NAMED:
        shown.append(f"... and {len(names) - _NAMED} more")
    return shown
