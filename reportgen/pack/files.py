"""One safe reader for the files of a pack: verify, diff, bundle, attach, build --previous.

A pack may come from anyone (a ticket, a zip, a shared drive), so it is read as untrusted:

- no symbolic link anywhere from the pack directory down: the pack directory itself, each
  folder inside it and each file are opened one component at a time relative to their
  parent with ``O_NOFOLLOW``, so a link (or one swapped in while reading) cannot lead out;
- regular files only: a FIFO, a device or a socket is refused before it is opened for
  reading (``stat``), and again by ``fstat`` of what was opened;
- sizes come from ``fstat`` before a byte is read: a listed file of another size than the
  manifest says, one over the cap for its kind (:func:`file_limit`) or one with holes (a
  sparse file: reportgen never writes one) is reported at once, never hashed;
- folders are listed without recursion, at most :data:`MAX_DEPTH` deep and
  :data:`MAX_FILES` entries;
- files are streamed in 1 MB chunks (hashed, zipped, copied), never read whole, except the
  manifest, a summary and a matrix, whose caps are small; a matrix's JSON values are
  counted and its memory bounded by bytes before it is decoded (:func:`read_matrix`);
- manifest.json is parsed with a depth limit, duplicate keys refused, and checked against
  the strict schema of :mod:`reportgen.pack.manifest_schema` (each output path once).

:func:`read_manifest` is the one call for "is this a pack reportgen wrote?".
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from reportgen.core import jsonlimits
from reportgen.core.errors import InputError, environment_error, environment_errors
from reportgen.core.safefiles import file_kind, has_holes, read_fd, too_big
from reportgen.core.validation import error_message, key_path
from reportgen.pack.manifest_schema import MANIFEST_NAME, MAX_DEPTH, Manifest
from reportgen.pack.matrix_check import check_pack_matrix
from reportgen.pack.shape_check import shape_problems

MB = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * MB  # a pack's manifest is a few KB
# Every catalog service (249) in the inventory: PCI DSS's matrix.json is 16.6 MB with 10,000
# rows and 16.8 MB with 100,000 (it grows with services, not rows).
MAX_MATRIX_BYTES = 48 * MB
MAX_SUMMARY_BYTES = 16 * MB
MAX_FILE_BYTES = 1024 * MB  # any other file of a pack (that PCI DSS pack's largest: 53 MB)
MANIFEST_DEPTH = 8  # manifest.json nests 4 deep
MATRIX_DEPTH = 32  # matrix.json nests 6 deep
# JSON values and keys, counted before parsing (jsonlimits.values_bound): parsed, each
# costs up to ~120 bytes. That PCI DSS matrix has 561,000; its pack's three, 912,000.
MAX_MANIFEST_VALUES = 200_000
MAX_MATRIX_VALUES = 1_200_000
MAX_RUN_MATRIX_VALUES = 2_400_000  # all matrices one command reads (diff: both packs)
# Memory, by bytes: JSON values alone do not bound it (one long string holds 47 MB in one
# value, and one emoji in it makes it 188 MB decoded). Parsing one matrix may take at most
# MAX_MATRIX_MEMORY (jsonlimits.memory_bound; that PCI DSS matrix, 18 MB: 147 MB bounded,
# 90 MB measured); one command reads at most MAX_RUN_MATRIX_BYTES of matrices and keeps
# MAX_RUN_KEPT_BYTES of them (diff keeps only the fields it compares: that pack's three,
# about 1 MB). A pack holds one matrix per framework: at most MAX_PACK_MATRICES are read.
MAX_MATRIX_MEMORY = 192 * MB
MAX_RUN_MATRIX_BYTES = 128 * MB
MAX_RUN_KEPT_BYTES = 16 * MB
MAX_PACK_MATRICES = 8  # reportgen knows 3 frameworks
MAX_FILES = 100_000  # entries (files and folders) a pack directory may hold
SUMMARY_NAME = "summary.md"
_CHUNK = 1024 * 1024
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
NOT_A_PACK_HINT = "Packs built by reportgen 0.1 and later have a manifest.json at their root."


# The machine's refusals, not the pack's: a pack that cannot be opened for want of a
# permission, of a file descriptor or of a working disk is not a tampered pack (exit 2
# naming it, never MISSING, ALTERED or EXTRA).
_MACHINE = frozenset(
    {errno.EACCES, errno.EPERM, errno.EMFILE, errno.ENFILE, errno.EIO, errno.ESTALE}
    | {errno.ENOLINK, errno.EREMOTEIO, errno.ENXIO, errno.ENODEV}  # were internal errors (56b)
    | {errno.ETIMEDOUT}  # a soft-mounted network file system's (58b)
    | {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}  # named no file (59b)
)


def _close(fd: int) -> None:
    """Close a descriptor of the pack opened only to read: a failure to (a network file
    system's stale handle) loses nothing, and was said naming no file (58b)."""
    with contextlib.suppress(OSError):
        os.close(fd)


def machine_refusal(exc: OSError) -> bool:
    return exc.errno in _MACHINE


class MachineRefusal(InputError):
    """A file of the pack the machine would not open (:func:`machine_refusal`), exit 2 naming
    it. Its own class so that a caller that takes an unreadable manifest for "not a pack"
    (the build's survey of its output folder) lets this one through: a local permission is
    not a folder reportgen did not write."""

    @classmethod
    def of(cls, exc: OSError, path: Path) -> MachineRefusal:
        said = environment_error(exc, path)
        return cls(said.message, file=said.file, hint=said.hint)


class PackIntegrityError(InputError):
    """The pack does not match its manifest: bundle, attach, diff and build --previous
    refuse it (exit 1, as verify), whatever the mismatch (a hash, a size, a link, a FIFO)."""

    exit_code = 1


class PackFileProblem(Exception):
    """A file of the pack cannot be read as it must be; ``problem`` says why in words."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name, self.problem = name, problem


@dataclass(frozen=True)
class LoadedManifest:
    manifest: Manifest
    sha256: str  # of manifest.json's bytes as read
    data: dict[str, Any]  # the JSON as read (validated)


def open_folder(path: Path) -> int:
    """An fd of the directory ``path`` itself, never through a link (O_NOFOLLOW)."""
    try:
        return os.open(path, _DIRECTORY)
    except OSError as exc:
        raise environment_error(exc, path) from exc


def moved_aside(path: Path, named: bool = False) -> str | None:
    """Where a build killed while replacing the pack at ``path`` left it: verify and bundle
    said only "no such directory", as if it were lost (pass 37b). ``named``: the message
    names ``path`` (a file in it was given)."""
    from reportgen.pack.write import retired_beside  # write.py builds on this module

    retired = retired_beside(path)
    if retired is None:
        return None
    pack = f"the pack at {path}" if named else "this pack"
    if os.path.lexists(path):  # a folder or link made there since: no build moves it back
        return (
            f"A build killed while replacing {pack} moved it aside to {retired.name} "
            "beside it; with something else at this path now, a build keeps it there: move "
            "what is at the path away and rename it back yourself."
        )
    return (
        f"A build killed while replacing {pack} moved it aside to {retired.name} beside "
        "it; the next build there puts it back, or rename it back yourself."
    )


def pack_moved_aside_above(path: Path) -> Path | None:
    """The folder a file of a pack (``pack/framework/file``) lies in, or the pack's, from
    which a build killed while replacing it moved the pack aside: --evidence
    ``p/soc2/...-raci.xlsx`` never named it, and read another pack's workbook through a
    link made at ``p`` since (pass 66b)."""
    from reportgen.pack.write import retired_beside  # write.py builds on this module

    seen = Path(os.path.normpath(_from_the_shell(path)))  # 'fw/../fw/x' hid it (67b)
    for place in (seen.parent, seen.parent.parent):
        if place != place.parent and retired_beside(place) is not None:
            return place
    return None


def link_where_a_pack_was(path: Path) -> Path | None:
    """The first link met on the way to ``path`` that stands where a build killed while
    replacing a pack moved it aside: read through it, another pack's workbook was taken
    for the team's, by ``pack/fw/../fw/x``, from inside the link, or through another link
    to the folder (pass 67b)."""
    from reportgen.pack.write import retired_beside  # write.py builds on this module

    for link in _links_met(_from_the_shell(path)):
        try:
            if retired_beside(link) is not None:
                return link
        except OSError:  # a folder that may be entered, not listed (0711): none known
            continue
    return None


def check_no_link_where_a_pack_was(path: Path) -> None:
    """Refuse ``path`` when it goes through a link standing where a build killed while
    replacing a pack moved it aside (see :func:`link_where_a_pack_was`)."""
    link = link_where_a_pack_was(path)
    if link is not None:
        raise InputError(
            f"the path goes through a link at {link}, where a build killed while replacing "
            "the pack moved it aside",
            file=path,
            hint=moved_aside(link, named=True),
        )


_MOST_LINKS = 40  # followed on the way to a file, as Linux follows at most


def _links_met(path: Path) -> Iterator[Path]:
    """Each symbolic link met resolving the absolute ``path`` as the system does ('..'
    after a link is the parent of where it points), named where it stands."""
    pending = list(reversed(path.parts[1:]))
    current = Path(path.anchor)
    for _ in range(_MOST_LINKS):
        while pending and not (current / pending[-1]).is_symlink():
            name = pending.pop()
            current = current.parent if name == ".." else current / name
        if not pending:
            return
        link = current / pending.pop()
        yield link
        try:
            target = Path(os.readlink(link))
        except OSError:
            return
        if target.is_absolute():
            current = Path(target.anchor)
        pending.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))


def _from_the_shell(path: Path) -> Path:
    """``path`` made absolute from the working folder as the shell names it ($PWD, which
    keeps the links it was reached through), else as the system does."""
    if path.is_absolute():
        return path
    shell = os.environ.get("PWD", "")
    try:
        base = shell if os.path.isabs(shell) and os.path.samefile(shell, ".") else os.getcwd()
    except OSError:
        base = os.getcwd()
    return Path(base) / path


def check_pack_dir(path: Path) -> None:
    """Raise InputError unless ``path`` is a directory itself (no link), naming where a build
    killed while replacing a pack there moved it aside (:func:`moved_aside`). Also for the
    command line, where click refused a file at the path first and the retired pack went
    unnamed (pass 48b F2). The path is the pack's as written, too: ``pack/fw/..`` read the
    pack a link made at ``pack`` points to, another customer's where a killed build had
    moved this one aside (pass 68b)."""
    check_no_link_where_a_pack_was(path)
    named = Path(os.path.normpath(path))
    if named != path and (os.path.islink(named) or not os.path.lexists(path)):
        path = named  # and where it is missing, it is the pack moved aside (69b)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise InputError("no such directory", file=path, hint=moved_aside(path)) from None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if stat.S_ISLNK(mode):
        raise InputError(
            "the pack directory is a symbolic link; a pack is read only through its own path",
            file=path,
            hint=moved_aside(path) or f"Give the directory itself: {os.path.realpath(path)}",
        )
    if not stat.S_ISDIR(mode):
        raise InputError(
            f"not a directory: it is {file_kind(mode)}", file=path, hint=moved_aside(path)
        )


def _open_pack_dir(path: Path) -> int:
    check_pack_dir(path)
    try:
        return os.open(path, _DIRECTORY)
    except OSError as exc:
        raise environment_error(exc, path) from exc


def _open_at(parent: int, part: str, name: str, directory: bool) -> int:
    """Open one path component under the directory fd ``parent``, never through a link."""
    try:
        mode = os.stat(part, dir_fd=parent, follow_symlinks=False).st_mode
    except FileNotFoundError:
        raise PackFileProblem(name, "missing") from None
    if stat.S_ISLNK(mode):
        what = f"'{part}' is a symbolic link" if directory else "is a symbolic link"
        raise PackFileProblem(name, f"{what}, not the file that was written")
    wanted = stat.S_ISDIR if directory else stat.S_ISREG
    if not wanted(mode):
        kind = "a folder" if directory else "a regular file"
        raise PackFileProblem(name, f"'{part}' is {file_kind(mode)}, not {kind}")
    try:
        fd = os.open(part, _DIRECTORY if directory else _FILE, dir_fd=parent)
    except FileNotFoundError:
        raise PackFileProblem(name, "missing") from None
    except OSError as exc:  # ELOOP: a link swapped in since the stat
        if machine_refusal(exc):  # the machine's refusal, not the pack's: PackDir.open says so
            raise
        raise PackFileProblem(name, f"cannot be opened ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        _close(fd)
        raise  # the machine's refusal: PackDir.open names the file
    if not wanted(mode):
        _close(fd)
        raise PackFileProblem(name, f"'{part}' changed while it was opened")
    return fd


class PackDir:
    """An open pack directory; every file is read relative to it (``with PackDir(p) as d``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = _open_pack_dir(path)

    def __enter__(self) -> PackDir:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        replaced = self.fd >= 0 and self._replaced()
        self.close()
        if replaced and (exc is None or isinstance(exc, Exception)):
            raise InputError(
                "the pack was replaced while it was read (a build swapped a new one in), so "
                "what was read was being deleted: nothing is concluded of it",
                file=self.path,
                hint="Run the command again once the build is over.",
            ) from exc

    def _replaced(self) -> bool:
        """Whether the path no longer names the folder opened: verify, bundle and diff
        reading a pack that a build replaced called every file MISSING, a pack tampered
        with (64b)."""
        try:
            now, opened = os.stat(self.path, follow_symlinks=False), os.fstat(self.fd)
        except OSError:
            return True
        return (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def open(self, name: str) -> int:
        """An fd of the regular file ``name`` (a relative POSIX path) of the pack.

        An unreadable file or folder (EACCES, EPERM) is an InputError (exit 2) naming it:
        a permission problem here is the machine's, never a pack that was tampered with."""
        parts = name.split("/")
        parent, opened = self.fd, []
        try:
            for part in parts[:-1]:
                parent = _open_at(parent, part, name, directory=True)
                opened.append(parent)
            return _open_at(parent, parts[-1], name, directory=False)
        except OSError as exc:  # the folder or the file that could not be opened
            if not machine_refusal(exc):
                raise
            reached = "/".join(parts[: len(opened) + 1])
            raise MachineRefusal.of(exc, self.path / reached) from None
        finally:
            for fd in opened:
                _close(fd)

    def read(self, name: str, limit: int, what: str) -> bytes:
        """The bytes of a file of the pack; InputError if it is not a regular file of at
        most ``limit`` bytes."""
        try:
            fd = self.open(name)
        except PackFileProblem as problem:
            raise InputError(problem.problem, file=self.path / name) from None
        try:
            return read_fd(fd, limit, self.path / name, what)
        finally:
            _close(fd)

    def stream(self, name: str, limit: int) -> PackFile:
        """The file ``name`` opened for one pass in chunks (``with pack.stream(...) as f``);
        InputError if it is not a regular file of at most ``limit`` bytes without holes:
        checked from fstat and SEEK_HOLE before a byte is read, as :meth:`check` does (a
        1000 MB sparse workbook was copied densely by --evidence before it was refused)."""
        try:
            fd = self.open(name)
        except PackFileProblem as problem:
            raise InputError(problem.problem, file=self.path / name) from None
        size = os.fstat(fd).st_size
        if size > limit:
            _close(fd)
            raise too_big(size, limit, self.path / name, "the file")
        if has_holes(fd, size):
            _close(fd)
            sparse = f"a sparse file ({size:,} bytes, with holes): reportgen never writes one"
            raise InputError(sparse, file=self.path / name)
        return PackFile(fd, size, self.path / name)

    def check(self, name: str, size: int, sha256: str) -> str | None:
        """None when the file matches ``size`` and ``sha256``, else what is wrong ("missing",
        a link, a size that differs, a hash that differs). The size comes from fstat before
        any byte is read."""
        try:
            fd = self.open(name)
        except PackFileProblem as problem:
            return problem.problem
        try:
            with environment_errors(self.path / name):  # EIO named no file (55b, 59b)
                problem = _unlike_listed(fd, name, size)
                if problem:
                    return problem
                digest, read = _hash_fd(fd, size)
        finally:
            _close(fd)
        if read != size:
            return f"changed while it was read ({read} bytes, manifest says {size})"
        if digest != sha256:
            return f"SHA-256 {digest[:16]}…, manifest says {sha256[:16]}…"
        return None

    def stream_listed(self, name: str, size: int) -> PackFile:
        """The file ``name`` the manifest lists with ``size`` bytes, open for one pass
        (:meth:`stream`); PackIntegrityError (exit 1, as verify) when it is not what
        :meth:`check` accepts before hashing: missing, a link, not a regular file, of
        another size, over the cap for its kind, sparse. :meth:`PackFile.require` checks
        the hash once read."""
        try:
            fd = self.open(name)
        except PackFileProblem as problem:
            raise _not_as_listed(self.path / name, problem.problem) from None
        try:
            with environment_errors(self.path / name):  # an fstat refused named no file (59b)
                problem = _unlike_listed(fd, name, size)
        except BaseException:
            _close(fd)
            raise
        if problem:
            _close(fd)
            raise _not_as_listed(self.path / name, problem)
        return PackFile(fd, size, self.path / name)

    def manifest(self) -> LoadedManifest:
        """manifest.json, read and checked; InputError (exit 2) when it is not a pack's."""
        path = self.path / MANIFEST_NAME
        try:
            fd = self.open(MANIFEST_NAME)
        except PackFileProblem as problem:
            if problem.problem == "missing":
                message = "not a reportgen pack: manifest.json is missing"
                hint = moved_aside(self.path) or NOT_A_PACK_HINT  # a folder made there since
                raise InputError(message, file=self.path, hint=hint) from None
            raise InputError(f"not a reportgen pack: {problem}", file=self.path) from None
        try:
            data = read_fd(fd, MAX_MANIFEST_BYTES, path, "the manifest")
        finally:
            _close(fd)
        return parse_manifest(data, path)

    def files(self, kept: Iterable[str] = ()) -> list[str]:
        """Every entry of the pack that is not a folder (links, FIFOs, devices included),
        as sorted relative POSIX paths, manifest.json left out; a folder nested deeper than
        any pack's, and one that holds no file (reportgen makes none: build refuses to
        replace a pack holding one, so verify must not call it intact: nineteenth pass),
        is listed as ``its/path/`` (``kept``: names that count as files there, the
        :func:`framework_folders` of the pack's manifest)."""
        try:
            listing = list_tree(self.fd, MAX_FILES)
        except OSError as exc:  # a folder that cannot be listed: not an extra file
            if not machine_refusal(exc):
                raise
            named = exc.filename if isinstance(exc.filename, str) else ""
            raise environment_error(exc, self.path / named) from None
        if not listing.complete:
            many = f"the pack holds more than {MAX_FILES:,} files and folders"
            raise InputError(many, file=self.path)
        found = [*listing.files, *listing.too_deep]
        empty = set(empty_folders(listing.folders, [*found, *kept]))
        outermost = (name for name in empty if str(PurePosixPath(name).parent) not in empty)
        found += [f"{name}/" for name in outermost]
        return sorted(name for name in found if name != MANIFEST_NAME)


def framework_folders(manifest: Manifest) -> list[str]:
    """A stand-in file in each framework's folder, for :func:`empty_folders`: a pack built
    with --format summary alone had an empty folder for each framework before the
    nineteenth session; it is reportgen's, not one a user added."""
    return [f"{framework.id}/-" for framework in manifest.frameworks]


def empty_folders(folders: list[str], files: Iterable[str]) -> list[str]:
    """The folders holding none of ``files`` (at any depth): for a pack, the folders its
    manifest does not account for; for a folder that is not one, those holding nothing."""
    holding = {str(parent) for name in files for parent in PurePosixPath(name).parents}
    return sorted(folder for folder in folders if folder not in holding)


def _unlike_listed(fd: int, name: str, size: int) -> str | None:
    """What :meth:`PackDir.check` finds wrong with the open file before reading a byte."""
    found = os.fstat(fd).st_size
    if found != size:
        return f"size {found} bytes, manifest says {size}"
    limit = file_limit(name)
    if size > limit:
        return f"size {size:,} bytes, over the limit of {limit:,} bytes for this file"
    if has_holes(fd, size):
        return f"a sparse file ({size:,} bytes, with holes): reportgen never writes one"
    return None


def _not_as_listed(path: Path, problem: str) -> PackIntegrityError:
    return PackIntegrityError(
        f"does not match the pack's manifest: {problem}",
        file=path,
        hint="Run 'reportgen verify' for the full report, or rebuild the pack.",
    )


@dataclass
class Listing:
    """What a folder holds, listed without following links (:func:`list_tree`)."""

    files: list[str] = field(default_factory=list)  # not folders: files, links, FIFOs...
    folders: list[str] = field(default_factory=list)
    too_deep: list[str] = field(default_factory=list)  # "a/b/.../" at MAX_DEPTH, not entered
    complete: bool = True  # False: stopped past max_entries


def list_tree(root: int, max_entries: int, max_depth: int = MAX_DEPTH) -> Listing:
    """Everything under the open directory ``root``, as relative POSIX paths. Iterative (a
    chain of 1,100 folders is no RecursionError): one open folder per level, at most
    ``max_depth`` levels; folders deeper are named in ``too_deep``, not entered. Stops past
    ``max_entries`` entries (files and folders), with ``complete`` False. A folder that
    cannot be opened for want of permission (or of a descriptor) raises OSError naming it
    (relative)."""
    listing, seen = Listing(), 0
    stack: list[tuple[int, Iterator[os.DirEntry[str]], str]] = []
    try:
        stack.append((-1, _scan(root, "."), ""))
        while stack:
            parent, entries, prefix = stack[-1]
            entry = _next_entry(entries, prefix)
            if entry is None:
                _close_level(stack.pop())
                continue
            seen += 1
            if seen > max_entries:
                listing.complete = False
                break
            name = prefix + entry.name
            if not entry.is_dir(follow_symlinks=False):
                listing.files.append(name)
            elif len(stack) >= max_depth:
                listing.too_deep.append(name + "/")
            else:
                listing.folders.append(name)
                child = _open_child(root if parent < 0 else parent, entry.name, name)
                if child is None:  # swapped for a link or a file since it was listed
                    listing.files.append(name)
                else:
                    stack.append((child, _scan(child, name), name + "/"))
    finally:
        for level in stack:
            _close_level(level)
    return listing


def _next_entry(entries: Iterator[os.DirEntry[str]], prefix: str) -> os.DirEntry[str] | None:
    """The folder's next entry. A failure to read it names the folder: scandir of a
    descriptor names the descriptor's number, and the error built from it was an internal
    error (a pack on a network file system: 57b)."""
    try:
        return next(entries, None)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, prefix.rstrip("/") or ".") from None


def _scan(fd: int, relative: str) -> Iterator[os.DirEntry[str]]:
    try:
        return os.scandir(fd)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, relative) from None


def _open_child(parent: int, name: str, relative: str) -> int | None:
    try:
        return os.open(name, _DIRECTORY, dir_fd=parent)
    except OSError as exc:  # unreadable, not "swapped for a file": say which
        if machine_refusal(exc):
            raise OSError(exc.errno, exc.strerror, relative) from None
        return None


def _close_level(level: tuple[int, Iterator[os.DirEntry[str]], str]) -> None:
    fd, entries, _ = level
    entries.close()  # type: ignore[attr-defined]
    if fd >= 0:
        _close(fd)


def inside(path: Path, folder: int) -> bool:
    """Whether a file written at ``path`` (which need not exist yet) lands inside the open
    directory ``folder``, however the path reaches it: each existing folder above where it
    lands (links resolved) is compared by device and inode with ``folder`` and every folder
    under it, so an alias (a link to the pack or to one of its folders, '..', a bind mount
    of either) is caught like the pack's own path."""
    ours = folder_ids(folder)
    lands = Path(os.path.realpath(path.parent if path.name else path))
    for candidate in (lands, *lands.parents):
        try:
            found = os.stat(candidate)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) in ours:
            return True
    return False


