"""``reportgen bundle``: one zip of a pack, the same bytes for the same pack.

Entries sit under one folder named after the customer slug: manifest.json first, then
every file the manifest lists in path order. Entry times are the manifest's generation
time, permissions are fixed (0644), there are no directory entries and no extra fields,
so neither the machine, the file system nor the time of bundling shows in the zip.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.core.clock import parse_iso, zip_time
from reportgen.core.errors import InputError
from reportgen.core.hashing import fd_sha256
from reportgen.core.outfiles import (
    check_output_file,
    make_parents,
    remove_made,
    replacing_mode,
    write_replacing,
)
from reportgen.core.safefiles import open_regular
from reportgen.core.slug import slugify
from reportgen.core.terminal import one_line
from reportgen.pack.files import (
    MAX_MANIFEST_BYTES,
    PackDir,
    PackIntegrityError,
    file_limit,
    inside,
    parse_manifest,
)
from reportgen.pack.manifest_schema import MANIFEST_NAME, Manifest, OutputFile
from reportgen.pack.verify import Verification, verify_opened
from reportgen.pack.zip_entries import (
    LocalEntry,
    central_directory_at,
    directory_records,
    entry_bytes,
    entry_sha256,
    local_entry,
)

__all__ = [
    "Bundle",
    "PackIntegrityError",
    "bundle_pack",
    "is_bundle",
    "require_intact",
    "zip_folder",
]

FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class Bundle:
    path: Path
    entries: int
    size: int
    sha256: str


def require_intact(pack: Path | PackDir) -> Verification:
    """The verification of an intact pack; PackIntegrityError (exit 1) for any other."""
    if isinstance(pack, Path):
        with PackDir(pack) as opened:
            return require_intact(opened)
    result = verify_opened(pack)
    if not result.ok:
        problems = [*result.altered, *(f"{n}: missing" for n in result.missing)]
        problems += [f"{n}: not in the manifest" for n in result.extra]
        problems = [one_line(problem) for problem in problems[:20]]  # a name on one line
        raise PackIntegrityError(
            "the pack does not match its manifest",
            file=pack.path,
            details=problems,
            hint="Run 'reportgen verify' for the full report, or rebuild the pack.",
        )
    return result


def zip_folder(manifest: Manifest) -> str:
    """The one folder the zip's entries sit under: the pack unzips into it."""
    return slugify(manifest.customer.slug or "pack")


def entry_time(generated_at: str) -> tuple[int, int, int, int, int, int]:
    return zip_time(parse_iso(generated_at))


def default_output(pack: Path) -> Path:
    """``DIR.zip`` beside the pack, named as the pack was (relative stays relative)."""
    named = pack if pack.name and pack.name != ".." else pack.absolute()
    return named.parent / f"{named.name}.zip"


def is_bundle(path: Path) -> bool:
    """Whether ``path`` holds a zip as bundle writes one, which a re-run may replace: its
    first entry is ``<folder>/manifest.json`` holding a reportgen manifest (schema,
    generator and every field as the pack reader's strict schema wants), ``<folder>`` the
    manifest's customer slug; then one entry per file the manifest lists, in its order, and
    nothing else (the central directory comes next); and every listed entry still holds
    that file as the manifest gives it, its size and SHA-256 (a workbook edited inside the
    zip is the team's work, not ours to lose). A user's zip is not taken for one whatever
    its first entry is named. Reads at most the manifest entry (its cap,
    MAX_MANIFEST_BYTES), one local header per listed file, then each listed entry once,
    inflated in chunks to at most its listed size plus one byte, a size no larger than its
    kind's cap in a pack (file_limit); never through a link."""
    try:
        fd = open_regular(path, "the output file", follow_symlinks=False)
    except InputError:
        return False
    try:
        return _holds_a_bundle(fd, path)
    except (InputError, OSError):  # a manifest that is not a pack's, a read error: not ours
        return False
    finally:
        os.close(fd)


def _holds_a_bundle(fd: int, path: Path) -> bool:
    first = local_entry(fd, 0)
    if first is None:
        return False
    folder, _, rest = first.name.partition(b"/")
    if not folder or rest != MANIFEST_NAME.encode():
        return False
    data = entry_bytes(fd, first, MAX_MANIFEST_BYTES)
    if data is None:
        return False
    manifest = parse_manifest(data, path).manifest
    if folder != zip_folder(manifest).encode():
        return False
    entries = _listed_entries(fd, first.end, manifest)
    if entries is None or not _ends_as_written(fd, [first, *entries]):
        return False
    # Names first (a header each), content only then: a user's zip costs no inflating.
    return all(
        _holds_as_listed(fd, entry, listed)
        for entry, listed in zip(entries, manifest.outputs, strict=True)
    )


_END = struct.Struct("<4sHHHHIIH")  # the end record: ..., directory size, offset, comment


