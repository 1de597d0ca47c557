"""The evidence tracker in the PDF and in summary.md, from matrix.json alone (pure).

The PDF gets, per control, its implementation status (one line in the control matrix) and
its items with their status (evidence checklist), and an evidence-status summary: items by
status, controls by implementation status, overdue items, RACI letters the team changed and
evidence of controls the catalog no longer has. summary.md gets the same counts and the
overdue items. Lists are capped; the workbook and matrix.json hold everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reportgen.core import markdown as md
from reportgen.ownership.evidence_vocabulary import (
    ACCEPTED,
    IMPLEMENTATION_STATUSES,
    NOT_APPLICABLE,
    STATUS_LABELS,
    STATUS_MEANINGS,
    STATUSES,
)

NOTES_LIMIT = 300  # characters of a note in the PDF
LISTED_LIMIT = 40  # overdue items, overrides, orphans listed in the PDF
SUMMARY_OVERDUE = 25  # overdue items per framework in summary.md
SHOWN_FIELDS = ("responsible_person", "due_date", "collected_on", "reviewed_by", "link")
FIELD_LABELS = {
    "responsible_person": "by",
    "due_date": "due",
    "collected_on": "collected",
    "reviewed_by": "reviewed by",
    "link": "at",
}


@dataclass(frozen=True)
class Capped:
    """A list cut to LISTED_LIMIT entries, with how many were left out."""

    shown: list[dict[str, Any]]
    more: int = 0


def implementation_label(status: str) -> str:
    return status.capitalize()


# ---------------------------------------------------------------- PDF


def evidence_context(matrix: dict[str, Any]) -> dict[str, Any]:
    """The ``evidence_status`` the templates read (templates/README.md)."""
    summary = matrix["evidence_status"]
    controls = matrix["controls"]
    overdue = [
        _listed(control["id"], item)
        for control in controls
        for item in control["evidence_items"]
        if item["overdue"]
    ]
    overrides = [
        {**override, "control": control["id"]}
        for control in controls
        for override in control.get("raci_overrides", ())
    ]
    return {
        "sources": summary["sources"],
        "tracked": bool(summary["sources"]),
        "by_status": [
            {
                "status": s,
                "label": STATUS_LABELS[s],
                "meaning": STATUS_MEANINGS[s],
                "count": summary["items"][s],
            }
            for s in STATUSES
        ],
        "total": sum(summary["items"].values()),
        "implementation": [
            {"status": s, "label": implementation_label(s), "count": summary["controls"][s]}
            for s in IMPLEMENTATION_STATUSES
        ],
        "controls": {c["id"]: _control(c) for c in controls},
        "overdue": _capped(overdue),
        "overrides": _capped(overrides),
        "orphans": _capped([_listed(o["control"], o) for o in summary["orphans"]]),
    }


def _capped(items: list[dict[str, Any]]) -> Capped:
    return Capped(items[:LISTED_LIMIT], max(0, len(items) - LISTED_LIMIT))


def _control(control: dict[str, Any]) -> dict[str, Any]:
    items = control["evidence_items"]
    live = [i for i in items if i["status"] != NOT_APPLICABLE]
    return {
        "status": control["implementation_status"],
        "label": implementation_label(control["implementation_status"]),
        "accepted": sum(1 for i in live if i["status"] == ACCEPTED),
        "total": len(live),
        "entries": [_shown(item) for item in items],
    }


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """One item as the checklist prints it: status, who and when, a shortened note."""
    details = [f"{FIELD_LABELS[k]} {item[k]}" for k in SHOWN_FIELDS if item.get(k)]
    return {
        "item": item["item"],
        "status": item["status"],
        "label": STATUS_LABELS[item["status"]],
        "done": item["status"] == ACCEPTED,
        "aws": item["provided_by"] == "aws",
        "added": item["source"] == "workbook",
        "overdue": item["overdue"],
        "details": details,
        "notes": md.shorten(item["notes"], NOTES_LIMIT) if item.get("notes") else None,
    }


def _listed(control_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "control": control_id,
        "item": item["item"],
        "label": STATUS_LABELS[item["status"]],
        "person": item.get("responsible_person"),
        "due": item.get("due_date"),
        "notes": md.shorten(item["notes"], NOTES_LIMIT) if item.get("notes") else None,
    }


# ---------------------------------------------------------------- summary.md


def summary_section(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    """summary.md's evidence part: items by status, controls by implementation status, the
    overdue items, the RACI letters the team changed, evidence the catalog no longer has."""
    yield "## Evidence\n"
    headers = ["Framework", *(STATUS_LABELS[s] for s in STATUSES), "Overdue"]
    rows = [
        [
            md.escape(m["framework"]["name"]),
            *(md.number(m["evidence_status"]["items"][s]) for s in STATUSES),
            md.number(m["evidence_status"]["overdue"]),
        ]
        for m in matrices.values()
    ]
    yield md.table(headers, rows, right=range(1, len(headers))) + "\n"
    headers = ["Framework", *(implementation_label(s) for s in IMPLEMENTATION_STATUSES)]
    rows = [
        [
            md.escape(m["framework"]["name"]),
            *(md.number(m["evidence_status"]["controls"][s]) for s in IMPLEMENTATION_STATUSES),
        ]
        for m in matrices.values()
    ]
    yield "Controls by implementation status (from their evidence items):\n"
    yield md.table(headers, rows, right=range(1, len(headers))) + "\n"
    sources = [s for m in matrices.values() for s in m["evidence_status"]["sources"]]
    if sources:
        yield "Carried on from: " + ", ".join(md.code(s) for s in sources) + ".\n"
    else:
        yield (
            "No earlier workbook was read back: every item starts as not started "
            "(`reportgen build --evidence <earlier pack>` carries the team's tracking on).\n"
        )
    for matrix in matrices.values():
        yield from _framework_lists(matrix)


def _framework_lists(matrix: dict[str, Any]) -> Iterator[str]:
    name = md.escape(matrix["framework"]["name"])
    status = matrix["evidence_status"]
    overdue = [
        (control["id"], item)
        for control in matrix["controls"]
        for item in control["evidence_items"]
        if item["overdue"]
    ]
    if overdue:
        yield f"### {name}: {len(overdue)} overdue item(s)\n"
        rows = [
            [
                md.code(cid),
                md.escape(md.shorten(item["item"], 120)),
                md.escape(STATUS_LABELS[item["status"]]),
                md.escape(item.get("responsible_person") or "nobody named"),
                md.escape(item["due_date"]),
            ]
            for cid, item in overdue[:SUMMARY_OVERDUE]
        ]
        yield md.table(["Control", "Evidence item", "Status", "Responsible", "Due"], rows) + "\n"
        if len(overdue) > SUMMARY_OVERDUE:
            more = len(overdue) - SUMMARY_OVERDUE
            yield f"… and {more} more: see the workbook's Evidence sheet.\n"
    if status["raci_overrides"]:
        yield (
            f"{name}: {status['raci_overrides']} RACI letter(s) changed by the team in the "
            "workbook are kept (matrix.json `raci_overrides` says where each was read).\n"
        )
    if status["orphans"]:
        ids = ", ".join(sorted({md.code(o["control"] or "?") for o in status["orphans"]}))
        yield (
            f"{name}: {len(status['orphans'])} evidence row(s) name controls the catalog no "
            f"longer has ({ids}); they are kept at the end of the Evidence sheet.\n"
        )
