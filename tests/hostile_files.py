"""Crafted inventory files: minimal .xlsx packages written part by part, and the bombs and
broken files the hostile suite feeds to reportgen. Writing the XML by hand (not openpyxl)
is the point: it lets a test say exactly what a hostile file declares and holds."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportgen.core.errors import column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
CONTENT_TYPES = (
    f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{_REL}">'
    '<sheets><sheet name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
EMPTY_SST = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="0"/>'
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MB = 1024 * 1024

Chunks = bytes | str | Iterable[bytes]


def inline(ref: str, text: str) -> str:
    """An inline-string cell; text XML cannot hold is dropped, as Excel would refuse it."""
    clean = escape(_ILLEGAL_XML.sub("", text))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{clean}</t></is></c>'


def rows_xml(rows: Sequence[Sequence[str]], first_row: int = 1) -> str:
    out = []
    for offset, cells in enumerate(rows):
        number = first_row + offset
        filled = [(column_letter(i), v) for i, v in enumerate(cells) if v != ""]
        body = "".join(inline(f"{letter}{number}", v) for letter, v in filled)
        out.append(f'<row r="{number}">{body}</row>')
    return "".join(out)


def sheet(body: str, dimension: str | None = None) -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_HEAD}{declared}<sheetData>{body}</sheetData></worksheet>"


BASE_ROWS = [["Service", "Resource ID"], ["Amazon S3", "bucket-1"], ["Amazon EC2", "i-1"]]


def workbook(
    path: Path,
    sheet_part: Chunks,
    shared_strings: Chunks = EMPTY_SST,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Write a one-sheet .xlsx; parts may be given as chunks so bombs never sit in memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        _write_part(archive, "xl/worksheets/sheet1.xml", sheet_part)
        _write_part(archive, "xl/sharedStrings.xml", shared_strings)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def _write_part(archive: zipfile.ZipFile, name: str, data: Chunks) -> None:
    chunks = [data] if isinstance(data, (bytes, str)) else data
    with archive.open(name, "w", force_zip64=True) as handle:
        for chunk in chunks:
            handle.write(chunk.encode() if isinstance(chunk, str) else chunk)


def write_rows(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    """A plain inventory workbook with these rows from A1 (fast: no openpyxl)."""
    return workbook(path, sheet(rows_xml(rows)))


# ---------------------------------------------------------------- bombs


def _repeat(head: str, unit: bytes, total: int, tail: str) -> Iterable[bytes]:
    yield head.encode()
    block = unit * (MB // len(unit))
    for _ in range(total // len(block)):
        yield block
    yield tail.encode()


def huge_shared_string(path: Path, size: int = 300 * MB) -> Path:
    """One shared string of ``size`` bytes, used by a cell: ~300 KB on disk for 300 MB."""
    sst = _repeat(
        f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>', b"A", size, "</t></si></sst>"
    )
    body = rows_xml(BASE_ROWS) + '<row r="4"><c r="B4" t="s"><v>0</v></c></row>'
    return workbook(path, sheet(body), sst)


def huge_inline_cell(path: Path, size: int = 300 * MB) -> Path:
    head = SHEET_HEAD + "<sheetData>" + rows_xml(BASE_ROWS)
    head += '<row r="4"><c r="B4" t="inlineStr"><is><t>'
    return workbook(path, _repeat(head, b"B", size, "</t></is></c></row></sheetData></worksheet>"))


def rich_text_string(path: Path, runs: int = 200_000) -> Path:
    """One shared string split into many one-character runs: no long text node at all."""
    sst = _repeat(
        f'<sst xmlns="{MAIN}" count="1"><si>', b"<r><t>x</t></r>", runs * 15, "</si></sst>"
    )
    body = rows_xml(BASE_ROWS) + '<row r="4"><c r="B4" t="s"><v>0</v></c></row>'
    return workbook(path, sheet(body), sst)


def entity_bomb(path: Path) -> Path:
    """Billion laughs in the shared strings: ten levels of ten entity references."""
    levels = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    sst = f'<?xml version="1.0"?><!DOCTYPE sst [{levels}]>'
    sst += f'<sst xmlns="{MAIN}"><si><t>&l9;</t></si></sst>'
    body = rows_xml(BASE_ROWS) + '<row r="4"><c r="B4" t="s"><v>0</v></c></row>'
    return workbook(path, sheet(body), sst)


def far_apart_cells(path: Path) -> Path:
    """Two value cells at opposite corners of the largest sheet Excel allows."""
    body = rows_xml(BASE_ROWS) + f'<row r="1048576">{inline("XFD1048576", "far")}</row>'
    return workbook(path, sheet(body, "A1:XFD1048576"))


def huge_dimension(path: Path) -> Path:
    """A small table that declares the whole sheet as its dimension."""
    return workbook(path, sheet(rows_xml(BASE_ROWS), "A1:XFD1048576"))


def implied_far_cells(path: Path) -> Path:
    """Cells without positions: 16,384 in one row, then a value a million rows down."""
    row = "<row>" + "<c><v>1</v></c>" * 16_384 + "</row>"
    body = rows_xml(BASE_ROWS).replace(' r="', ' data-r="') + row
    body += '<row r="1048576"><c><v>2</v></c></row>'
    return workbook(path, sheet(body))


def stray_cell(path: Path, ref: str = "ALN3") -> Path:
    body = (
        rows_xml(BASE_ROWS[:2]) + f'<row r="3">{inline("A3", "Amazon EC2")}{inline(ref, "x")}</row>'
    )
    return workbook(path, sheet(body))


def lying_size(path: Path, real: int = 64 * MB, declared: int = 1000) -> Path:
    """A worksheet whose zip headers declare ``declared`` bytes but inflates to ``real``."""
    workbook(path, _repeat(SHEET_HEAD + "<sheetData>", b" ", real, "</sheetData></worksheet>"))
    return patch_declared_size(path, "xl/worksheets/sheet1.xml", declared)


def patch_declared_size(path: Path, name: str, size: int) -> Path:
    """Rewrite the uncompressed size of one part in its local and central headers."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            if data[at + name_at : at + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, at + size_at, size)
                break
            at += 4
    path.write_bytes(bytes(data))
    return path


