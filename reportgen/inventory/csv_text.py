"""The text encoding of a CSV inventory, found by reading the file in blocks.

The file is decoded once here, block by block, to choose the encoding and to refuse binary
data or a file of nothing but white space; the reader then streams it again with that
encoding. Memory stays at a block whatever the file's size (a 512 MB file read whole took
some 3 GB as bytes, text and the lines of an io.StringIO).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError
from reportgen.core.safefiles import open_input

BLOCK = 1 << 20
_SAMPLE = 4096  # bytes (then characters) looked at to tell text from binary data


@dataclass(frozen=True)
class CsvEncoding:
    """How to open the file: ``open(path, encoding=name, errors=errors, newline="")``."""

    name: str
    errors: str = "strict"
    warnings: list[str] = field(default_factory=list)


def csv_encoding(path: Path) -> CsvEncoding:
    """UTF-8 (with or without BOM), UTF-16 with BOM (or detected by its NULs), else
    Windows-1252 with a warning. Binary data, a UTF-16 file that does not decode (a lone
    surrogate, an odd byte count) and a file with no content are input errors."""
    with open_input(path) as handle:
        head = handle.read(_SAMPLE)
        if utf32_codec(head) == "utf-32":  # its byte order mark, before UTF-16's
            raise InputError(
                "CSV file is UTF-32, which reportgen does not read",
                file=path,
                hint="Save it as UTF-8 (or UTF-16).",
            )
        utf16 = utf16_codec(head)
        if utf16:
            encoding = CsvEncoding(utf16)
        elif b"\x00" in head:
            raise _binary(path, _where(head, head.index(b"\x00"), "a NUL byte"))
        else:
            encoding = CsvEncoding("utf-8-sig")
        sample, content, bad = _scan(handle, encoding)
        if bad is not None:
            if encoding.name.startswith("utf-16"):
                # Decoded with replacement, a BOM-less file's bad bytes became U+FFFD in its
                # resource ids, and an odd byte count a phantom row, without a word
                # (thirteenth adversarial pass).
                how = "claims UTF-16 (its BOM)" if encoding.name == "utf-16" else "is UTF-16"
                raise InputError(
                    f"CSV file {how} but cannot be decoded (byte offset {bad:,})",
                    file=path,
                    hint="Save it again as UTF-8 or UTF-16 from the program that made it.",
                )
            warning = (
                f"{path}: not valid UTF-8 (first bad byte at offset {bad}); "
                "read as Windows-1252 (Latin-1). Save as UTF-8 to silence this warning."
            )
            encoding = CsvEncoding("cp1252", "replace", [warning])
            sample, content, _ = _scan(handle, encoding)
    if encoding.name in ("utf-8-sig", "cp1252"):
        controls = [i for i, char in enumerate(sample) if char < " " and char not in "\t\n\r\f"]
        if len(controls) > len(sample) // 20:  # text has next to none; binary about 1 in 10
            line = sample.count("\n", 0, controls[0]) + 1
            raise _binary(path, f"from line {line}: {len(controls)} control characters")
    if not content:
        raise InputError("inventory file has no content", file=path)
    return encoding


def _scan(handle: BinaryIO, encoding: CsvEncoding) -> tuple[str, bool, int | None]:
    """Decode the whole file block by block: its first characters, whether anything but
    white space follows, and the byte offset of the first byte that does not decode."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding.name)(encoding.errors)
    sample, content, fed = "", False, 0
    while True:
        block = handle.read(BLOCK)
        fed += len(block)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            # exc.object is the tail of what was fed: the bytes held back and this block.
            return sample, content, fed - len(exc.object) + exc.start
        if len(sample) < _SAMPLE:
            sample += text[: _SAMPLE - len(sample)]
        content = content or (bool(text) and not text.isspace())
        if not block:
            return sample, content, None


def _where(head: bytes, offset: int, what: str) -> str:
    line = head.count(b"\n", 0, offset) + 1
    return f"{what} at line {line}, byte offset {offset:,}"


def _binary(path: Path, found: str) -> InputError:
    return InputError(
        f"this is not a text CSV file (it contains binary data: {found})",
        file=path,
        hint="Export the inventory as CSV (UTF-8) or save it as .xlsx.",
    )


def utf32_codec(head: bytes) -> str | None:
    """UTF-32 by its byte order mark, or by three NULs beside an ASCII first character."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head[1:4] == b"\x00\x00\x00" and head[:1] not in (b"", b"\x00"):
        return "utf-32-le"
    if head[:3] == b"\x00\x00\x00" and head[3:4] not in (b"", b"\x00"):
        return "utf-32-be"
    return None


def utf16_codec(head: bytes) -> str | None:
    """The codec of text that is UTF-16 (by its byte order mark, or by a NUL beside each
    ASCII character), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head and _looks_utf16(head):
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    return None


def _looks_utf16(raw: bytes) -> bool:
    sample = raw[:_SAMPLE]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2 or 1
    return max(even_nuls, odd_nuls) > 0.4 * half and min(even_nuls, odd_nuls) < 0.05 * half
