"""One reader per file type behind one contract: a file in, sheets of rows out.

Every reader yields ``RawSheet`` objects whose rows are lists of cells with their 1-based
spreadsheet row numbers, so later stages can name the exact cell of a problem. A cell is
text, or (from a workbook) the value as calamine read it: :func:`cell_text` gives its text.
Converting is left to the reader of the rows, which converts only the columns it uses.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import python_calamine

from reportgen.core.errors import InputError, environment_errors
from reportgen.core.mounts import kernel_file_system, kernel_file_words
from reportgen.core.reserve import (
    LIMITS,
    MEMORY_HINT,
    raise_if_out_of_memory,
    require_headroom,
)
from reportgen.core.safefiles import file_kind, open_input, stat_input
from reportgen.core.sealed import SealedCopy
from reportgen.core.validation import listed, shown
from reportgen.inventory.csv_lines import LineGuard
from reportgen.inventory.csv_text import CsvEncoding, csv_encoding
from reportgen.inventory.limits import Limits
from reportgen.inventory.xlsx_durations import MAX_DAYS, too_long_duration
from reportgen.inventory.xlsx_guard import OPENING, check_xlsx, read_xlsx, what_text_is
from reportgen.inventory.xlsx_parts import sheet_part

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXPORT_SUFFIXES = (".json", ".gz")  # names exports are saved under


@dataclass
class RawSheet:
    """Rows of one sheet: (1-based row number, cells from column A)."""

    name: str | None
    rows: Iterator[tuple[int, list[Any]]]


@dataclass
class RawTable:
    path: Path
    kind: str
    sheets: list[RawSheet]
    warnings: list[str]
    workbook: SealedCopy | None = None  # an .xlsx inventory as read and checked

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()


def read_table(path: Path, limits: Limits, sheet: str | None = None) -> RawTable:
    """Open an inventory file and return its sheets; format problems are input errors, and
    so is a file the machine will not let reportgen read (permission denied, I/O error)."""
    with environment_errors(path):
        return _read_table(path, limits, sheet)


def _read_table(path: Path, limits: Limits, sheet: str | None) -> RawTable:
    check_inventory_file(path)
    suffix = path.suffix.lower()
    with open_input(path) as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        raise _ole_error(path, suffix)
    if suffix in (".xls", ".xlsb", ".ods", ".numbers"):
        raise InputError(
            f"'{suffix}' workbooks are not supported; save the inventory as .xlsx or .csv",
            file=path,
        )
    if head.startswith(ZIP_MAGIC):
        # By content: a workbook saved or renamed as .csv is still read as a workbook.
        return _read_xlsx(path, limits, sheet)
    from reportgen.inventory.sources import read_source  # the exports build on this module

    # By content, whatever the name (an export saved as .xlsx too): JSON, gzip, a CUR.
    exported = read_source(path, limits)
    if exported is not None:
        return exported
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, limits, sheet)  # not a zip: refused, saying what it is
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(path, limits)
    if suffix in EXPORT_SUFFIXES:
        raise InputError(
            f"the name says '{suffix}' but this is not an export reportgen reads: an export "
            "is recognised by its content (JSON, gzip, a Cost and Usage Report), a "
            "spreadsheet by its name (.xlsx or .csv)",
            file=path,
            hint=what_text_is(path),
        )
    raise InputError(
        f"unsupported inventory file type '{suffix or '(none)'}'; use .xlsx, .csv or an "
        "export reportgen reads (README: 'Where does your inventory live?')",
        file=path,
    )


def check_inventory_file(path: Path) -> None:
    """Refuse, before anything opens it, an inventory that is missing, empty or not a
    regular file (``init --from`` names one too: a FIFO there was waited on for ever)."""
    info = stat_input(path, "inventory file")
    if stat.S_ISDIR(info.st_mode):
        raise InputError("expected an inventory file but found a directory", file=path)
    if not stat.S_ISREG(info.st_mode):  # a FIFO would be waited on, /dev/zero read without end
        raise InputError(
            f"the inventory is {file_kind(info.st_mode)}, not a regular file", file=path
        )
    check_on_disk(path, info, "inventory")


def check_on_disk(path: Path, info: os.stat_result, what: str) -> None:
    """Refuse a regular file that is no file on disk, or one that is empty: ``what`` names
    it in the message."""
    kernel = kernel_file_system(info.st_dev, path)
    if kernel is not None:  # /proc/self/status: "regular", 0 bytes, yet it has content
        raise InputError(
            f"the {what} is {kernel_file_words(kernel)}, not a file on disk", file=path
        )
    if info.st_size == 0:
        raise InputError(f"the {what} is empty (0 bytes)", file=path)


def _ole_error(path: Path, suffix: str) -> InputError:
    if suffix == ".xls":
        message = "legacy Excel 97-2003 (.xls) workbooks are not supported"
        hint = "Open it in Excel or LibreOffice and save it as .xlsx, then run again."
    else:
        message = "this workbook is encrypted (password-protected) or in a legacy format"
        hint = "Remove the password (File > Info > Protect Workbook) and save as .xlsx."
    return InputError(message, file=path, hint=hint)


# ---------------------------------------------------------------- xlsx


def _read_xlsx(path: Path, limits: Limits, wanted: str | None) -> RawTable:
    copy = read_xlsx(path, limits)
    try:
        needs = check_xlsx(path, limits, copy)
        _room_for(needs.pop(OPENING), path)  # its shared strings, whichever sheet names them
        workbook = _calamine(copy, path)
        names, warnings = _sheet_names(workbook, path, wanted)
    except BaseException:
        copy.close()
        raise
    sheets = [
        RawSheet(name, _xlsx_rows(workbook, name, path, copy, _need(needs, copy, name)))
        for name in names
    ]
    return RawTable(path, "xlsx", sheets, warnings, copy)


def _calamine(copy: SealedCopy, path: Path) -> python_calamine.CalamineWorkbook:
    """calamine's workbook over the copy: by its name, which calamine streams (a handle it
    reads whole first, as bytes held twice)."""
    try:
        if copy.name is not None:
            return python_calamine.CalamineWorkbook.from_path(copy.name)
        return python_calamine.CalamineWorkbook.from_filelike(copy.reader())
    except python_calamine.PasswordError as exc:
        raise _ole_error(path, ".xlsx") from exc
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise_if_out_of_memory(exc)
        raise InputError(
            f"cannot read this workbook, it is damaged or not an .xlsx file ({_short(exc)})",
            file=path,
        ) from exc


def _sheet_names(
    workbook: python_calamine.CalamineWorkbook, path: Path, wanted: str | None
) -> tuple[list[str], list[str]]:
    """The worksheets to search for the inventory, and warnings. A hidden (or very hidden)
    sheet is read only when the config names it: whoever hid it did not mean it as the
    inventory, and a hidden first sheet must not shadow the visible one after it."""
    worksheets = [
        meta
        for meta in workbook.sheets_metadata
        if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]
    names = [meta.name for meta in worksheets]
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                f"sheet '{shown(wanted)}' not found; the workbook has: {_sheet_list(names)}",
                file=path,
            )
        return [wanted], []
    if not names:
        raise InputError("the workbook has no worksheets", file=path)
    hidden = [m.name for m in worksheets if m.visible != python_calamine.SheetVisibleEnum.Visible]
    visible = [name for name in names if name not in hidden]
    quoted = ", ".join(f"'{name}'" for name in hidden)
    if not visible:
        raise InputError(
            f"every worksheet is hidden ({quoted}); reportgen reads a hidden sheet only by name",
            file=path,
            hint="Unhide the inventory sheet, or name it in the config: inventory: {sheet: ...}",
        )
    skipped = [f"{path}: hidden sheet(s) {quoted} skipped; name one in inventory.sheet to read it"]
    return visible, skipped if hidden else []


def _need(needs: dict[str, int], copy: SealedCopy, sheet: str) -> int:
    """The memory calamine may take to read ``sheet`` (:func:`check_xlsx`): its part's,
    or the most any part needs when its part cannot be told."""
    most = max(needs.values(), default=0)
    try:
        with zipfile.ZipFile(copy.reader()) as archive:
            part = sheet_part(archive, sheet)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return most
    return needs.get(part, most) if part else most


def _xlsx_rows(
    workbook: python_calamine.CalamineWorkbook,
    name: str,
    path: Path,
    content: SealedCopy,
    need: int,
) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows, loaded when the first row is asked for. chain() hands them on in
    C: a Python generator between calamine and the reader cost a tenth of the read."""
    return itertools.chain.from_iterable(_load_sheet(workbook, name, path, content, need))


