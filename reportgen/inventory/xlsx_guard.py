"""Checking an .xlsx archive against the limits before calamine opens it.

calamine trusts the archive: it inflates a part to whatever size the compressed stream
gives (not the size the zip header declares), holds a sheet's whole cell range as one dense
grid, and aborts the process (no Python exception, no message) when that grid cannot be
allocated: two cells at A1 and XFD1048576 in a 2 KB file are enough. So every part is
inflated here first, in 1 MB chunks and never kept, and its real size and CRC are checked
against its header. Then every part calamine could parse is measured (``xlsx_scan``): no
text run or cell may exceed the cell limit, and each sheet's cell range is measured. Which
parts those are is not taken from their names or root elements, which a crafted file
chooses: every part named ``*.xml`` or ``*.rels`` (calamine's fixed parts: workbook,
shared strings, styles, relationships), every part a relationship of a sheet type names,
whatever its name, and any other part that holds a ``sheetData`` tag (the only place
calamine reads cells from). The shared strings are measured first, and each sheet's
references to them added up (``xlsx_strings``): calamine copies a string into every cell
that names it. Every measured part also has its list entries counted (shared strings,
defined names, style records ...: ``xlsx_entries``), since calamine and openpyxl keep one
object per entry however short. Only then does calamine (or openpyxl) see the file.
Before any of this, the archive's layout must allow one reading only (``zip_layout``):
the guard and calamine list its parts with different zip readers.
"""

from __future__ import annotations

import codecs
import functools
import html
import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from reportgen.core.errors import InputError, column_letter
from reportgen.core.reserve import address_space_limited
from reportgen.core.safefiles import open_input
from reportgen.core.sealed import SealedCopy
from reportgen.core.validation import shown
from reportgen.inventory.limits import MB, SHARED_TEXT_PER_CELL, WHOLE_PART_BYTES, Limits
from reportgen.inventory.xlsx_entries import (
    ENTRIES,
    ROW_OBJECTS,
    ElementTally,
    cap_hint,
    cap_reason,
    count_entries,
    entry_caps,
    object_bound,
)
from reportgen.inventory.xlsx_scan import (
    CellsTooLong,
    Extent,
    PartHasDtd,
    PartHasTooMany,
    PartMalformed,
    PartScanner,
    PartTooBig,
    RowTooFull,
    scan_tags,
)
from reportgen.inventory.xlsx_strings import SharedStringSizes, SharedTextCounter
from reportgen.inventory.zip_layout import check_single_archive

_CHUNK = MB
# What calamine holds for one cell of a sheet's range at its peak: the list of the cells it
# read (about 40 bytes each) and the grid it then builds from them (32 bytes a cell).
CELL_BYTES = 72
_HEAD = 4096  # bytes looked at to say what a file that is not a workbook is
_ARCHIVE_HEADROOM = 64 * MB  # a workbook file's headers and directory, beyond its parts
_UNCOMPRESSED_HINT = "Raise --max-uncompressed-mb if this workbook is genuine."
_EOCD_SEARCH = 22 + 65535 + 20 + 56  # end record, its comment, zip64 locator and record
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length
# XML that is not UTF-8, by its byte-order mark or its first '<'; calamine reads none of
# it (quick-xml parses bytes), but it is measured as the text it holds all the same.
_ENCODINGS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
_BLANK = b"\xef\xbb\xbf \t\r\n"  # a byte order mark's bytes and white space
_SHEET_DATA = tuple("sheetData".encode(code) for code in ("utf-8", "utf-16-le", "utf-16-be"))
_TAG = re.compile(rb"<(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+>")
# A relationship's type naming a worksheet (one openpyxl streams row by row).
_WORKSHEET_TYPE = re.compile(
    rb"[ \t\n\x0c\r\"']Type[ \t\n\x0c\r]*=[ \t\n\x0c\r]*[\"'][^\"'<]*/worksheet[\"']"
)
_TARGET = re.compile(
    rb"[ \t\n\x0c\r\"']Target[ \t\n\x0c\r]*=[ \t\n\x0c\r]*(?:\"([^\"]*)\"|'([^']*)')"
)


