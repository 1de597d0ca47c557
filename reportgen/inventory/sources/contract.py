"""What every export reader provides, and what it is shown to recognise a file by."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reportgen.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.jsonstream import JsonShapeError, JsonStream, PathPart, json_path
from reportgen.inventory.sources.table import SourceTable


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


Row = tuple[list[str], list[tuple[str, str]]]  # the fixed cells and the (key, value) tags


class ListingReader:
    """Base of the sources whose items are one top-level list, as an AWS API pages them;
    ``inventory pull`` turns the pages' items into rows with the same :meth:`row`."""

    name: str
    label: str
    list_key: str
    columns: tuple[str, ...]

    def recognises(self, head: Head) -> bool:
        return self.list_key in head.json_keys

    def read(self, path: Path, limits: Limits) -> RawTable:
        table = SourceTable(self.columns)
        key = self.list_key
        try:
            for parts, item in JsonStream(path, limits).items(f"{key}.item".__eq__, key.__eq__):
                table.add(*self.row(item, parts, path))
        except JsonShapeError as exc:
            raise shape_error(path, exc) from exc
        return table.to_raw(path, self.name, [], limits)

    def row(self, item: Any, parts: list[PathPart], path: Path) -> Row:
        raise NotImplementedError
