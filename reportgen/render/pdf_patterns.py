"""The service matrix as responsibility patterns: one row per distinct set of layer owners.

An estate of 249 services holds about 30 distinct patterns (most abstract services own
their layers alike), so the PDF lists patterns, not services: a row names the services that
share it (cut to a few, the rest counted; the workbook's Services x Layers sheet names every
one). A layer with the same owner for every service, changed for none, is said once above
the table instead of filling a column. Customer overrides keep a row of their own with
their numbered footnote; catalog exceptions keep their lettered footnote, one letter per
reason, on the row of every service it applies to. Pure: matrix dicts in, dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.core.errors import column_letter
from reportgen.core.owners import (
    AWS,
    CUSTOMER,
    NOT_APPLICABLE,
    OWNER_LABELS,
    OWNER_ORDER,
    SHARED,
    THIRD_PARTY,
    owner_label,
)
from reportgen.ownership.provenance import short_name

# Short labels for narrow matrix cells; the legend spells them out.
CELL_LABELS = {
    AWS: "AWS",
    SHARED: "Shared",
    CUSTOMER: "Customer",
    THIRD_PARTY: "3rd party",
    NOT_APPLICABLE: "n/a",
}
MODEL_ORDER = ("infrastructure", "container", "abstract")
NAMES_PER_ROW = 12  # services named in one pattern row; the rest are counted
NAMES_PER_MODEL = 10  # services named per model in the summary
NAMES_PER_NOTE = 8  # services named under one catalog reason
CUSTOMER_SOURCES = ("customer", "resource")  # decisions made by the customer's config

# Width of the service matrix (a landscape page less report.css's 12 mm margins, in mm)
# and the narrowest layer column that holds the longest word of a layer name at the
# header's size.
TABLE_WIDTH_MM = {"A4": 297.0 - 24, "Letter": 279.4 - 24}
LAYER_COLUMN_MM = 15.5
ENTRIES_COLUMN_MM = 11.0


@dataclass(frozen=True)
class Listing:
    """A list cut to a length, with how many were left out."""

    items: list[str]
    more: int = 0


def listing(values: Sequence[str], limit: int) -> Listing:
    return Listing(list(values[:limit]), max(0, len(values) - limit))


def ordered_models(models: list[dict]) -> list[dict]:
    rank = {mid: i for i, mid in enumerate(MODEL_ORDER)}
    return sorted(models, key=lambda m: (rank.get(m["id"], len(rank)), m["id"]))


def _key(decision: dict[str, Any]) -> tuple[str, str | None]:
    return decision["owner"], decision.get("party")


def _customer_changed(service: dict[str, Any]) -> bool:
    return any(d["source"] in CUSTOMER_SOURCES for d in service["layers"].values())


# --------------------------------------------------------------------------- the matrix


def uniform_layers(services: list[dict], layers: list[dict]) -> list[str]:
    """Layers every service owns alike, changed by no catalog entry or override.

    Said once above the table; none when there are fewer than two services (nothing to
    compare) or when every layer would go (the table would be empty).
    """
    if len(services) < 2:
        return []
    same = []
    for layer in layers:
        decisions = [s["layers"][layer["id"]] for s in services]
        if all(d["source"] == "model" for d in decisions) and len(set(map(_key, decisions))) == 1:
            same.append(layer["id"])
    return [] if len(same) == len(layers) else same


def service_matrix(
    services: list[dict],
    models: list[dict],
    layers: dict[str, dict],
    overrides: list[dict],
    paper_size: str = "A4",
) -> dict[str, Any]:
    """Patterns x layers, grouped by model; cells changed from the model carry a mark."""
    same = set(uniform_layers(services, list(layers.values())))
    shown = [lid for lid in layers if lid not in same]
    marks = _Marks(layers)
    groups = []
    for model in ordered_models(models):
        mine = [s for s in services if s["model"] == model["id"]]
        rows = [_row(members, shown, marks) for members in _patterns(mine, model)]
        if rows:
            groups.append(
                {"id": model["id"], "name": model["name"], "rows": rows, "services": len(mine)}
            )
    by_number = {o["number"]: o for o in overrides}
    full_names = {s["id"]: s["name"] for s in services}
    uniform = _uniform_text(services, layers, same)
    marks.owners.update(u["owner"] for u in uniform)
    return {
        "layers": [layers[lid] for lid in shown],
        "uniform": uniform,
        "columns": _columns(len(shown), TABLE_WIDTH_MM.get(paper_size, TABLE_WIDTH_MM["A4"])),
        "groups": groups,
        "rows": sum(len(g["rows"]) for g in groups),
        "services": len(services),
        "catalog_notes": [
            {**note, "services": listing(note["services"], NAMES_PER_NOTE)}
            for note in marks.notes.values()
        ],
        "override_notes": [
            override_note(by_number[n], full_names, layers) for n in sorted(marks.overrides)
        ],
        "owners": sorted(marks.owners, key=OWNER_ORDER.index),
    }


def _patterns(services: list[dict], model: dict) -> list[list[dict]]:
    """Services with identical owners on every layer, together; a service the customer's
    configuration changes keeps its own row (its override footnote belongs to it alone).
    The model's own defaults first, then the largest groups."""
    grouped: dict[tuple, list[dict]] = {}
    for service in services:
        owners = tuple(_key(d) for d in service["layers"].values())
        key = (owners, service["id"] if _customer_changed(service) else "")
        grouped.setdefault(key, []).append(service)
    defaults = tuple((owner, None) for owner in model["owners"].values())

    def rank(item: tuple[tuple, list[dict]]) -> tuple:
        (owners, own), members = item
        return (owners != defaults or bool(own), -len(members), members[0]["name"])

    return [members for _key_, members in sorted(grouped.items(), key=rank)]


