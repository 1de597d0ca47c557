"""Template-ready data for the PDF report, built from matrix.json alone (pure, no I/O).

The templates only lay out what this module hands them: grouping, counting, footnote
marks and chart geometry are decided here, where they can be tested without WeasyPrint.
What the report lists is bounded by services, controls and distinct values, never by the
number of resources: resources are counted per service, and long lists are cut with a
"and N more" that points to the workbook and matrix.json.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.errors import column_letter
from reportgen.evidence.report import evidence_context
from reportgen.owners import (
    AWS,
    CUSTOMER,
    NOT_APPLICABLE,
    OWNER_COLOURS,
    OWNER_LABELS,
    OWNER_MEANINGS,
    OWNER_ORDER,
    SHARED,
    SPLIT_LABEL,
    SPLIT_MEANING,
    THIRD_PARTY,
    owner_label,
)
from reportgen.provenance import short_name

# Short labels for narrow matrix cells; the legend spells them out.
CELL_LABELS = {
    AWS: "AWS",
    SHARED: "Shared",
    CUSTOMER: "Customer",
    THIRD_PARTY: "3rd party",
    NOT_APPLICABLE: "n/a",
}
MODEL_ORDER = ("infrastructure", "container", "abstract")
SCOPE_LIST_LIMIT = 12  # accounts, regions, environments named on the cover
UNRESOLVED_LIMIT = 100  # distinct unresolved values listed in the appendix
ROW_NUMBERS_LIMIT = 10  # row numbers shown per unresolved value
CHART_WIDTH = 300  # SVG user units of the longest bar
OUTSIDE_SRM = "organization"  # the layer outside AWS's model (DESIGN.md 2.1), drawn apart
ANSWERED_NO = "Not applicable: your answer"  # engine.control_status's note for a "no"


@dataclass(frozen=True)
class Listing:
    """A list cut to a length, with how many were left out."""

    items: list[str]
    more: int = 0


def listing(values: Sequence[str], limit: int) -> Listing:
    return Listing(list(values[:limit]), max(0, len(values) - limit))


def anchor(prefix: str, ident: str) -> str:
    """An HTML id from a control or group id: '1.2.4' -> 'c-1-2-4', 'A.5.1' -> 'c-a-5-1'."""
    return prefix + "-" + (re.sub(r"[^a-z0-9]+", "-", ident.lower()).strip("-") or "x")


def framework_label(name: str, version: str) -> str:
    """'PCI DSS v4.0.1', 'ISO/IEC 27001:2022'; a wordy version is left to the full name."""
    if re.fullmatch(r"\d{4}", version):
        return f"{name}:{version}"  # the ISO way of naming an edition
    if re.fullmatch(r"\d+(\.\d+)+", version):
        return f"{name} v{version}"
    return name


def display_date(stamp: str) -> str:
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    return f"{moment.day} {moment:%B %Y}"


# --------------------------------------------------------------------------- the whole


def build_context(matrix: dict[str, Any]) -> dict[str, Any]:
    """Everything the report templates read; keys are documented in templates/README.md."""
    label = framework_label(matrix["framework"]["name"], matrix["framework"]["version"])
    framework = {**matrix["framework"], "label": label}
    layers = {layer["id"]: layer for layer in matrix["layers"]}
    services = matrix["services"]
    from reportgen.render.artefacts import artefact_context  # it builds on this module

    return {
        **artefact_context(matrix),
        "doc": _document(matrix, label),
        "customer": matrix["customer"],
        "framework": framework,
        "generator": matrix["generator"],
        "catalogs": matrix["catalogs"],
        "inputs": matrix["inputs"],
        "owners": owner_legend(matrix["counts"]),
        "scope": _scope(matrix["scope"]),
        "conditions": _conditions(framework),
        "categories": framework["categories"],
        "summary": summary(matrix),
        "models": srm_models(matrix),
        "layers": [_layer(layer) for layer in matrix["layers"]],
        "service_matrix": service_matrix(services, matrix["models"], layers, matrix["overrides"]),
        "control_sections": control_sections(matrix["groups"], matrix["controls"]),
        "evidence_sections": evidence_sections(matrix["groups"], matrix["controls"]),
        "evidence_status": evidence_context(matrix),
        "overrides": overrides(matrix["overrides"], services, layers),
        "unresolved": unresolved(matrix["unresolved"]),
        "raci_rules": matrix["raci_rules"],
        "roles": matrix["roles"],
        "warnings": matrix["warnings"],
        "glossary": {"owners": owner_meanings()},
    }


def owner_meanings() -> list[dict[str, str]]:
    """Each owner value and what it means, split by service included (for the glossary)."""
    entries = [{"label": OWNER_LABELS[o], "meaning": OWNER_MEANINGS[o]} for o in OWNER_ORDER]
    entries.insert(2, {"label": SPLIT_LABEL, "meaning": SPLIT_MEANING})
    return entries


def _document(matrix: dict[str, Any], label: str) -> dict[str, Any]:
    framework = matrix["framework"]
    customer = matrix["customer"]["name"]
    return {
        "title": f"{customer}: {label} shared responsibility matrix",
        "subject": (
            f"Who operates each {label} control for {customer}'s AWS estate: "
            "AWS, the customer, or both"
        ),
        "keywords": [
            framework["name"],
            framework["full_name"],
            "AWS",
            "shared responsibility model",
            "responsibility matrix",
            "RACI",
            customer,
            matrix["document_id"],
        ],
        "author": customer,
        "generator": f"reportgen {matrix['generator']['version']}",
        "lang": "en",
        "created": matrix["generated_at"],
        "date": display_date(matrix["generated_at"]),
        "time": matrix["generated_at"][11:16] + " UTC",
        "id": matrix["document_id"],
        "classification": matrix["classification"],
    }


def owner_legend(counts: dict[str, int]) -> list[dict[str, Any]]:
    """One entry per owner in display order: label, palette colours and control count."""
    total = sum(counts.values()) or 1
    return [
        {
            "id": owner,
            "label": OWNER_LABELS[owner],
            "cell": CELL_LABELS[owner],
            "fill": "#" + OWNER_COLOURS[owner][0],
            "text": "#" + OWNER_COLOURS[owner][1],
            "count": counts.get(owner, 0),
            "percent": round(100 * counts.get(owner, 0) / total),
        }
        for owner in OWNER_ORDER
    ]


def _scope(scope: dict[str, Any]) -> dict[str, Any]:
    return {
        **scope,
        "accounts": listing(scope["accounts"], SCOPE_LIST_LIMIT),
        "regions": listing(scope["regions"], SCOPE_LIST_LIMIT),
        "environments": listing(scope["environments"], SCOPE_LIST_LIMIT),
    }


def _conditions(framework: dict[str, Any]) -> list[dict[str, str]]:
    answers = {True: "Yes", False: "No", None: "Not answered: treated as yes (the controls apply)"}
    return [
        {"question": c["question"], "answer": answers[c["answer"]], "id": c["id"]}
        for c in framework["conditions"]
    ]


def _layer(layer: dict[str, Any]) -> dict[str, Any]:
    return {**layer, "outside": layer["id"] == OUTSIDE_SRM}


# --------------------------------------------------------------------------- summary


def summary(matrix: dict[str, Any]) -> dict[str, Any]:
    counts = matrix["counts"]
    total = sum(counts.values())
    applicable = total - counts.get(NOT_APPLICABLE, 0)
    acting = sum(counts.get(o, 0) for o in (CUSTOMER, SHARED, THIRD_PARTY))
    by_answers = sum(1 for c in matrix["controls"] if (c.get("note") or "").startswith(ANSWERED_NO))
    return {
        "total": total,
        "applicable": applicable,
        "acting": acting,
        "inherited": counts.get(AWS, 0),
        "split": matrix["split_by_service"],
        "parties": [
            {"name": name, "count": count, "third": name not in ("AWS", "Customer")}
            for name, count in matrix["party_counts"].items()
        ],
        "by_answers": by_answers,
        "by_dates": counts.get(NOT_APPLICABLE, 0) - by_answers,
        "chart": chart(counts),
        "by_model": services_by_model(matrix["services"], matrix["models"]),
    }


def chart(counts: dict[str, int]) -> dict[str, Any]:
    """Geometry of the summary chart: one bar per owner and a 100% stacked bar."""
    largest = max(counts.values(), default=0) or 1
    total = sum(counts.values()) or 1
    bars, x = [], 0.0
    for owner in OWNER_ORDER:
        count = counts.get(owner, 0)
        share = CHART_WIDTH * count / total
        bars.append(
            {
                "owner": owner,
                "label": OWNER_LABELS[owner],
                "fill": "#" + OWNER_COLOURS[owner][0],
                "text": "#" + OWNER_COLOURS[owner][1],
                "count": count,
                "width": round(CHART_WIDTH * count / largest, 1),
                "x": round(x, 1),
                "share": round(share, 1),
                "percent": round(100 * count / total),
            }
        )
        x += share
    return {"bars": bars, "width": CHART_WIDTH}


def services_by_model(services: list[dict], models: list[dict]) -> list[dict[str, Any]]:
    rows = []
    for model in _ordered_models(models):
        mine = [s for s in services if s["model"] == model["id"]]
        rows.append(
            {
                "id": model["id"],
                "name": model["name"],
                "services": [f"{short_name(s['name'])} ({s['resources']})" for s in mine],
                "count": len(mine),
                "resources": sum(s["resources"] for s in mine),
            }
        )
    return rows


def _ordered_models(models: list[dict]) -> list[dict]:
    rank = {mid: i for i, mid in enumerate(MODEL_ORDER)}
    return sorted(models, key=lambda m: (rank.get(m["id"], len(rank)), m["id"]))


# --------------------------------------------------------------------------- SRM diagram


def srm_models(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """Each model as a layer stack (owners under the model) with its in-scope services."""
    names = {layer["id"]: layer["name"] for layer in matrix["layers"]}
    result = []
    for model in _ordered_models(matrix["models"]):
        mine = [s for s in matrix["services"] if s["model"] == model["id"]]
        result.append(
            {
                "id": model["id"],
                "name": model["name"],
                "description": model["description"],
                "cells": {
                    lid: {"name": names[lid], "owner": owner, "label": OWNER_LABELS[owner]}
                    for lid, owner in model["owners"].items()
                },
                "services": [
                    {
                        "name": short_name(s["name"]),
                        "resources": s["resources"],
                        "adjusted": any(d["source"] != "model" for d in s["layers"].values()),
                    }
                    for s in mine
                ],
                "resources": sum(s["resources"] for s in mine),
            }
        )
    return result


# --------------------------------------------------------------------------- service matrix


def service_matrix(
    services: list[dict], models: list[dict], layers: dict[str, dict], overrides: list[dict]
) -> dict[str, Any]:
    """Services x layers, grouped by model; cells changed from the model carry a mark."""
    catalog_notes: dict[tuple[str, str], dict[str, Any]] = {}
    used_overrides: set[int] = set()
    groups = []
    for model in _ordered_models(models):
        rows = []
        for service in (s for s in services if s["model"] == model["id"]):
            cells = []
            for layer_id, decision in service["layers"].items():
                marks = _cell_marks(service, layer_id, decision, catalog_notes, layers)
                used_overrides.update(decision.get("overrides", ()))
                cells.append(
                    {
                        "owner": decision["owner"],
                        "label": CELL_LABELS[decision["owner"]],
                        "marks": marks,
                    }
                )
            rows.append(
                {"name": service["name"], "resources": service["resources"], "cells": cells}
            )
        if rows:
            groups.append({"id": model["id"], "name": model["name"], "rows": rows})
    by_number = {o["number"]: o for o in overrides}
    names = {s["id"]: s["name"] for s in services}
    return {
        "groups": groups,
        "catalog_notes": list(catalog_notes.values()),
        "override_notes": [
            _override_note(by_number[n], names, layers) for n in sorted(used_overrides)
        ],
    }


def _cell_marks(
    service: dict, layer_id: str, decision: dict, notes: dict, layers: dict[str, dict]
) -> list[str]:
    """Footnote marks of a cell: a letter per catalog reason (shared by every service the
    same reason applies to), the override numbers of the customer's changes."""
    if decision["source"] == "catalog":
        key = (layer_id, decision["owner"], decision.get("reason", ""))
        if key not in notes:
            notes[key] = {
                "mark": column_letter(len(notes)).lower(),  # a, b, ..., z, aa
                "services": [],
                "layer": layers[layer_id]["name"],
                "owner": owner_label(decision["owner"], decision.get("party")),
                "text": decision.get("reason", ""),
            }
        notes[key]["services"].append(service["name"])
        return [notes[key]["mark"]]
    return [f"#{n}" for n in decision.get("overrides", ())]


