"""Streaming the items of a large JSON export, with the guards every reader has.

ijson parses the file in chunks; this module walks its events, keeps the JSON path of the
current value (``$.Results[41]``) for error messages, and builds only the values a reader
asks for, and of those only the fields it reads (:class:`ItemBuilder`). Guards: the export's
size (:mod:`exportfile`); on the raw bytes, before the parser sees them, the length of one
string, of one run of digits and the nesting depth (:class:`RawGuard`); nesting depth again
as events arrive (with the path); the values one item
builds and walks; and the type of each container a reader expects.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, DecimalException
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.inventory.limits import Limits
from reportgen.inventory.sources.exportfile import open_export
from reportgen.inventory.sources.jsondepth import DepthTracker

PathPart = str | int
KEY_CHARS = 60  # of a key, in a message
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
    """'$.Results[41].tags' for ['Results', 41, 'tags']; a deep path keeps its ends, a long
    key its first characters (a key may be megabytes long)."""
    if len(parts) > 12:
        return json_path(parts[:6]) + f"…({len(parts) - 9} more)…" + json_path(parts[-3:])[1:]
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{shorten(part, KEY_CHARS)}"
        else:
            text += "[" + repr(shorten(part, KEY_CHARS)) + "]"
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


# A number in a field read that no float holds (an integer of any size is read as it is).
TOO_LARGE = "a number too large to read (past 1.8e308, the largest a floating-point number holds)"

# ijson's C backend converts an integer with Python's int(), which refuses more than 4,300
# digits; the backend then crashes the process (SIGSEGV, ijson 3.x) instead of raising. No
# export holds a number, or a string of digits, anywhere near this long.
MAX_DIGITS = 4_000
# Values one item (a resource) may hold in the fields a reader builds: a resource with 1,000
# tags has about 6,000. Skipped fields are walked past, never built.
MAX_ITEM_VALUES = 100_000
# Values one item may hold in all, those skipped included: a resource's values, however
# large its configuration, hold a few thousand. This bounds the time one item takes.
MAX_ITEM_EVENTS = 1_000_000
# Characters of the strings one item holds in the fields a reader builds: a resource's tags
# hold at most a few hundred KB, an AWS Config result (one string) 4 MB. A Resource Explorer
# item whose properties, kept until their name says which is the tags, held 600 MB of
# values took 671 MB (81d).
MAX_ITEM_CHARS = 16 << 20
_DIGIT_MARKS = bytes(1 if 0x30 <= byte <= 0x39 else 0 for byte in range(256))
_DIGIT_RUN = b"\x01" * (MAX_DIGITS + 1)
_READ = 64 * 1024  # bytes a read that goes on to a string's end takes at a time
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW_SURROGATE = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_GUARD_HINT = (
    "This is not an export reportgen reads; check that the file is complete and is the "
    "command's own output."
)


class RawGuard:
    """Passes bytes through to the parser and refuses, before the parser sees them, a run
    longer than ``limit`` between two unescaped double quotes (a huge string, or a huge run
    of anything else), a run of more than :data:`MAX_DIGITS` digits, and nesting deeper than
    ``max_depth`` (ijson's cost grows with the square of the depth: see :mod:`jsondepth`)."""

    def __init__(self, inner: BinaryIO, path: Path, limit: int, max_depth: int) -> None:
        self.inner, self.path, self.limit = inner, path, limit
        self.depth = DepthTracker(max_depth)
        self.run = 0  # bytes since the last unescaped quote
        self.digits = 0  # digits at the end of what was handed out
        self.offset = 0
        self.pending = b""  # bytes read ahead, handed out first
        self.failure: StringTooLong | None = None  # raised on the next read
        self.tail = b""  # the last bytes of the previous read: an escape may span two

    def read(self, size: int = -1) -> bytes:
        if self.failure is not None:
            raise self.failure
        if size == 0:  # ijson asks for nothing first, to learn whether it gets bytes
            return b""
        if self.pending:
            ahead = self.pending
            data = ahead + self.inner.read(-1 if size < 0 else max(size - len(ahead), 0))
            self.pending = b""
        else:
            data = self.inner.read(size)
        pieces = [self._take(data)[0]]
        # yajl lexes a string split between two reads again from its start on every read:
        # at ijson's 64 KB reads a 4 MB string took 60 passes over up to 4 MB (1.2 s for
        # one of escapes). So a read that ends inside a string goes on to that string's end
        # (at most the string limit away): each byte reaches yajl at most twice.
        while self.depth.in_string and self.failure is None:
            more, quoted = self._take(self.inner.read(size if size > 0 else _READ))
            pieces.append(more)
            if quoted or not more:
                break
        data = b"".join(pieces)
        if not data and self.failure is not None:
            raise self.failure
        return data

    def _take(self, data: bytes) -> tuple[bytes, bool]:
        """Check one read's bytes: returns those the parser may have, and whether they open
        or close a string. A failure found in them cuts them where it starts and is raised on
        the next read, so that the parser has named the path of the bytes before it."""
        escaped = self.depth.escaped  # the previous read ended on an escape's backslash
        plain = self.depth.plain(data)  # escapes made plain: each quote left is a string's
        first = plain.find(b'"')
        cut = self._run_past_limit(plain, first)
        if cut >= 0:
            self._refuse(f"a string longer than {self.limit:,} bytes", cut)
            data, plain = data[:cut], plain[:cut]
        # plain() blanks the byte after a backslash that ended the previous read; a 'u'
        # there starts a \u escape, which the surrogate check must see whole.
        seen = b"u" + plain[1:] if escaped and data[:1] == b"u" else plain
        lone = self._lone_high_surrogate(seen, final=not data)
        if lone >= 0:
            # yajl turns "\ud800" followed by anything but a low surrogate into "?": text
            # changed without a word (eleventh adversarial pass). Refused as yajl refuses a
            # lone low surrogate.
            self._refuse(_NOT_TEXT.removeprefix("not valid JSON text: "), lone)
            data, plain = data[:lone], plain[:lone]
        found = self._digit_run(data)
        if found >= 0:
            # The bytes before the run are parsed first, so the error names the JSON path
            # of the number; the run itself never reaches the parser.
            self._refuse(f"a number (or a run of digits) longer than {MAX_DIGITS:,} digits", found)
            data, plain = data[:found], plain[:found]
        past = self.depth.feed(plain)
        if past >= 0:
            # Handed out up to the bracket too many: the walker names its path first.
            self._refuse(f"nested more than {self.depth.limit} levels deep", past - 1)
            data = data[:past]
        self.offset += len(data)
        return data, first >= 0

    def _lone_high_surrogate(self, plain: bytes, final: bool) -> int:
        """Where in this read a ``\\ud800``-style escape starts that no low surrogate's
        escape follows, else -1 (0 when it began in the previous read). One within the last
        11 bytes is decided on the next read, unless this is the last."""
        buffer = self.tail + plain
        self.tail = buffer[-11:]
        if b"\\u" not in buffer:
            return -1
        decided = len(buffer) if final else len(buffer) - 11
        for match in _HIGH_SURROGATE.finditer(buffer):
            if match.start() >= decided:
                break
            if not _LOW_SURROGATE.match(buffer, match.end()):
                return max(0, match.start() - (len(buffer) - len(plain)))
        return -1

    def _refuse(self, what: str, at: int) -> None:
        """Raise ``what``, found at offset ``at`` of this read, on the next read."""
        where = f"{what}, near byte {self.offset + at:,}"
        self.failure = StringTooLong(where, file=self.path, hint=_GUARD_HINT)

    def _run_past_limit(self, plain: bytes, first: int) -> int:
        """Where in this read a string passes ``limit``, else -1. Only the strings that
        reach the read's ends are checked: one between two quotes of a read is shorter than
        the read (64 KB, or ijson's buffer; the limit is 4 MB). Text outside strings is not
        a string: numbers have their own limit (MAX_DIGITS), and ``0,0,0,...`` of any length
        was refused as one (tenth adversarial pass)."""
        inside = self.depth.in_string  # at the start of this read: it is fed after
        if first < 0:
            self.run = self.run + len(plain) if inside else 0
            return len(plain) - (self.run - self.limit) if self.run > self.limit else -1
        if inside and self.run + first > self.limit:
            return self.limit - self.run
        ends_inside = inside != (plain.count(b'"') % 2 == 1)
        self.run = len(plain) - plain.rfind(b'"') - 1 if ends_inside else 0
        return len(plain) - (self.run - self.limit) if self.run > self.limit else -1

    def _digit_run(self, data: bytes) -> int:
        """Where a run of more than MAX_DIGITS digits starts in ``data`` (0 when it began
        in an earlier read), else -1."""
        marks = data.translate(_DIGIT_MARKS)  # C speed: 1 for a digit, 0 for anything else
        first_other = marks.find(b"\0")
        if first_other < 0:
            self.digits += len(data)
            return 0 if self.digits > MAX_DIGITS else -1
        if self.digits + first_other > MAX_DIGITS:
            return 0
        self.digits = len(marks) - 1 - marks.rfind(b"\0")
        return marks.find(_DIGIT_RUN, first_other)


# What a reader builds of each item: a key maps to the spec of its value, True builds the
# whole value. A spec applies to a map's keys, and to each element of a list.
Keep = dict[str, "Keep | bool"]
_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})


