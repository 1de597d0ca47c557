"""The AWS calls behind each pull source: client, operation, paging keys, IAM action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.inventory.sources.awsconfig import AwsConfigQuery
from reportgen.inventory.sources.contract import ListingReader
from reportgen.inventory.sources.explorer import ResourceExplorer
from reportgen.inventory.sources.tagging import TaggingApi

DEFAULT_QUERY = (
    "SELECT resourceId, resourceName, resourceType, arn, accountId, awsRegion, "
    "availabilityZone, tags"
)


@dataclass(frozen=True)
class Api:
    """One paged AWS operation and the export reader whose rows its items become."""

    client: str
    operation: str
    iam_action: str
    token_in: str  # request parameter carrying the page token
    token_out: str  # response field carrying the next page's token
    reader: ListingReader

    def params(self, options: dict[str, Any]) -> dict[str, Any]:
        """Request parameters of the first page."""
        if self.reader.name == "aws-config":
            params: dict[str, Any] = {"Expression": options.get("query") or DEFAULT_QUERY}
            if options.get("aggregator"):
                params["ConfigurationAggregatorName"] = options["aggregator"]
            return params
        if self.reader.name == "resource-explorer" and options.get("view_arn"):
            return {"ViewArn": options["view_arn"]}
        return {}


APIS: dict[str, Api] = {
    "config-aggregator": Api(
        "config",
        "select_aggregate_resource_config",
        "config:SelectAggregateResourceConfig",
        "NextToken",
        "NextToken",
        AwsConfigQuery(),
    ),
    "config": Api(
        "config",
        "select_resource_config",
        "config:SelectResourceConfig",
        "NextToken",
        "NextToken",
        AwsConfigQuery(),
    ),
    "tagging": Api(
        "resourcegroupstaggingapi",
        "get_resources",
        "tag:GetResources",
        "PaginationToken",
        "PaginationToken",
        TaggingApi(),
    ),
    "resource-explorer": Api(
        "resource-explorer-2",
        "list_resources",
        "resource-explorer-2:ListResources",
        "NextToken",
        "NextToken",
        ResourceExplorer(),
    ),
}