def _override_note(item: dict, names: dict[str, str], layers: dict[str, dict]) -> dict[str, Any]:
    return {
        "mark": f"#{item['number']}",
        "service": names.get(item["service"], item["service"]),
        "resource": item.get("resource"),
        "layer": layers[item["layer"]]["name"] if item["layer"] in layers else item["layer"],
        "owner": owner_label(item["owner"], item.get("party")),
        "text": item["justification"],
    }


def overrides(items: list[dict], services: list[dict], layers: dict[str, dict]) -> list[dict]:
    names = {s["id"]: s["name"] for s in services}
    return [
        {**_override_note(item, names, layers), "owner_id": item["owner"], "number": item["number"]}
        for item in items
    ]


# --------------------------------------------------------------------------- control matrix


def _group_index(groups: list[dict]) -> tuple[dict[str, dict], dict[str, str]]:
    by_id = {g["id"]: g for g in groups}
    top: dict[str, str] = {}
    for group in groups:
        current = group
        while current.get("parent") and current["parent"] in by_id:
            current = by_id[current["parent"]]
        top[group["id"]] = current["id"]
    return by_id, top


def _ancestors(group_id: str, by_id: dict[str, dict]) -> list[str]:
    """The chain below the top-level group down to ``group_id``, outermost first."""
    chain = []
    current = by_id.get(group_id)
    while current is not None and current.get("parent"):
        chain.append(current["id"])
        current = by_id.get(current["parent"])
    return list(reversed(chain))


