"""Reading one edited RACI workbook back: the team's columns of the Evidence sheet and the
RACI letters that differ from what the rules gave.

The workbook is untrusted input: someone edited it, and it may come from anywhere. It
passes the inventory's archive guard first (size, parts, DTDs, cell sizes, cell range:
``reportgen.inventory.xlsx_guard``), then openpyxl reads it in read-only mode with
defusedxml, never evaluating anything: a formula cell is read as its formula text and stays
text from then on. A value the tracker cannot take (a status outside the drop-down, a date
that is not a date, a RACI letter outside R, A, A/R, C, I) is reported with its sheet, row
and column, every one at once, and the build stops with exit status 2.

Rows are matched by their content (control id, evidence item), never by position, so a
sorted, filtered or extended sheet reads the same.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from reportgen.core.errors import InputError, column_letter
from reportgen.core.markdown import shorten
from reportgen.core.owners import spelt_out
from reportgen.core.reserve import raise_if_out_of_memory
from reportgen.core.safefiles import file_kind, stat_input
from reportgen.core.sealed import SealedCopy
from reportgen.core.terminal import visible
from reportgen.core.validation import listed
from reportgen.evidence.raw_book import (
    Disguised,
    Formula,
    disguising_formats,
    open_book,
    sheet_disguising_formats,
    typed_values,
)
from reportgen.evidence.row_order import check_row_order
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import OLE_MAGIC, ZIP_MAGIC, cell_text, check_on_disk
from reportgen.inventory.xlsx_guard import check_xlsx, read_xlsx
from reportgen.ownership.evidence_vocabulary import (
    CONTROL,
    DATA_SHEET,
    EVIDENCE_SHEET,
    ITEM,
    NOT_STARTED,
    PROVIDED_BY,
    PROVIDERS,
    STATUS_LABELS,
    STATUSES,
    TEAM_FIELDS,
    WORKBOOK_SCHEMA,
    Field,
    header_key,
    item_key,
    status_from_label,
)
from reportgen.ownership.raci import RACI_VALUES

RACI_SHEET = "RACI"
HEADER_SEARCH_ROWS = 10  # a user may insert a title row or two above a table
PROBLEMS_SHOWN = 25
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_EXCEL_SERIALS = (1, 2958466)  # 1900-01-01 .. 9999-12-31
_LETTERS = {letter.replace("/", ""): letter for letter in RACI_VALUES}  # "AR" -> "A/R"


@dataclass(frozen=True)
class Origin:
    """Where a value was read: shown in matrix.json and in every message about it."""

    file: str  # as the user gave it
    sheet: str
    row: int
    column: str | None = None

    def text(self) -> str:
        return f"edited in workbook {self.file}, sheet {self.sheet}, row {self.row}"


@dataclass
class ItemEdit:
    """One evidence row as the team left it: its keys and the team's columns it filled."""

    control: str
    item: str
    provided_by: str  # customer | aws
    values: dict[str, str]  # team field -> status id, ISO date or text; blanks left out
    origin: Origin

    @property
    def key(self) -> tuple[str, str]:
        return self.control, item_key(self.item)

    @property
    def has_data(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class RaciEdit:
    control: str
    role: str
    letter: str  # "" when the team cleared the cell
    computed: str  # what the rules gave when the workbook was built ("" for none)
    origin: Origin


# Rows of the Evidence sheet a workbook may carry: the catalog's (PCI DSS's, the most, are
# about 560) and the team's own. 200,000 added rows took 100 s and 712 MB and made a
# matrix.json over what reportgen reads back (twelfth adversarial pass).
MAX_EVIDENCE_ROWS = 20_000


@dataclass
class WorkbookEdits:
    path: Path
    shown: str  # the path as the user gave it
    identity: dict[str, str]  # Schema, Framework, Customer, Customer id, Document id ...
    items: list[ItemEdit] = field(default_factory=list)
    raci: list[RaciEdit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def framework(self) -> str:
        return self.identity.get("Framework", "")


class _Problems:
    """Every unreadable cell of a workbook, reported together."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[tuple[str, int, str, str]] = []

    def add(self, sheet: str, row: int, column: int, message: str) -> None:
        self.found.append((sheet, row, column_letter(column), message))

    def raise_any(self) -> None:
        if not self.found:
            return
        if len(self.found) == 1:
            sheet, row, column, message = self.found[0]
            raise InputError(
                message, file=self.path, sheet=sheet, row=row, column=column, hint=_FIX_HINT
            )
        details = [f"sheet '{s}', row {r}, column {c}: {m}" for s, r, c, m in self.found]
        if len(details) > PROBLEMS_SHOWN:
            details = [*details[:PROBLEMS_SHOWN], f"... and {len(details) - PROBLEMS_SHOWN} more"]
        raise InputError(
            f"{len(self.found)} cell(s) of the edited workbook cannot be read back",
            file=self.path,
            details=details,
            hint=_FIX_HINT,
        )


_FIX_HINT = (
    "Correct the cells in the workbook (the drop-down lists show what each takes; the "
    "General number format shows what a cell holds)."
)


# ---------------------------------------------------------------- opening


def read_workbook(path: Path, limits: Limits, shown: str | None = None) -> WorkbookEdits:
    """The team's edits in the RACI workbook at ``path``; InputError when it cannot be read."""
    shown = shown or path.as_posix()
    _check_file(path, shown)
    try:
        copy = read_xlsx(path, limits, "evidence workbook")  # read once: see read_xlsx
    except InputError as exc:
        raise _named(exc, path, shown) from None
    with copy:
        try:
            _check_head(copy.head(8), shown)
            check_xlsx(path, limits, copy, openpyxl_reads=True)
        except InputError as exc:
            raise _named(exc, path, shown) from None
        book = _open(copy, shown)
        try:
            return _edits(book, path, shown, limits)
        finally:
            book.close()


def _refuse_disguises(book: Any, shown: str) -> None:
    """Refuse a workbook whose conditional formats may show a cell as other text than it
    holds: a second column's header shown as 'Status' had what was written under it
    dropped with exit 0 (58a)."""
    codes = disguising_formats(book) + sheet_disguising_formats(book)
    if codes:
        raise InputError(
            f"a conditional format of the workbook gives cells the number format "
            f"{visible(shorten(codes[0], 40))}, which shows a text other than the cell "
            f"holds; {_AS_WRITTEN}",
            file=shown,
            hint="Remove that conditional format (Conditional Formatting > Clear Rules), "
            "then run again.",
        )


def _named(exc: InputError, path: Path, shown: str) -> InputError:
    """The error naming the workbook as given (a pack's is read from a copy)."""
    exc.file = shown if exc.file == str(path) else exc.file
    return exc


def _edits(book: Any, path: Path, shown: str, limits: Limits) -> WorkbookEdits:
    _refuse_disguises(book, shown)
    identity, computed = _data_sheet(book, shown, limits)
    edits = WorkbookEdits(path, shown, identity)
    problems = _Problems(shown)
    edits.items = list(_evidence_rows(book, shown, limits, problems))
    edits.raci = _raci_edits(book, shown, computed, limits, problems, edits.warnings)
    problems.raise_any()
    return edits


def _check_file(path: Path, shown: str) -> None:
    info = stat_input(path, "evidence workbook")
    if not stat.S_ISREG(info.st_mode):  # say what it is: a FIFO named ff.xlsx is no workbook
        raise InputError(
            "expected a RACI workbook (.xlsx) or a pack directory; this is "
            f"{file_kind(info.st_mode)}",
            file=shown,
        )
    # /proc/kmsg is "regular" and blocks its reader: internal error (thirty-sixth pass).
    try:
        check_on_disk(path, info, "evidence workbook")
    except InputError as exc:  # a pack's is read from a copy: named as in the pack (37a)
        raise _named(exc, path, shown) from None


def _check_head(head: bytes, shown: str) -> None:
    if head.startswith(OLE_MAGIC):
        raise InputError(
            "this workbook is encrypted (password-protected) or in a legacy format",
            file=shown,
            hint="Remove the password and save it as .xlsx, then run again.",
        )
    if not head.startswith(ZIP_MAGIC):
        raise InputError(
            "not an .xlsx workbook; --evidence takes the RACI workbook of an earlier pack "
            "(<customer>-<framework>-raci.xlsx) or the pack's directory",
            file=shown,
        )


def _open(copy: SealedCopy, shown: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension not supported" and the like
            book = copy.reader()
            return open_book(book)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise_if_out_of_memory(exc)
        raise InputError(
            f"cannot read this workbook, it is damaged ({type(exc).__name__})", file=shown
        ) from exc


def _rows(ws: Any, width: int, limits: Limits, shown: str) -> Iterator[tuple[int, list[Any]]]:
    """(1-based row number, values of the first ``width`` columns), blank rows skipped.

    The declared dimension is ignored (it may claim the whole sheet); the guard has already
    bounded the real cell range. A row is refused by its number, blank rows counted:
    openpyxl makes a blank row for every number a ``<row r>`` skips, and one empty
    ``<row r="3000000000"/>`` held the read for hours (45d)."""
    ws.reset_dimensions()
    last = limits.max_rows + HEADER_SEARCH_ROWS  # where _sheet's row-order check stops too
    for number, values in _parsed(ws, width, shown, last, typed=True):
        if number > last:
            raise InputError(
                f"more than {limits.max_rows:,} rows below the header, blank ones too",
                file=shown,
                sheet=ws.title,
                row=number,
                hint="Raise --max-rows if this workbook is genuine.",
            )
        if any(v not in (None, "") for v in values):
            yield number, [*values, *([None] * (width - len(values)))]


def _check_lengths(
    sheet: str, number: int, values: list[Any], columns: list[int], limits: Limits, shown: str
) -> None:
    """The inventory's cell limit, on the ``columns`` the team writes: a 40,000-character
    cell was carried whole into matrix.json, then cut in the next workbook (twenty-first
    adversarial pass); reportgen's own text (titles, its hidden sheet) is not held to a
    lowered --max-cell-chars, which refused a workbook no one had edited (twenty-second)."""
    limit = limits.max_cell_chars
    for index in columns:
        value = values[index]
        if isinstance(value, str) and len(value) > limit:
            raise InputError(
                f"cell holds {len(value):,} characters, over the limit of {limit:,}",
                file=shown,
                sheet=sheet,
                row=number,
                column=column_letter(index),
                hint="Shorten the text (link to a longer document), or raise --max-cell-chars.",
            )


def _parsed(
    ws: Any, width: int | None, shown: str, last: int, typed: bool = False
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The sheet's rows that hold a value, with their numbers, as openpyxl parses them, as
    it goes (read-only mode), up to the first numbered past ``last``, a formula given as a
    :class:`Formula` when ``typed``: XML that is not
    well-formed (a bare '&', a control character) is found only then, and so is a value its
    cell's type does not take (a number 'abc', a boolean 'x', a shared string past the last,
    a style 'abc', a row numbered '2x'), in any column, read or not."""
    number = 0  # rows parsed whole: the damaged one is below them
    rows = _values(ws.iter_rows(max_col=width, values_only=not typed), typed)
    try:
        while (found := _next_row(rows, number, width, last)) is not None:
            number = found[0]
            yield found
    except SyntaxError as exc:  # ElementTree's ParseError (lxml's XMLSyntaxError too)
        raise_if_out_of_memory(exc)
        raise InputError(
            f"sheet '{ws.title}' is damaged: its XML is not well-formed ({_reason(exc)})",
            file=shown,
            hint=_RESAVE_HINT,
        ) from None
    except _CELL_ERRORS as exc:  # only openpyxl's parsing runs in here, not the caller's code
        raise _damaged_cell(exc, ws.title, number, shown) from None


def _values(rows: Iterator[tuple[Any, ...]], typed: bool) -> Iterator[tuple[Any, ...] | None]:
    """Each row's values (``typed``: by :func:`typed_values`), None for a row of none.
    openpyxl yields one and the same tuple of --max-columns cells for every row number a
    ``<row r>`` skips: known by that, such a row costs a comparison, where making its values
    and looking at each cost --max-columns steps (one empty ``<row r="1000000"/>`` made a read
    45 times slower: 82d)."""
    skipped: tuple[Any, ...] | None = None
    for row in rows:
        if row is skipped:
            yield None
            continue
        values = typed_values(row) if typed else row
        if all(value is None for value in values):
            skipped = row
            yield None
        else:
            yield values


def _next_row(
    rows: Iterator[tuple[Any, ...] | None], number: int, width: int | None, last: int
) -> tuple[int, tuple[Any, ...]] | None:
    """The next row after row ``number`` that holds a value (or the first past ``last``),
    with its number; None at the end. Rows of no value are passed over here, where they
    cost a comparison each: openpyxl makes one for every number a ``<row r>`` skips.
    openpyxl reads a date serial out of range (1e400) as '#VALUE!' with a warning printed
    over our output, naming its own source file (twelfth pass): that warning is raised
    here, as the damaged cell it is, and only while openpyxl parses, never while the
    caller's code runs between rows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_DATE_WARNING, category=UserWarning)
        # its words printed raw over ours (72a); what they drop was checked before
        warnings.filterwarnings("ignore", message=_EXTENSION_WARNING, category=UserWarning)
        for values in rows:
            number += 1
            if values is not None:
                return number, values
            if number > last:
                return number, (None,) * (width or 0)
    return None


_DATE_WARNING = r"Cell \S+ is marked as a date"
_EXTENSION_WARNING = r".* extension is not supported and will be removed"


# What openpyxl's parser lets out for a value it cannot cast (int(), float(), its ISO date
# parser, a list index): it checks none of them first.
_CELL_ERRORS = (ValueError, IndexError, KeyError, TypeError, ArithmeticError, UserWarning)
_RESAVE_HINT = "Open the workbook in Excel or LibreOffice and save it again as .xlsx."
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def _damaged_cell(exc: Exception, sheet: str, read: int, shown: str) -> InputError:
    """The cell openpyxl could not parse, named when its reference is known, else the row
    after which it is."""
    reference = _failed_reference(exc)
    match = _CELL_REFERENCE.fullmatch(reference or "")
    if match and isinstance(exc, UserWarning):  # a date cell's number past the last date
        return InputError(  # said as a damaged workbook, to be saved again (83a)
            "the date cell holds a number past the last date a workbook shows (9999-12-31)",
            file=shown,
            sheet=sheet,
            row=int(match.group(2)),
            column=match.group(1),
            hint="Enter the date as 2026-03-31.",
        )
    if match:
        return InputError(
            f"the workbook is damaged: this cell cannot be read ({_reason(exc)})",
            file=shown,
            sheet=sheet,
            row=int(match.group(2)),
            column=match.group(1),
            hint=_RESAVE_HINT,
        )
    after = f" after row {read}" if read else ""
    return InputError(
        f"the workbook is damaged: a cell or row{after} cannot be read ({_reason(exc)})",
        file=shown,
        sheet=sheet,
        hint=_RESAVE_HINT,
    )


def _failed_reference(exc: BaseException) -> str | None:
    """The reference ('J2') of the cell openpyxl was parsing when it raised: its message
    names the value, never the cell. Found in the traceback, the frame of its parser's
    parse_cell, whose ``element`` is the cell's XML; None when openpyxl has none (a
    cell without a reference, a row that failed) or names it otherwise."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "parse_cell":
            element = tb.tb_frame.f_locals.get("element")
            reference = getattr(element, "attrib", {}).get("r")
            return reference if isinstance(reference, str) else None
        tb = tb.tb_next
    return None


def _reason(exc: BaseException) -> str:
    """openpyxl's own words, cut to one short line of visible text (they quote the cell)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return visible(shorten(text, 120))


def _sheet(book: Any, name: str, shown: str, limits: Limits) -> tuple[Any, int | None]:
    """The sheet of this name, its rows' order checked: openpyxl drops a row out of order
    without a word (46d); and how wide its header rows are (see check_row_order)."""
    if name not in book.sheetnames:
        raise InputError(
            f"the workbook has no '{name}' sheet; --evidence reads RACI workbooks that "
            "reportgen built (with their Evidence, RACI and hidden 'reportgen' sheets)",
            file=shown,
            hint="Give the workbook of a pack built by this version of reportgen, or its folder.",
        )
    ws = book[name]
    last = limits.max_rows + HEADER_SEARCH_ROWS  # as _rows reads it
    widest = check_row_order(ws, limits.max_cell_xml_bytes, last, shown, HEADER_SEARCH_ROWS)
    return ws, widest


def _header(
    sheet: tuple[Any, int | None],
    required: tuple[str, ...],
    width: int,
    limits: Limits,
    shown: str,
    read: Iterable[str] = (),
) -> tuple[int, dict[str, int], int]:
    """The header row (searched in the first rows, each read whole: to the rightmost
    column of any, where the sheet's tags were read, as openpyxl cuts a row at its last
    cell written, 53a) and header -> 0-based column, and how many columns to read below
    it: ``width``, or more to reach every column of ``required`` and ``read`` (one moved
    past it was said to be missing: 52a), within ``--max-columns``. Such a column given
    twice is refused: the second was ignored, and what the team wrote in it dropped
    without a word (50a W27; past the columns read, 51a; past --max-columns, 52a)."""
    ws, whole = sheet
    ws.reset_dimensions()
    for number, cells in _parsed(ws, whole or None, shown, HEADER_SEARCH_ROWS, typed=True):
        if number > HEADER_SEARCH_ROWS:
            break
        values = tuple(map(_as_shown, cells))
        columns: dict[str, int] = {}
        for index, value in enumerate(values):
            columns.setdefault(header_key(value), index)
        if all(header_key(name) in columns for name in required):
            where = (ws.title, number)
            _refuse_misread([*required, *read], values, where, shown)
            found = [name for name in [*required, *read] if header_key(name) in columns]
            wanted = {name: columns[header_key(name)] for name in found}
            return number, columns, _width_for(wanted, width, limits, where, shown)
    raise InputError(
        f"no header row with {', '.join(repr(r) for r in required)} in the first "
        f"{HEADER_SEARCH_ROWS} rows",
        file=shown,
        sheet=ws.title,
    )


def _as_shown(value: Any) -> Any:
    """A cell's text as Excel shows it: the file format's escapes (``_x0074_`` for 't',
    ``_x005F_`` for '_') read, which openpyxl leaves as written (a second 'Status' spelt
    ``Sta_x0074_us`` was read as another column; a role named ``Ops_x0041_``, written
    escaped, was not found in its own workbook: 55a)."""
    if type(value) is str and "_x" in value:  # a Formula or Disguised is refused as it is
        read = _FORMAT_ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), value)
        # a character past U+FFFF is escaped as its two surrogates (56a)
        return read.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


_FORMAT_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _width_for(
    wanted: dict[str, int], width: int, limits: Limits, where: tuple[str, int], shown: str
) -> int:
    """``width``, or as many columns as reach the farthest of ``wanted`` (name -> index)."""
    name, index = max(wanted.items(), key=lambda pair: pair[1], default=("", -1))
    if index >= limits.max_columns:
        raise InputError(
            f"the header row puts the column {name!r} in {column_letter(index)}, past the "
            f"{limits.max_columns:,} columns read (--max-columns); what was written in it "
            "would be dropped",
            file=shown,
            sheet=where[0],
            row=where[1],
            column=column_letter(index),
            hint="Move the column back, or raise --max-columns.",
        )
    return max(width, index + 1)


def _refuse_misread(
    headers: list[str], values: tuple[Any, ...], where: tuple[str, int], shown: str
) -> None:
    """Refuse a header row reportgen would misread: a cell holding a formula, read as its
    formula (``=H1``), not as the header Excel shows (a second 'Status' typed so was not
    seen, and what the team wrote under it dropped with exit 0: 53a); or one of
    ``headers`` given to a second column."""
    wanted = {header_key(header): header for header in headers}
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        key, formula = header_key(value), _formula_text(value)
        if formula is not None or isinstance(value, Disguised) or not isinstance(value, str | None):
            # a number shows as its format says ('"Status"' shows 1 as Status: 55a), and
            # so does text (';;;"Status"' shows any text as Status: 57a)
            problem = (
                f"a header cell holds {_misread(value, formula)}; reportgen reads a header "
                "as it is written, not as it is computed or shown"
            )
            hint = (
                "Type the header as text (as reportgen wrote it), with the General or Text "
                "number format, then run again."
            )
        elif key in wanted and first.setdefault(key, index) != index:
            problem = (
                f"the header row names the column {wanted[key]!r} twice, in "
                f"{column_letter(first[key])} and in {column_letter(index)}; only one "
                "would be read, and what was written in the other dropped"
            )
            hint = (
                "Keep one column of that name (move what the other holds into it), then run again."
            )
        else:
            continue
        raise InputError(
            problem,
            file=shown,
            sheet=where[0],
            row=where[1],
            column=column_letter(index),
            hint=hint,
        )


_KEEP_ONE = "Keep one column of that name (move what the other holds into it), then run again."


def _misread(value: Any, formula: str | None) -> str:
    if formula is not None:
        return f"a formula ({visible(shorten(formula, 40))})"
    if isinstance(value, Disguised):
        shown = visible(shorten(value.number_format, 40))
        return f"'{visible(shorten(value, 40))}' with a number format ({shown}) showing other text"
    return f"a number or a date, not text ({visible(shorten(str(value), 40))})"


def _formula_text(value: Any) -> str | None:
    """A cell's formula as openpyxl gives it (``data_only=False``), None for a value (text
    starting with '=' too: 56a A20)."""
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, ArrayFormula):
        return str(value.text)
    return "a data table" if isinstance(value, DataTableFormula) else None