class _Marks:
    """Footnote marks: a letter per catalog reason (shared by every service the same reason
    applies to), the override numbers of the customer's changes."""

    def __init__(self, layers: dict[str, dict]) -> None:
        self.layers = layers
        self.notes: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.overrides: set[int] = set()
        self.owners: set[str] = set()

    def of(self, service: dict, layer_id: str) -> list[str]:
        decision = service["layers"][layer_id]
        if decision["source"] != "catalog":
            numbers = decision.get("overrides", ())
            self.overrides.update(numbers)
            return [f"#{n}" for n in numbers]
        key = (layer_id, decision["owner"], decision.get("reason", ""))
        note = self.notes.get(key)
        if note is None:
            note = self.notes[key] = {
                "mark": column_letter(len(self.notes)).lower(),  # a, b, ..., z, aa
                "services": [],
                "layer": self.layers[layer_id]["name"],
                "owner": owner_label(decision["owner"], decision.get("party")),
                "text": decision.get("reason", ""),
            }
        if short_name(service["name"]) not in note["services"]:
            note["services"].append(short_name(service["name"]))
        return [note["mark"]]


def _row(members: list[dict], shown: list[str], marks: _Marks) -> dict[str, Any]:
    first = members[0]
    cells = []
    for layer_id in shown:
        decision = first["layers"][layer_id]
        found: list[str] = []
        for service in members:
            found += [m for m in marks.of(service, layer_id) if m not in found]
        marks.owners.add(decision["owner"])
        cells.append(
            {
                "owner": decision["owner"],
                "label": CELL_LABELS[decision["owner"]],
                "party": decision.get("party"),
                "marks": found,
            }
        )
    labels = [f"{short_name(s['name'])} ({s['resources']})" for s in members]
    return {
        "names": listing(labels, NAMES_PER_ROW),
        "members": [s["id"] for s in members],  # every service of the row, named or not
        "services": len(members),
        "resources": sum(s["resources"] for s in members),
        "cells": cells,
    }


def _uniform_text(
    services: list[dict], layers: dict[str, dict], same: set[str]
) -> list[dict[str, Any]]:
    """The layers said once: per owner, in display order, with their names."""
    if not same:
        return []
    first = services[0]["layers"]
    by_owner: dict[tuple[str, str | None], list[str]] = {}
    for lid in layers:
        if lid in same:
            by_owner.setdefault(_key(first[lid]), []).append(layers[lid]["name"])
    rank = {owner: i for i, owner in enumerate(OWNER_ORDER)}
    return [
        {"owner": owner, "label": owner_label(owner, party), "layers": names_}
        for (owner, party), names_ in sorted(by_owner.items(), key=lambda i: rank[i[0][0]])
    ]


def _columns(layer_count: int, width: float) -> dict[str, float]:
    """Column widths in percent of ``width`` mm: layers at least LAYER_COLUMN_MM wide (their
    headers never break inside a word), the service names take what is left."""
    layer = max(LAYER_COLUMN_MM, min(24.0, (width * 0.62) / max(layer_count, 1)))
    service = width - ENTRIES_COLUMN_MM - layer * layer_count
    return {
        "service": round(100 * service / width, 2),
        "entries": round(100 * ENTRIES_COLUMN_MM / width, 2),
        "layer": round(100 * layer / width, 2),
    }


def override_note(item: dict, full_names: dict[str, str], layers: dict[str, dict]) -> dict:
    return {
        "mark": f"#{item['number']}",
        "service": full_names.get(item["service"], item["service"]),
        "resource": item.get("resource"),
        "layer": layers[item["layer"]]["name"] if item["layer"] in layers else item["layer"],
        "owner": owner_label(item["owner"], item.get("party")),
        "text": item["justification"],
    }


# --------------------------------------------------------------------------- per model


def services_by_model(services: list[dict], models: list[dict]) -> list[dict[str, Any]]:
    """Each model with its services named (cut to NAMES_PER_MODEL) and counted."""
    rows = []
    for model in ordered_models(models):
        mine = [s for s in services if s["model"] == model["id"]]
        rows.append(
            {
                "id": model["id"],
                "name": model["name"],
                "services": listing([short_name(s["name"]) for s in mine], NAMES_PER_MODEL),
                "count": len(mine),
                "resources": sum(s["resources"] for s in mine),
                "adjusted": sum(
                    1 for s in mine if any(d["source"] != "model" for d in s["layers"].values())
                ),
            }
        )
    return rows


def srm_models(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """Each model as a layer stack (owners under the model) with its in-scope services."""
    names_ = {layer["id"]: layer["name"] for layer in matrix["layers"]}
    by_model = {row["id"]: row for row in services_by_model(matrix["services"], matrix["models"])}
    return [
        {
            **by_model[model["id"]],
            "description": model["description"],
            "cells": {
                lid: {"name": names_[lid], "owner": owner, "label": OWNER_LABELS[owner]}
                for lid, owner in model["owners"].items()
            },
        }
        for model in ordered_models(matrix["models"])
    ]
