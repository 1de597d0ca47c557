"""One archive, read the same way by every zip reader, or none.

The guard lists a workbook's parts with Python's ``zipfile``; calamine reads them with
Rust's ``zip`` crate. The two find the archive's directory differently when the file is
crafted: a workbook holding two directories, whose last end record the crate finds
invalid (its "entries on this disk" 0, or a comment length running past the end), was
read by the guard as one harmless workbook and by calamine as a hidden one with cells at
A1 and XFD1048576, which aborted the process (fifth adversarial pass). So before any part
is measured, the layout must leave no second reading:

- the end record is the file's last bytes, its comment ends the file exactly and holds no
  record signature, its disk fields say one disk, and its two entry counts agree;
- the directory ends where the end record (or the zip64 end record) starts;
- the parts' local entries tile the file from its first byte to the directory, each one
  starting where the one before ends (after its data descriptor, when it has one);
- no two parts share a name.

Excel, LibreOffice, openpyxl and every spreadsheet library write exactly this; a file
that is not so is refused, and saving it again from a spreadsheet program mends it.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError

_EOCD = struct.Struct("<4sHHHHIIH")  # signature, disk, directory's disk, entries here, ...
_LOCATOR = struct.Struct("<4sIQI")  # zip64 locator: signature, disk, record offset, disks
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
_LOCAL = struct.Struct("<4s22xHH")  # ... name length, extra length
_SIGNATURES = (b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07", b"PK\x01\x02")
_DESCRIPTOR_SIZES = (12, 16, 20, 24)


def check_single_archive(path: Path, handle: BinaryIO, members: list[zipfile.ZipInfo]) -> None:
    """InputError unless the archive at ``path`` (open as ``handle``) has the one layout
    of the module's docstring; ``members`` is what zipfile listed."""
    handle.seek(0, 2)
    size = handle.tell()
    directory_start = _check_end(path, handle, size)
    _check_tiling(path, handle, members, directory_start)
    _check_unique_names(path, members)


def _check_unique_names(path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Two parts of one name (part names are compared without case, as Excel does): which
    one a reader takes is its own choice."""
    seen: set[str] = set()
    for member in members:
        name = member.filename.casefold()
        if name in seen:
            raise _ambiguous(path, f"two parts are named {member.filename[:120]!r}")
        seen.add(name)


def _ambiguous(path: Path, why: str) -> InputError:
    return InputError(
        f"this workbook's zip structure can be read in more than one way ({why}); refusing "
        "it, since the checks and the spreadsheet reader could see different workbooks",
        file=path,
        hint="Open it in Excel or LibreOffice and save it again as .xlsx.",
    )


def _check_end(path: Path, handle: BinaryIO, size: int) -> int:
    """Where the directory starts, once the end records are found consistent."""
    tail_start = max(0, size - (_EOCD.size + 0xFFFF))
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise _ambiguous(path, "no end record")
    _, disk, cd_disk, here, total, cd_size, cd_offset, comment = _EOCD.unpack_from(tail, at)
    if at + _EOCD.size + comment != len(tail):
        raise _ambiguous(path, "the end record is not the last thing in the file")
    if any(sig in tail[at + _EOCD.size :] for sig in _SIGNATURES):
        raise _ambiguous(path, "its comment holds a zip record")
    if disk != cd_disk or disk not in (0, 0xFFFF) or here != total:
        raise _ambiguous(path, "its end record's disk fields or entry counts disagree")
    end_at = tail_start + at
    locator_at = end_at - _LOCATOR.size
    if locator_at >= 0 and _read(handle, locator_at, 4) == b"PK\x06\x07":
        return _check_zip64(path, handle, locator_at)
    if cd_offset + cd_size != end_at:
        raise _ambiguous(path, "its directory does not end where its end record starts")
    return cd_offset


def _check_zip64(path: Path, handle: BinaryIO, locator_at: int) -> int:
    _, disk, record_at, disks = _LOCATOR.unpack(_read(handle, locator_at, _LOCATOR.size))
    record = _read(handle, record_at, _ZIP64_END.size)
    if disk != 0 or disks != 1 or len(record) < _ZIP64_END.size:
        raise _ambiguous(path, "its zip64 locator is inconsistent")
    sig, length, _, _, disk, cd_disk, here, total, cd_size, cd_offset = _ZIP64_END.unpack(record)
    if sig != b"PK\x06\x06" or disk or cd_disk or here != total:
        raise _ambiguous(path, "its zip64 end record is inconsistent")
    if record_at + 12 + length != locator_at or cd_offset + cd_size != record_at:
        raise _ambiguous(path, "its zip64 records do not follow its directory")
    return cd_offset


def _check_tiling(
    path: Path, handle: BinaryIO, members: list[zipfile.ZipInfo], directory_start: int
) -> None:
    ordered = sorted(members, key=lambda m: m.header_offset)
    starts = [m.header_offset for m in ordered[1:]] + [directory_start]
    at = 0
    for member, next_start in zip(ordered, starts, strict=True):
        if member.header_offset != at:
            raise _ambiguous(path, f"bytes no part owns before '{member.filename[:80]}'")
        header = _read(handle, at, _LOCAL.size)
        if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise _ambiguous(path, f"part '{member.filename[:80]}' has no local header")
        _, name_length, extra_length = _LOCAL.unpack(header)
        at += _LOCAL.size + name_length + extra_length + member.compress_size
        # Sizes in a data descriptor after the data (flag bit 3): 12 or 20 bytes (zip64),
        # 4 more with its optional signature; too short to hide anything in.
        gaps = _DESCRIPTOR_SIZES if member.flag_bits & 0x8 else (0,)
        if next_start - at not in gaps:
            raise _ambiguous(path, f"bytes no part owns after '{member.filename[:80]}'")
        at = next_start


def _read(handle: BinaryIO, at: int, count: int) -> bytes:
    handle.seek(at)
    return handle.read(count)