# ---------------------------------------------------------------- identity and rules


def _data_sheet(book: Any, shown: str, limits: Limits) -> tuple[dict[str, str], dict]:
    """The workbook's identity (key -> value) and the RACI letters the rules gave
    (control -> role -> letter), from the hidden sheet reportgen writes."""
    ws, _ = _sheet(book, DATA_SHEET, shown, limits)
    # One column a role, as many as the config had: read to --max-columns, and one column
    # more to tell a sheet that goes on, refused rather than cut (the edits of the roles
    # past the cut would be dropped without a word).
    width = limits.max_columns + 1
    identity: dict[str, str] = {}
    computed: dict[str, dict[str, str]] = {}
    roles: dict[int, str] | None = None  # column -> role
    for _number, values in _rows(ws, width, limits, shown):
        first = _text(values[0]).strip()
        if roles is None and first == CONTROL:
            roles = _data_roles(values, limits, shown)
        elif roles is not None and first:
            computed[first] = {role: _text(values[at]).strip() for at, role in roles.items()}
        elif roles is None and first:
            identity[first] = _text(values[1]).strip()
    if identity.get("Schema") != WORKBOOK_SCHEMA:
        raise InputError(
            f"the workbook's 'reportgen' sheet is not of schema {WORKBOOK_SCHEMA} "
            f"(found '{identity.get('Schema', '')[:60]}')",
            file=shown,
            hint="Read it back with the version of reportgen that built it, or a newer one.",
        )
    if not computed or not roles:  # every RACI edit was dropped, exit 0 (55a; no roles: 56a)
        raise InputError(
            f"the workbook's hidden '{DATA_SHEET}' sheet has lost its table of the letters "
            f"the rules gave (its '{CONTROL}' row naming the roles, and the rows below it); "
            "without it no RACI "
            "edit can be told from what the rules gave",
            file=shown,
            sheet=DATA_SHEET,
            hint="Give the workbook as reportgen wrote it (its hidden sheet untouched), or "
            "copy the team's edits into the workbook of a new build.",
        )
    return identity, computed


