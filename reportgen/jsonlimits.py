"""JSON from files and servers reportgen does not control, with its nesting depth bounded.

``json.loads`` recurses once per level of nesting: ``[[[[...`` a hundred thousand deep
ends in a RecursionError (refused here, in words), and a few hundred levels under that still
reach code that recurses over the result. The parsed value's depth is measured level by
level (no recursion) and a value deeper than the caller allows is refused.
"""

from __future__ import annotations

import json
from typing import Any


class JsonRefused(ValueError):
    """The bytes are not JSON reportgen accepts; the message says why, in words."""


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


def loads(data: bytes, max_depth: int, *, unique_keys: bool = False) -> Any:
    """Parse UTF-8 JSON nested at most ``max_depth`` deep; JsonRefused for anything else
    (invalid JSON, bad UTF-8, a number of thousands of digits, duplicate keys if refused)."""
    hook = _no_duplicates if unique_keys else None
    try:
        text = data.decode("utf-8-sig")
        value = json.loads(text, object_pairs_hook=hook, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8 (byte {exc.start:,})") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise JsonRefused(f"not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise JsonRefused(f"nested more than {max_depth} levels deep") from None
    except JsonRefused:
        raise
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise JsonRefused(f"not valid JSON: {str(exc).split(';')[0][:120]}") from None
    depth = nesting_depth(value)
    if depth > max_depth:
        raise JsonRefused(f"nested {depth} levels deep, more than the {max_depth} allowed")
    return value