def sections(groups: list[dict], controls: list[dict], make_row: Any) -> list[dict[str, Any]]:
    """Controls under their top-level group, with a header row each time a subgroup starts."""
    by_id, top = _group_index(groups)
    buckets: dict[str, list[dict]] = {g["id"]: [] for g in groups if not g.get("parent")}
    orphans: list[dict] = []
    for control in controls:
        home = top.get(control["group"], "")
        buckets.get(home, orphans).append(control)
    result = []
    for group_id, members in buckets.items():
        if members:
            result.append(_section(by_id[group_id], members, by_id, make_row))
    if orphans:
        result.append(_section({"id": "", "title": "Other controls"}, orphans, by_id, make_row))
    return result


def _section(group: dict, members: list[dict], by_id: dict, make_row: Any) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    opened: list[str] = []
    for control in members:
        chain = _ancestors(control["group"], by_id)
        for depth, gid in enumerate(chain):
            if depth < len(opened) and opened[depth] == gid:
                continue
            opened = [*opened[:depth], gid]
            sub = by_id[gid]
            rows.append(
                {
                    "kind": "group",
                    "id": gid,
                    "title": sub["title"],
                    "level": depth + 1,
                    "anchor": anchor("g", gid),
                }
            )
        rows.append(make_row(control))
    heading = f"{group['id']} {group['title']}".strip()
    return {
        "id": group["id"],
        "title": group["title"],
        "heading": heading,
        "anchor": anchor("g", group["id"] or "other"),
        "rows": rows,
        "count": len(members),
    }


