"""Finding the header row of an inventory sheet and mapping its columns to fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.errors import InputError, column_letter
from reportgen.inventory.fields import (
    FIELDS,
    HEADER_ALIASES,
    SERVICE_SOURCES,
    header_key,
    keyword_field,
)


@dataclass
class HeaderMatch:
    row: int  # 1-based row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    headers: list[str]  # the header row's cell texts
    warnings: list[str] = field(default_factory=list)

    def describe(self, field_name: str) -> str:
        index = self.columns[field_name]
        return f"{column_letter(index)} ({self.headers[index].strip()})"


def match_headers(
    cells: list[str], explicit: dict[str, str] | None = None
) -> tuple[dict[str, int], list[str]]:
    """Map fields to column indexes; explicit names (from config) win over aliases."""
    explicit = explicit or {}
    keys = [header_key(cell) for cell in cells]
    columns: dict[str, int] = {}
    warnings: list[str] = []
    for field_name, header in explicit.items():
        wanted = header_key(header)
        if wanted in keys:
            columns[field_name] = keys.index(wanted)
    explicit_columns = set(columns.values())
    for index, key in enumerate(keys):
        field_name = HEADER_ALIASES.get(key)
        if not field_name or field_name in explicit or index in explicit_columns:
            continue
        if field_name in columns:
            first = columns[field_name]
            warnings.append(
                f"column {column_letter(index)} ({cells[index].strip()}) repeats the "
                f"{field_name} column {column_letter(first)}; using {column_letter(first)}"
            )
            continue
        columns[field_name] = index
    taken = set(columns) | set(explicit)
    used = set(columns.values())
    for index, cell in enumerate(cells):
        field_name = keyword_field(cell, taken) if index not in used and cell.strip() else None
        if field_name:
            columns[field_name] = index
            taken.add(field_name)
    return columns, warnings


def find_header(
    rows: list[tuple[int, list[str]]],
    explicit: dict[str, str] | None = None,
    header_row: int | None = None,
) -> HeaderMatch | None:
    """The best header among the first rows: most fields matched, one of them a service source."""
    best: HeaderMatch | None = None
    for number, cells in rows:
        if header_row is not None and number != header_row:
            continue
        columns, warnings = match_headers(cells, explicit)
        if not any(source in columns for source in SERVICE_SOURCES):
            continue
        if best is None or len(columns) > len(best.columns):
            best = HeaderMatch(number, columns, cells, warnings)
    return best


def missing_header_error(
    file: str, sheet: str | None, rows: list[tuple[int, list[str]]], explicit: dict[str, str]
) -> InputError:
    """Explain that no service column was found: the headers seen and the names accepted."""
    first = next(((n, c) for n, c in rows if any(x.strip() for x in c)), None)
    found = ", ".join(f"'{c.strip()}'" for c in first[1] if c.strip())[:600] if first else ""
    accepted = ", ".join(f"'{name}'" for name in FIELDS["service"])
    details = [
        f"headers found (row {first[0]}): {found}" if first else "the sheet has no content",
        f"accepted service headers: {accepted}",
        "or a resource type column ('Resource Type') or an ARN column ('ARN')",
    ]
    if explicit:
        details.append(
            "configured columns: " + ", ".join(f"{k} = '{v}'" for k, v in explicit.items())
        )
    return InputError(
        "no service column found in the first rows",
        file=file,
        sheet=sheet,
        details=details,
        hint="Rename the column, or map it in the config: inventory: {columns: {service: ...}}",
    )
