"""The table every export becomes: fixed columns, then one ``tag:KEY`` column per tag key.

The rows are numbered as in the CSV snapshot ``reportgen inventory pull`` writes (header on
row 1, the first item on row 2), so an export and its snapshot give the same pack. Tag
columns never match an inventory field by themselves (a ``Service`` tag is not the service
column); the config maps one explicitly: ``inventory: {columns: {scope: "tag:pci"}}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.owners import spelt_out
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawSheet, RawTable

TAG_PREFIX = "tag:"
# A NUL or a lone surrogate: an export carried them into the pack, a pull wrote a CSV that
# build refused, or failed writing it (eleventh adversarial pass).
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
NOT_TEXT_WORDS = (
    "a NUL character or a lone UTF-16 surrogate (\\u0000, \\ud800-\\udfff), "
    "which is not text AWS writes and no CSV snapshot can hold"
)

# Header names of the fixed columns: each matches its inventory field by the usual aliases.
RESOURCE_TYPE = "Resource Type"
SERVICE = "Service"
RESOURCE = "Resource"
ACCOUNT = "Account"
REGION = "Region"
NOTES = "Notes"
ADDRESS = "Terraform Address"
DISTINCT = frozenset({RESOURCE, ADDRESS})  # columns whose values do not repeat


class TableFull(ValueError):
    """A row past --max-rows, a tag key past --max-columns, a value no cell can hold; the
    reader says where. ``flag``: the limit to raise, if one would let it in."""

    def __init__(self, message: str, flag: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = f"Raise {flag} if this export is genuine." if flag else None


class SourceTable:
    """Rows of one export with their tags, turned into a header row and data rows.

    With ``limits``, the row past ``max_rows`` and the tag key past ``max_columns`` are
    refused as they are added (:class:`TableFull`), so memory stays within what the limits
    allow however many items the file repeats.
    """

    def __init__(self, columns: Sequence[str], limits: Limits | None = None) -> None:
        self.columns = tuple(columns)
        self.limits = limits
        # Per row: its values, its tag keys (one tuple per distinct set of keys, shared by
        # the rows that have it) and their values. A million rows with two tags took 540
        # bytes a row as pairs; about 300 this way.
        self.rows: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = []
        self._shared: dict[str, str] = {}  # equal texts share one string, as in load.py
        self._key_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._keys: set[str] = set()
        # A resource's own name is distinct: a shared copy would cost a dict entry for nothing.
        self._distinct = frozenset(i for i, name in enumerate(self.columns) if name in DISTINCT)

    def add(self, values: Sequence[str], tags: Iterable[tuple[str, str]] = ()) -> None:
        limits = self.limits
        if limits is not None and len(self.rows) >= limits.max_rows:
            raise TableFull(f"more than {limits.max_rows:,} resources (rows)", "--max-rows")
        share = self._shared.setdefault
        pairs = list(tags)
        if limits is not None:
            self._check_lengths(values, pairs, limits.max_cell_chars)
        keys = tuple(share(k, k) for k, _ in pairs)
        if keys not in self._key_sets:
            self._key_sets[keys] = keys
            self._check_keys(keys)
        kept = tuple(v if i in self._distinct else share(v, v) for i, v in enumerate(values))
        self.rows.append((kept, self._key_sets[keys], tuple(share(v, v) for _, v in pairs)))

    def _check_lengths(
        self, values: Sequence[str], pairs: list[tuple[str, str]], limit: int
    ) -> None:
        """Refuses a value longer than a cell may be as it is added, so the reader names
        where it is (a JSON path, a line); checked later, it was a row and a column of a
        table the user never saw (tenth adversarial pass)."""
        for name, value in zip(self.columns, values, strict=False):
            if len(value) > limit:
                raise TableFull(_too_long(name, len(value), limit), "--max-cell-chars")
            if NOT_TEXT.search(value):
                raise TableFull(_not_text(name), "")
        for key, value in pairs:
            if NOT_TEXT.search(key) or NOT_TEXT.search(value):
                raise TableFull(_not_text(f"tag '{spelt_not_text(key[:60])}'"), "")
            if len(key) > limit or len(value) > limit:
                what = f"tag '{key[:60]}'" + (" (its key)" if len(key) > limit else "")
                raise TableFull(
                    _too_long(what, max(len(key), len(value)), limit), "--max-cell-chars"
                )

    def _check_keys(self, keys: tuple[str, ...]) -> None:
        """Refuses the tag key past --max-columns, naming it, with the first row that brings
        it (a CUR's rows are made once it is read: the key is all it can name)."""
        limits = self.limits
        for key in keys:
            self._keys.add(key)
            if limits is not None and len(self.columns) + len(self._keys) > limits.max_columns:
                raise TableFull(
                    f"more than {limits.max_columns - len(self.columns):,} distinct tag keys, "
                    f"more columns than the limit of {limits.max_columns:,} (the first past "
                    f"it: {shorten(key, 60)!r})",
                    "--max-columns",
                )

    def tag_keys(self) -> list[str]:
        return sorted(self._keys)

    def header(self) -> list[str]:
        return [*self.columns, *(TAG_PREFIX + key for key in self.tag_keys())]

    def to_raw(self, path: Path, kind: str, warnings: list[str], limits: Limits) -> RawTable:
        keys = self.tag_keys()
        if len(self.columns) + len(keys) > limits.max_columns:
            raise InputError(
                f"the export has {len(keys):,} distinct tag keys, more columns than the limit "
                f"of {limits.max_columns:,}",
                file=path,
                hint="Raise --max-columns if this export is genuine.",
            )
        return RawTable(path, kind, [RawSheet(None, self._rows(keys))], warnings)

    def _rows(self, keys: list[str]) -> Iterator[tuple[int, list[str]]]:
        width = len(self.columns)
        position = {key: width + index for index, key in enumerate(keys)}
        yield 1, [*self.columns, *(TAG_PREFIX + key for key in keys)]
        blank = [""] * len(keys)
        # Each row is let go as it is handed on, so the inventory built from them reuses
        # its memory: a million rows held twice peaked near 660 MB.
        rows, self.rows = self.rows, []
        rows.reverse()
        number = 1
        while rows:
            values, tag_keys, tag_values = rows.pop()
            number += 1
            cells = [*values, *blank]
            for key, value in zip(tag_keys, tag_values, strict=True):
                cells[position[key]] = value
            yield number, cells


def _not_text(what: str) -> str:
    return f"{what}: {NOT_TEXT_WORDS}"


def spelt_not_text(text: str) -> str:
    """``text`` with its NULs and lone surrogates spelt as JSON spells them (``\\udc80``),
    its other invisible characters too: shown through :func:`visible`, a surrogate read as
    a raw byte (``\\x80``) the file does not hold (71a)."""
    escaped = NOT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return spelt_out(escaped)


def _too_long(what: str, size: int, limit: int) -> str:
    return f"{what}: {size:,} characters, over the limit of {limit:,} for a cell"