def control_sections(groups: list[dict], controls: list[dict]) -> list[dict[str, Any]]:
    return sections(groups, controls, control_row)


def control_row(control: dict[str, Any]) -> dict[str, Any]:
    owner = control["owner"]
    inherited = any(p["kind"] == AWS for p in control["parties"])
    third = [p["name"] for p in control["parties"] if p["kind"] == THIRD_PARTY]
    return {
        "kind": "control",
        "id": control["id"],
        "anchor": anchor("c", control["id"]),
        "title": control["title"],
        "description": control["description"],
        "owner": "split" if control["split_by_service"] else owner,
        "owner_label": control["label"],
        "third_parties": third,
        "responsibility": control["responsibility"],
        "note": control.get("note"),
        "applicable": control["applicable"],
        "applicability": control.get("applicability"),
        "breakdown": breakdown(control["services"].values()),
        "services": len(control["services"]),
        "provenance": control["provenance"],
        "evidence": control["evidence"] if control["applicable"] else [],
        "attestation": control.get("aws_evidence") if inherited else None,
        "layers": control["layers"],
    }


def breakdown(outcomes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Services per owner, only when the services do not all agree."""
    counts = Counter((o["owner"], o.get("party")) for o in outcomes)
    if len(counts) <= 1:
        return []
    rank = {owner: i for i, owner in enumerate(OWNER_ORDER)}
    return [
        {"owner": owner, "label": owner_label(owner, party), "count": count}
        for (owner, party), count in sorted(
            counts.items(), key=lambda item: (rank[item[0][0]], item[0][1] or "")
        )
    ]


# --------------------------------------------------------------------------- evidence


def evidence_sections(groups: list[dict], controls: list[dict]) -> list[dict[str, Any]]:
    applicable = [c for c in controls if c["applicable"] and c["evidence"]]
    return sections(groups, applicable, evidence_row)


def evidence_row(control: dict[str, Any]) -> dict[str, Any]:
    raci = control["raci"]
    return {
        "kind": "control",
        "id": control["id"],
        "anchor": anchor("e", control["id"]),
        "target": anchor("c", control["id"]),
        "title": control["title"],
        "owner": "split" if control["split_by_service"] else control["owner"],
        "owner_label": control["label"],
        "evidence": control["evidence"],
        # AWS carries its part but never collects the customer's evidence (DESIGN.md 2.4).
        "responsible": [r for r, code in raci.items() if "R" in code and r != "AWS"]
        or [r for r, code in raci.items() if "A" in code],
        "accountable": [role for role, code in raci.items() if "A" in code],
    }


# --------------------------------------------------------------------------- appendices


def unresolved(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Unresolved rows grouped by the value that could not be resolved, capped."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for item in items:
        key = (item["sheet"], item["column"], item["value"], item["reason"])
        entry = grouped.setdefault(
            key,
            {
                "sheet": item["sheet"],
                "column": item["column"],
                "value": item["value"],
                "reason": item["reason"],
                "suggestions": item["suggestions"],
                "rows": [],
            },
        )
        entry["rows"].append(item["row"])
    entries = list(grouped.values())
    for entry in entries:
        entry["row_list"] = listing([str(r) for r in entry["rows"]], ROW_NUMBERS_LIMIT)
    shown = entries[:UNRESOLVED_LIMIT]
    return {
        "rows": len(items),
        "groups": shown,
        "hidden": len(entries) - len(shown),
    }