def _data_roles(values: list[Any], limits: Limits, shown: str) -> dict[int, str]:
    """The hidden sheet's role columns (column -> role), from its header row."""
    if values[limits.max_columns] not in (None, ""):
        raise InputError(
            f"the workbook's RACI has more roles than --max-columns lets reportgen read "
            f"(its hidden '{DATA_SHEET}' sheet goes past column {limits.max_columns:,})",
            file=shown,
            hint="Raise --max-columns to read every role's letters.",
        )
    named = {at: _text(v).strip() for at, v in enumerate(values[1:], 1)}
    return {at: role for at, role in named.items() if role}


# ---------------------------------------------------------------- the Evidence sheet


def _evidence_rows(
    book: Any, shown: str, limits: Limits, problems: _Problems
) -> Iterator[ItemEdit]:
    sheet = _sheet(book, EVIDENCE_SHEET, shown, limits)
    ws, width = sheet[0], min(limits.max_columns, 64)
    read = [f.header for f in TEAM_FIELDS] + [PROVIDED_BY]
    header_row, columns, width = _header(sheet, (CONTROL, ITEM), width, limits, shown, read)
    _check_team_columns([f.header for f in TEAM_FIELDS], columns, ws.title, header_row, shown)
    fields = [(f, columns[header_key(f.header)]) for f in TEAM_FIELDS]
    control_at, item_at = columns[header_key(CONTROL)], columns[header_key(ITEM)]
    provider_at = columns.get(header_key(PROVIDED_BY))
    count = 0
    written = [index for _, index in fields]  # the item's text is reportgen's, mostly
    for number, values in _rows(ws, width, limits, shown):
        if number <= header_row:
            continue
        _check_lengths(ws.title, number, values, written, limits, shown)
        read = [*written, control_at, item_at, *([provider_at] if provider_at is not None else [])]
        _check_shown(values, read, (ws.title, number), problems)
        found: dict[str, str] = {}
        for spec, index in fields:
            value = _team_value(
                spec, values[index], (ws.title, number, index), book.epoch, problems
            )
            if value:
                found[spec.key] = value
        control = _text(values[control_at]).strip()
        item = " ".join(_text(values[item_at]).split())
        if not control and not item and not found:
            continue  # a row of computed leftovers or formatting only
        count += 1
        if count > MAX_EVIDENCE_ROWS:
            raise _too_many_rows(shown, ws.title, number)
        provider = _provider(values, provider_at, (ws.title, number), problems)
        yield ItemEdit(
            control=control,
            item=item,
            provided_by=provider,
            values=found,
            origin=Origin(shown, ws.title, number),
        )


