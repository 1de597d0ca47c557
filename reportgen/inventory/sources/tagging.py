"""Resource Groups Tagging API: `aws resourcegroupstaggingapi get-resources` output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportgen.inventory.sources.contract import ListingReader, Row
from reportgen.inventory.sources.jsonstream import JsonShapeError, Keep, PathPart
from reportgen.inventory.sources.shapes import expect_object, tag_list, text
from reportgen.inventory.sources.table import RESOURCE

KEEP: Keep = {"ResourceARN": True, "Tags": {"Key": True, "Value": True}}


class TaggingApi(ListingReader):
    name = "tagging"
    label = "Resource Groups Tagging API (get-resources)"
    list_key = "ResourceTagMappingList"
    # The ARN names service, account and region (S3 bucket ARNs carry neither of the last
    # two, as the API returns them).
    columns = (RESOURCE,)
    keep = KEEP

    def row(self, item: Any, parts: list[PathPart], path: Path) -> Row:
        entry = expect_object(item, parts)
        arn = text(entry, "ResourceARN", parts)
        if not arn:
            raise JsonShapeError([*parts, "ResourceARN"], "missing: every mapping has one")
        return [arn], tag_list(entry.get("Tags"), [*parts, "Tags"], "Key", "Value")
