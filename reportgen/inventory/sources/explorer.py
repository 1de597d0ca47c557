"""AWS Resource Explorer: `aws resource-explorer-2 search` and `list-resources` output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportgen.inventory.sources.contract import Head, ListingReader, Row
from reportgen.inventory.sources.jsonstream import JsonShapeError, Keep, PathPart
from reportgen.inventory.sources.shapes import expect_object, tag_list, text
from reportgen.inventory.sources.table import ACCOUNT, REGION, RESOURCE

EXPLORER_TYPE = "Explorer Type"  # 'ec2:instance': informative, the ARN names the service


_FIELDS = ("Arn", "OwningAccountId", "Region", "ResourceType")
# Only the tags property's Data is read, but its Name may come after it.
KEEP: Keep = {
    **dict.fromkeys(_FIELDS, True),
    "Properties": {"Name": True, "Data": {"Key": True, "Value": True}},
}


class ResourceExplorer(ListingReader):
    name = "resource-explorer"
    label = "AWS Resource Explorer (search / list-resources)"
    list_key = "Resources"
    columns = (RESOURCE, ACCOUNT, REGION, EXPLORER_TYPE)
    keep = KEEP

    def recognises(self, head: Head) -> bool:
        # A CloudFormation template has "Resources" too, but no ViewArn and no list of ARNs;
        # reading it fails on its first resource with the path named.
        keys = set(head.json_keys)
        listing = bool(keys & {"ViewArn", "Count", "NextToken"})
        return "Resources" in keys and (listing or b'"OwningAccountId"' in head.data)

    def row(self, item: Any, parts: list[PathPart], path: Path) -> Row:
        entry = expect_object(item, parts)
        arn = text(entry, "Arn", parts)
        if not arn:
            raise JsonShapeError([*parts, "Arn"], "missing: every resource has one")
        row = [arn, text(entry, "OwningAccountId", parts), text(entry, "Region", parts)]
        return [*row, text(entry, "ResourceType", parts)], _tags(entry, parts)


def _tags(entry: dict[str, Any], parts: list[PathPart]) -> list[tuple[str, str]]:
    """Tags are the 'tags' property (present once the index has tag data)."""
    properties = entry.get("Properties")
    if properties is None:
        return []
    if not isinstance(properties, list):
        raise JsonShapeError([*parts, "Properties"], "expected a list")
    found: list[tuple[str, str]] | None = None
    for index, prop in enumerate(properties):
        where = [*parts, "Properties", index]
        prop = expect_object(prop, where)
        if text(prop, "Name", where).casefold() != "tags":
            continue
        if found is not None:  # the first was read alone, a scope tag of the second lost (62a)
            raise JsonShapeError(where, "a second 'tags' property: which one holds the tags?")
        found = tag_list(prop.get("Data"), [*where, "Data"], "Key", "Value")
    return found or []
