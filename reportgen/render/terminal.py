"""Terminal views for the CLI: tables and summaries built from pipeline results."""

from __future__ import annotations

import operator
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from reportgen.artefacts.providers import split_unresolved
from reportgen.catalogs.frameworks import Control, Framework
from reportgen.catalogs.listing import condition_uses, dependents
from reportgen.catalogs.srm import Service, SrmCatalog
from reportgen.core.markdown import shorten
from reportgen.core.owners import OWNER_ORDER, owner_label
from reportgen.core.terminal import safe_text
from reportgen.core.validation import listed
from reportgen.inputs import Inputs
from reportgen.ownership.engine import Decision, ServiceLayers

_STYLE = {
    "aws": "yellow",
    "shared": "magenta",
    "customer": "cyan",
    "third-party": "green",
    "not-applicable": "dim",
}


def owner_text(owner: str, party: str | None = None) -> Text:
    return safe_text(owner_label(owner, party), style=_STYLE.get(owner, ""))


def services_table(services: Iterable[Service]) -> Table:
    table = Table(title="AWS services in the catalog", title_justify="left")
    for column in ("id", "name", "model", "category"):
        table.add_column(column)
    for service in services:
        table.add_row(service.id, service.name, service.model, service.category)
    return table


def layers_table(catalog: SrmCatalog, layers: ServiceLayers) -> Table:
    table = Table(title=_title(f"{layers.name} ({layers.model} model)"), title_justify="left")
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
    listed = list(frameworks)
    versions = sorted({f.catalog_version for f in listed})
    title = _title(f"Framework catalogs (catalog version {', '.join(versions)})")
    table = Table(title=title, title_justify="left")
    for column in ("id", "name", "version", "controls", "answers"):
        table.add_column(column, no_wrap=column != "version")
    table.add_column("also written", ratio=1)
    for framework in listed:
        answers = [
            f"{len(framework.conditions)} questions" if framework.conditions else "",
            f"{len(framework.categories)} categories" if framework.categories else "",
        ]
        table.add_row(
            framework.id,
            framework.name,
            framework.version,
            str(len(framework.controls)),
            ", ".join(a for a in answers if a) or "-",
            ", ".join(framework.aliases),
        )
    table.caption = (
        "Any of these names works wherever a framework is named, in any case. "
        "'reportgen controls ID' lists the questions and categories."
    )
    return table


def controls_table(framework: Framework, controls: Sequence[Control]) -> Table:
    """Controls with what their applicability depends on: the conditions (a duty's, marked)
    and, for frameworks with categories (SOC 2), the category."""
    table = Table(
        title=_title(f"{framework.name} {framework.version}: {len(controls)} control(s)"),
        title_justify="left",
    )
    columns = ["id", "title", "layers"]
    if framework.conditions:
        columns.append("applies if")
    if framework.categories:
        columns.append("category")
    for column in columns:
        table.add_column(column, overflow="fold")
    for control in controls:
        cells = [control.id, control.title, ", ".join(control.layers)]
        if framework.conditions:
            cells.append(applies_if(control))
        if framework.categories:
            cells.append(control.category or "")
        table.add_row(*cells)
    return table


def applies_if(control: Control) -> str:
    """'service-provider' (the whole control), 'a duty: uses-segmentation' (part of it), and
    the dates a control applies from or until."""
    parts = [
        cid if drops == "control" else f"a duty: {cid}" for cid, drops in condition_uses(control)
    ]
    if control.in_force_from:
        parts.append(f"from {control.in_force_from.isoformat()}")
    if control.superseded:
        parts.append(f"until {control.superseded.on.isoformat()}, then {control.superseded.by}")
    return ", ".join(parts)


def conditions_table(
    framework: Framework, controls: Sequence[Control], every: bool = True
) -> Table | None:
    """The framework's applicability questions and the listed controls that depend on each:
    what to answer under framework_options.<id>.conditions. ``every``: all questions, else
    only those the listed controls depend on."""
    shown = {c.id for c in controls}
    using = {cid: [c for c in ids if c in shown] for cid, ids in dependents(framework).items()}
    conditions = [c for c in framework.conditions if every or using.get(c.id)]
    if not conditions:
        return None
    table = Table(
        title=f"Applicability questions: answer them under "
        f"framework_options.{framework.id}.conditions (true / false)",
        title_justify="left",
    )
    table.add_column("condition", no_wrap=True)
    for column in ("question", "controls that depend on it"):
        table.add_column(column, overflow="fold")
    for condition in conditions:
        ids = using.get(condition.id, [])
        listed = ", ".join(ids[:12]) + (f" … ({len(ids)} in all)" if len(ids) > 12 else "")
        table.add_row(condition.id, condition.question, listed or "-")
    return table


