"""Streaming the items of a large JSON export, with the guards every reader has.

ijson parses the file in chunks; this module walks its events, keeps the JSON path of the
current value (``$.Results[41]``) for error messages, and builds only the values a reader
asks for. Guards: the export's size (:mod:`exportfile`), nesting depth, the length of one
string (checked on the raw bytes, before the parser buffers the string) and the type of
each container a reader expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from reportgen.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.sources.exportfile import open_export

PathPart = str | int
_VALUE_STARTS = frozenset(
    {"start_map", "start_array", "string", "number", "boolean", "null", "integer", "double"}
)
_NAMES = {
    "start_map": "an object",
    "start_array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a number",
    "double": "a number",
    "boolean": "true or false",
    "null": "null",
}


def json_path(parts: list[PathPart]) -> str:
    """'$.Results[41].tags' for ['Results', 41, 'tags']; a deep path keeps its ends."""
    if len(parts) > 12:
        return json_path(parts[:6]) + f"…({len(parts) - 9} more)…" + json_path(parts[-3:])[1:]
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}"
        else:
            text += "[" + repr(part) + "]"
    return text


def kind_of(value: Any) -> str:
    """How a value's type reads in a message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    return "a number"


class JsonShapeError(ValueError):
    """A value of the wrong type inside an item; the reader adds the item's path."""

    def __init__(self, parts: list[PathPart], message: str) -> None:
        super().__init__(message)
        self.parts, self.message = parts, message


class StringTooLong(InputError):
    """Raised from inside the parser's read; :class:`JsonStream` adds the JSON path."""


class StringGuard:
    """Passes bytes through and refuses a run longer than ``limit`` between two unescaped
    double quotes: a huge string (or a huge run of anything else) before ijson buffers it."""

    def __init__(self, inner: BinaryIO, path: Path, limit: int) -> None:
        self.inner, self.path, self.limit = inner, path, limit
        self.run = 0  # bytes since the last unescaped quote
        self.offset = 0
        self.pending = b""  # bytes read ahead, handed out first

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn whether it gets bytes
            return b""
        if self.pending:
            ahead = self.pending
            data = ahead + self.inner.read(-1 if size < 0 else max(size - len(ahead), 0))
            self.pending = b""
        else:
            data = self.inner.read(size)
        first = _next_quote(data, 0)
        if first < 0:
            self.run += len(data)
        else:
            self._check(self.run + first)
            self.run = len(data) - _last_quote(data) - 1
        self._check(self.run)
        self.offset += len(data)
        return data

    def _check(self, run: int) -> None:
        if run > self.limit:
            raise StringTooLong(
                f"a string (or a run of text without quotes) longer than {self.limit:,} bytes, "
                f"near byte {self.offset:,}",
                file=self.path,
                hint="This is not an export reportgen reads; check that the file is complete "
                "and is the command's own output.",
            )


def _next_quote(data: bytes, start: int) -> int:
    index = data.find(b'"', start)
    while index > 0 and data[index - 1] == 0x5C:  # '\"' is inside a string
        index = data.find(b'"', index + 1)
    return index


def _last_quote(data: bytes) -> int:
    index = data.rfind(b'"')
    while index > 0 and data[index - 1] == 0x5C:
        index = data.rfind(b'"', 0, index)
    return index


class JsonStream:
    """Walks a JSON file's events; yields ``(path, value)`` for the values it is asked for.

    ``wanted(prefix)`` gets ijson's prefix ('Results.item') of each value and says whether
    to build it; ``arrays(prefix)`` says which containers must be lists.
    """

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.parts: list[PathPart] = []

    def items(
        self, wanted: Callable[[str], bool], arrays: Callable[[str], bool] = lambda _p: False
    ) -> Iterator[tuple[list[PathPart], Any]]:
        with open_export(self.path, self.limits.max_export_bytes) as raw:
            start = raw.read(3)  # a UTF-8 byte order mark (PowerShell, Notepad) is dropped
            guarded = StringGuard(raw, self.path, self.limits.max_json_string_bytes)
            guarded.pending = b"" if start == b"\xef\xbb\xbf" else start
            try:
                yield from self._walk(ijson.parse(guarded, use_float=True), wanted, arrays)
            except ijson.JSONError as exc:
                raise self.error(f"not valid JSON ({_short(exc)})") from exc
            except StringTooLong as exc:
                raise self.error(exc.message) from exc

    def error(self, message: str, parts: list[PathPart] | None = None) -> InputError:
        where = json_path(self.parts if parts is None else parts)
        return InputError(f"{where}: {message}", file=self.path)

    def _walk(
        self,
        events: Iterator[tuple[str, str, Any]],
        wanted: Callable[[str], bool],
        arrays: Callable[[str], bool],
    ) -> Iterator[tuple[list[PathPart], Any]]:
        parts, kinds = self.parts, []  # kinds: 'map' or 'array', one per open container
        depth_limit = self.limits.max_json_depth
        builder: ijson.ObjectBuilder | None = None
        built_at = 0
        for prefix, event, value in events:
            if event in _VALUE_STARTS:
                if kinds and kinds[-1] == "array":
                    parts[-1] += 1  # type: ignore[operator]
                elif not kinds and event != "start_map":
                    raise self.error(f"expected a JSON object, found {_NAMES[event]}")
                if builder is None:
                    if arrays(prefix) and event != "start_array":
                        raise self.error(f"expected a list, found {_NAMES[event]}")
                    if wanted(prefix):
                        if event in ("start_map", "start_array"):
                            builder, built_at = ijson.ObjectBuilder(), len(kinds)
                        else:
                            yield list(parts), value
            if builder is not None:
                builder.event(event, value)
            if event == "map_key":
                parts[-1] = value
            elif event in ("start_map", "start_array"):
                if len(kinds) >= depth_limit:
                    raise self.error(f"nested more than {depth_limit} levels deep")
                kinds.append("map" if event == "start_map" else "array")
                parts.append("" if event == "start_map" else -1)
            elif event in ("end_map", "end_array"):
                kinds.pop()
                parts.pop()
                if builder is not None and len(kinds) == built_at:
                    yield list(parts), builder.value
                    builder = None


def top_level_keys(head: bytes, limit: int = 200) -> list[str]:
    """Keys of the top-level object in the first bytes of a JSON file (values skipped)."""
    keys: list[str] = []
    try:
        for prefix, event, value in ijson.parse(head):
            if event == "map_key" and prefix == "":
                keys.append(value)
                if len(keys) >= limit:
                    break
    except ijson.JSONError:  # the head ends mid-document, or it is not JSON at all
        pass
    return keys


def starts_as_json(head: bytes) -> bool:
    """Whether the first few tokens parse as JSON (the head may end mid-document)."""
    events = ijson.parse(head.removeprefix(b"\xef\xbb\xbf"))
    try:
        for _ in zip(range(3), events, strict=False):
            pass
    except ijson.IncompleteJSONError as exc:
        return "premature EOF" in str(exc)
    except ijson.JSONError:
        return False
    return True


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