def read_xlsx(path: Path, limits: Limits, what: str = "inventory file") -> SealedCopy:
    """The workbook, copied once (:mod:`reportgen.core.sealed`). The checks, calamine (or
    openpyxl) and the diagnoses afterwards all read this one copy: a file swapped or
    rewritten after the checks never reaches calamine (a cell-range bomb renamed over a
    checked workbook in that moment aborted it: twenty-second adversarial pass). A
    workbook's parts tile its file, so it is never much larger than what they expand to,
    which the limits bound already. The caller closes it."""
    limit = limits.max_uncompressed_bytes + _ARCHIVE_HEADROOM
    return SealedCopy.of(path, limit, what, hint=_UNCOMPRESSED_HINT)


_SAVE_AGAIN = "Open the workbook in a spreadsheet program and save it again as .xlsx."


def check_xlsx(
    path: Path, limits: Limits, content: SealedCopy, *, openpyxl_reads: bool = False
) -> dict[str, int]:
    """Raise InputError if the workbook ``content`` (read from ``path``) is damaged or
    would expand beyond the limits. The memory calamine may take to read each part that
    holds cells, by part name: its cell range as one grid, its text, the shared text its
    cells name; and under :data:`OPENING`, what it holds from opening the workbook.
    ``openpyxl_reads``: openpyxl reads it (``--evidence``), which holds whole every XML
    part but the worksheets and shared strings, whatever its name (see _check_held_whole)."""
    _check_entry_count(path, content, limits)
    try:
        with zipfile.ZipFile(content.reader()) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(
            "cannot read this workbook: it is truncated or not an .xlsx file",
            file=path,
            hint=text_hint(content.head(_HEAD), path),
        ) from exc
    _check_declared(path, members, limits)
    with content.reader() as handle:
        check_single_archive(path, handle, members)
    if not any(member.filename == "xl/workbook.xml" for member in members):
        raise InputError(
            "this is a zip archive but not an .xlsx workbook (it has no xl/workbook.xml)",
            file=path,
        )
    _check_no_other_format(path, members)
    names = {_basename(member.filename) for member in members}
    kinds = _PartKinds(names)
    sheets = kinds.sheets  # names of the parts a sheet relationship points at
    relationships = [member for member in members if _is_relationships(member.filename)]
    shared = [member for member in members if _is_shared_strings(member.filename)]
    strings = SharedStringSizes()
    strings.plain = len(shared) <= 1  # which one calamine reads is then a guess
    tally = ElementTally()
    scan = functools.partial(_scan_member, path=path, limits=limits, sheets=sheets, tally=tally)
    with content.reader() as handle:
        for info in relationships:  # first: they say which parts calamine reads as sheets
            scan(handle, info, on_region=kinds.region)
        # Then the sizes of the strings sheets refer to (a part that also holds cells is
        # measured again below, as a sheet, once the sizes are known).
        read = [i for i in shared if not scan(handle, i, on_region=strings.region)]
        _check_declared_strings(path, read, strings)
        if strings.plain and read and not strings.ended():
            raise InputError(
                f"workbook part '{read[0].filename}' (the shared strings) is cut short: its "
                "XML does not end; the file is damaged",
                file=path,
                hint=_SAVE_AGAIN,
            )
        needs: dict[str, int] = {}
        for info in members:
            if openpyxl_reads and info not in read:
                _check_held_whole(handle, info, path, kinds)
            if not _is_relationships(info.filename) and info not in read:
                counter = SharedTextCounter(strings)
                area = scan(handle, info, on_region=counter.region)
                if area and counter.not_a_number is not None:
                    cell, value = counter.not_a_number
                    raise _no_string_number(path, info.filename, cell, value, bool(shared))
                if area:
                    _check_shared_text(path, info.filename, counter.total, limits)
                    needs[info.filename] = area * CELL_BYTES + info.file_size + counter.total
    needs[OPENING] = strings.held()
    return needs


# Strings a part may declare beyond those it holds (a writer's miscount), each 24 bytes of
# calamine's room: 2.4 MB.
_SPARE_STRINGS = 100_000


def _check_declared_strings(
    path: Path, read: list[zipfile.ZipInfo], strings: SharedStringSizes
) -> None:
    declared, held = strings.declared, len(strings.sizes)
    if read and declared is not None and declared > held + _SPARE_STRINGS:
        raise InputError(
            f"workbook part '{read[0].filename}' (the shared strings) declares {declared:,} "
            f"strings (uniqueCount) but holds {held:,}; the file is damaged",
            file=path,
            hint=_SAVE_AGAIN,
        )