def categories_table(framework: Framework) -> Table | None:
    if not framework.categories:
        return None
    table = Table(
        title=f"Categories: choose them under framework_options.{framework.id}.categories",
        title_justify="left",
    )
    for column in ("category", "name", "always in"):
        table.add_column(column)
    for category in framework.categories:
        table.add_row(category.id, category.name, "yes" if category.required else "")
    return table


def inventory_summary(inputs: Inputs) -> list[str]:
    inventory = inputs.inventory
    header = inventory.header
    mapped = ", ".join(f"{field} = {header.describe(field)}" for field in header.columns)
    sheet = f", sheet '{inventory.sheet}'" if inventory.sheet else ""
    claimed, unresolved = _claimed_by_third_parties(inputs)
    parties = sum(map(len, claimed.values()))
    named = f", {parties} naming a declared third party" if parties else ""
    lines = [
        f"inventory: {inventory.path}{sheet}, header on row {header.row}",
        f"columns: {mapped}",
        f"rows: {inventory.total_rows} ({len(inventory.rows)} resolved{named}, "
        f"{len(unresolved)} unresolved), "
        f"{len({r.service_id for r in inventory.rows})} distinct services",
    ]
    lines += [f"third party {name}: {_rows(items)}" for name, items in claimed.items()]
    return lines


def _claimed_by_third_parties(inputs: Inputs) -> tuple[dict[str, list[Any]], list[Any]]:
    """The unresolved rows that name a third party the config declares (by party), and the
    rest: as the pack counts them, where validate listed a declared party's rows as
    unknown services (eighteenth session)."""
    parties = inputs.config.config.third_parties
    return split_unresolved(inputs.inventory.unresolved, parties, _SERVICE_TEXT)


_SERVICE_TEXT = operator.attrgetter("row.service_text")


def _rows(items: list[Any]) -> str:
    return f"{len(items)} row(s) ({listed((item.row.row for item in items), most=10)})"


SHOWN_CHARS = 200  # of a cell's value in a table of the terminal (62a)


def unresolved_table(inputs: Inputs) -> Table | None:
    _claimed, unresolved = _claimed_by_third_parties(inputs)
    if not unresolved:
        return None
    table = Table(title=f"Unresolved inventory rows ({len(unresolved)})", title_justify="left")
    for column in ("sheet", "row", "column", "value", "why", "did you mean"):
        table.add_column(column, overflow="fold")
    for item in unresolved[:50]:
        table.add_row(
            item.row.sheet or "",
            str(item.row.row),
            item.row.service_column,
            shorten(item.row.service_text, SHOWN_CHARS),  # 32,000 characters: 2,000 lines
            item.reason,
            ", ".join(item.suggestions),
        )
    if len(unresolved) > 50:
        table.caption = f"... and {len(unresolved) - 50} more"
    return table


_SHORT = {"not-applicable": "n/a"}


def matrix_summary(matrices: dict[str, dict[str, Any]]) -> Table:
    """Controls per owner and per framework; named third parties get a column each."""
    third = sorted(
        {n for m in matrices.values() for n in m["party_counts"] if n not in ("AWS", "Customer")}
    )
    table = Table(
        title="Controls by owner",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("framework", no_wrap=True)
    table.add_column("services", justify="right", no_wrap=True)
    # Short headers that wrap at spaces, never inside a word ("Shared", not "Shar…"), so
    # that the table fits an 80-column terminal with a third party or two.
    headers = [_SHORT.get(owner, owner_label(owner)) for owner in OWNER_ORDER]
    # A party's name spaced out to the edge wrapped a word of it onto a line alone (41a W2).
    parties = (f"with {' '.join(name.split())}" for name in third)
    for header in [*headers, "split", *parties]:
        table.add_column(header, justify="right", min_width=max(map(len, header.split())))
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


def next_steps(program: str, config: Path, with_inventory: bool) -> list[str]:
    """What to do after `reportgen init`, as commands that run as typed."""
    folder = config.parent
    quoted = shlex.quote(str(config))
    steps = [f"edit {config}: your company name, the frameworks, your RACI roles"]
    if with_inventory:
        steps.append(
            f"fill in {folder / 'inventory.xlsx'}: one row per AWS service or resource "
            "(replace the example rows)"
        )
    steps += [
        f"{program} validate --config {quoted}   (checks everything, writes nothing)",
        f"{program} build --config {quoted}   (writes the pack under {folder / 'output'})",
    ]
    return ["next:", *(f"  {n}. {step}" for n, step in enumerate(steps, start=1))]


def _title(text: str) -> Text:
    """A table's title naming what a catalog names, cut to the table's width, never wrapped:
    wrapped, a name padded to the edge began a line of its own with what followed it, a
    forged "error: ..." line on the output of explain and controls (40a)."""
    return safe_text(text, no_wrap=True, overflow="ellipsis")
