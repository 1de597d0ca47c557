"""Reading an inventory file into resolved and unresolved rows."""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from reportgen.catalogs.resolve import Resolution, ServiceResolver, parse_arn
from reportgen.core.errors import InputError, column_letter
from reportgen.core.sealed import SealedCopy
from reportgen.core.validation import listed, shown
from reportgen.inventory.fields import HEADER_ALIASES, SERVICE_SOURCES, header_key
from reportgen.inventory.headers import (
    HeaderMatch,
    find_header,
    missing_header_error,
    read_named_scope_alone,
    said_otherwise_error,
)
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawSheet, RawTable, cell_text, read_table
from reportgen.inventory.scope import GENERIC, ScopeParser
from reportgen.inventory.xlsx_blanks import NO_SAVED_VALUE, blank_causes
from reportgen.inventory.xlsx_formats import read_cell_shown_otherwise


class InventoryRow(NamedTuple):
    """One data row of the inventory, with where it came from.

    A tuple: a 100,000-row inventory builds 100,000 of them, and a tuple is made in C.
    """

    sheet: str | None
    row: int
    service_text: str
    service_column: str
    resource: str = ""
    account: str = ""
    region: str = ""
    environment: str = ""
    owner: str = ""
    classification: str = ""
    notes: str = ""
    scope: frozenset[str] | None = None  # None: in scope for every framework

    def in_scope(self, framework_id: str) -> bool:
        return self.scope is None or framework_id in self.scope


class ResolvedRow(NamedTuple):
    row: InventoryRow
    service_id: str
    matched_by: str


class UnresolvedRow(NamedTuple):
    row: InventoryRow
    reason: str
    suggestions: list[str]