def _provider(
    values: list[Any], at: int | None, where: tuple[str, int], problems: _Problems
) -> str:
    """Who provides an item: 'aws', or 'customer' (also for a blank cell, as the rows the
    team adds leave it). Anything else is refused: 'AWS' with a zero-width space was read
    as the customer's without a word (72a), and so was 'AWſ', a long s casefold() makes
    an s (75a)."""
    text = _text(values[at]).strip() if at is not None else ""
    key = text.casefold() if text.isascii() else text
    if key and key not in PROVIDERS:
        choices = ", ".join(sorted(PROVIDERS.values()))
        problems.add(*where, at, f"'{spelt_out(text[:40])}' is not who provides it ({choices})")
    return "aws" if key == "aws" else "customer"


def _check_team_columns(
    headers: Iterable[str], columns: dict[str, int], sheet: str, row: int, shown: str
) -> None:
    """Every column the team fills in is read: one whose header was renamed was skipped,
    and all it recorded dropped from the next pack without a word (41d; a RACI role's
    column too, 45: its letters were dropped)."""
    missing = [header for header in headers if header_key(header) not in columns]
    if missing:
        raise InputError(
            f"the header row has no column {listed(repr(h) for h in missing)}; what the team "
            "recorded there would not be carried into the new pack",
            file=shown,
            sheet=sheet,
            row=row,
            hint="Give the column its header back as reportgen wrote it (case and spacing "
            "do not matter), then run again.",
        )


