"""Reading an inventory file into resolved and unresolved rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import InputError, column_letter
from reportgen.inventory.fields import SERVICE_SOURCES
from reportgen.inventory.headers import HeaderMatch, find_header, missing_header_error
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawSheet, read_table
from reportgen.inventory.resolve import ServiceResolver, parse_arn
from reportgen.inventory.scope import ScopeParser


@dataclass(slots=True)
class InventoryRow:
    """One data row of the inventory, with where it came from."""

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


@dataclass(slots=True)
class ResolvedRow:
    row: InventoryRow
    service_id: str
    matched_by: str


@dataclass(slots=True)
class UnresolvedRow:
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

    @property
    def total_rows(self) -> int:
        return len(self.rows) + len(self.unresolved)


@dataclass(frozen=True)
class InventoryOptions:
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    limits: Limits = field(default_factory=Limits)


_TEXT_FIELDS = ("resource", "account", "region", "environment", "owner", "classification", "notes")


def read_inventory(
    path: Path, options: InventoryOptions, resolver: ServiceResolver, scopes: ScopeParser
) -> Inventory:
    """Read, find the header, resolve every row. Unresolvable rows are kept, never dropped."""
    table = read_table(path, options.limits, options.sheet)
    sheet, header, rows = _locate_header(table.sheets, path, options)
    inventory = Inventory(path=path, sheet=sheet, header=header, warnings=list(table.warnings))
    inventory.warnings += [_where(path, sheet, header.row) + w for w in header.warnings]
    _check_explicit_columns(options.columns, header, path, sheet)
    reader = _RowReader(path, sheet, header, options.limits, scopes)
    count = 0
    for number, cells in rows:
        item = reader.row(number, cells)
        if item is None:
            continue
        count += 1
        if count > options.limits.max_rows:
            raise InputError(
                f"more than {options.limits.max_rows:,} data rows; raise the limit with "
                "--max-rows if this inventory is genuine",
                file=path,
                sheet=sheet,
                row=number,
            )
        _resolve_row(item, resolver, inventory)
    if count == 0:
        # An empty audit pack would read as "nothing in scope"; an auditor expects the
        # inventory to list something, so a header without data is more likely a mistake.
        raise InputError(
            "the inventory has a header row but no data rows",
            file=path,
            sheet=sheet,
            row=header.row,
            hint="Add one row per AWS service or resource you use below the header.",
        )
    return inventory


def _where(path: Path, sheet: str | None, row: int) -> str:
    return f"{path}: " + (f"sheet '{sheet}', " if sheet else "") + f"row {row}: "


def _locate_header(
    sheets: list[RawSheet], path: Path, options: InventoryOptions
) -> tuple[str | None, HeaderMatch, Iterator[tuple[int, list[str]]]]:
    first_failure = None
    for raw in sheets:
        head = list(itertools.islice(raw.rows, options.limits.header_search_rows))
        if options.header_row and options.header_row > options.limits.header_search_rows:
            head += list(itertools.islice(raw.rows, options.header_row - len(head)))
        header = find_header(head, options.columns, options.header_row)
        if header is not None:
            _warn_skipped_rows(header, head)
            rest = itertools.chain((r for r in head if r[0] > header.row), raw.rows)
            return raw.name, header, rest
        if first_failure is None:
            first_failure = (raw.name, head)
    if first_failure is None:
        raise InputError("the inventory has no sheets", file=path)
    name, head = first_failure
    if not any(any(cell.strip() for cell in cells) for _, cells in head):
        raise InputError("the inventory is empty: no header row and no data", file=path, sheet=name)
    raise missing_header_error(str(path), name, head, options.columns)


def _warn_skipped_rows(header: HeaderMatch, head: list[tuple[int, list[str]]]) -> None:
    """Rows above the header are titles; one with several cells may be data the header
    search stepped over, so it is named rather than skipped in silence."""
    skipped = [
        str(number)
        for number, cells in head
        if number < header.row and sum(1 for cell in cells if cell.strip()) >= 2
    ]
    if skipped:
        header.warnings.append(
            f"row(s) {', '.join(skipped)} above this header row were skipped as titles; "
            "if they hold data, set inventory.header_row in the config"
        )


def _check_explicit_columns(
    columns: dict[str, str], header: HeaderMatch, path: Path, sheet: str | None
) -> None:
    missing = [
        f"{field} = '{name}'" for field, name in columns.items() if field not in header.columns
    ]
    if missing:
        found = ", ".join(f"'{h.strip()}'" for h in header.headers if h.strip())
        raise InputError(
            "configured column(s) not found in the header row",
            file=path,
            sheet=sheet,
            row=header.row,
            details=[*missing, f"headers found: {found}"],
        )


class _RowReader:
    """Turns the cells of one data row into an InventoryRow (or None for a blank row)."""

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

    def cell(self, cells: list[str], field_name: str) -> str:
        index = self.columns.get(field_name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def row(self, number: int, cells: list[str]) -> InventoryRow | None:
        if not any(cell.strip() for cell in cells):
            return None
        self._check_lengths(number, cells)
        source = next((f for f in SERVICE_SOURCES if self._identifies(cells, f)), None)
        item = InventoryRow(
            sheet=self.sheet,
            row=number,
            service_text=self.cell(cells, source) if source else "",
            service_column=self.header.describe(source) if source else "",
            scope=self._scope(number, cells),
        )
        for name in _TEXT_FIELDS:
            setattr(item, name, self.cell(cells, name))
        if item.account.isdigit() and len(item.account) < 12:
            # Excel drops the leading zeros of account ids typed as numbers.
            item.account = item.account.zfill(12)
        return item

    def _identifies(self, cells: list[str], field_name: str) -> bool:
        value = self.cell(cells, field_name)
        # A resource column names the service only when it holds an ARN.
        return bool(value) and (field_name != "resource" or parse_arn(value) is not None)

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
            if len(cell) > limit:
                raise InputError(
                    f"cell holds {len(cell):,} characters, over the limit of {limit:,}",
                    file=self.path,
                    sheet=self.sheet,
                    row=number,
                    column=column_letter(index),
                )

    def _scope(self, number: int, cells: list[str]) -> frozenset[str] | None:
        try:
            return self.scopes.parse(self.cell(cells, "scope"))
        except ValueError as exc:
            raise InputError(
                str(exc),
                file=self.path,
                sheet=self.sheet,
                row=number,
                column=self.header.describe("scope"),
            ) from exc


def _resolve_row(item: InventoryRow, resolver: ServiceResolver, inventory: Inventory) -> None:
    if not item.service_text:
        inventory.unresolved.append(UnresolvedRow(item, "no service given", []))
        return
    resolution = resolver.resolve(item.service_text)
    if resolution is None:
        suggestions = resolver.suggest(item.service_text)
        inventory.unresolved.append(UnresolvedRow(item, "unknown service", suggestions))
        return
    arn = parse_arn(item.resource) if item.resource else None
    item.account = item.account or resolution.account or (arn[2] if arn else "")
    item.region = item.region or resolution.region or (arn[1] if arn else "")
    inventory.rows.append(ResolvedRow(item, resolution.service_id, resolution.matched_by))
