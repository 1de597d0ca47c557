"""Terraform: `terraform show -json` of a state or of a saved plan.

A state keeps its resources under ``values.root_module``, a plan the ones it would leave
under ``planned_values.root_module``; both nest ``child_modules`` to any depth. Managed
resources of the AWS providers (hashicorp/aws, and awscc) become rows; data sources and
other providers' resources are counted in a warning, not refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.contract import Head, shape_error, table_full
from reportgen.inventory.sources.jsonstream import JsonShapeError, JsonStream, Keep, PathPart
from reportgen.inventory.sources.shapes import expect_object, tag_map, text
from reportgen.inventory.sources.skipped import Skipped
from reportgen.inventory.sources.table import (
    ACCOUNT,
    ADDRESS,
    REGION,
    RESOURCE,
    RESOURCE_TYPE,
    SourceTable,
    TableFull,
)

AWS_PROVIDERS = frozenset({"aws", "awscc"})
_MODULE = r"^(values|planned_values)\.root_module(\.child_modules\.item)*"
_RESOURCE_ITEM = re.compile(_MODULE + r"\.resources\.item$")
_LISTS = re.compile(_MODULE + r"\.(resources|child_modules)$")
# Containers that may hold resources; the rest (a plan's resource_changes...) is walked past.
_DESCEND = re.compile(
    r"^(values|planned_values)(\.root_module(\.child_modules\.item)*(\.child_modules|\.resources)?)?$"
)
# The fields a row is made of: a resource's other values (a policy, a WAF rule set...) are
# walked past, never built.
_VALUES = ("arn", "id", "region", "tags", "tags_all")
KEEP: Keep = {
    **dict.fromkeys(("mode", "provider_name", "type", "address"), True),
    "values": dict.fromkeys(_VALUES, True),
}
_ARN = re.compile(r"^arn:[^:]+:[^:]+:(?P<region>[^:]*):(?P<account>[^:]*):")


class TerraformJson:
    name = "terraform"
    label = "Terraform state or plan (terraform show -json)"

    def recognises(self, head: Head) -> bool:
        return "format_version" in head.json_keys and bool(
            {"terraform_version", "values", "planned_values"} & set(head.json_keys)
        )

    def read(self, path: Path, limits: Limits) -> RawTable:
        table = SourceTable([RESOURCE_TYPE, RESOURCE, ACCOUNT, REGION, ADDRESS], limits)
        skipped = Skipped("resources")
        stream = JsonStream(path, limits).items(
            _RESOURCE_ITEM.match, _LISTS.match, KEEP, _DESCEND.match
        )
        try:
            for parts, item in stream:
                resource = expect_object(item, parts)
                if _skipped(resource, parts, skipped):
                    continue
                try:
                    table.add(*_row(resource, parts))
                except TableFull as exc:
                    raise table_full(path, parts, exc) from exc
        except JsonShapeError as exc:
            raise shape_error(path, exc) from exc
        return table.to_raw(path, self.name, _warnings(path, skipped), limits)


def _skipped(resource: dict[str, Any], parts: list[PathPart], skipped: Skipped) -> bool:
    """Whether the resource is no AWS resource of the estate, counted in ``skipped`` if so."""
    if text(resource, "mode", parts) == "data":
        skipped.add("data source(s)")
        return True
    provider = text(resource, "provider_name", parts).rsplit("/", 1)[-1]
    if provider and provider not in AWS_PROVIDERS:
        skipped.add_named("resource(s) of provider '{}'", provider)
        return True
    return False


def _row(resource: dict[str, Any], parts: list[PathPart]) -> tuple[list[str], list]:
    values = resource.get("values")
    values = {} if values is None else expect_object(values, [*parts, "values"])
    where = [*parts, "values"]
    arn = text(values, "arn", where)
    address = text(resource, "address", parts)
    found = _ARN.match(arn)
    account = found.group("account") if found else ""
    region = (found.group("region") if found else "") or text(values, "region", where)
    identity = arn or text(values, "id", where) or address
    # tags_all adds the provider's default_tags to the resource's own.
    tags_key = "tags_all" if values.get("tags_all") is not None else "tags"
    tags = tag_map(values.get(tags_key), [*where, tags_key])
    row = [text(resource, "type", parts), identity, account, region, address]
    return row, tags


def _warnings(path: Path, skipped: Skipped) -> list[str]:
    if not skipped:
        return []
    return [f"{path}: skipped {skipped.listed()}: they are not AWS resources in the estate"]