def _no_string_number(path: Path, part: str, cell: str, value: str, strings: bool) -> InputError:
    # without the part, the cell alone was blamed (43d)
    held = "it holds" if strings else "it holds: it has no shared strings part"
    return InputError(
        f"worksheet part '{part}': cell {cell} is a shared-string cell whose value "
        f"'{shown(value)}' is not the number of a string {held}; the file is damaged",
        file=path,
        hint=_SAVE_AGAIN,
    )


# The key of :func:`check_xlsx`'s needs for opening the workbook: calamine reads its shared
# strings then, all of them (300 MB of strings no sheet named aborted it: pass 27d).
OPENING = ""


# Parts of the other zip spreadsheets calamine reads: under a name other than .xlsx it picks
# the format by trying each, so an OpenDocument sheet beside a decoy xl/workbook.xml was
# read as .ods, past every check made for .xlsx (a 1 KB file aborted calamine: ninth pass).
_OTHER_FORMATS = {"mimetype": ".ods", "content.xml": ".ods", "xl/workbook.bin": ".xlsb"}


def _check_no_other_format(path: Path, members: list[zipfile.ZipInfo]) -> None:
    for member in members:
        kind = _OTHER_FORMATS.get(member.filename.replace("\\", "/").lower().lstrip("/"))
        if kind:
            raise InputError(
                f"this workbook also holds '{member.filename[:60]}', a part of a {kind} "
                "spreadsheet; reportgen reads .xlsx workbooks only",
                file=path,
                hint="Open it in Excel or LibreOffice and save it as .xlsx.",
            )


def what_text_is(path: Path) -> str | None:
    """A hint when the file is text under another type's name (.xlsx, .json): a CSV
    renamed (or exported with the wrong extension), or an HTML table that some tools save
    as a spreadsheet."""
    try:
        with open_input(path) as handle:
            head = handle.read(_HEAD)
    except (OSError, InputError):  # gone or swapped since: no hint
        return None
    return text_hint(head, path)