def _load_sheet(
    workbook: python_calamine.CalamineWorkbook,
    name: str,
    path: Path,
    content: SealedCopy,
    need: int,
) -> Iterator[list[tuple[int, list[Any]]]]:
    _room_for(need, path, name)  # calamine aborts the process where an allocation fails
    try:
        sheet = workbook.get_sheet_by_name(name)
    except Exception as exc:
        raise_if_out_of_memory(exc)
        raise InputError(
            f"cannot read sheet '{name}': the workbook is damaged ({_sheet_damage(exc)})",
            file=path,
        ) from exc
    # iter_rows numbers rows from the sheet's first row but columns from the used range.
    start_col = sheet.start[1] if sheet.start else 0
    rows = enumerate(sheet.iter_rows(), start=1)
    if start_col:
        pad = [""] * start_col
        rows = ((number, pad + values) for number, values in rows)
    yield from _batches(rows, path, content, name, sheet)


_BATCH = 64  # rows taken from calamine at a time, so its errors are caught here


def _batches(
    rows: Iterator[tuple[int, list[Any]]], path: Path, content: SealedCopy, name: str, sheet: Any
) -> Iterator[list[tuple[int, list[Any]]]]:
    """The rows in small lists. calamine converts a cell only as it hands on its row, and
    one it cannot convert (an elapsed time past 999,999,999 days) raised OverflowError in
    the caller's loop, an internal error (fourteenth adversarial pass)."""
    taken = 0
    while True:
        _room_for(0, path, name, taken + 1)  # the rows kept so far may have taken it
        try:
            batch = list(itertools.islice(rows, _BATCH))
        except (OverflowError, ValueError) as exc:
            raise _unreadable_cell(exc, path, content, name, sheet) from None
        if not batch:
            return
        taken += len(batch)
        yield batch


