"""Resource Groups Tagging API: `aws resourcegroupstaggingapi get-resources` output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.contract import Head, read_listing
from reportgen.inventory.sources.jsonstream import JsonShapeError, PathPart
from reportgen.inventory.sources.shapes import expect_object, tag_list, text
from reportgen.inventory.sources.table import RESOURCE


class TaggingApi:
    name = "tagging"
    label = "Resource Groups Tagging API (get-resources)"
    list_key = "ResourceTagMappingList"
    # The ARN names service, account and region (S3 bucket ARNs carry neither of the last
    # two, as the API returns them).
    columns = (RESOURCE,)

    def recognises(self, head: Head) -> bool:
        return self.list_key in head.json_keys

    def read(self, path: Path, limits: Limits) -> RawTable:
        return read_listing(self, path, limits)

    def row(
        self, item: Any, parts: list[PathPart], path: Path
    ) -> tuple[list[str], list[tuple[str, str]]]:
        entry = expect_object(item, parts)
        arn = text(entry, "ResourceARN", parts)
        if not arn:
            raise JsonShapeError([*parts, "ResourceARN"], "missing: every mapping has one")
        return [arn], tag_list(entry.get("Tags"), [*parts, "Tags"], "Key", "Value")