def folder_ids(folder: int) -> set[tuple[int, int]]:
    """(device, inode) of the open directory ``folder`` and of each folder under it (not
    through links; at most :data:`MAX_FILES` entries, :data:`MAX_DEPTH` levels)."""
    top = os.fstat(folder)
    ids = {(top.st_dev, top.st_ino)}
    for name in list_tree(folder, MAX_FILES).folders:
        try:
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except OSError:  # gone since it was listed: nothing can land in it
            continue
        if stat.S_ISDIR(info.st_mode):
            ids.add((info.st_dev, info.st_ino))
    return ids


def file_limit(name: str) -> int:
    """The most bytes the pack file ``name`` may have: what the readers of its kind cap
    (matrix.json, summary.md), else :data:`MAX_FILE_BYTES`."""
    parts = PurePosixPath(name).parts
    if name == MANIFEST_NAME:
        return MAX_MANIFEST_BYTES
    if len(parts) == 2 and parts[1] == "matrix.json":
        return MAX_MATRIX_BYTES
    if name == SUMMARY_NAME:
        return MAX_SUMMARY_BYTES
    return MAX_FILE_BYTES


class PackFile:
    """A file of the pack open for one pass: ``size`` from fstat, :meth:`chunks` reads at
    most one byte more and hashes on the way, :meth:`require` checks what was read."""

    def __init__(self, fd: int, size: int, path: Path) -> None:
        self.fd, self.size, self.path = fd, size, path
        self.read = 0
        self._digest = hashlib.sha256()

    def __enter__(self) -> PackFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def chunks(self) -> Iterator[bytes]:
        try:
            while self.read <= self.size and (
                chunk := os.read(self.fd, min(_CHUNK, self.size + 1 - self.read))
            ):
                self._digest.update(chunk)
                self.read += len(chunk)
                yield chunk
        except OSError as exc:
            raise environment_error(exc, self.path) from exc

    def sha256(self) -> str:
        """SHA-256 of the bytes read so far (all of them, once :meth:`chunks` is done)."""
        return self._digest.hexdigest()

    def require(self, sha256: str, what: str = "changed while it was read") -> None:
        """PackIntegrityError unless the bytes read were the whole file and hash to
        ``sha256`` (the file was changed since it was verified)."""
        if self.read != self.size or self._digest.hexdigest() != sha256:
            raise PackIntegrityError(what, file=self.path, hint="Run 'reportgen verify'.")