def many_parts(path: Path, count: int) -> Path:
    extra = {f"xl/media/part{i}.xml": b"<x/>" for i in range(count)}
    return workbook(path, sheet(rows_xml(BASE_ROWS)), extra=extra)


def understated_part_count(path: Path, count: int) -> Path:
    """Many parts, with an end record that claims there is one."""
    many_parts(path, count)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)
    path.write_bytes(bytes(data))
    return path


def padded(path: Path, pad_bytes: int) -> Path:
    """A valid workbook with an extra part of ``pad_bytes`` spaces (honest sizes)."""
    return workbook(path, sheet(rows_xml(BASE_ROWS)), extra={"xl/pad.xml": b" " * pad_bytes})


def malformed_sheet(path: Path) -> Path:
    return workbook(path, SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Serv')


def broken_cell_tag(path: Path) -> Path:
    """A cell whose closing tag is broken: calamine's words were "(v)" alone (37d)."""
    cell = '<c r="A2" t="d"><v>not-a-date</v</is></c>'
    return workbook(path, sheet(rows_xml([["Service"]]) + f'<row r="2">{cell}</row>'))


def sheet_part_missing(path: Path) -> Path:
    """A workbook whose sheet's part is not in the zip: "(Inventory)" alone (37d)."""
    return _without_part(write_rows(path, BASE_ROWS), "xl/worksheets/sheet1.xml")


def _without_part(path: Path, left_out: str) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name != left_out:
                archive.writestr(name, data)
    return path


def shared_index_not_a_number(path: Path, value: str) -> Path:
    """A shared-string cell whose value is no string's number: calamine read it as string 0
    without a word (pass 39d)."""
    strings = f'<sst xmlns="{MAIN}"><si><t>Service</t></si><si><t>Amazon EC2</t></si></sst>'
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    cells += f'<row r="2"><c r="A2" t="s"><v>{value}</v></c></row>'
    return workbook(path, sheet(cells), shared_strings=strings)


def shared_strings_missing(path: Path) -> Path:
    """A sheet naming shared strings in a workbook that has no shared strings part."""
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return _without_part(workbook(path, sheet(cells)), "xl/sharedStrings.xml")


def shared_strings_declared_huge(path: Path, declared: str = "99999999999") -> Path:
    """A shared strings part declaring 10^11 strings: calamine made room for them first,
    2.4 TB, and the process aborted (44d)."""
    strings = f'<sst xmlns="{MAIN}" uniqueCount="{declared}"><si><t>Service</t></si></sst>'
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook(path, sheet(cells), shared_strings=strings)


def shared_strings_cut_short(path: Path) -> Path:
    """A shared strings part whose end was cut off: the strings past the cut are gone."""
    strings = f'<sst xmlns="{MAIN}"><si><t>Service</t></si><si><t>Amazon EC2</t></si></s'
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    cells += '<row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    return workbook(path, sheet(cells), shared_strings=strings[:-22])


def zip_not_xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def zip_encrypted_member(path: Path) -> Path:
    """A workbook whose sheet part carries the zip 'encrypted' flag."""
    write_rows(path, BASE_ROWS)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + flag_at] |= 0x1
            at += 4
    path.write_bytes(bytes(data))
    return path


def truncated(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def flipped_bytes(path: Path, source: Path) -> Path:
    """A real workbook with bytes in the middle of its compressed data overwritten."""
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    return path


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole_file(path: Path) -> Path:
    """The compound-file signature legacy .xls and encrypted Office files start with."""
    path.write_bytes(OLE_MAGIC + bytes(504) + b"\xff" * 512)
    return path


def encrypted_xlsx(path: Path, source: Path, password: str = "hunter2") -> Path:
    """A real password-protected workbook (Agile encryption, as Excel writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with source.open("rb") as handle:
        OOXMLFile(handle).encrypt(password, out)
    path.write_bytes(out.getvalue())
    return path


def deflate_ratio(path: Path) -> float:
    """Uncompressed bytes per byte on disk, to show a bomb is one."""
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    return total / path.stat().st_size
