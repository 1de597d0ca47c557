"""Terminal views for the CLI: tables and summaries built from pipeline results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from reportgen.engine import Decision, ServiceLayers
from reportgen.frameworks import Control, Framework
from reportgen.inputs import Inputs
from reportgen.owners import OWNER_ORDER, owner_label
from reportgen.srm import Service, SrmCatalog

_STYLE = {
    "aws": "yellow",
    "shared": "magenta",
    "customer": "cyan",
    "third-party": "green",
    "not-applicable": "dim",
}


def owner_text(owner: str, party: str | None = None) -> Text:
    return Text(owner_label(owner, party), style=_STYLE.get(owner, ""))


def services_table(services: Iterable[Service]) -> Table:
    table = Table(title="AWS services in the catalog", title_justify="left")
    for column in ("id", "name", "model", "category"):
        table.add_column(column)
    for service in services:
        table.add_row(service.id, service.name, service.model, service.category)
    return table


def layers_table(catalog: SrmCatalog, layers: ServiceLayers) -> Table:
    table = Table(title=f"{layers.name} ({layers.model} model)", title_justify="left")
    table.add_column("layer")
    table.add_column("owner")
    table.add_column("why")
    for layer_id, decision in layers.layers.items():
        table.add_row(
            catalog.layer(layer_id).name,
            owner_text(decision.owner, decision.party),
            why(decision, layers.model),
        )
    return table


def why(decision: Decision, model: str) -> str:
    if decision.source == "model":
        return f"{model} model"
    if decision.source == "catalog":
        return f"service catalog: {decision.reason}"
    numbers = ", ".join(f"#{n}" for n in decision.overrides)
    return f"customer override {numbers}: {decision.reason}"


def frameworks_table(frameworks: Iterable[Framework]) -> Table:
    table = Table(title="Framework catalogs", title_justify="left")
    for column in ("id", "name", "version", "controls", "groups", "catalog"):
        table.add_column(column)
    for framework in frameworks:
        table.add_row(
            framework.id,
            framework.full_name,
            framework.version,
            str(len(framework.controls)),
            str(len(framework.groups)),
            framework.catalog_version,
        )
    return table


def controls_table(framework: Framework, controls: Sequence[Control]) -> Table:
    table = Table(
        title=f"{framework.name} {framework.version}: {len(controls)} control(s)",
        title_justify="left",
    )
    for column in ("id", "title", "layers"):
        table.add_column(column, overflow="fold")
    for control in controls:
        table.add_row(control.id, control.title, ", ".join(control.layers))
    return table


def inventory_summary(inputs: Inputs) -> list[str]:
    inventory = inputs.inventory
    header = inventory.header
    mapped = ", ".join(f"{field} = {header.describe(field)}" for field in header.columns)
    sheet = f", sheet '{inventory.sheet}'" if inventory.sheet else ""
    lines = [
        f"inventory: {inventory.path}{sheet}, header on row {header.row}",
        f"columns: {mapped}",
        f"rows: {inventory.total_rows} ({len(inventory.rows)} resolved, "
        f"{len(inventory.unresolved)} unresolved), "
        f"{len({r.service_id for r in inventory.rows})} distinct services",
    ]
    return lines


def unresolved_table(inputs: Inputs) -> Table | None:
    unresolved = inputs.inventory.unresolved
    if not unresolved:
        return None
    table = Table(title=f"Unresolved inventory rows ({len(unresolved)})", title_justify="left")
    for column in ("sheet", "row", "value", "why", "did you mean"):
        table.add_column(column, overflow="fold")
    for item in unresolved[:50]:
        table.add_row(
            item.row.sheet or "",
            str(item.row.row),
            item.row.service_text,
            item.reason,
            ", ".join(item.suggestions),
        )
    if len(unresolved) > 50:
        table.caption = f"... and {len(unresolved) - 50} more"
    return table


def matrix_summary(matrices: dict[str, dict[str, Any]]) -> Table:
    """Controls per owner and per framework; named third parties get a column each."""
    third = sorted(
        {n for m in matrices.values() for n in m["party_counts"] if n not in ("AWS", "Customer")}
    )
    table = Table(title="Controls by owner", title_justify="left")
    table.add_column("framework")
    table.add_column("services")
    for owner in OWNER_ORDER:
        table.add_column(owner_label(owner), justify="right")
    table.add_column("split by service", justify="right")
    for name in third:
        table.add_column(f"with {name}", justify="right")
    for fid, matrix in matrices.items():
        counts = matrix["counts"]
        table.add_row(
            fid,
            str(matrix["scope"]["services"]),
            *(str(counts[o]) for o in OWNER_ORDER),
            str(matrix["split_by_service"]),
            *(str(matrix["party_counts"].get(name, 0)) for name in third),
        )
    return table
