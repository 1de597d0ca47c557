"""Finding the header row of an inventory sheet and mapping its columns to fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reportgen.core.errors import InputError, column_letter
from reportgen.core.markdown import shorten
from reportgen.core.owners import spelt_out
from reportgen.inventory.fields import (
    FIELDS,
    HEADER_ALIASES,
    SERVICE_SOURCES,
    header_key,
    header_words,
    keyword_field,
)
from reportgen.inventory.scope import answer_words, unread_letters


@dataclass
class HeaderMatch:
    row: int  # 1-based row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    headers: list[str]  # the header row's cell texts
    warnings: list[str] = field(default_factory=list)
    # scope columns reportgen found itself whose header it cannot read as one: (index, why)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def describe(self, field_name: str) -> str:
        index = self.columns[field_name]
        return f"{column_letter(index)} ({spelt_out(self.headers[index].strip())})"


ScopeHeader = Callable[[str], "str | None"]  # header cell -> framework id it scopes alone


def match_headers(
    cells: list[str],
    explicit: dict[str, str] | None = None,
    scope_header: ScopeHeader | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Map fields to column indexes; explicit names (from config) win over aliases. A
    column that scopes one framework ("PCI Scope") becomes field ``scope:<framework id>``."""
    explicit = explicit or {}
    keys = [header_key(cell) for cell in cells]
    columns: dict[str, int] = {}
    warnings: list[str] = []
    for field_name, header in explicit.items():
        found = _explicit_column(cells, keys, field_name, header, warnings)
        if found is not None:
            columns[field_name] = found
    explicit_columns = set(columns.values())
    for index, key in enumerate(keys):
        field_name = HEADER_ALIASES.get(key)
        if not field_name or field_name in explicit or index in explicit_columns:
            continue
        if field_name in columns:
            first = columns[field_name]
            warnings.append(
                f"column {column_letter(index)} ({spelt_out(cells[index].strip())}) repeats the "
                f"{field_name} column {column_letter(first)}; using {column_letter(first)}"
            )
            continue
        columns[field_name] = index
    taken = set(columns) | set(explicit)
    used = set(columns.values())
    for index, cell in enumerate(cells):
        framework = scope_header(cell) if scope_header and index not in used else None
        if framework and f"scope:{framework}" in columns:
            first = columns[f"scope:{framework}"]
            # one was dropped without a word, where the two disagreed (75a)
            warnings.append(
                f"column {column_letter(index)} ({spelt_out(cells[index].strip())}) scopes "
                f"{framework} as column {column_letter(first)} "
                f"({spelt_out(cells[first].strip())}) does; using {column_letter(first)}, so "
                f"what {column_letter(index)} says is not read"
            )
        elif framework:
            columns[f"scope:{framework}"] = index
            used.add(index)
    for index, cell in enumerate(cells):
        if index in used or not _could_be_header(cell):
            continue
        field_name = keyword_field(cell, taken)
        if field_name:
            columns[field_name] = index
            taken.add(field_name)
    return columns, warnings


# 'tag:' heads a tag column of an export: a tag named Service or Owner is not that column
# unless the config maps it.
_VALUE_LIKE = re.compile(r"arn:|::|://|@|^\s*tag:")


def _could_be_header(cell: str) -> bool:
    """Header labels are short words; an ARN, a resource type or a sentence in a data row
    must not make that row look like the header ('arn:aws:s3:::b' holds the word 'arn')."""
    text = cell.strip()
    return bool(text) and len(text) <= 60 and not _VALUE_LIKE.search(text.casefold())


def _exact(columns: dict[str, int], cells: list[str]) -> int:
    return sum(1 for index in columns.values() if header_key(cells[index]) in HEADER_ALIASES)


def _explicit_column(
    cells: list[str], keys: list[str], field_name: str, header: str, warnings: list[str]
) -> int | None:
    """The column the config names for ``field_name``: headers compare ignoring case and
    spacing, so 'tag:env' also finds 'tag:ENV'; of several, the one written exactly as the
    config writes it, else the first, with a warning naming them all (the first was taken
    without a word, though the other held the values meant: twelfth adversarial pass)."""
    wanted = header_key(header)
    matches = [index for index, key in enumerate(keys) if key == wanted]
    if not matches:
        return None
    exact = [index for index in matches if cells[index].strip() == header.strip()]
    chosen = (exact or matches)[0]
    if len(matches) > 1:
        # spelt out: two names apart by a zero-width space were shown alike (70a)
        listed = ", ".join(
            f"{column_letter(i)} ({spelt_out(shorten(cells[i].strip(), 40))})" for i in matches
        )
        why = "written exactly so" if exact else "the first"
        warnings.append(
            f"inventory.columns.{field_name} '{shorten(header, 40)}' matches columns {listed}; "
            f"using {column_letter(chosen)}, {why}"
        )
    return chosen


def find_header(
    rows: list[tuple[int, list[str]]],
    explicit: dict[str, str] | None = None,
    header_row: int | None = None,
    scope_header: ScopeHeader | None = None,
    scope_words: frozenset[str] = frozenset(),
    unnamed: ScopeHeader | None = None,
) -> HeaderMatch | None:
    """The best header among the first rows: one with a service source, the most columns
    named exactly (a data row can only match by words), then the most columns."""
    best: HeaderMatch | None = None
    best_score = (-1, -1)
    for number, cells in rows:
        if header_row is not None and number != header_row:
            continue
        columns, warnings = match_headers(cells, explicit, scope_header)
        if not any(source in columns for source in SERVICE_SOURCES):
            continue
        score = (_exact(columns, cells), len(columns))
        if score > best_score:
            refused = _said_otherwise(columns, cells, explicit or {}, scope_words, unnamed)
            best, best_score = HeaderMatch(number, columns, cells, warnings, refused), score
    return best