def _too_many_rows(shown: str, sheet: str, row: int) -> InputError:
    return InputError(
        f"more than {MAX_EVIDENCE_ROWS:,} evidence rows; a pack carries no more",
        file=shown,
        sheet=sheet,
        row=row,
        hint="Keep the items of your own to what an auditor reads (a catalog has a few "
        "thousand rows), or track the rest elsewhere and link to it in a note.",
    )


def _check_shown(
    values: list[Any], columns: Iterable[int], where: tuple[str, int], problems: _Problems
) -> None:
    """A cell read whose number format shows other text than it holds (``;;;"Accepted"``
    over 'Requested'): the team reads what Excel shows, reportgen what the cell holds, and
    the two would differ without a word (70a W; its header was refused already: 57a)."""
    for index in columns:
        value = values[index]
        if isinstance(value, Disguised):
            problems.add(*where, index, f"{_misread(value, None)}; {_AS_WRITTEN}")


_AS_WRITTEN = "reportgen reads a cell as it is written, not as it is shown"


def _team_value(
    spec: Field, value: Any, where: tuple[str, int, int], epoch: dt.datetime, problems: _Problems
) -> str:
    """A team cell as matrix.json keeps it; "" for blank (and for 'Not started'). ``where``:
    its sheet, row and column; ``epoch``: its workbook's date system, which a number is read
    in (a bare number in a 1904 workbook was read four years early: 62a)."""
    sheet, row, column = where
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if spec.kind == "status":
        status = status_from_label(value) if isinstance(value, str) else None
        if status is None:
            choices = ", ".join(STATUS_LABELS[s] for s in STATUSES)
            shown = spelt_out(_text(value)[:80])  # a zero-width space read 'Accepted' (57a)
            problems.add(sheet, row, column, f"'{shown}' is not a status (choose: {choices})")
            return ""
        return "" if status == NOT_STARTED else status
    if spec.kind == "date":
        day = _date(value, epoch)
        if day is None:
            problems.add(sheet, row, column, _not_a_date(value, epoch))
            return ""
        return day.isoformat()
    return _text(value)