@dataclass
class Inventory:
    path: Path
    sheet: str | None
    header: HeaderMatch
    rows: list[ResolvedRow] = field(default_factory=list)
    unresolved: list[UnresolvedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Cells that cannot be read (an unknown scope), with InventoryOptions.collect_problems:
    # the first MAX_PROBLEMS kept, all counted, so that one run reports them together.
    problems: list[InputError] = field(default_factory=list)
    problem_count: int = 0
    unsuggested: int = 0  # unresolved rows past MAX_SUGGESTED distinct names: no suggestions

    def problem(self, error: InputError) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(error)

    @property
    def total_rows(self) -> int:
        return len(self.rows) + len(self.unresolved)


@dataclass(frozen=True)
class InventoryOptions:
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    limits: Limits = field(default_factory=Limits)
    collect_problems: bool = False  # keep reading past a bad cell (Inventory.problems)


MAX_PROBLEMS = 200  # cell problems kept in one run; the rest are counted
# Distinct unknown service names given suggestions ("did you mean"), in reading order; the
# first ones are those every report shows. Each costs up to a few milliseconds, and a file
# with thousands of distinct unknown names has no service column, whatever its header says.
MAX_SUGGESTED = 1_000
_TEXT_FIELDS = ("resource", "account", "region", "environment", "owner", "classification", "notes")
_CHUNK = 4096  # rows checked and converted together, column by column
# A chunk also ends once its cells hold this many characters: rows come up to --max-columns
# wide, and 4,096 of them held a 200 MB CSV of wide rows whole (270 MB at peak).
_CHUNK_CHARS = 4 << 20
_LISTED = 10  # row numbers a warning lists


def read_inventory(
    path: Path, options: InventoryOptions, resolver: ServiceResolver, scopes: ScopeParser
) -> Inventory:
    """Read, find the header, resolve every row. Unresolvable rows are kept, never dropped."""
    try:
        table = read_table(path, options.limits, options.sheet)
        try:
            return _read_inventory(table, path, options, resolver, scopes)
        finally:
            table.close()
    except MemoryError as exc:
        exc.reading = path  # type: ignore[attr-defined]  # named in the message (27a)
        raise


def _read_inventory(
    table: RawTable,
    path: Path,
    options: InventoryOptions,
    resolver: ServiceResolver,
    scopes: ScopeParser,
) -> Inventory:
    sheet, header, rows = _locate_header(table.sheets, path, options, scopes)
    inventory = Inventory(path=path, sheet=sheet, header=header, warnings=list(table.warnings))
    inventory.warnings += [_where(path, sheet, header.row) + w for w in header.warnings]
    missing = _check_explicit_columns(options.columns, header, path, sheet)
    if missing is None and "scope" in options.columns:
        alone = read_named_scope_alone(header, scopes.named_framework, scopes.unknown_mention)
        inventory.warnings += [_where(path, sheet, header.row) + w for w in alone]
    if missing is None and header.refused:
        missing = said_otherwise_error(header, str(path), sheet)
    if missing is None and table.workbook is not None and sheet is not None:
        read = {index: header.headers[index] for index in header.columns.values()}
        scoping = frozenset(i for f, i in header.columns.items() if f.split(":")[0] == "scope")
        missing = read_cell_shown_otherwise(
            table.workbook, str(path), sheet, header.row, read, scoping
        )
    if missing is not None:
        if not options.collect_problems:
            raise missing
        inventory.problem(missing)
    reader = _RowReader(path, sheet, header, options.limits, scopes)
    if options.collect_problems:
        reader.report = inventory.problem
    _read_rows(rows, reader, _Resolve(resolver, inventory), options.limits)
    if table.kind == "xlsx":
        _explain_blank_services(inventory, table.workbook)
    if inventory.total_rows == 0:
        raise _no_rows(table, path, sheet, header.row)
    if not inventory.rows:
        raise _nothing_resolved(inventory)
    if inventory.unsuggested:
        inventory.warnings.append(
            f"{path}: more than {MAX_SUGGESTED:,} distinct unknown service names; the "
            f"{inventory.unsuggested:,} rows naming the others are listed without suggestions"
        )
    return inventory


# Why the cell reads as empty, said after the cause: what to do about it.
_BLANK_HINTS = {
    NO_SAVED_VALUE: "the program that wrote the file did not calculate it: open the file "
    "in Excel and save it, or type the name",
}
_ERROR_HINT = "correct the formula, or type the name"


def _explain_blank_services(inventory: Inventory, workbook: SealedCopy | None) -> None:
    """A row "with no service" whose service cell Excel shows filled, a formula saved
    without its value or an error value (calamine gives both as empty), says so: the
    user sees a name, or #N/A, in that cell (thirteenth adversarial pass)."""
    blank = {u.row.row: i for i, u in enumerate(inventory.unresolved) if not u.row.service_text}
    header = inventory.header
    for source in (f for f in SERVICE_SOURCES if f in header.columns):
        if not blank or inventory.sheet is None or workbook is None:
            return
        causes = blank_causes(workbook, inventory.sheet, header.columns[source], set(blank))
        for number, cause in causes.items():
            index = blank.pop(number)
            unresolved = inventory.unresolved[index]
            hint = _BLANK_HINTS.get(cause, _ERROR_HINT)
            inventory.unresolved[index] = unresolved._replace(
                row=unresolved.row._replace(service_column=header.describe(source)),
                reason=f"the cell holds {cause}, not a service name ({hint})",
            )


def _read_rows(
    rows: Iterator[tuple[int, list[Any]]], reader: _RowReader, resolve: _Resolve, limits: Limits
) -> None:
    """Read and resolve the rows below the header, a chunk at a time. --max-rows counts
    every one, blank ones too: a file of blank lines takes time like any other, and a
    limit they did not meet would bound nothing."""
    last = reader.header.row + limits.max_rows
    rows = _up_to(rows, last)
    while chunk := _next_chunk(rows):
        beyond = chunk[-1][0] > last  # rows come in order, blank ones perhaps not all
        if beyond:
            chunk = [row for row in chunk if row[0] <= last]
        if chunk:
            items = reader.chunk(chunk)
            if items is None:  # something to report or refuse: row by row, as the user reads
                items = reader.rows(chunk)
            resolve(items)
        if beyond:
            raise _too_many_rows(resolve.inventory, limits)


def _next_chunk(rows: Iterator[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """Up to _CHUNK rows, fewer once they hold _CHUNK_CHARS characters; every cell counts
    16 more for its object, and a cell that is no text (a number, a date) 16 in all."""
    chunk: list[tuple[int, list[Any]]] = []
    chars = 0
    for row in rows:
        chunk.append(row)
        try:
            chars += sum(map(len, row[1])) + 16 * len(row[1])
        except TypeError:  # numbers or dates among the cells
            chars += sum(len(c) if isinstance(c, str) else 16 for c in row[1]) + 16 * len(row[1])
        if len(chunk) == _CHUNK or chars >= _CHUNK_CHARS:
            break
    return chunk


def _up_to(rows: Iterator[tuple[int, list[Any]]], last: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows up to row ``last`` and the first after it: a chunk is not filled from rows
    past the limit (a CSV reader hands on one blank line in thousands, so a chunk of rows
    could stand for millions of lines)."""
    for row in rows:
        yield row
        if row[0] > last:
            return


def _too_many_rows(inventory: Inventory, limits: Limits) -> InputError:
    """Every row up to the limit that is no data row is blank (a CSV reader need not hand
    on every blank line, so they are not counted one by one)."""
    blank = limits.max_rows - inventory.total_rows
    return InputError(
        f"more than {limits.max_rows:,} rows below the header row (row "
        f"{inventory.header.row}), {blank:,} of them blank",
        file=inventory.path,
        sheet=inventory.sheet,
        row=inventory.header.row + limits.max_rows + 1,
        hint="Delete the rows below the inventory (a stray cell far down makes a sheet that "
        "long), or raise --max-rows if this inventory is genuine.",
    )


def _nothing_resolved(inventory: Inventory) -> InputError:
    """Not one row names a known AWS service: a pack of nothing would say 'all clear'."""
    header = inventory.header
    found = ", ".join(f"'{h.strip()}'" for h in header.headers if h.strip())[:600]
    sources = [header.describe(f) for f in SERVICE_SOURCES if f in header.columns]
    values = list(
        dict.fromkeys(u.row.service_text for u in inventory.unresolved if u.row.service_text)
    )
    details = [
        f"headers found (row {header.row}): {found}",
        f"read the service from: {', '.join(sources)}",
    ]
    if values:
        details.append("values seen: " + ", ".join(f"'{v[:40]}'" for v in values[:5]))
    else:
        details.append("no row gives a service name, resource type or ARN in those columns")
    return InputError(
        f"none of the {inventory.total_rows} inventory rows names a known AWS service",
        file=inventory.path,
        sheet=inventory.sheet,
        row=header.row,
        details=details,
        hint="Name the service column (e.g. 'Service') or map it with inventory.columns.service "
        "in the config; 'reportgen services' lists the names reportgen knows.",
    )


def _where(path: Path, sheet: str | None, row: int) -> str:
    return f"{path}: " + (f"sheet '{sheet}', " if sheet else "") + f"row {row}: "


def _locate_header(
    sheets: list[RawSheet], path: Path, options: InventoryOptions, scopes: ScopeParser
) -> tuple[str | None, HeaderMatch, Iterator[tuple[int, list[Any]]]]:
    if options.header_row and options.header_row > options.limits.max_rows:
        raise InputError(
            f"inventory.header_row is {options.header_row:,}, beyond the "
            f"{options.limits.max_rows:,} rows reportgen reads (--max-rows)",
            file=path,
        )
    first_failure = None
    # Each sheet is taken off the list as it is searched, so that one without a header is
    # released (calamine holds its whole cell range) before the next is loaded: 21 sheets
    # of an 8 KB workbook, each under --max-cells, were held at once and calamine aborted
    # the process at 5.7 GB (thirteenth adversarial pass). Of the first only what the
    # error names is kept.
    while sheets:
        raw = sheets.pop(0)
        head, passed, rest, typed = _head(raw, options)
        header = find_header(
            head,
            options.columns,
            options.header_row,
            scopes.header_framework,
            scopes.name_words,
            scopes.unknown_mention,
        )
        if header is not None:
            _warn_skipped_rows(header, head, passed)
            # the data rows as read, not as text: an account typed 1.5 is checked as a number
            below = (row for row in typed if row[0] > header.row)
            return raw.name, header, itertools.chain(below, rest, raw.rows)
        if first_failure is None:  # its rows are read on only when its window was empty
            empty = not any(_filled(cells) for _, cells in head)
            first_failure = (raw.name, head, rest, raw if empty else None)
    if first_failure is None:
        raise InputError("the inventory has no sheets", file=path)
    name, head, rest, empty_sheet = first_failure
    window = _window(options)
    if empty_sheet is not None:
        rows = itertools.chain(rest, empty_sheet.rows)
        raise _nothing_in_window(path, empty_sheet, rows, window, options)
    if options.header_row:  # the row the config names, not the title above it
        head = [row for row in head if row[0] == options.header_row] or head
    raise missing_header_error(str(path), name, head, options.columns, window)


def _head(
    raw: RawSheet, options: InventoryOptions
) -> tuple[
    list[tuple[int, list[str]]],
    tuple[list[int], int],
    list[tuple[int, list[Any]]],
    list[tuple[int, list[Any]]],
]:
    """The rows the header is looked for in, as text: the search window (by row number: a
    CSV reader passes over blank lines), or the row inventory.header_row names. The rows
    between the window and that row are passed over one at a time, not kept: only the
    numbers of those with two or more cells (titles, or data the header row skips), the
    first ten and a count, for the warning. Also the rows read past them, in order, and
    the searched rows as read (their cells typed, for the data rows among them)."""
    window, wanted = options.limits.header_search_rows, options.header_row or 0
    head: list[tuple[int, list[Any]]] = []
    passed: list[int] = []
    count = 0
    for number, cells in raw.rows:
        if number <= window or number >= wanted:
            head.append((number, cells))
        elif _filled_cells(cells) >= 2:
            count += 1
            if len(passed) < _LISTED:
                passed.append(number)
        if number >= max(window, wanted):
            break
    searched = wanted or window  # with header_row, the rows of the window are titles
    rest = [row for row in head if row[0] > searched]
    typed = [row for row in head if row[0] <= searched]
    text = [(number, list(map(cell_text, cells))) for number, cells in typed]
    return text, (passed, count), rest, typed


def _filled(cells: list[Any]) -> bool:
    return any(cell_text(cell).strip() for cell in cells)


def _filled_cells(cells: list[Any]) -> int:
    try:
        return sum(map(bool, map(str.strip, cells)))  # all text (CSV): in C
    except TypeError:
        return sum(1 for cell in cells if cell_text(cell).strip())


def _window(options: InventoryOptions) -> str:
    """Where the header was looked for, in words."""
    if options.header_row:
        return f"row {options.header_row} (inventory.header_row)"
    return f"the first {options.limits.header_search_rows} rows"


def _nothing_in_window(
    path: Path,
    raw: RawSheet,
    rows: Iterator[tuple[int, list[Any]]],
    window: str,
    options: InventoryOptions,
) -> InputError:
    """The rows searched are blank: say where content starts, if anywhere, and how to
    point reportgen at a header further down. Looked for as far as --max-rows reaches:
    a file of blank lines is not read to its end."""
    last = (options.header_row or options.limits.header_search_rows) + options.limits.max_rows
    later = None
    for number, cells in rows:
        if number > last:
            return InputError(
                f"no header row in {window}, and the {options.limits.max_rows:,} rows after "
                "it are blank too",
                file=path,
                sheet=raw.name,
                row=last + 1,
                hint="Delete the blank rows, or raise --max-rows if the inventory is further down.",
            )
        if _filled(cells):
            later = number
            break
    if later is None:
        return InputError(
            "the inventory is empty: no header row and no data", file=path, sheet=raw.name
        )
    setting = f"inventory: {{header_row: {later}}}"
    return InputError(
        f"no header row in {window} (all blank); the first filled row is row {later}",
        file=path,
        sheet=raw.name,
        hint=f"If row {later} is the header, set it in the config: {setting}",
    )


def _warn_skipped_rows(
    header: HeaderMatch, head: list[tuple[int, list[str]]], passed: tuple[list[int], int]
) -> None:
    """Rows above the header are titles; one with several cells may be data the header
    search stepped over, so it is named rather than skipped in silence."""
    skipped = [
        number
        for number, cells in head
        if number < header.row and sum(1 for cell in cells if cell.strip()) >= 2
    ]
    total = len(skipped) + passed[1]
    skipped += passed[0]  # rows below the search window, so after those in it
    if skipped:
        more = f" and {total - _LISTED:,} more" if total > _LISTED else ""
        listed = ", ".join(map(str, skipped[:_LISTED])) + more
        header.warnings.append(
            f"row(s) {listed} above this header row were skipped as titles; "
            "if they hold data, set inventory.header_row in the config"
        )


def _no_rows(table: RawTable, path: Path, sheet: str | None, header_row: int) -> InputError:
    """An empty audit pack would read as "nothing in scope"; an auditor expects the
    inventory to list something, so a header without data is more likely a mistake. An
    export has no header row: one of no AWS resource was said as one (80d), its reader's
    warnings, which say what it left out, dropped."""
    if table.kind in ("xlsx", "csv"):
        return InputError(
            "the inventory has a header row but no data rows",
            file=path,
            sheet=sheet,
            row=header_row,
            hint="Add one row per AWS service or resource you use below the header.",
        )
    return InputError(
        "the export holds no AWS resource",
        file=path,
        details=table.warnings[:5],
        hint="Export the estate again (the right account, region or filter), or name the "
        "inventory that lists it.",
    )


def _check_explicit_columns(
    columns: dict[str, str], header: HeaderMatch, path: Path, sheet: str | None
) -> InputError | None:
    missing = [
        f"{shown(field)} = '{shown(name)}'"
        for field, name in columns.items()
        if field not in header.columns
    ]
    if not missing:
        return None
    found = listed(f"'{h.strip()}'" for h in header.headers if h.strip())
    return InputError(
        "configured column(s) not found in the header row (inventory.columns)",
        file=path,
        sheet=sheet,
        row=header.row,
        details=[*missing, f"headers found: {found}"],
    )


class _RowReader:
    """Turns the cells of data rows into InventoryRows (blank rows are skipped).

    :meth:`rows` goes row by row and raises the first problem in reading order.
    :meth:`chunk` does the same work column by column for a chunk of rows, converting only
    the columns it uses; it returns None when the chunk holds anything to report, and the
    caller then reads that chunk with :meth:`rows`. Both give the same rows.
    """

    def __init__(
        self,
        path: Path,
        sheet: str | None,
        header: HeaderMatch,
        limits: Limits,
        scopes: ScopeParser,
    ) -> None:
        self.path, self.sheet, self.header = path, sheet, header
        self.limits, self.scopes = limits, scopes
        self.columns = header.columns
        self.width = max(self.columns.values()) + 1
        self._described = {f: header.describe(f) for f in SERVICE_SOURCES if f in self.columns}
        self._described[""] = ""
        # Every scope column, the generic one and those of one framework ("PCI Scope")
        self.scope_fields = tuple(f for f in self.columns if f == "scope" or f.startswith("scope:"))
        self.scope_kinds = tuple(
            GENERIC if f == "scope" else f.split(":", 1)[1] for f in self.scope_fields
        )
        self.report: Callable[[InputError], None] | None = None  # else a bad cell raises

    # ------------------------------------------------------------ row by row

    def cell(self, cells: list[Any], field_name: str) -> str:
        index = self.columns.get(field_name)
        if index is None or index >= len(cells):
            return ""
        return cell_text(cells[index]).strip()

    def rows(self, chunk: list[tuple[int, list[Any]]]) -> list[InventoryRow]:
        """The chunk's rows one by one."""
        items = (self.row(number, cells) for number, cells in chunk)
        return [item for item in items if item is not None]

    def row(self, number: int, cells: list[Any]) -> InventoryRow | None:
        texts = list(map(cell_text, cells))
        if not any(cell.strip() for cell in texts):
            return None
        self._check_lengths(number, texts)
        self._check_account(number, cells)
        source = next((f for f in SERVICE_SOURCES if self._identifies(texts, f)), "")
        return InventoryRow(
            self.sheet,
            number,
            self.cell(texts, source) if source else "",
            self._described[source],
            *(self.cell(texts, name) for name in _TEXT_FIELDS[:1]),
            _account(self.cell(texts, "account")),
            *(self.cell(texts, name) for name in _TEXT_FIELDS[2:]),
            scope=self._scope(number, texts),
        )

    def _identifies(self, cells: list[str], field_name: str) -> bool:
        value = self.cell(cells, field_name)
        # A resource column names the service only when it holds an ARN.
        return bool(value) and (field_name != "resource" or parse_arn(value) is not None)

    def _check_account(self, number: int, cells: list[Any]) -> None:
        """A typed cell in the account column holds an account id stored as a number (its
        leading zeros restored) or nothing else: 1.5, -5, 1e300, TRUE or a date were taken
        as accounts and listed in the pack's scope (twelfth adversarial pass)."""
        index = self.columns.get("account")
        value = cells[index] if index is not None and index < len(cells) else None
        if _is_account_cell(value):
            return
        scientific = isinstance(value, str)
        error = InputError(
            f"the account column holds {cell_text(value)!r}, "
            + (_SCIENTIFIC_NOTE if scientific else "which is not an account id (12 digits)"),
            file=self.path,
            sheet=self.sheet,
            row=number,
            column=self.header.describe("account"),
            hint=_SCIENTIFIC_HINT
            if scientific
            else "Type the account id (or an account name, as text) in this cell.",
        )
        if self.report is None:
            raise error
        self.report(error)  # listed with the file's other problems (validate, build)

    def _check_lengths(self, number: int, cells: list[str]) -> None:
        columns = self.limits.max_columns
        beyond = next((i for i in range(columns, len(cells)) if cells[i].strip()), None)
        if beyond is not None:
            raise InputError(
                f"a cell lies beyond the limit of {columns:,} columns",
                file=self.path,
                sheet=self.sheet,
                row=number,
                column=column_letter(beyond),
                hint="Delete stray cells far to the right, or raise --max-columns.",
            )
        limit = self.limits.max_cell_chars
        for index, cell in enumerate(cells):
            too_long = len(cell) > limit
            if too_long or "\x00" in cell:  # a NUL past the first block was read as text
                raise InputError(
                    f"cell holds {len(cell):,} characters, over the limit of {limit:,}"
                    if too_long
                    else "cell holds a NUL character: binary data, not text",
                    file=self.path,
                    sheet=self.sheet,
                    row=number,
                    column=column_letter(index),
                )

    def _scope(self, number: int, cells: list[str]) -> frozenset[str] | None:
        if not self.scope_fields:
            return None
        texts = tuple(self.cell(cells, name) for name in self.scope_fields)
        try:
            return self.scopes.parse_row(texts, self.scope_kinds)
        except ValueError as exc:
            index, message = exc.args
            field_name = self.scope_fields[index]
            error = InputError(
                message,
                file=self.path,
                sheet=self.sheet,
                row=number,
                column=self.header.describe(field_name),
                hint=self._found_by_word(field_name),
            )
            if self.report is None:
                raise error from exc
            self.report(error)
            return None

    def _found_by_word(self, field_name: str) -> str | None:
        """Said of a generic scope column found by a word of its header ('Scope notes'),
        not by a name reportgen knows: it may be no scope column at all (75a)."""
        header = self.header.headers[self.columns[field_name]]
        if field_name != "scope" or header_key(header) in HEADER_ALIASES:
            return None
        return (
            "The column was read as the scope column for a word of its header; if it is "
            "something else, name the scope column in the config (inventory.columns.scope)."
        )

    # ------------------------------------------------------------ column by column

    def chunk(self, chunk: list[tuple[int, list[Any]]]) -> list[InventoryRow] | None:
        """The chunk's rows, or None if any row needs reporting (then use :meth:`rows`)."""
        numbers, rows = zip(*chunk, strict=True)
        widest = max(map(len, rows))
        if widest > self.limits.max_columns:
            return None  # cells may lie beyond the column limit: named row by row
        width = max(widest, self.width)
        if width > min(map(len, rows)):  # ragged CSV rows, or rows short of a header column
            rows = tuple(row + [""] * (width - len(row)) for row in rows)
        columns = list(zip(*rows, strict=True))
        if self._longest(columns) > self.limits.max_cell_chars or _holds_nul(columns):
            return None
        account = self.columns.get("account")
        if account is not None and not all(map(_is_account_cell, columns[account])):
            return None
        fields = {name: self._texts(columns, name) for name in self.columns}
        keep = self._non_blank(fields, columns)
        try:
            scopes = self._parse_all(fields)
        except ValueError:
            return None
        return self._build(numbers, fields, scopes, keep)

    def _texts(self, columns: list[tuple[Any, ...]], name: str) -> list[str]:
        values = columns[self.columns[name]]
        try:
            texts = list(map(str.strip, values))  # all text: the usual case, at C speed
        except TypeError:
            texts = [cell_text(value).strip() for value in values]
        # Equal cells share one string: accounts, regions, owners repeat down a column, and
        # every renderer process keeps the rows (about 300 bytes a row less at 100k rows).
        shared: dict[str, str] = {}
        return list(map(shared.setdefault, texts, texts))

    @staticmethod
    def _longest(columns: list[tuple[Any, ...]]) -> int:
        """The longest cell text in the chunk, as :meth:`rows` measures it (a number's text
        too: 1000000000000 is 13 characters, over ``--max-cell-chars 12``)."""
        longest = 0
        for values in columns:
            try:
                longest = max(longest, max(map(len, values)))
            except TypeError:  # a column with numbers or dates: measure their text
                longest = max(longest, *(len(cell_text(v)) for v in values), 0)
        return longest

    def _non_blank(self, fields: dict[str, list[str]], columns: list[tuple[Any, ...]]) -> list[int]:
        """Indexes of the rows with any text: one used cell says so, else all cells are read."""
        used = map(any, zip(*fields.values(), strict=True))
        keep = list(itertools.compress(itertools.count(), used))
        if len(keep) == len(columns[0]):
            return keep
        blank = set(range(len(columns[0]))).difference(keep)
        keep += [i for i in blank if any(cell_text(column[i]).strip() for column in columns)]
        return sorted(keep)

    def _parse_all(self, fields: dict[str, list[str]]) -> list[frozenset[str] | None] | None:
        if not self.scope_fields:
            return None
        rows = list(zip(*(fields[name] for name in self.scope_fields), strict=True))
        parsed = {texts: self.scopes.parse_row(texts, self.scope_kinds) for texts in set(rows)}
        return list(map(parsed.__getitem__, rows))

    def _build(
        self,
        numbers: tuple[int, ...],
        fields: dict[str, list[str]],
        scopes: list[frozenset[str] | None] | None,
        keep: list[int],
    ) -> list[InventoryRow]:
        """InventoryRows of the kept rows, built column by column."""
        if len(keep) < len(numbers):
            pick = operator.itemgetter(*keep) if len(keep) > 1 else lambda xs: (xs[keep[0]],)
            numbers = pick(numbers) if keep else ()
            fields = {name: list(pick(texts)) if keep else [] for name, texts in fields.items()}
            scopes = list(pick(scopes)) if keep and scopes is not None else scopes
        blank = [""] * len(numbers)
        column = {name: fields.get(name, blank) for name in (*SERVICE_SOURCES, *_TEXT_FIELDS)}
        if all(column["service"]):  # the usual inventory: every row names its service
            sources, values = ["service"] * len(numbers), column["service"]
        else:
            sources = list(
                map(_source, column["service"], column["resource_type"], column["resource"])
            )
            values = [column[source][i] if source else "" for i, source in enumerate(sources)]
        scope = scopes if scopes is not None else [None] * len(numbers)
        accounts = list(map(_account, column["account"]))
        return list(
            map(
                _new_row,
                zip(
                    itertools.repeat(self.sheet),
                    numbers,
                    values,
                    map(self._described.__getitem__, sources),
                    column["resource"],
                    accounts,
                    *(column[name] for name in _TEXT_FIELDS[2:]),
                    scope,
                    strict=False,
                ),
            )
        )


_SERVICE_TEXT = operator.attrgetter("service_text")
_SERVICE_ID = operator.attrgetter("service_id")
_MATCHED_BY = operator.attrgetter("matched_by")
_new_row = functools.partial(tuple.__new__, InventoryRow)  # from a tuple, in C
_new_resolved = functools.partial(tuple.__new__, ResolvedRow)


def _source(service: str, resource_type: str, resource: str) -> str:
    """The field that names the row's service: a resource column only when it holds an ARN."""
    if service:
        return "service"
    if resource_type:
        return "resource_type"
    if resource and parse_arn(resource) is not None:
        return "resource"
    return ""


def _is_account_cell(value: Any) -> bool:
    """Text (an id or a name) but a number in scientific notation, nothing, or a whole
    number of at most 12 digits, as Excel stores an account id typed as one."""
    if value is None:
        return True
    if type(value) is str:
        return not (("e" in value or "E" in value) and _SCIENTIFIC.fullmatch(value.strip()))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value < 10**12 and float(value).is_integer()


# How Excel saves to CSV a 12-digit account id in a column it shows as General: 1.23457E+11.
# Its last digits are gone, and no name reads so (nineteenth adversarial pass: 19b).
# A decimal comma too: 1,23457E+11 in German, French or Dutch settings (pass 21a).
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+([.,][0-9]*)?[eE][+-]?[0-9]+")
_SCIENTIFIC_NOTE = (
    "a number in scientific notation, as a spreadsheet saves a long number it shows so: "
    "the account id's last digits are lost"
)
_SCIENTIFIC_HINT = (
    "Format the account column as Text in the spreadsheet, type the ids again, and save the "
    "CSV again (or give the .xlsx itself)."
)


def _account(text: str) -> str:
    # Excel drops the leading zeros of account ids typed as numbers. ASCII digits only:
    # '١٢٣٤' and '²³' are digits to str.isdigit, and were padded into '00000000١٢٣٤'.
    return text.zfill(12) if len(text) < 12 and text.isascii() and text.isdigit() else text


class _Resolve:
    """Resolves rows into the inventory: each distinct service text once, its suggestions
    once, and a resource's ARN parsed only when it must fill an empty account or region."""

    def __init__(self, resolver: ServiceResolver, inventory: Inventory) -> None:
        self.resolver, self.inventory = resolver, inventory
        self._suggestions: dict[str, list[str]] = {}
        self._none: list[str] = []

    def __call__(self, items: list[InventoryRow]) -> None:
        """Resolve a chunk's rows, keeping their order in both lists. Column by column: the
        exceptions (unknown services, rows without account or region) are found in C."""
        resolutions = self.resolver.resolve_all(list(map(_SERVICE_TEXT, items)))
        unlocated = itertools.compress(
            itertools.count(), map(operator.not_, map(all, map(_LOCATION, items)))
        )
        for index in unlocated:
            if resolutions[index] is not None:
                items[index] = _fill_location(items[index], resolutions[index])
        unknown = list(itertools.compress(itertools.count(), map(operator.not_, resolutions)))
        if unknown:
            self.inventory.unresolved += [self._unresolved(items[i]) for i in unknown]
            known = sorted(set(range(len(items))).difference(unknown))
            items = [items[i] for i in known]
            resolutions = [resolutions[i] for i in known]
        self.inventory.rows += map(
            _new_resolved,
            zip(
                items,
                map(_SERVICE_ID, resolutions),
                map(_MATCHED_BY, resolutions),
                strict=True,
            ),
        )

    def _unresolved(self, item: InventoryRow) -> UnresolvedRow:
        text = item.service_text
        if not text:
            return UnresolvedRow(item, "no service given", self._none)
        suggestions = self._suggestions.get(text)
        if suggestions is None:
            if len(self._suggestions) >= MAX_SUGGESTED:
                self.inventory.unsuggested += 1
                return UnresolvedRow(item, "unknown service", self._none)
            suggestions = self._suggestions[text] = self.resolver.suggest(text)
        # Rows share their value's list (nothing changes it): a million rows of unknown
        # names would otherwise hold a million lists.
        return UnresolvedRow(item, "unknown service", suggestions)


_LOCATION = operator.itemgetter(
    InventoryRow._fields.index("account"), InventoryRow._fields.index("region")
)


def _fill_location(item: InventoryRow, resolution: Resolution) -> InventoryRow:
    """Account and region from the service cell's ARN, else the resource's, when empty."""
    arn = parse_arn(item.resource) if item.resource else None
    return item._replace(
        account=item.account or resolution.account or (arn[2] if arn else ""),
        region=item.region or resolution.region or (arn[1] if arn else ""),
    )


def _holds_nul(columns: list[tuple[Any, ...]]) -> bool:
    """Whether a text cell of the chunk holds a NUL (binary data: :meth:`rows` names it)."""
    for values in columns:
        try:
            if "\x00" in "".join(values):  # C speed, for a column of text alone
                return True
        except TypeError:  # numbers or empty cells among its text: each text cell then
            if any(isinstance(value, str) and "\x00" in value for value in values):
                return True
    return False