def missing_header_error(
    file: str,
    sheet: str | None,
    rows: list[tuple[int, list[str]]],
    explicit: dict[str, str],
    window: str = "the first rows",
) -> InputError:
    """Explain that no service column was found in ``window`` (where the header was looked
    for): the headers seen, the names accepted, and how to name the header row."""
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
        f"no service column found in {window}",
        file=file,
        sheet=sheet,
        details=details,
        hint="Rename the column, or map it in the config: inventory: {columns: {service: ...}}; "
        "if the header is further down, set inventory.header_row to its row number.",
    )


# Words by which a header says its column holds what a row is out of: 'Out of PCI scope'
# and 'Excluded frameworks' were read as the frameworks a row is in, backwards (75a).
_NEGATIONS = frozenset(
    {"out", "not", "no", "non", "outside", "without", "except", "excluding", "exempt"}
    | {"exclude", "excluded", "excludes", "exclusion", "exclusions", "excl"}
)
# The words a generic scope column found by its words may hold besides the frameworks'
# names: any other ('Descoped', 'Waived', 'Removed from scope', 'Scope notes') may say
# something else, and a list of negations kept missing some (76a).
_SCOPE_WORDS = frozenset(
    {"scope", "scoped", "inscope", "frameworks", "framework", "in", "for", "of", "the"}
    | {"audit", "audits", "compliance", "regulatory", "certification", "certifications"}
    | {"standard", "standards", "program", "programs", "programme", "programmes"}
    | {"applicable", "which", "is", "are", "row", "rows"}
)


def _said_otherwise(
    columns: dict[str, int],
    cells: list[str],
    explicit: dict[str, str],
    names: frozenset[str],
    unnamed: ScopeHeader | None = None,
) -> list[tuple[int, str]]:
    """The scope columns reportgen found by themselves whose header it cannot read as
    one, and why; one the config names is read as the config says."""
    refused = []
    for name, index in columns.items():
        if not (name == "scope" or name.startswith("scope:")) or name in explicit:
            continue
        words = answer_words(header_words(cells[index]))
        if unread_letters(cells[index]):  # 'Ｏｕｔ of PCI scope' was read as PCI's (76a)
            refused.append((index, "holds letters reportgen does not read"))
        elif words & _NEGATIONS:
            refused.append((index, "reads as saying what a row is out of"))
        elif name == "scope" and header_key(cells[index]) not in HEADER_ALIASES:
            other = sorted(words - _SCOPE_WORDS - names)
            mention = unnamed(cells[index]) if unnamed and not other else None
            if other:
                said = ", ".join(f"'{word}'" for word in other[:3])
                refused.append((index, f"holds words ({said}) that are not a scope column's"))
            elif mention:  # 'SOC 1 Scope' was read as every framework's (82a)
                said = spelt_out(shorten(mention, 40))
                refused.append((index, f"speaks of '{said}', which is no one framework"))
    return refused


def read_named_scope_alone(
    header: HeaderMatch, framework_of: ScopeHeader, unnamed: ScopeHeader
) -> list[str]:
    """Make the column the config names as the scope column scope one framework alone when
    its header names one ('PCI Scope', 'tag:PCI Scope', 'tag:pci'), as that column found by
    its header does: read as every framework's, a resource tagged PCI Scope=no left every
    pack, exit 0 (80a). One saying what a row is out of is read as the config says. The
    warnings to give."""
    index = header.columns.get("scope")
    if index is None or answer_words(header_words(header.headers[index])) & _NEGATIONS:
        return []
    framework = framework_of(header.headers[index])
    if framework is None:
        mention = unnamed(header.headers[index])
        return [  # read as the config says, but said: 'tag:SOC1' was read as all of them (82a)
            f"inventory.columns.scope names column {header.describe('scope')}, whose header "
            f"speaks of '{spelt_out(shorten(mention, 40))}', which is no one framework; it is "
            "read as a generic scope column, its answers the frameworks a row is in"
        ] if mention else []  # fmt: skip
    del header.columns["scope"]
    other = header.columns.get(f"scope:{framework}")
    header.columns[f"scope:{framework}"] = index
    if other is None:
        return []
    return [
        f"column {column_letter(other)} ({spelt_out(header.headers[other].strip())}) scopes "
        f"{framework} as column {header.describe(f'scope:{framework}')}, which the config "
        f"names, does; using {column_letter(index)}, so what {column_letter(other)} says "
        "is not read"
    ]


def said_otherwise_error(header: HeaderMatch, file: str, sheet: str | None) -> InputError:
    """The refusal of a scope column whose header reportgen cannot read as one."""
    index, why = header.refused[0]
    return InputError(
        f"the header '{spelt_out(shorten(header.headers[index].strip(), 60))}' {why}: "
        "reportgen reads a scope column as the frameworks a row is in, and could read this "
        "one otherwise than it is meant",
        file=file,
        sheet=sheet,
        row=header.row,
        column=column_letter(index),
        hint="Rename the column to say what a row is in ('PCI Scope' with yes or no, "
        "'Frameworks' listing them), or name it in the config as inventory.columns.scope "
        "if it does say that.",
    )