def _hash_fd(fd: int, size: int) -> tuple[str, int]:
    """SHA-256 of an open file, reading at most one byte more than ``size``."""
    digest, read = hashlib.sha256(), 0
    while read <= size and (chunk := os.read(fd, min(_CHUNK, size + 1 - read))):
        digest.update(chunk)
        read += len(chunk)
    return digest.hexdigest(), read


def _parse(
    data: bytes | bytearray,
    path: Path,
    depth: int,
    what: str,
    max_values: int,
    unique_keys: bool = False,
) -> Any:
    try:
        return jsonlimits.loads(data, depth, unique_keys=unique_keys, max_values=max_values)
    except jsonlimits.JsonRefused as exc:
        raise InputError(f"cannot read the {what}: {exc}", file=path) from None


_SHOWN_PROBLEMS = 20


def _invalid(exc: ValidationError, value: Any, path: Path, message: str) -> InputError:
    errors = exc.errors()
    shown = errors[:_SHOWN_PROBLEMS]
    details = [f"{key_path(tuple(e['loc']), value)}: {error_message(e)}" for e in shown]
    if len(errors) > _SHOWN_PROBLEMS:
        details.append(f"… and {len(errors) - _SHOWN_PROBLEMS:,} more")
    return InputError(message, file=path, details=details)