class ItemBuilder:
    """Builds one item from its events, keeping only the fields of ``keep`` (None: all);
    skipped values are walked past, never built, and at most MAX_ITEM_VALUES are built."""

    def __init__(self, keep: Keep | None) -> None:
        self.builder = ijson.ObjectBuilder()
        self.keep: Keep | bool = True if keep is None else keep
        # (is a map, spec, keys kept so far) per open container
        self.specs: list[tuple[bool, Keep | bool, set[str]]] = []
        self.key_spec: Keep | bool = True  # spec of the value after the current key
        self.skip_next = False  # the key just read is not kept: skip its value
        self.skipping = 0  # set on the start of a container to skip (the walker skips it)
        self.count = 0  # values built
        self.walked = 0  # values walked past
        self.chars = 0  # characters of the strings built

    @property
    def value(self) -> Any:
        return self.builder.value

    def event(self, event: str, value: Any) -> str | None:
        """Feeds one event; returns a message when the item holds too many values."""
        if event == "map_key":
            _, spec, seen = self.specs[-1]
            if spec is not True and value not in spec:  # type: ignore[operator]
                self.skip_next = True
                return None
            if value in seen:  # which value counts is each JSON reader's own choice
                return "the object holds this key twice"
            seen.add(value)
            self.key_spec = True if spec is True else spec[value]  # type: ignore[index]
        elif event in _ENDS:
            self.specs.pop()
        else:
            if self.skip_next:
                self.skip_next = False
                self.skipping = 1 if event in _STARTS else 0
                self.walked += 1
                return None
            spec = self._spec()
            if event in _STARTS:
                self.specs.append((event == "start_map", spec, set()))
        self.count += 1
        if self.count > MAX_ITEM_VALUES or self.count + self.walked > MAX_ITEM_EVENTS:
            return (
                f"the item holds more than {MAX_ITEM_VALUES:,} JSON values in the fields "
                f"reportgen reads (or {MAX_ITEM_EVENTS:,} in all)"
            )
        if isinstance(value, str):
            self.chars += len(value)
            if self.chars > MAX_ITEM_CHARS:
                return (
                    f"the item holds more than {MAX_ITEM_CHARS:,} characters of text in "
                    "the fields reportgen reads"
                )
        if isinstance(value, Decimal):  # a fraction or an exponent, in a field kept
            value = float(value)
            if not math.isfinite(value):
                return TOO_LARGE
        self.builder.event(event, value)
        return None

    def _spec(self) -> Keep | bool:
        if not self.specs:
            return self.keep
        is_map, spec, _ = self.specs[-1]
        return self.key_spec if is_map else spec


