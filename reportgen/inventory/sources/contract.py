"""What every export reader provides, and what it is shown to recognise a file by."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.jsonstream import (
    JsonShapeError,
    JsonStream,
    Keep,
    PathPart,
    json_path,
)
from reportgen.inventory.sources.repeats import SeenResources, resource_name
from reportgen.inventory.sources.table import SourceTable, TableFull


@dataclass(frozen=True)
class Head:
    """The start of a file's content (unpacked when gzipped), looked at once for all readers."""

    data: bytes
    gzipped: bool
    json_keys: list[str] = field(default_factory=list)  # top-level keys when it is JSON
    parses: bool = False  # its first tokens are JSON ('[Account],[Service]' is a CSV header)

    @property
    def first_char(self) -> bytes:
        """The first byte after a byte order mark and white space: b'{' for a JSON object."""
        return self.data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")[:1]

    @property
    def is_json(self) -> bool:
        return self.first_char in (b"{", b"[") and self.parses

    @property
    def first_line(self) -> str:
        line = self.data.split(b"\n", 1)[0]
        return line.decode("utf-8-sig", errors="replace").strip()


@runtime_checkable
class Source(Protocol):
    """One export format: recognised by its content, read into an inventory table."""

    name: str  # short id, as `inventory pull --source` and the snapshot sidecar name it
    label: str  # what the user reads: "AWS Config advanced query"

    def recognises(self, head: Head) -> bool: ...

    def read(self, path: Path, limits: Limits) -> RawTable: ...


def shape_error(path: Path, exc: JsonShapeError) -> InputError:
    return InputError(f"{json_path(exc.parts)}: {exc.message}", file=path)


def table_full(path: Path, parts: list[PathPart], exc: TableFull) -> InputError:
    return InputError(f"{json_path(parts)}: {exc.message}", file=path, hint=exc.hint)


Row = tuple[list[str], list[tuple[str, str]]]  # the fixed cells and the (key, value) tags


@dataclass
class Repeats:
    """The items of an export naming a resource an earlier one named: counted, the first
    one's place kept for the warning."""

    count: int = 0
    first: str = ""

    def add(self, where: str) -> None:
        self.first = self.first or where
        self.count += 1

    def warnings(self, path: Path) -> list[str]:
        if not self.count:
            return []
        return [
            f"{path}: {self.count:,} item(s) name a resource an earlier item names (the first "
            f"at {self.first}); each resource is read once, as first listed, as "
            "`inventory pull` writes it"
        ]


class ListingReader:
    """Base of the sources whose items are one top-level list, as an AWS API pages them;
    ``inventory pull`` turns the pages' items into rows with the same :meth:`row`."""

    name: str
    label: str
    list_key: str
    columns: tuple[str, ...]
    keep: Keep  # the fields of an item that :meth:`row` reads; the rest is never built
    identity_cells = 1  # the first cells of a row that name its resource (an ARN)
    resource_cell = 0  # the one of them naming the resource itself; empty, nothing does

    def recognises(self, head: Head) -> bool:
        return self.list_key in head.json_keys

    def read(self, path: Path, limits: Limits) -> RawTable:
        """The items as rows, a resource listed again read once, as first listed, as
        ``inventory pull`` writes it (see ``repeats``)."""
        table = SourceTable(self.columns, limits)
        key = self.list_key
        stream = JsonStream(path, limits)
        seen, repeats = SeenResources(), Repeats()
        try:
            items = stream.items(f"{key}.item".__eq__, key.__eq__, self.keep, key.__eq__)
            for parts, item in items:
                cells, tags = self.row(item, parts, path)
                if not seen.first_time(self.names(item, cells)):
                    repeats.add(json_path(parts))
                    continue
                try:
                    table.add(cells, tags)
                except TableFull as exc:
                    raise table_full(path, parts, exc) from exc
        except JsonShapeError as exc:
            raise shape_error(path, exc) from exc
        return table.to_raw(path, self.name, repeats.warnings(path), limits)

    def row(self, item: Any, parts: list[PathPart], path: Path) -> Row:
        raise NotImplementedError

    def names(self, item: Any, cells: list[str] | None) -> list[str]:
        """What the resource of ``item`` (whose row has ``cells``, None when refused) goes
        by: one that goes by a name of an earlier one is that one again."""
        return [resource_name(item, cells, self.identity_cells, self.resource_cell)]
