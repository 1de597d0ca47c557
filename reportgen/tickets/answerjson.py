"""A ticket server's JSON answer, bounded before any Python object is built from it.

The byte cap on an answer does not bound memory: 16 MB of ``[{},{},...]`` is 5.5 million
dicts once ``json.loads`` has it (about 400 MB), and a model for each is 3 GB. So the
answer's events are first walked with ijson (its C backend builds nothing), and refused at
the first of: nesting deeper than the caller allows, one list of more than
:data:`MAX_ITEMS` items, more than :data:`MAX_VALUES` values in all. Only an answer within
those bounds is parsed; the largest then costs tens of MB.

A genuine answer is far inside them: a Jira issue with 10,000 attachments is about 250,000
values; a page of 100 Jira comments, or of 1,000 ServiceNow file names, a few thousand.
"""

from __future__ import annotations

from typing import Any

import ijson

from reportgen.core import jsonlimits
from reportgen.core.jsonlimits import JsonOverBound, JsonRefused

MAX_ITEMS = 10_000  # items in one list of an answer
MAX_VALUES = 500_000  # values (objects, lists, strings, numbers...) in one answer
WALK_BUFFER = 1024 * 1024  # bytes ijson hands yajl at a time (see check)
_KEY_CHARS = 40  # of a server's key, in a message


def loads(content: bytes, max_depth: int) -> Any:
    """The answer as Python values; JsonRefused (with the JSON path where it applies) for
    bytes that are not UTF-8 JSON, JsonOverBound for JSON that passes a bound."""
    data = content.removeprefix(b"\xef\xbb\xbf")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8 (byte {exc.start:,})") from None
    check(data, max_depth)
    return jsonlimits.loads(data, max_depth)


def check(data: bytes, max_depth: int) -> None:
    """Walk the JSON events of ``data`` without building values; JsonOverBound at the first
    bound passed (a whole number past 64 bits, which yajl cannot hold, among them: it was
    called 'not JSON', thirteenth pass), JsonRefused where ijson finds it is not JSON."""
    items: list[int] = []  # per open container: items so far (a list), or -1 (an object)
    path: list[str | int] = []
    values = 0
    try:
        # yajl re-lexes a token that spans two buffers from its start: at ijson's 64 KB
        # default one 16 MB string took 24 s (quadratic in its length over the buffer). But
        # ijson builds every event of a buffer before yielding the first, so one buffer for
        # the whole answer took 660 MB for 5.5 million '{}'. 1 MB: about 1.5 s and 35 MB.
        events = ijson.basic_parse(data, use_float=True, buf_size=WALK_BUFFER)
        for event, value in events:
            if event == "map_key":
                path[-1] = value
                continue
            if event in ("end_map", "end_array"):
                items.pop()
                path.pop()
                continue
            values += 1
            if items and items[-1] >= 0:
                items[-1] += 1
                path[-1] = items[-1] - 1
                if items[-1] > MAX_ITEMS:
                    where = _path(path[:-1])
                    raise JsonOverBound(f"the list at {where} holds more than {MAX_ITEMS:,} items")
            if values > MAX_VALUES:
                raise JsonOverBound(f"more than {MAX_VALUES:,} values (at {_path(path)})")
            if event in ("start_map", "start_array"):
                if len(items) >= max_depth:
                    raise JsonOverBound(f"nested more than {max_depth} levels deep")
                items.append(0 if event == "start_array" else -1)
                path.append("")
    except ijson.JSONError as exc:
        reason = str(exc).split("\n", 1)[0].strip().removeprefix("parse error: ")
        if "overflow" in reason:  # valid JSON past what yajl holds: a bound, named
            if items and items[-1] >= 0:  # in a list: the item after the last one read
                path[-1] = items[-1]
            what = (  # a decimal one (1e999) was called 'not valid JSON' (83d)
                "a whole number past 64 bits"
                if "integer" in reason
                else "a number past what a floating-point number holds"
            )
            raise JsonOverBound(f"{what} (at {_path(path)})") from None
        raise JsonRefused(f"not valid JSON: {reason[:80]}") from None


def _path(path: list[str | int]) -> str:
    """A JSON path like ``fields.attachment[3]``; list items by index, keys cut short."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if len(part) <= _KEY_CHARS else part[:_KEY_CHARS] + "…"
            text += f".{key}" if text else key
    return text or "(top level)"