def _date(value: Any, epoch: dt.datetime = CALENDAR_WINDOWS_1900) -> dt.date | None:
    if isinstance(value, dt.date):
        # a negative serial in a date-formatted cell (Excel shows #####) came back as a
        # date before the workbook's first; a bare number so was refused already (71a W2)
        day = value.date() if isinstance(value, dt.datetime) else value
        return day if day >= _first_day(epoch) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if _EXCEL_SERIALS[0] <= value < _EXCEL_SERIALS[1]:
            try:
                moment = from_excel(value, epoch=epoch)
            except (OverflowError, ValueError):  # past 9999-12-31: rounded up, or 1904-based
                return None  # (an internal error: 82a)
            return moment.date() if isinstance(moment, dt.datetime) else None
        return None
    if isinstance(value, str):
        match = _ISO_DATE.fullmatch(value.strip())
        if match:
            try:
                day = dt.date.fromisoformat(match.group(1))
            except ValueError:
                return None
            # one before the workbook's first day was written back as a serial Excel shows
            # as #####, and the next build refused the pack reportgen wrote (83a)
            return day if day >= _first_day(epoch) else None
    return None


def _not_a_date(value: Any, epoch: dt.datetime) -> str:
    before = (
        isinstance(value, str)
        and (found := _ISO_DATE.fullmatch(value.strip()))
        and (found.group(1) < _first_day(epoch).isoformat())
    )
    if isinstance(value, dt.date) or before:  # a date openpyxl made of a negative serial
        first = _first_day(epoch).isoformat()
        return f"a date before {first}, the first a workbook shows (Excel shows #####)"
    return f"'{spelt_out(_text(value)[:80])}' is not a date (enter it as 2026-03-31)"


