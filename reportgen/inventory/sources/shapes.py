"""Reading fields of one JSON item with type checks: a wrong type names its JSON path."""

from __future__ import annotations

import math
from typing import Any

from reportgen.core.markdown import shorten
from reportgen.inventory.sources.jsonstream import TOO_LARGE, JsonShapeError, PathPart, kind_of


def expect_object(value: Any, parts: list[PathPart]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise JsonShapeError(parts, f"expected an object, found {kind_of(value)}")
    return value


def text(item: dict[str, Any], key: str, parts: list[PathPart]) -> str:
    """The field as text: '' when absent or null; a number's digits; else a type error."""
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # of any size: an export's digits are at most 4,000 (RawGuard)
    if isinstance(value, float):
        if math.isnan(value):  # an AWS Config result's NaN, which json.loads accepts
            raise JsonShapeError([*parts, key], "a number that is NaN (not a number)")
        if not math.isfinite(value):  # an AWS Config result's 1e999, read by json.loads
            raise JsonShapeError([*parts, key], TOO_LARGE)
        return str(int(value)) if value.is_integer() else str(value)
    raise JsonShapeError([*parts, key], f"expected a string, found {kind_of(value)}")


def tag_list(
    value: Any, parts: list[PathPart], key_name: str, value_name: str
) -> list[tuple[str, str]]:
    """Tags as AWS APIs list them: [{"Key": ..., "Value": ...}, ...]; null is no tags."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise JsonShapeError(parts, f"expected a list of tags, found {kind_of(value)}")
    pairs: dict[str, str] = {}
    for index, entry in enumerate(value):
        where = [*parts, index]
        entry = expect_object(entry, where)
        key = text(entry, key_name, where)
        if key:
            _add_tag(pairs, key, text(entry, value_name, where), where)
    return list(pairs.items())


def _add_tag(pairs: dict[str, str], key: str, value: str, where: list[PathPart]) -> None:
    """Add a tag to ``pairs``; refused when given before with another value."""
    if pairs.setdefault(key, value) != value:
        # which one counts is each reader's choice; a scope tag decides what is audited
        raise JsonShapeError(
            where,
            f"the tag {shorten(key, 60)!r} is given twice, with the values "
            f"{shorten(pairs[key], 60)!r} and {shorten(value, 60)!r}",
        )


def tag_map(value: Any, parts: list[PathPart]) -> list[tuple[str, str]]:
    """Tags as Terraform and CUR 2.0 keep them: {"key": "value", ...}; null is no tags."""
    if value is None:
        return []
    entries = expect_object(value, parts)
    pairs: dict[str, str] = {}
    for key in entries:
        # stripped, as the other readers strip it: 'pci' and 'pci ' were two tags, two
        # columns shown alike, neither refused (66a)
        name = str(key).strip()
        if name:
            _add_tag(pairs, name, text(entries, key, parts), [*parts, key])
    return list(pairs.items())