def _room_for(need: int, path: Path, name: str | None = None, row: int | None = None) -> None:
    """:func:`require_headroom`, said of the sheet (or, without one, of opening the
    workbook): "ran out of memory" named no file, no sheet and no figure (26th pass)."""
    try:
        require_headroom(need)
    except MemoryError:
        what = "this sheet" if name is not None else "the workbook's shared strings"
        if row is None:
            said = f"reading {what} takes about {max(need / 1e6, 1):,.0f} MB, and the memory "
            said += f"limit {LIMITS} leaves less room than that"
        else:
            said = "the rows read before this one leave too little room under the memory "
            said += f"limit {LIMITS} for the rest"
        raise InputError(
            f"ran out of memory: {said}",
            file=path,
            sheet=name,
            row=row,
            hint=MEMORY_HINT,
        ) from None


def _unreadable_cell(
    exc: Exception, path: Path, content: SealedCopy, name: str, sheet: Any
) -> InputError:
    """The cell calamine could not convert, by its row (counted again: calamine does not
    say) and, found in the sheet's XML, its column."""
    row = _rows_before_failure(sheet) + 1
    column = too_long_duration(content, name, row)
    if column is None:
        return InputError(
            f"a cell of this row cannot be read ({_short(exc)})", file=path, sheet=name, row=row
        )
    return InputError(
        f"the cell holds an elapsed time (a duration format such as [h]:mm:ss) of more than "
        f"{MAX_DAYS:,} days, which reportgen cannot read",
        file=path,
        sheet=name,
        row=row,
        column=column,
        hint="Correct the value, or give the cell a number or text format.",
    )