def _first_day(epoch: dt.datetime) -> dt.date:
    """The first day a workbook of this date system shows (its serial 1)."""
    first = from_excel(_EXCEL_SERIALS[0], epoch=epoch)
    return first.date() if isinstance(first, dt.datetime) else dt.date(1900, 1, 1)


def _text(value: Any) -> str:
    """A cell as text: a formula as its formula text (it is never evaluated); a string
    with the file format's '_xHHHH_' spellings read as the characters they stand for, as
    Excel reads them: openpyxl leaves them, so the escape reportgen writes for a literal
    '_x000D_' grew by one '_x005F' on every --evidence rebuild (seventeenth pass)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return cell_text(_SPELLED.sub(_spelled, value) if "_x" in value else value)
    if isinstance(value, (int, float, bool, dt.date, dt.time)):
        return cell_text(value)
    formula = getattr(value, "text", None)  # array formulas
    return formula if isinstance(formula, str) else str(value)


# ---------------------------------------------------------------- the RACI sheet


def _raci_edits(
    book: Any,
    shown: str,
    computed: dict[str, dict[str, str]],
    limits: Limits,
    problems: _Problems,
    notes: list[str],
) -> list[RaciEdit]:
    """Letters that differ from what the rules gave, for the roles the rules knew."""
    sheet = _sheet(book, RACI_SHEET, shown, limits)
    ws, roles = sheet[0], list(next(iter(computed.values()), {}))
    width = min(limits.max_columns, 64 + len(roles))
    header_row, columns, width = _header(sheet, (CONTROL,), width, limits, shown, roles)
    _check_team_columns(roles, columns, ws.title, header_row, shown)
    role_columns = {r: columns[header_key(r)] for r in roles}
    control_at = columns[header_key(CONTROL)]
    edits: list[RaciEdit] = []
    unknown_rows: list[int] = []
    for number, values in _rows(ws, width, limits, shown):
        if number <= header_row:
            continue
        _check_shown(values, [control_at, *role_columns.values()], (ws.title, number), problems)
        control = _text(values[control_at]).strip()
        rules = computed.get(control)
        for role, index in role_columns.items():
            letter = _letter(values[index], ws.title, number, index, problems)
            if letter is None:
                continue
            if rules is None:
                if letter and control:
                    unknown_rows.append(number)
                continue
            if letter != rules.get(role, ""):
                origin = Origin(shown, ws.title, number, column_letter(index))
                edits.append(RaciEdit(control, role, letter, rules.get(role, ""), origin))
    if unknown_rows:
        rows = ", ".join(map(str, sorted(set(unknown_rows))[:10]))
        notes.append(
            f"{shown}: sheet RACI, row(s) {rows}: controls this workbook was not built with; "
            "their letters are not read (add controls through the catalog, not the workbook)"
        )
    return edits


def _letter(value: Any, sheet: str, row: int, column: int, problems: _Problems) -> str | None:
    """A RACI cell's letter ("" when blank); None (and a problem) when it is none."""
    if value is None:
        return ""
    written = "".join(_text(value).split())
    text = written.upper()
    if not text:
        return ""
    # only letters of its own: upper() makes a dotless ı an I (75a)
    letter = _LETTERS.get(text.replace("/", "")) if written.isascii() else None
    if letter is None or ("/" in text and text != "A/R"):
        choices = ", ".join(RACI_VALUES)
        shown = spelt_out(_text(value)[:40])
        problems.add(sheet, row, column, f"'{shown}' is not a RACI letter ({choices})")
        return None
    return letter


_SPELLED = re.compile(r"_x([0-9A-Fa-f]{4})_")


# Read back: the underscore reportgen (and Excel) escape a literal '_x' with, and the line
# breaks and tab Excel spells so. Any other stays as written: it would bring a control
# character or a lone surrogate into the matrix, where none belongs.
_READ_BACK = {0x5F, 0x09, 0x0A, 0x0D}


def _spelled(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code in _READ_BACK else match.group(0)
