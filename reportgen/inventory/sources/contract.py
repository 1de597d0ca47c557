"""What every export reader provides, and what it is shown to recognise a file by."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reportgen.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.jsonstream import JsonShapeError, json_path


@dataclass(frozen=True)
class Head:
    """The start of a file's content (unpacked when gzipped), looked at once for all readers."""

    data: bytes
    gzipped: bool
    json_keys: list[str] = field(default_factory=list)  # top-level keys when it is JSON

    @property
    def is_json(self) -> bool:
        return self.data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")

    @property
    def first_line(self) -> str:
        line = self.data.split(b"\n", 1)[0]
        return line.decode("utf-8-sig", errors="replace").strip()


class Source(Protocol):
    """One export format: recognised by its content, read into an inventory table."""

    name: str  # short id, as `inventory pull --source` and the snapshot sidecar name it
    label: str  # what the user reads: "AWS Config advanced query"

    def recognises(self, head: Head) -> bool: ...

    def read(self, path: Path, limits: Limits) -> RawTable: ...


def shape_error(path: Path, exc: JsonShapeError) -> InputError:
    return InputError(f"{json_path(exc.parts)}: {exc.message}", file=path)
