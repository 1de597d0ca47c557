"""JSON from files and servers reportgen does not control, with its nesting depth bounded.

``json.loads`` recurses once per level of nesting: ``[[[[...`` a hundred thousand deep
ends in a RecursionError (refused here, in words), and a few hundred levels under that still
reach code that recurses over the result. The parsed value's depth is measured level by
level (no recursion) and a value deeper than the caller allows is refused.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

VALUE_BYTES = 120  # what a parsed value costs at most (``[{},{},...]``: 72 bytes for 3 of text)
_FOUR_BYTE_LEADS = tuple(bytes([lead]) for lead in range(0xF0, 0xF5))
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB]")


class JsonRefused(ValueError):
    """The bytes are not JSON reportgen accepts; the message says why, in words."""


class JsonOverBound(JsonRefused):
    """JSON (as far as it was read) past a bound: nested too deeply, too many values."""


def nesting_depth(value: Any) -> int:
    """How deeply the lists and dicts of a parsed JSON value nest (0 for a bare value)."""
    depth, level = 0, [value]
    while level := [item for item in level if isinstance(item, (dict, list))]:
        depth += 1
        level = [v for item in level for v in (item.values() if type(item) is dict else item)]
    return depth


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonRefused(f"the key '{key[:80]}' appears twice in one object")
            seen.add(key)
    return found


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"not valid JSON: {name} is not a JSON number")


def values_bound(data: bytes | bytearray) -> int:
    """An upper bound on the values and keys of a JSON text, found at the speed of
    ``bytes.count``: each but the first follows a '{', '[' or ',' (those inside strings
    only make the bound larger). Parsed, a value costs up to ~120 bytes (``[{},{},...]``:
    72 bytes for 3 of text), so this bounds what ``json.loads`` will allocate."""
    return data.count(b"{") + data.count(b"[") + data.count(b",") + 1


def text_width(data: bytes | bytearray) -> int:
    """Bytes a character of the UTF-8 ``data`` costs once decoded: a Python str stores every
    character in the width of its widest (1 for ASCII, 2 up to U+FFFF, 4 beyond), so one
    emoji makes a 47 MB text a 188 MB str."""
    if data.isascii():
        return 1
    return 4 if any(lead in data for lead in _FOUR_BYTE_LEADS) else 2


def memory_bound(data: bytes | bytearray) -> int:
    """An upper bound on the bytes parsing the UTF-8 JSON ``data`` holds at its peak: the
    decoded text, plus the parsed strings (at most one character per character of text, in
    the widest width, which a ``\\ud83d``-style escape can make 4 even in ASCII text), plus
    :data:`VALUE_BYTES` a counted value."""
    text = text_width(data)
    strings = text
    if b"\\u" in data:  # escapes can make a parsed string wider than the text
        strings = max(text, 4 if _HIGH_SURROGATE.search(data) else 2)
    return len(data) * (text + strings) + VALUE_BYTES * values_bound(data)


def footprint(value: Any) -> int:
    """The bytes a parsed JSON value holds (each object counted once), walked without
    recursion."""
    total, seen, stack = 0, set(), [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def check_before_parsing(data: bytes | bytearray, max_values: int) -> None:
    """Refuse, before any parsing, a text whose top level is not an object or that may
    hold more than ``max_values`` values (JsonRefused, in words)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # was "not '\ufffd'" (eleventh pass)
        raise JsonRefused("the text is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8")
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start != b"{":
        found = "nothing"
        if start:
            printable = 0x20 < start[0] < 0x7F
            found = f"'{start.decode()}'" if printable else f"the byte 0x{start[0]:02x}"
        raise JsonRefused(f"the top level must be a JSON object ('{{'), not {found}")
    bound = values_bound(data)
    if bound > max_values:
        raise JsonRefused(
            f"too many JSON values: up to {bound:,} (counting '{{', '[' and ','), more "
            f"than the {max_values:,} allowed"
        )


def loads(
    data: bytes | bytearray | str,
    max_depth: int,
    *,
    unique_keys: bool = False,
    max_values: int | None = None,
) -> Any:
    """Parse UTF-8 JSON nested at most ``max_depth`` deep; JsonRefused for anything else
    (invalid JSON, bad UTF-8, a number of thousands of digits, duplicate keys if refused).
    With ``max_values``, the top level must be an object and :func:`check_before_parsing`
    runs first, so memory follows the number of values allowed, not the text."""
    hook = _no_duplicates if unique_keys else None
    if max_values is not None:
        check_before_parsing(data, max_values)
    try:
        text = data if isinstance(data, str) else data.decode("utf-8-sig")
        value = json.loads(text, object_pairs_hook=hook, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8 (byte {exc.start:,})") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise JsonRefused(f"not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise JsonOverBound(f"nested more than {max_depth} levels deep") from None
    except JsonRefused:
        raise
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise JsonRefused(f"not valid JSON: {str(exc).split(';')[0][:120]}") from None
    depth = nesting_depth(value)
    if depth > max_depth:
        raise JsonOverBound(f"nested {depth} levels deep, more than the {max_depth} allowed")
    return value
