"""AWS Config advanced queries: `aws configservice select-resource-config` and
`select-aggregate-resource-config` output, whose ``Results`` are strings of JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.sources.contract import ListingReader, Row
from reportgen.inventory.sources.jsonstream import (
    DuplicateKey,
    JsonShapeError,
    Keep,
    PathPart,
    json_path,
    kind_of,
    loads_unique,
)
from reportgen.inventory.sources.shapes import expect_object, tag_list, text
from reportgen.inventory.sources.table import (
    ACCOUNT,
    REGION,
    RESOURCE,
    RESOURCE_TYPE,
)

QUERY_HINT = (
    "Select at least: SELECT resourceId, resourceName, resourceType, arn, accountId, "
    "awsRegion, tags"
)


_FIELDS = ("resourceType", "arn", "resourceId", "accountId", "awsRegion")
# What a result's row is made of; a `SELECT *` result's configuration is never built.
KEEP: Keep = {**dict.fromkeys(_FIELDS, True), "tags": {"key": True, "value": True}}


class AwsConfigQuery(ListingReader):
    name = "aws-config"
    label = "AWS Config advanced query (select-resource-config / select-aggregate-resource-config)"
    list_key = "Results"
    columns = (RESOURCE_TYPE, RESOURCE, ACCOUNT, REGION)
    keep = KEEP
    identity_cells = 4  # a resource id alone may repeat across accounts and regions
    resource_cell = 1  # its ARN, else its id

    def row(self, item: Any, parts: list[PathPart], path: Path) -> Row:
        resource = _decode(item, parts, path)
        type_ = text(resource, "resourceType", parts)
        arn = text(resource, "arn", parts)
        if not type_ and not arn:
            raise InputError(
                f"{json_path(parts)}: the result has neither resourceType nor arn",
                file=path,
                hint=QUERY_HINT,
            )
        row = [type_, arn or text(resource, "resourceId", parts)]
        row += [text(resource, "accountId", parts), text(resource, "awsRegion", parts)]
        return row, tag_list(resource.get("tags"), [*parts, "tags"], "key", "value")

    def names(self, item: Any, cells: list[str] | None) -> list[str]:
        """Its ARN and its type, id, account and region, each where given: a result giving
        one is the resource of an earlier one giving the same, though it leaves the other
        out (a bucket given again without its ARN, or its account, was two rows: 67a)."""
        try:
            resource = _decode(item, [], Path("-"))
            arn = text(resource, "arn", [])
            resource_id = text(resource, "resourceId", [])
        except (InputError, JsonShapeError):  # refused where the row is read
            return super().names(item, cells)
        found = [f"arn\x00{arn}"] if arn else []
        if resource_id and cells:
            type_, _resource, account, region = cells[:4]
            found.append("\x00".join(("id", type_, resource_id, account, region)))
        return found or super().names(item, cells)


# A result as a string, as an export's strings are held (Limits.max_json_string_bytes): a
# pull's answer of up to 64 MB held one result of 63 MB, which took 1.27 GB to parse
# (fifteenth adversarial pass).
_MAX_RESULT_CHARS = Limits().max_json_string_bytes


def _decode(item: Any, parts: list[PathPart], path: Path) -> dict[str, Any]:
    """A result is a string of JSON, as the API returns it; an object (after jq's fromjson)
    is taken as it is. RawGuard keeps a string to 4 MB, so json.loads builds at most about
    100 MB, freed before the next result; an integer past Python's 4,300 digits is a
    ValueError here, not a crash as in ijson's C backend."""
    if isinstance(item, dict):
        return item
    if not isinstance(item, str):
        raise JsonShapeError(
            parts, f"expected a string of JSON (one resource), found {kind_of(item)}"
        )
    if len(item) > _MAX_RESULT_CHARS:  # a pull's answer is not read through RawGuard
        raise InputError(
            f"{json_path(parts)}: the result is {len(item):,} characters, more than the "
            f"{_MAX_RESULT_CHARS:,} one resource's JSON may be",
            file=path,
        )
    try:
        value = _loaded(item)
    except RecursionError as exc:
        raise InputError(f"{json_path(parts)}: the result is nested too deeply", file=path) from exc
    except DuplicateKey as exc:
        raise InputError(f"{json_path(parts)}: the result's JSON: {exc}", file=path) from exc
    except ValueError as exc:
        why = "a number is too long" if "integer string conversion" in str(exc) else str(exc)
        raise InputError(
            f"{json_path(parts)}: the result is not valid JSON ({why})", file=path
        ) from exc
    return expect_object(value, parts)


_LAST: list[Any] = [None, None]  # the result parsed last, and its JSON


def _loaded(item: str) -> Any:
    """The result's JSON, parsed once for both its row and its names (``names`` parsing it
    again made an export's read half as long again). Neither changes what it gets. The
    last one is let go of before the next is parsed: a cache keeping it until then held
    two, and crafted results peaked at 293 MB where one takes 182 MB (71d)."""
    if _LAST[0] is item:
        return _LAST[1]
    _LAST[:] = [None, None]
    value = loads_unique(item)
    _LAST[:] = [item, value]
    return value