PREFIX_KEY_CHARS = 200  # of a key, in a prefix: no reader asks for a longer one


class Prefixes:
    """ijson's prefix ('Results.item.tags') of the next value, kept as the walk opens and
    closes containers; a key longer than PREFIX_KEY_CHARS is cut, and marked so that it
    matches no name a reader asks for."""

    def __init__(self) -> None:
        self.value = ""  # the prefix of the next value
        self.open_ones: list[tuple[str, bool]] = []  # (own prefix, is a list) per container

    def open(self, is_list: bool) -> None:
        self.open_ones.append((self.value, is_list))
        if is_list:
            self.value = _joined(self.value, "item")

    def key(self, key: str) -> None:
        if len(key) > PREFIX_KEY_CHARS:
            key = key[:PREFIX_KEY_CHARS] + "\0…"
        self.value = _joined(self.open_ones[-1][0], key)

    def close(self) -> None:
        self.value = self.open_ones.pop()[0]
        if self.open_ones and self.open_ones[-1][1]:
            self.value = _joined(self.open_ones[-1][0], "item")


def _joined(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class KeysUsed:
    """Per open container outside an item, the keys whose values a reader uses (builds,
    holds to a type, or looks inside for what it builds), so that one given twice is
    refused as it is inside an item: the union of two "Results" lists was read, where
    another JSON reader takes the last (eleventh adversarial pass). Keys a reader does
    not use are not kept: their values are walked past."""

    def __init__(self) -> None:
        self.open_ones: list[set[str]] = []
        self.key = ""  # the key of the value that comes next

    def open(self) -> None:
        self.open_ones.append(set())

    def close(self) -> None:
        self.open_ones.pop()

    def given_twice(self) -> bool:
        """Whether the key of the value that comes next was already given (and keep it)."""
        seen = self.open_ones[-1]
        if self.key in seen:
            return True
        seen.add(self.key)
        return False


class JsonStream:
    """Walks a JSON file's events; yields ``(path, value)`` for the values it is asked for.

    ``wanted(prefix)`` gets ijson's prefix ('Results.item') of each value and says whether
    to build it; ``arrays(prefix)`` says which containers must be lists; ``keep`` says which
    fields of a wanted item to build (the rest is skipped, never held in memory).
    """

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.parts: list[PathPart] = []

    def items(
        self,
        wanted: Callable[[str], bool],
        arrays: Callable[[str], bool] = lambda _p: False,
        keep: Keep | None = None,
        descend: Callable[[str], bool] | None = None,
    ) -> Iterator[tuple[list[PathPart], Any]]:
        """``descend(prefix)`` says whether a container (not the root) may hold a wanted
        value; one that may not is walked past without its path being kept."""
        with open_export(self.path, self.limits.max_export_bytes) as raw:
            start = raw.read(3)  # a UTF-8 byte order mark (PowerShell, Notepad) is dropped
            limits = self.limits
            guarded = RawGuard(raw, self.path, limits.max_json_string_bytes, limits.max_json_depth)
            guarded.pending = b"" if start == b"\xef\xbb\xbf" else start
            yield from self._parse(guarded, wanted, arrays, keep, descend)

    def _parse(
        self,
        source: RawGuard,
        wanted: Callable[[str], bool],
        arrays: Callable[[str], bool],
        keep: Keep | None,
        descend: Callable[[str], bool] | None,
    ) -> Iterator[tuple[list[PathPart], Any]]:
        try:
            # Integers as Python ints (any size the digit guard lets through: yajl's own
            # integers stop at 2**63, and its floats at 1e308, so valid JSON was refused as
            # "integer overflow"), other numbers as Decimal, made floats only when built.
            # basic_parse, not parse: parse builds every event's prefix from the keys above
            # it, so keys of megabytes nested in a skipped field cost their length times
            # the depth (a 4 MB export took 575 MB); _walk builds prefixes itself, keys cut.
            events = ijson.basic_parse(source, use_float=False)
            yield from self._walk(events, wanted, arrays, keep, descend)
        except ijson.JSONError as exc:
            raise self.error(f"not valid JSON ({_short(exc)})", self._next()) from exc
        except UnicodeDecodeError:  # yajl turns a lone \\ud800 into bytes it cannot decode
            raise self.error(_NOT_TEXT, self._next()) from None
        except StringTooLong as exc:
            raise self.error(exc.message, self._next()) from exc
        except DecimalException:  # an exponent past what Decimal holds (1e10**18)
            raise self.error(TOO_LARGE, self._next()) from None

    def _next(self) -> list[PathPart]:
        """The path of the value the parser was reading: in a list, the one after the last
        element it finished."""
        parts = list(self.parts)
        if parts and isinstance(parts[-1], int):
            parts[-1] += 1
        return parts

    def error(self, message: str, parts: list[PathPart] | None = None) -> InputError:
        where = json_path(self.parts if parts is None else parts)
        return InputError(f"{where}: {message}", file=self.path)

    def _walk(
        self,
        events: Iterator[tuple[str, Any]],
        wanted: Callable[[str], bool],
        arrays: Callable[[str], bool],
        keep: Keep | None,
        descend: Callable[[str], bool] | None = None,
    ) -> Iterator[tuple[list[PathPart], Any]]:
        parts, kinds = self.parts, []  # kinds: 'map' or 'array', one per open container
        prefixes, used = Prefixes(), KeysUsed()
        depth_limit = self.limits.max_json_depth
        item: ItemBuilder | None = None
        built_at = 0
        for event, value in events:
            if event == "map_key":
                parts[-1] = value[: KEY_CHARS + 1]  # a message shows no more of it
                prefixes.key(value)
                used.key = value
                if item is not None and (problem := item.event(event, value)):
                    raise self.error(problem)
                continue
            if event in _VALUE_STARTS:
                if kinds and kinds[-1] == "array":
                    parts[-1] += 1  # type: ignore[operator]
                elif not kinds and event != "start_map":
                    raise self.error(f"expected a JSON object, found {_NAMES[event]}")
                if item is None:
                    prefix = prefixes.value
                    uses = _uses(prefix, event, wanted, arrays, descend)
                    if kinds and kinds[-1] == "map" and uses and used.given_twice():
                        raise self.error("the object holds this key twice")
                    if arrays(prefix) and event != "start_array":
                        raise self.error(f"expected a list, found {_NAMES[event]}")
                    if wanted(prefix):
                        if event in _STARTS:
                            item, built_at = ItemBuilder(keep), len(kinds)
                        else:
                            yield list(parts), value
                    elif event in _STARTS and kinds and descend and not descend(prefix):
                        self._skip(events, len(kinds), None)  # nothing wanted inside
                        continue
            if item is not None:
                if problem := item.event(event, value):
                    raise self.error(problem)
                if item.skipping:  # a field the reader does not use
                    item.skipping = 0
                    self._skip(events, len(kinds), item)
                    continue
            if event in _STARTS:
                if len(kinds) >= depth_limit:
                    raise self.error(f"nested more than {depth_limit} levels deep")
                kinds.append("map" if event == "start_map" else "array")
                parts.append("" if event == "start_map" else -1)
                prefixes.open(event == "start_array")
                used.open()
            elif event in _ENDS:
                kinds.pop()
                parts.pop()
                prefixes.close()
                used.close()
                if item is not None and len(kinds) == built_at:
                    yield list(parts), item.value
                    item = None

    def _skip(
        self, events: Iterator[tuple[str, Any]], depth: int, item: ItemBuilder | None
    ) -> None:
        """Walks past the container just started at ``depth`` open containers, building
        nothing and keeping only its nesting (to the depth limit) and, inside an item, the
        item's count of events (to MAX_ITEM_EVENTS). Errors name the container's path."""
        limit = self.limits.max_json_depth
        if depth >= limit:
            raise self.error(f"nested more than {limit} levels deep")
        level, count = 1, 0
        budget = max(MAX_ITEM_EVENTS - item.walked, 1) if item else -1
        for count, (event, _) in enumerate(events, start=1):
            if event in _STARTS:
                if depth + level >= limit:
                    raise self.error(f"nested more than {limit} levels deep (in a skipped value)")
                level += 1
            elif event in _ENDS:
                level -= 1
                if not level:
                    break
            if count == budget:
                raise self.error(
                    f"the item holds more than {MAX_ITEM_EVENTS:,} JSON values (in a skipped value)"
                )
        if item:
            item.walked += count


def _uses(
    prefix: str,
    event: str,
    wanted: Callable[[str], bool],
    arrays: Callable[[str], bool],
    descend: Callable[[str], bool] | None,
) -> bool:
    """Whether a reader uses the value at ``prefix``: builds it, holds it to be a list, or
    looks inside it for what it builds (any container, without ``descend``)."""
    inside = descend(prefix) if descend else event in _STARTS
    return wanted(prefix) or arrays(prefix) or inside


# The first bytes have not been through RawGuard: each long run of digits is cut to one
# before ijson sees them (its C backend crashes on a long integer: see MAX_DIGITS), so a
# long number neither crashes sniffing nor hides that the file is JSON; reading the file
# then names the number's path.
_LONG_DIGITS = re.compile(rb"[0-9]{64,}")


def _sniffable(head: bytes) -> bytes:
    return _LONG_DIGITS.sub(b"0", head.removeprefix(b"\xef\xbb\xbf"))


_NOT_TEXT = (
    "not valid JSON text: a string holds a \\u escape that is no character (a lone UTF-16 "
    "surrogate such as \\ud800)"
)


def top_level_keys(head: bytes, limit: int = 200) -> list[str]:
    """Keys of the top-level object in the first bytes of a JSON file (values skipped)."""
    keys: list[str] = []
    depth = 0  # basic_parse: ijson.parse would build a prefix per level (quadratic)
    try:
        for event, value in ijson.basic_parse(_sniffable(head)):
            if event == "map_key" and depth == 1:
                keys.append(value)
                if len(keys) >= limit:
                    break
            depth += 1 if event in _STARTS else -1 if event in _ENDS else 0
    except (ijson.JSONError, UnicodeDecodeError, DecimalException):  # cut, not JSON, not text
        pass
    return keys


def starts_as_json(head: bytes) -> bool:
    """Whether the first few tokens parse as JSON (the head may end mid-document)."""
    events = ijson.basic_parse(_sniffable(head))  # no prefixes: nesting costs no more
    try:
        for _ in zip(range(3), events, strict=False):
            pass
    except ijson.IncompleteJSONError as exc:
        return "premature EOF" in str(exc)
    except ijson.JSONError:
        return False
    except (UnicodeDecodeError, DecimalException):  # a lone surrogate, a vast exponent:
        return True  # JSON, which the reader then refuses with its reason
    return True


# A string (skipped), or what lenient JSON writers emit and JSON does not allow.
_LENIENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|(//|/\*|NaN|-?Infinity)')


# How JSON starts, as no CSV header does: an object, a comment, or a list whose first item
# is a JSON value ('[Account],[Service]' is a CSV header).
_JSON_START = re.compile(
    r'\s*(?:\{|//|/\*|\[\s*(?:[\[{"0-9\]-]|(?:NaN|-?Infinity|true|false|null)\s*[,\]]))'
)


def json_fault(head: bytes) -> str | None:
    """Why a file that starts as JSON is not JSON, with its line and column; None when the
    head parses as far as it goes or never looked like JSON (a comment after the first
    brace, or NaN as the first item, was taken for a CSV: 80a)."""
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    fault = _parser_fault(head) if _JSON_START.match(text) else None
    if fault is None:
        return None
    at, reason = _python_fault(text)
    for match in _LENIENT.finditer(text):
        if match.start() > at:
            break
        if match.group(1):
            token = match.group(1)
            what = "a comment" if token.startswith("/") else f"the value {token}"
            return f"{what}, which JSON does not allow, at {_line_column(text, match.start())}"
    if at < len(text.rstrip()):
        return f"{reason[:1].lower()}{reason[1:]}, at {_line_column(text, at)}"
    return _short(fault)


def _python_fault(text: str) -> tuple[int, str]:
    """Where Python's parser, which takes NaN and Infinity, stops, and why. Numbers are
    not made: one of 5,000 digits was past what int() reads, an internal error (80d)."""
    try:
        json.loads(text, parse_int=len, parse_float=len)
    except json.JSONDecodeError as exc:
        return exc.pos, exc.msg
    except RecursionError:  # nesting deeper than Python parses: no place to name
        pass
    return len(text), ""


def _parser_fault(head: bytes) -> ijson.JSONError | None:
    """The parser's error, if the head does not parse (its end is none: the file goes on)."""
    try:
        for _ in ijson.basic_parse(_sniffable(head)):
            pass
    except ijson.JSONError as exc:
        return None if "premature EOF" in str(exc) else exc
    except (UnicodeDecodeError, DecimalException):  # refused by the reader, with its reason
        pass
    return None


def _line_column(text: str, at: int) -> str:
    line = text.count("\n", 0, at) + 1
    return f"line {line}, column {at - text.rfind(chr(10), 0, at)}"


class DuplicateKey(ValueError):
    """A key given twice in one object of JSON parsed whole (:func:`loads_unique`)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {shorten(key, KEY_CHARS)!r} is given twice in one object")
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        seen: set[str] = set()
        raise DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
    return value


def loads_unique(text: str | bytes) -> Any:
    """``json.loads``, refusing a key given twice in one object (DuplicateKey): JSON readers
    differ on which value counts, and the streamed readers refuse it too."""
    return json.loads(text, object_pairs_hook=_unique)


def _short(exc: BaseException) -> str:
    """The first line of a parser's message (yajl's C backend gives it as bytes, with the
    offending input quoted on the lines after)."""
    first = exc.args[0] if exc.args else ""
    text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(exc)
    lines = text.strip().splitlines()
    return (lines[0].strip() if lines else type(exc).__name__)[:200]