def parse_manifest(data: bytes, path: Path) -> LoadedManifest:
    """The bytes of a manifest (at most MAX_MANIFEST_BYTES), parsed and checked against its
    strict schema; InputError (exit 2) naming ``path`` when they are not a pack's."""
    value = _parse(data, path, MANIFEST_DEPTH, "manifest", MAX_MANIFEST_VALUES, unique_keys=True)
    rough = shape_problems(value, Manifest, _SHOWN_PROBLEMS, lambda _loc: False)
    if len(rough) > _SHOWN_PROBLEMS:  # pydantic would gather every one of them first
        details = [f"{key_path(loc, value)}: {what}" for loc, what in rough[:_SHOWN_PROBLEMS]]
        details.append("… and more (the check stops past the first few)")
        raise InputError("the manifest is not valid", file=path, details=details)
    try:
        manifest = Manifest.model_validate(value)
    except ValidationError as exc:
        raise _invalid(exc, value, path, "the manifest is not valid") from None
    return LoadedManifest(manifest, hashlib.sha256(data).hexdigest(), value)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the pack directory ``path``: what says a directory is a pack
    reportgen wrote. InputError (exit 2), naming the file and the problem, otherwise."""
    with PackDir(path) as pack:
        return pack.manifest().manifest


@dataclass
class Budget:
    """What one command may read from matrices (diff reads two packs' worth): JSON values,
    bytes, and the bytes of what it keeps of them once parsed (:func:`read_matrix`)."""

    values: int = MAX_RUN_MATRIX_VALUES
    bytes: int = MAX_RUN_MATRIX_BYTES
    kept: int = MAX_RUN_KEPT_BYTES

    def spend_bytes(self, size: int, path: Path) -> None:
        if size > self.bytes:
            raise InputError(
                f"cannot read the matrix: the matrices read so far and this one are "
                f"{MAX_RUN_MATRIX_BYTES - self.bytes + size:,} bytes, more than the "
                f"{MAX_RUN_MATRIX_BYTES:,} one command reads",
                file=path,
            )
        self.bytes -= size

    def spend(self, data: bytes | bytearray, path: Path) -> None:
        bound = jsonlimits.values_bound(data)
        if bound > self.values:
            raise InputError(
                f"cannot read the matrix: the matrices read so far and this one hold up to "
                f"{MAX_RUN_MATRIX_VALUES - self.values + bound:,} JSON values, more than "
                f"the {MAX_RUN_MATRIX_VALUES:,} one command reads",
                file=path,
            )
        self.values -= bound

    def keep(self, value: Any, path: Path) -> None:
        size = jsonlimits.footprint(value)
        if size > self.kept:
            raise InputError(
                f"cannot read the matrix: what is kept of the matrices read so far and this "
                f"one takes {MAX_RUN_KEPT_BYTES - self.kept + size:,} bytes of memory, more "
                f"than the {MAX_RUN_KEPT_BYTES:,} one command keeps",
                file=path,
            )
        self.kept -= size


def read_matrix(
    pack: PackDir,
    name: str,
    size: int,
    sha256: str,
    budget: Budget | None = None,
    keep: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A framework's matrix.json as the manifest lists it: the file must be what verify
    accepts, size and hash included (else PackIntegrityError, exit 1), and the matrix must
    keep its contract (:func:`reportgen.pack.matrix_check.check_pack_matrix`). The size
    (from fstat) is counted against ``budget`` before a byte is read; the bytes are streamed
    and hashed; the top level must be an object, and the values and the memory parsing takes
    (the text decoded, in its widest character) are bounded before it is decoded. Only what
    ``keep`` returns (default: all) is kept, and its size is counted against ``budget``."""
    path = pack.path / name
    budget = budget or Budget()
    value = _parse_matrix(_read_listed(pack, name, size, sha256, budget), path, budget)
    check_pack_matrix(value, path)
    kept = keep(value) if keep else value
    del value  # only what is kept stays in memory while the next matrix is read
    budget.keep(kept, path)
    return kept


def _read_listed(pack: PackDir, name: str, size: int, sha256: str, budget: Budget) -> bytearray:
    path = pack.path / name
    data = bytearray()
    with pack.stream_listed(name, size) as file:
        budget.spend_bytes(size, path)  # the size from fstat, under the cap: before reading
        for chunk in file.chunks():
            data += chunk
        file.require(sha256, "does not match the pack's manifest")
    return data


def _parse_matrix(data: bytearray, path: Path, budget: Budget) -> Any:
    """Parse a matrix's bytes once they are bounded; the bytes are released as soon as
    they are decoded and the text once parsed, so the two never add to the parsed value."""
    try:
        jsonlimits.check_before_parsing(data, MAX_MATRIX_VALUES)
    except jsonlimits.JsonRefused as exc:
        raise InputError(f"cannot read the matrix: {exc}", file=path) from None
    budget.spend(data, path)
    bound = jsonlimits.memory_bound(data)
    if bound > MAX_MATRIX_MEMORY:
        raise InputError(
            f"cannot read the matrix: parsing it could take up to {bound:,} bytes of memory "
            f"(its {len(data):,} bytes as decoded text and parsed strings, in their widest "
            f"characters, and its values), more than the {MAX_MATRIX_MEMORY:,} allowed",
            file=path,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"cannot read the matrix: not UTF-8 (byte {exc.start:,})"
        raise InputError(message, file=path) from None
    data.clear()
    try:
        # A key given twice: JSON readers differ on which value counts, so the matrix an
        # auditor's tool reads could differ from the one diff compares (fourteenth pass).
        return jsonlimits.loads(text, MATRIX_DEPTH, unique_keys=True)
    except jsonlimits.JsonRefused as exc:
        raise InputError(f"cannot read the matrix: {exc}", file=path) from None
