"""One safe reader for the files of a pack: verify, diff, bundle, attach, build --previous.

A pack may come from anyone (a ticket, a zip, a shared drive), so it is read as untrusted:

- no symbolic link anywhere from the pack directory down: the pack directory itself, each
  folder inside it and each file are opened one component at a time relative to their
  parent with ``O_NOFOLLOW``, so a link (or one swapped in while reading) cannot lead out;
- regular files only: a FIFO, a device or a socket is refused before it is opened for
  reading (``stat``), and again by ``fstat`` of what was opened;
- sizes come from ``fstat`` before a byte is read: a listed file of another size than the
  manifest says is reported at once (a sparse 16 GB file is never hashed), and
  manifest.json and matrix.json have caps;
- manifest.json is parsed with a depth limit, duplicate keys refused, and checked against
  the strict schema of :mod:`reportgen.manifest_schema` (each output path once).

:func:`read_manifest` is the one call for "is this a pack reportgen wrote?".
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from reportgen import jsonlimits
from reportgen.errors import InputError, environment_error
from reportgen.manifest_schema import MANIFEST_NAME, Manifest, Matrix
from reportgen.safefiles import file_kind, read_fd
from reportgen.validation import error_message, key_path

MB = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * MB  # a pack's manifest is a few KB
MAX_MATRIX_BYTES = 128 * MB  # a 100,000-row inventory's largest matrix.json is 13 MB
MAX_SUMMARY_BYTES = 16 * MB
MANIFEST_DEPTH = 8  # manifest.json nests 4 deep
MATRIX_DEPTH = 32  # matrix.json nests 6 deep
MAX_FILES = 100_000  # files a pack directory may hold before listing it is refused
_CHUNK = 1024 * 1024
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
NOT_A_PACK_HINT = "Packs built by reportgen 0.1 and later have a manifest.json at their root."


class PackIntegrityError(InputError):
    """The pack does not match its manifest: bundle, attach and diff refuse it (exit 1, as
    verify)."""

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


def _open_pack_dir(path: Path) -> int:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise InputError("no such directory", file=path) from None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if stat.S_ISLNK(mode):
        raise InputError(
            "the pack directory is a symbolic link; a pack is read only through its own path",
            file=path,
            hint=f"Give the directory itself: {os.path.realpath(path)}",
        )
    if not stat.S_ISDIR(mode):
        raise InputError(f"not a directory: it is {file_kind(mode)}", file=path)
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
        raise PackFileProblem(name, f"cannot be opened ({exc.strerror})") from None
    if not wanted(os.fstat(fd).st_mode):
        os.close(fd)
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
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def open(self, name: str) -> int:
        """An fd of the regular file ``name`` (a relative POSIX path) of the pack."""
        parts = name.split("/")
        parent, opened = self.fd, []
        try:
            for part in parts[:-1]:
                parent = _open_at(parent, part, name, directory=True)
                opened.append(parent)
            return _open_at(parent, parts[-1], name, directory=False)
        finally:
            for fd in opened:
                os.close(fd)

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
            os.close(fd)

    def check(self, name: str, size: int, sha256: str) -> str | None:
        """None when the file matches ``size`` and ``sha256``, else what is wrong ("missing",
        a link, a size that differs, a hash that differs). The size comes from fstat before
        any byte is read."""
        try:
            fd = self.open(name)
        except PackFileProblem as problem:
            return problem.problem
        try:
            found = os.fstat(fd).st_size
            if found != size:
                return f"size {found} bytes, manifest says {size}"
            digest, read = _hash_fd(fd, size)
        finally:
            os.close(fd)
        if read != size:
            return f"changed while it was read ({read} bytes, manifest says {size})"
        if digest != sha256:
            return f"SHA-256 {digest[:16]}…, manifest says {sha256[:16]}…"
        return None

    def manifest(self) -> LoadedManifest:
        """manifest.json, read and checked; InputError (exit 2) when it is not a pack's."""
        path = self.path / MANIFEST_NAME
        try:
            fd = self.open(MANIFEST_NAME)
        except PackFileProblem as problem:
            if problem.problem == "missing":
                message = "not a reportgen pack: manifest.json is missing"
                raise InputError(message, file=self.path, hint=NOT_A_PACK_HINT) from None
            raise InputError(f"not a reportgen pack: {problem}", file=self.path) from None
        try:
            data = read_fd(fd, MAX_MANIFEST_BYTES, path, "the manifest")
        finally:
            os.close(fd)
        value = _parse(data, path, MANIFEST_DEPTH, "manifest", unique_keys=True)
        try:
            manifest = Manifest.model_validate(value)
        except ValidationError as exc:
            raise _invalid(exc, value, path, "the manifest is not valid") from None
        return LoadedManifest(manifest, hashlib.sha256(data).hexdigest(), value)

    def files(self) -> list[str]:
        """Every entry of the pack that is not a folder (links, FIFOs, devices included),
        as sorted relative POSIX paths, manifest.json left out."""
        found: list[str] = []
        self._walk(self.fd, "", found)
        return sorted(name for name in found if name != MANIFEST_NAME)

    def _walk(self, fd: int, prefix: str, found: list[str]) -> None:
        with os.scandir(fd) as entries:
            for entry in entries:
                name = prefix + entry.name
                if len(found) >= MAX_FILES:
                    many = f"the pack holds more than {MAX_FILES:,} files"
                    raise InputError(many, file=self.path)
                if not entry.is_dir(follow_symlinks=False):
                    found.append(name)
                    continue
                child = os.open(entry.name, _DIRECTORY, dir_fd=fd)
                try:
                    self._walk(child, name + "/", found)
                finally:
                    os.close(child)


def _hash_fd(fd: int, size: int) -> tuple[str, int]:
    """SHA-256 of an open file, reading at most one byte more than ``size``."""
    digest, read = hashlib.sha256(), 0
    while read <= size and (chunk := os.read(fd, min(_CHUNK, size + 1 - read))):
        digest.update(chunk)
        read += len(chunk)
    return digest.hexdigest(), read


def _parse(data: bytes, path: Path, depth: int, what: str, unique_keys: bool = False) -> Any:
    try:
        return jsonlimits.loads(data, depth, unique_keys=unique_keys)
    except jsonlimits.JsonRefused as exc:
        raise InputError(f"cannot read the {what}: {exc}", file=path) from None


def _invalid(exc: ValidationError, value: Any, path: Path, message: str) -> InputError:
    errors = exc.errors()
    details = [f"{key_path(tuple(e['loc']), value)}: {error_message(e)}" for e in errors[:20]]
    if len(errors) > 20:
        details.append(f"… and {len(errors) - 20:,} more")
    return InputError(message, file=path, details=details)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the pack directory ``path``: what says a directory is a pack
    reportgen wrote. InputError (exit 2), naming the file and the problem, otherwise."""
    with PackDir(path) as pack:
        return pack.manifest().manifest


def read_matrix(pack: PackDir, name: str, size: int, sha256: str) -> dict[str, Any]:
    """A framework's matrix.json as the manifest lists it: size and hash must match (else
    PackIntegrityError, exit 1), and the fields diff reads must have their types."""
    path = pack.path / name
    data = pack.read(name, MAX_MATRIX_BYTES, "the matrix")
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise PackIntegrityError(
            "does not match the pack's manifest", file=path, hint="Run 'reportgen verify'."
        )
    value = _parse(data, path, MATRIX_DEPTH, "matrix")
    try:
        Matrix.model_validate(value)
    except ValidationError as exc:
        raise _invalid(exc, value, path, "the matrix is not valid") from None
    return value