def _rows_before_failure(sheet: Any) -> int:
    count = 0
    with contextlib.suppress(OverflowError, ValueError):
        for _ in sheet.iter_rows():
            count += 1
    return count


def _sheet_list(names: list[str]) -> str:
    return listed(f"'{name}'" for name in names) if names else "no sheets"


def cell_text(value: object) -> str:
    """Text of a cell as the user sees it; whole numbers lose the '.0' Excel adds."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _sheet_damage(exc: BaseException) -> str:
    """What calamine's error says of a sheet it could not read: its own words were the
    sheet's name, or the XML tag it stopped at ("(v)"), and named no part (pass 37d)."""
    kind = type(exc).__name__
    if kind == "WorksheetNotFound":
        return "its part is missing from the file, or the workbook links it to no part there"
    if kind == "XmlError":
        return f"its XML could not be read; the reader stopped at '{_short(exc)}'"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------- csv


def _read_csv(path: Path, limits: Limits) -> RawTable:
    size = path.stat().st_size
    if size > limits.max_csv_bytes:
        raise InputError(
            f"CSV file is {size:,} bytes, over the limit of {limits.max_csv_bytes:,}",
            file=path,
            hint="Raise --max-csv-mb if this file is genuine.",
        )
    encoding = csv_encoding(path)
    with _open_text(path, encoding) as handle:
        dialect = _sniff(handle.read(65536))
    rows = _csv_file_rows(path, encoding, dialect, limits)
    sheets = [RawSheet(None, rows)]
    return RawTable(path=path, kind="csv", sheets=sheets, warnings=encoding.warnings)


def _open_text(path: Path, encoding: CsvEncoding) -> TextIO:
    return io.TextIOWrapper(
        open_input(path), encoding=encoding.name, errors=encoding.errors, newline=""
    )


def _csv_file_rows(
    path: Path, encoding: CsvEncoding, dialect: type[csv.Dialect], limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    """The file's records, streamed: memory holds a block of the file and one record, its
    lines checked piece by piece as they are read (csv_lines)."""
    # csv keeps a whole field in memory; a field over the cell limit is refused as it grows.
    csv.field_size_limit(max(limits.max_cell_chars + 1, csv.field_size_limit()))
    with environment_errors(path), _open_text(path, encoding) as handle:
        lines = LineGuard(handle, dialect.delimiter, path, limits)
        try:
            yield from _csv_rows(csv.reader(lines, dialect), lines, path, limits)
        except UnicodeDecodeError as exc:  # it decoded a moment ago: changed since
            raise InputError(
                f"the file changed while it was read (no longer {encoding.name})",
                file=path,
                row=lines.row,
            ) from exc


_DELIMITERS = ",;\t|"


def _sniff(text: str) -> type[csv.Dialect]:
    """The delimiter that splits the most of the first 30 rows into one same number (above
    one) of fields; on a tie, the earlier of , ; tab |. csv.Sniffer gave up on a one-line
    header, and counting characters was fooled by data full of ';' (HTML entities); a wrong
    guess makes the file one column."""
    best, best_rows = ",", 0
    for delimiter in _DELIMITERS:
        widths: Counter[int] = Counter()
        rows = csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)
        with contextlib.suppress(csv.Error):  # the sample may end inside a quoted field
            for row in itertools.islice(rows, 30):
                if any(row):
                    widths[len(row)] += 1
        agreeing = max((count for width, count in widths.items() if width > 1), default=0)
        if agreeing > best_rows:
            best, best_rows = delimiter, agreeing
    return type("Detected", (csv.excel,), {"delimiter": best})


def _csv_rows(
    reader: Iterator[list[str]], lines: LineGuard, path: Path, limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    try:
        for row in reader:
            number = lines.row
            lines.next_record()
            yield number, row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            message = f"a cell holds more than {limits.max_cell_chars:,} characters"
            raise InputError(
                message, file=path, row=lines.row, hint="Raise --max-cell-chars if genuine."
            ) from exc
        raise InputError(f"malformed CSV: {exc}", file=path, row=lines.row) from exc