def text_hint(head: bytes, path: Path) -> str | None:
    """:func:`what_text_is` for the first bytes of the file, ``head``."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    elif b"\x00" in head:
        return None
    else:
        text = head.decode("utf-8", errors="replace")
    if text.lstrip("\ufeff \t\r\n").lower().startswith(("<html", "<!doctype", "<table", "<?xml")):
        return "It is an HTML or XML file, not a workbook: open it in Excel and save as .xlsx."
    if any(sep in text for sep in (",", ";", "\t", "|")):
        return f"It is a text file, probably a CSV: rename it to {path.stem}.csv and run again."
    return None


def _check_entry_count(path: Path, content: SealedCopy, limits: Limits) -> None:
    """Count parts from the archive's end record before zipfile builds an object per part."""
    with content.reader() as handle:
        handle.seek(max(0, content.size - _EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return  # zipfile will report the damage
    count, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
    zip64 = tail.rfind(b"PK\x06\x06", 0, at)
    if count == 0xFFFF and zip64 >= 0 and zip64 + 48 <= len(tail):
        count, directory = struct.unpack("<QQ", tail[zip64 + 32 : zip64 + 48])
    # zipfile reads the whole directory whatever the count says; an entry takes at least 46
    # bytes, so a directory over 1 KB a part holds more parts than it admits, or huge names.
    count = max(count, directory // 1024)
    if count > limits.max_zip_members:
        raise _too_many_parts(path, count, limits)


def _too_many_parts(path: Path, count: int, limits: Limits) -> InputError:
    return InputError(
        f"workbook has {count:,} parts, over the limit of {limits.max_zip_members:,}",
        file=path,
        hint="Raise --max-zip-members if this workbook is genuine.",
    )


def _check_declared(path: Path, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.max_zip_members:
        raise _too_many_parts(path, len(members), limits)
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise InputError(
            f"workbook expands to {total:,} bytes, over the limit of "
            f"{limits.max_uncompressed_bytes:,} bytes",
            file=path,
            hint=_UNCOMPRESSED_HINT,
        )
    for member in members:
        if _read_whole(member.filename) and member.file_size > WHOLE_PART_BYTES:
            raise InputError(
                f"workbook part '{member.filename}' expands to {member.file_size:,} bytes, "
                f"over the limit of {WHOLE_PART_BYTES:,} for a part the spreadsheet readers "
                "hold whole (Excel's largest style sheet is some 15 MB)",
                file=path,
                hint="Copy the data into a new workbook, or save it as CSV, and run again.",
            )
        if member.flag_bits & 0x1:
            raise InputError(
                "this workbook is encrypted (password-protected)",
                file=path,
                hint="Remove the password (File > Info > Protect Workbook) and save as .xlsx.",
            )
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(
                f"workbook part '{member.filename}' uses an unsupported compression method "
                f"({member.compress_type}); save the file again from Excel or LibreOffice",
                file=path,
            )


# ---------------------------------------------------------------- inflating


def _damaged(path: Path, info: zipfile.ZipInfo, why: str) -> InputError:
    return InputError(
        f"cannot read this workbook: part '{info.filename}' {why}; the file is damaged",
        file=path,
    )


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """The part's bytes in chunks, exactly as any zip reader would inflate them; a stream
    that inflates to more or fewer bytes than the header declares, or fails its CRC, stops."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _damaged(path, info, "has no valid local header")
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, produced, crc = info.compress_size, 0, 0
    while left > 0 or (inflater is not None and inflater.unconsumed_tail):
        if inflater is not None and inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            data = handle.read(min(_CHUNK, left))
            if not data:
                raise _damaged(path, info, "is cut short")
            left -= len(data)
        try:
            out = inflater.decompress(data, _CHUNK) if inflater is not None else data
        except zlib.error as exc:
            raise _damaged(path, info, "is not valid compressed data") from exc
        produced += len(out)
        if produced > info.file_size:
            raise _damaged(path, info, f"inflates beyond the {info.file_size:,} bytes it declares")
        crc = zlib.crc32(out, crc)
        yield out
    if inflater is not None and not inflater.eof:
        raise _damaged(path, info, "is cut short")
    if produced != info.file_size or crc != info.CRC:
        raise _damaged(path, info, "does not match its size or checksum")


# ---------------------------------------------------------------- scanning


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1].lower()


def _is_relationships(name: str) -> bool:
    return name.lower().endswith(".rels")


def _scan_member(
    handle: BinaryIO,
    info: zipfile.ZipInfo,
    path: Path,
    limits: Limits,
    sheets: set[str],
    tally: ElementTally,
    on_region: Callable[[bytes], None] | None = None,
) -> int:
    """Inflate one part; measure it when calamine could parse it (see the docstring), each
    measured region handed to ``on_region`` too, and the elements openpyxl would keep of it
    added to ``tally``. The cells of its range when calamine could read cells from it (at
    least 1), else 0."""
    chunks = _inflate(handle, info, path)
    name = info.filename
    if not (name.lower().endswith((".xml", ".rels")) or _basename(name) in sheets):
        counter = _EntryCounter(entry_caps(limits))
        try:
            holds_cells = _holds_sheet_data(chunks, counter)
        except PartHasTooMany as many:
            raise _too_many(path, name, many) from None
        if not holds_cells:
            tally.add(path, name, counter.objects)  # openpyxl may take it as the workbook
            return 0  # an image or binary object: inflated only to check size and CRC
        chunks = _inflate(handle, info, path)
    scanner = PartScanner(limits.max_cell_xml_bytes, limits.max_sheet_cells, entry_caps(limits))
    scanner.on_region = on_region
    encodings: list[str] = []
    _feed_checked(scanner, _as_utf8(chunks, info, path, encodings), path, name, limits)
    if not scanner.is_xml:
        raise InputError(
            f"workbook part '{name}' is not XML, though calamine would read it as XML; "
            "the file is damaged",
            file=path,
        )
    if scanner.merged_ranges > limits.max_sheet_cells // 2:  # a merge spans 2 cells or more
        raise InputError(
            f"workbook part '{name}' declares {scanner.merged_ranges:,} merged ranges, more "
            f"than a sheet of {limits.max_sheet_cells:,} cells can hold",
            file=path,
            hint="Unmerge the cells, or raise --max-cells if this workbook is genuine.",
        )
    tally.add(path, name, _objects_kept(name, scanner, sheets))
    area = _check_range(handle, info, path, limits, scanner) if scanner.has_cells else 0
    if encodings and (scanner.has_cells or _is_shared_strings(name) or _is_workbook(name)):
        # calamine reads such a sheet as empty, so the error would be "no header row"
        raise InputError(
            f"workbook part '{name}' is XML in {encodings[0].upper()}; the spreadsheet "
            "reader reads these parts in UTF-8 only, as Excel and LibreOffice write them",
            file=path,
            hint=_SAVE_AGAIN,
        )
    return max(area, 1) if scanner.has_cells else 0


def _objects_kept(name: str, scanner: PartScanner, sheets: set[str]) -> int:
    """The elements and attributes openpyxl keeps of a part: of a sheet, those outside its
    rows (see PartScanner._kept); of every other part all, as it parses it whole (rows in
    styles.xml hid 5 million elements from the count: 49d), but the shared strings. A part
    it reads by its fixed name (styles, workbook, content types, relationships, document
    properties) is parsed whole even where a relationship calls it a sheet."""
    if _is_shared_strings(name):
        return _shared_strings_kept(scanner)
    is_sheet = scanner.has_cells and _basename(name) in sheets and not _read_whole(name)
    return scanner.kept if is_sheet else scanner.elements + scanner.attributes


def _shared_strings_kept(scanner: PartScanner) -> int:
    """Of the shared strings, openpyxl lets go of each string's <si> and its text once read
    (2 million <x/> in the shared strings took 180 MB), where a string with no element
    inside gives back its <si> alone (empty ones hid as many <x/>: 51d). What a string
    holds has an attribute an element at most (``xml:space`` on its text, ``val`` on a
    run's font): attributes beyond one an element are kept (15 million on elements between
    the strings: 65d)."""
    strings = scanner.entries.get(b"si", 0)
    elements = max(0, scanner.elements - 2 * strings + scanner.childless_strings)
    return elements + max(0, scanner.attributes - scanner.elements)


def _read_whole(name: str) -> bool:
    folded = name.replace("\\", "/").lower().lstrip("/")
    fixed = ("xl/styles.xml", "xl/workbook.xml", "[content_types].xml")
    return folded in fixed or folded.startswith("docprops/") or _is_relationships(name)


def _is_workbook(name: str) -> bool:
    return name.replace("\\", "/").lower().lstrip("/") == "xl/workbook.xml"


def _is_shared_strings(name: str) -> bool:
    """A part calamine may read as the shared strings: it looks the name up beside the
    workbook part, wherever the package's relationships put that (foo/sharedStrings.xml
    escaped every check: 45d); any case or slash is taken, to be safe."""
    return _basename(name) == "sharedstrings.xml"


def _check_shared_text(path: Path, part: str, total: int, limits: Limits) -> None:
    if total > limits.max_shared_text_bytes:
        raise InputError(
            f"worksheet part '{part}' refers to shared strings of {total:,} bytes in all "
            f"(each cell gets its own copy), over the limit of "
            f"{limits.max_shared_text_bytes:,} ({SHARED_TEXT_PER_CELL} bytes a cell of "
            "--max-cells)",
            file=path,
            hint="Raise --max-cells if this workbook is genuine.",
        )


class _PartKinds:
    """A reader of relationship parts: the parts a relationship whose type names a sheet
    points at (calamine reads worksheets, chartsheets and dialogsheets, by any name); of
    them, the worksheets, which openpyxl streams row by row; and the parts named as anything
    else (a chartsheet, a theme, a workbook ...). A part counts only when the archive has
    one of that name, so a crafted part cannot grow the sets."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.sheets: set[str] = set()
        self.worksheets: set[str] = set()
        self.others: set[str] = set()

    def region(self, region: bytes) -> None:
        for tag in _TAG.finditer(region):
            text = tag.group()
            targets = {
                _basename(form)
                for quoted in _TARGET.findall(text)
                for target in [(quoted[0] or quoted[1]).decode("utf-8", "replace")]
                for form in (target, html.unescape(target))
            } & self.names
            if b"sheet" in text.lower():
                self.sheets.update(targets)
            kind = self.worksheets if _WORKSHEET_TYPE.search(text) else self.others
            kind.update(targets)

    def streamed(self, name: str) -> bool:
        """Whether openpyxl reads part ``name`` row by row: a worksheet, and nothing else
        as well (a part named both a worksheet and a chartsheet is read whole as one)."""
        base = _basename(name)
        return base in self.worksheets and base not in self.others


def _check_held_whole(
    handle: BinaryIO, info: zipfile.ZipInfo, path: Path, kinds: _PartKinds
) -> None:
    """Refuse an XML part openpyxl holds whole past WHOLE_PART_BYTES, whatever its name:
    800 MB of a theme, of a workbook part [Content_Types].xml names otherwise, or of a
    chartsheet took 1.7 GB (pass 69d). Binary parts (an image, an embedded file) it never
    parses; the worksheets and shared strings it streams."""
    name = info.filename
    if info.file_size <= WHOLE_PART_BYTES or _is_shared_strings(name) or kinds.streamed(name):
        return
    if _begins_as_xml(next(_inflate(handle, info, path), b"")[:4096]):
        raise InputError(
            f"workbook part '{name}' expands to {info.file_size:,} bytes, over the limit of "
            f"{WHOLE_PART_BYTES:,} for a part the spreadsheet reader holds whole (only "
            "worksheets and shared strings are read in pieces)",
            file=path,
            hint="Copy the data into a new workbook, or save it as CSV, and run again.",
        )


def _begins_as_xml(head: bytes) -> bool:
    """Whether a part's first bytes begin as XML does, '<' after blanks: in UTF-8, a byte
    order mark first or not, or in UTF-16 or UTF-32 (a mark first, or their '<'). A UTF-16
    mark then a blank was taken for no XML, and a 944 MB theme read whole (71d). A head of
    blanks only is taken for XML: XML may begin with any number of them."""
    encoding = next((name for mark, name in _ENCODINGS if head.startswith(mark)), None)
    if encoding is None:  # as bytes: a binary part's junk is never dropped to find a '<'
        rest = head.lstrip(_BLANK)
        return rest.startswith(b"<") or not rest  # 4 KB of blanks: no image begins so
    text = head.decode(encoding, "ignore").lstrip("\ufeff \t\r\n")  # a split character dropped
    return text.startswith("<") or not text


def _holds_sheet_data(chunks: Iterator[bytes], entries: _EntryCounter) -> bool:
    """Whether a part holds the text 'sheetData' (in UTF-8 or UTF-16), to the last byte;
    its list entries are counted on the way (see _EntryCounter)."""
    found, tail = False, b""
    for chunk in chunks:
        buffer = tail + chunk
        found = found or any(text in buffer for text in _SHEET_DATA)
        tail = buffer[entries.region(buffer) :]
    return found


class _EntryCounter:
    """Counts list entries in a part calamine never parses but openpyxl may: it takes the
    shared strings and the workbook from any part [Content_Types].xml names (a tag with a
    prefix over 64 bytes long split by a chunk's end may be missed: one entry a MB)."""

    def __init__(self, caps: dict[bytes, int]) -> None:
        self.caps = caps
        self.counts: dict[bytes, int] = {}
        # Elements and attributes (an upper bound: each '=') of a part that begins as XML
        # does; an image's '<' bytes are none
        self.objects = 0
        self._xml: bool | None = None

    def region(self, buffer: bytes) -> int:
        """Count the entries of ``buffer`` before where it returns (the rest waits for the
        next chunk); raise PartHasTooMany over a cap."""
        end = max(0, len(buffer) - 64)
        unfinished = buffer.rfind(b"<", end)
        end = unfinished if unfinished >= 0 else end
        count_entries(buffer[:end], self.counts)
        if self._xml is None and buffer[:4096].lstrip(_BLANK):
            self._xml = _begins_as_xml(buffer[:4096])
        if self._xml:
            self.objects += object_bound(buffer[:end])
        for name, count in self.counts.items():
            if count > self.caps[name]:
                raise PartHasTooMany(name, count, self.caps[name])
        return end


def _as_utf8(
    chunks: Iterator[bytes], info: zipfile.ZipInfo, path: Path, found: list[str] | None = None
) -> Iterator[bytes]:
    """The part's chunks, re-encoded as UTF-8 when it is XML in UTF-16 or UTF-32 (whose
    name is then added to ``found``)."""
    first = next(chunks, b"")
    encoding = next((name for mark, name in _ENCODINGS if first.startswith(mark)), None)
    if encoding is not None and found is not None:
        found.append(encoding)
    if encoding is None:
        yield first
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in itertools.chain([first], chunks):
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(path, info, f"is not valid {encoding.upper()}") from exc


def _feed_checked(
    scanner: PartScanner, chunks: Iterator[bytes], path: Path, name: str, limits: Limits
) -> None:
    try:
        _feed(scanner, chunks)
    except PartHasDtd:
        raise InputError(
            f"workbook part '{name}' declares a DTD (<!DOCTYPE>), which spreadsheet "
            "applications never write; refusing it",
            file=path,
        ) from None
    except PartMalformed:
        raise InputError(
            f"workbook part '{name}' has a '<' inside an attribute value, which XML does not "
            "allow; the file is damaged",
            file=path,
        ) from None
    except (PartTooBig, CellsTooLong):
        raise _too_big(path, name, limits) from None
    except PartHasTooMany as many:
        raise _too_many(path, name, many) from None
    except RowTooFull:
        raise InputError(
            f"workbook part '{name}' holds a row of more than {ROW_OBJECTS:,} elements and "
            "attributes (its cells and what they hold), more than any row a spreadsheet "
            "application writes; "
            "the spreadsheet reader holds a row whole",
            file=path,
            hint="Copy the data into a new workbook, or save it as CSV, and run again.",
        ) from None


def _too_many(path: Path, name: str, many: PartHasTooMany) -> InputError:
    tag = many.name.decode("ascii")
    return InputError(
        f"workbook part '{name}' holds at least {many.count:,} {ENTRIES[many.name].label} "
        f"(<{tag}>), over the limit of {many.cap:,} ({cap_reason(many.name)})",
        file=path,
        hint=cap_hint(many.name),
    )


def _too_big(path: Path, name: str, limits: Limits) -> InputError:
    return InputError(
        f"workbook part '{name}' holds a cell or text of more than "
        f"{limits.max_cell_xml_bytes:,} bytes, more than a cell of "
        f"{limits.max_cell_chars:,} characters can take",
        file=path,
        hint="Raise --max-cell-chars if this workbook is genuine.",
    )


def _check_range(
    handle: BinaryIO, info: zipfile.ZipInfo, path: Path, limits: Limits, scanner: PartScanner
) -> int:
    """Refuse a sheet whose cells span more than the limit, measured exactly; the cells of
    its range (or, with no memory limit to weigh them against, a bound on them)."""
    # Under a memory limit the cells are weighed (readers, require_headroom), so they are
    # counted exactly: the bound (A1:Z99999 for 63 rows) refused the sample under 295 MB
    # (twenty-sixth pass).
    weighed = not scanner.exact and address_space_limited()
    if not scanner.needs_rescan and scanner.bound.area <= limits.max_sheet_cells and not weighed:
        return scanner.bound.area  # exact, or a bound that is small enough
    if not scanner.needs_rescan and not scanner.exact:
        # The fast path's bound is too wide to decide: read every cell's reference.
        scanner = PartScanner(limits.max_cell_xml_bytes)
        _feed(scanner, _as_utf8(_inflate(handle, info, path), info, path))
    extent = scanner.extent
    if scanner.needs_rescan:
        try:
            extent = scan_tags(
                _as_utf8(_inflate(handle, info, path), info, path), limits.max_cell_xml_bytes
            )
        except CellsTooLong:
            raise _too_big(path, info.filename, limits) from None
    if extent.area > limits.max_sheet_cells:
        raise _grid_error(path, info.filename, extent, limits)
    return extent.area


def _feed(scanner: PartScanner, chunks: Iterator[bytes]) -> None:
    for chunk in chunks:
        scanner.feed(chunk)
    scanner.finish()


def _grid_error(path: Path, part: str, extent: Extent, limits: Limits) -> InputError:
    top, left = extent.top or 0, extent.left or 0
    return InputError(
        f"worksheet part '{part}' has cells from {column_letter(left)}{top + 1} to "
        f"{column_letter(extent.right)}{extent.bottom + 1}: a range of {extent.area:,} cells, "
        f"over the limit of {limits.max_sheet_cells:,}",
        file=path,
        hint="Delete the stray cells far from the table, or raise --max-cells.",
    )
