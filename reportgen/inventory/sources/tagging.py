"""Resource Groups Tagging API: `aws resourcegroupstaggingapi get-resources` output."""

from __future__ import annotations

from pathlib import Path

from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.contract import Head, shape_error
from reportgen.inventory.sources.jsonstream import JsonShapeError, JsonStream
from reportgen.inventory.sources.shapes import expect_object, tag_list, text
from reportgen.inventory.sources.table import RESOURCE, SourceTable

_LIST = "ResourceTagMappingList"


class TaggingApi:
    name = "tagging"
    label = "Resource Groups Tagging API (get-resources)"

    def recognises(self, head: Head) -> bool:
        return _LIST in head.json_keys

    def read(self, path: Path, limits: Limits) -> RawTable:
        # The ARN names service, account and region; S3 bucket ARNs carry neither of the last
        # two, as the API returns them.
        table = SourceTable([RESOURCE])
        items = JsonStream(path, limits).items(f"{_LIST}.item".__eq__, _LIST.__eq__)
        try:
            for parts, item in items:
                entry = expect_object(item, parts)
                arn = text(entry, "ResourceARN", parts)
                if not arn:
                    raise JsonShapeError([*parts, "ResourceARN"], "missing: every mapping has one")
                table.add([arn], tag_list(entry.get("Tags"), [*parts, "Tags"], "Key", "Value"))
        except JsonShapeError as exc:
            raise shape_error(path, exc) from exc
        return table.to_raw(path, self.name, [], limits)