def _ends_as_written(fd: int, entries: list[LocalEntry]) -> bool:
    """Whether the zip ends as bundle writes it: right after the entries, its directory of
    one record for each of them, named as it is and pointing at it, with no comment or
    extra field, then the end record, with no comment and nothing after it. A comment (an
    auditor's sign-off) or bytes appended to a bundle are someone's: tenth pass; a comment
    on one file, a record of a file no entry holds, and bytes before an end record saying
    zip64 were taken for a bundle's, and replaced (76b)."""
    directory, size = entries[-1].end, os.fstat(fd).st_size
    if size < directory + _END.size:
        return False
    tail = os.pread(fd, _END.size, size - _END.size)
    signature, _, _, _, count, length, offset, comment = _END.unpack(tail)
    if signature != b"PK\x05\x06" or comment or count != len(entries):
        return False
    if offset != directory or offset + length != size - _END.size:
        return False  # zip64's 0xFFFFFFFF too: bundle's zips are far smaller
    starts = [0, *(entry.end for entry in entries[:-1])]
    expected = [(entry.name, start) for entry, start in zip(entries, starts, strict=True)]
    return directory_records(fd, offset, length) == expected


def _listed_entries(fd: int, offset: int, manifest: Manifest) -> list[LocalEntry] | None:
    """The entries from ``offset`` on, one per file the manifest lists, named as bundle
    names it and in its order, then the central directory; None for any other zip."""
    entries = []
    for listed in manifest.outputs:
        entry = local_entry(fd, offset)
        if entry is None or entry.name != f"{zip_folder(manifest)}/{listed.path}".encode():
            return None
        entries.append(entry)
        offset = entry.end
    return entries if central_directory_at(fd, offset) else None


def _holds_as_listed(fd: int, entry: LocalEntry, listed: OutputFile) -> bool:
    """Whether ``entry`` holds the file as the manifest lists it: its size (by the header,
    then as it inflates, within the pack's cap for its kind) and its SHA-256."""
    if entry.size != listed.size or listed.size > file_limit(listed.path):
        return False
    return entry_sha256(fd, entry, listed.size) == listed.sha256


def check_bundle_output(output: Path, force: bool = False) -> None:
    """InputError unless the zip may be written at ``output``: nothing there, an empty file,
    or an earlier bundle; any other file only with ``force``; never a link, a FIFO, a
    device, a socket or a directory (reportgen/core/outfiles.py)."""
    check_output_file(output, "a bundle reportgen wrote", is_bundle, force=force)


def bundle_pack(
    pack: Path, output: Path | None = None, *, force: bool = False, final: bool = True
) -> Bundle:
    """Write the zip of ``pack`` (default: ``<pack>.zip`` beside it), atomically; what is
    at ``output`` is replaced only as check_bundle_output allows. ``final`` False: the zip
    is a step of the command, not its output (see write_replacing)."""
    output = output or default_output(pack)
    check_bundle_output(output, force)  # before the pack is read and hashed
    with PackDir(pack) as opened:
        verified = require_intact(opened)  # first: its folders are then known listable
        if inside(output, opened.fd):  # by device and inode: links and bind mounts too
            message = "the zip cannot be written inside the pack it bundles"
            raise InputError(message, file=output, hint="Write it beside the pack (-o).")
        assert verified.manifest is not None
        manifest = verified.manifest
        made = make_parents(output)
        replace = force or os.path.lexists(output)  # what the check accepted, or nothing
        written: list[tuple[str, int]] = []

        def write(handle: Any) -> None:
            _write_zip(handle, opened, verified)
            handle.flush()
            # hashed here: read back by name once moved in, a file renamed over it in that
            # moment was reported as the bundle, with its hash (twenty-fourth pass)
            written.append(fd_sha256(handle.fileno()))

        try:
            write_replacing(
                output,
                write,
                lambda: check_bundle_output(output, force),  # again: it may have changed
                mode=replacing_mode(output),  # as the umask says, or the zip replaced
                prefix=".reportgen-bundle-",
                locked=True,  # a killed bundle's temporary zip is swept by the next one here
                replace=replace,  # a file saved there meanwhile is kept (twenty-second pass)
                final=final,
            )
        except BaseException:
            remove_made(made)  # a failed bundle leaves no folder it made (eleventh pass)
            raise
    [(sha256, size)] = written
    return Bundle(output, len(manifest.outputs) + 1, size, sha256)


def _write_zip(handle: Any, pack: PackDir, verified: Verification) -> None:
    """manifest.json, then every listed file, each streamed in chunks and re-hashed as it is
    zipped: a file changed since it was verified must not slip in (the zip is discarded)."""
    manifest = verified.manifest
    assert manifest is not None
    folder = zip_folder(manifest)
    when = entry_time(manifest.generated_at)
    files = [(MANIFEST_NAME, MAX_MANIFEST_BYTES, verified.manifest_sha256)]
    files += [(entry.path, entry.size, entry.sha256) for entry in manifest.outputs]
    with zipfile.ZipFile(handle, "w") as archive:
        for name, size, sha256 in files:
            with pack.stream(name, size) as file:
                info = _info(f"{folder}/{name}", when)
                info.file_size = file.size  # as writestr sets it: the same zip64 choice
                with archive.open(info, "w") as entry:
                    for chunk in file.chunks():
                        entry.write(chunk)
                file.require(sha256, "changed while it was being bundled")


def _info(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.create_system = 3  # Unix, so the permission bits below are read
    info.external_attr = FILE_MODE << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]  # what writestr sets
    return info
