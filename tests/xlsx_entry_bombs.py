"""Workbooks whose parts hold many tiny entries (shared strings, defined names, styles):
small on disk, written in chunks so no bomb sits in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import hostile_files as hf

BLOCK = 100_000  # entries written per chunk


def entries(head: str, unit: bytes, count: int, tail: str) -> Iterable[bytes]:
    """``head``, ``unit`` ``count`` times, ``tail``."""
    yield head.encode()
    for start in range(0, count, BLOCK):
        yield unit * min(BLOCK, count - start)
    yield tail.encode()


def shared_strings(count: int) -> Iterable[bytes]:
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hf.MAIN}">'
    return entries(head, b"<si><t>a</t></si>", count, "</sst>")


def defined_names(count: int) -> Iterable[bytes]:
    head = hf.WORKBOOK.removesuffix("</workbook>") + "<definedNames>"
    unit = b'<definedName name="a">b</definedName>'
    return entries(head, unit, count, "</definedNames></workbook>")


def number_formats(count: int) -> Iterable[bytes]:
    unit = b'<numFmt numFmtId="200" formatCode="a"/>'
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{hf.MAIN}"><numFmts>'
    tail = '</numFmts><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
    return entries(head, unit, count, tail)


CUSTOM_PROPERTIES = "docProps/custom.xml"


def custom_properties(count: int, prefix: str = "") -> Iterable[bytes]:
    """docProps/custom.xml, which openpyxl reads into an object a property (pass 46d)."""
    ns = "http://schemas.openxmlformats.org/officeDocument/2006"
    pre, xmlns = (f"{prefix}:", f"xmlns:{prefix}") if prefix else ("", "xmlns")
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?><{pre}Properties '
        f'{xmlns}="{ns}/custom-properties" xmlns:vt="{ns}/docPropsVTypes">'
    )
    unit = f'<{pre}property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="a">'
    unit += f"<vt:lpwstr>x</vt:lpwstr></{pre}property>"
    return entries(head, unit.encode(), count, f"</{pre}Properties>")


def padded(head: str, unit: bytes, count: int, tail: str) -> Iterable[bytes]:
    """A part ``head`` ... ``tail`` with ``unit`` ``count`` times before its tail: elements
    of names no list holds, each one more object for a reader that parses the part whole
    (pass 48d: 20 million ``<x/>`` in styles.xml took openpyxl 2.65 GB)."""
    return entries(head.removesuffix(tail), unit, count, tail)


def padded_styles(count: int) -> Iterable[bytes]:
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{hf.MAIN}">'
    return padded(head + "</styleSheet>", b"<x/>", count, "</styleSheet>")


def padded_shared_strings(count: int, unit: bytes = b"<x/>") -> Iterable[bytes]:
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hf.MAIN}"><si><t>a</t></si>'
    return padded(head + "</sst>", unit, count, "</sst>")


def padded_content_types(count: int) -> Iterable[bytes]:
    return padded(hf.CONTENT_TYPES, b"<Override/>", count, "</Types>")


SHEET = "xl/worksheets/sheet1.xml"


def padded_sheet(count: int, unit: bytes = b"<x/>") -> Iterable[bytes]:
    """The base sheet with ``unit`` ``count`` times between its rows: openpyxl keeps each."""
    part = hf.sheet(hf.rows_xml(hf.BASE_ROWS))
    return padded(part, unit, count, "</sheetData></worksheet>")


def full_rows(rows: int, per_row: int, unit: bytes = b"<x/>") -> Iterable[bytes]:
    """The base sheet and ``rows`` rows more, each of ``per_row`` ``unit`` (openpyxl holds a
    row's elements until the row ends, then lets go of them)."""
    yield hf.sheet(hf.rows_xml(hf.BASE_ROWS)).removesuffix("</sheetData></worksheet>").encode()
    for number in range(len(hf.BASE_ROWS) + 1, len(hf.BASE_ROWS) + rows + 1):
        yield f'<row r="{number}">'.encode() + unit * per_row + b"</row>"
    yield b"</sheetData></worksheet>"


def with_attributes(name: str, count: int, prefix: str = "") -> bytes:
    """An empty element of ``count`` attributes, its prefix bound to another namespace
    (pass 65d: 150,000 of 100 attributes, between an evidence sheet's rows, took 1.44 GB)."""
    declared = f' xmlns:{prefix}="urn:other"' if prefix else ""
    tag = f"{prefix}:{name}" if prefix else name
    values = "".join(f' a{number} = "{number}"' for number in range(count))
    return f"<{tag}{declared}{values}/>".encode()


def styles(count: int, unit: bytes) -> Iterable[bytes]:
    """A style sheet of ``count`` cell formats ``unit``, the most Excel writes being 64,000."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{hf.MAIN}">'
    return entries(f'{head}<cellXfs count="{count}">', unit, count, "</cellXfs></styleSheet>")


def strings_of(count: int, unit: bytes) -> Iterable[bytes]:
    """A shared strings part of ``count`` strings ``unit``, as Excel writes them."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hf.MAIN}" count="{count}" '
    return entries(f'{head}uniqueCount="{count}">', unit, count, "</sst>")


def wrapped_in_rows(
    part: str, tail: str, rows: int, per_row: int, row: str = "<row>", end: str = "</row>"
) -> Iterable[bytes]:
    """``part`` with ``rows`` rows of ``per_row`` ``<x/>`` before its ``tail``: in a part
    that is no sheet, or under a namespace other than the main one, openpyxl lets go of none
    of them (pass 49d: 5 million in styles.xml took 717 MB past the count)."""
    yield part.removesuffix(tail).encode()
    for _ in range(rows):
        yield row.encode() + b"<x/>" * per_row + end.encode()
    yield tail.encode()


def nested_rows(rows: int, per_row: int) -> Iterable[bytes]:
    """The base sheet and one row more holding ``rows`` rows of ``per_row`` ``<x/>``: the
    outer row is held whole until it ends (49d: 5 million in one took 523 MB)."""
    number = len(hf.BASE_ROWS) + 1
    yield hf.sheet(hf.rows_xml(hf.BASE_ROWS)).removesuffix("</sheetData></worksheet>").encode()
    yield f'<row r="{number}">'.encode()
    for _ in range(rows):
        yield f'<row r="{number}">'.encode() + b"<x/>" * per_row + b"</row>"
    yield b"</row></sheetData></worksheet>"


def relationships(count: int) -> Iterable[bytes]:
    unit = b'<Relationship Id="z" Type="x" Target="y"/>'
    return padded(hf.WORKBOOK_RELS, unit, count, "</Relationships>")


def bomb(
    path: Path, part: str, chunks: Iterable[bytes], content_types: str = hf.CONTENT_TYPES
) -> Path:
    """A valid one-sheet inventory (hf.BASE_ROWS) whose ``part`` is ``chunks``."""
    parts: dict[str, hf.Chunks] = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": hf.ROOT_RELS,
        "xl/workbook.xml": hf.WORKBOOK,
        "xl/_rels/workbook.xml.rels": hf.WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": hf.sheet(hf.rows_xml(hf.BASE_ROWS)),
        "xl/sharedStrings.xml": hf.EMPTY_SST,
    }
    parts[part] = chunks
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            hf._write_part(archive, name, data)
    return path
