"""Template-ready data for the PDF report, built from matrix.json alone (pure, no I/O).

The templates only lay out what this module hands them: grouping, counting, footnote
marks and chart geometry are decided here, where they can be tested without WeasyPrint.
What the report lists is bounded by services, controls and distinct values, never by the
number of resources: resources are counted per service, and long lists are cut with a
"and N more" that points to the workbook and matrix.json.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from reportgen.core.clock import long_date
from reportgen.core.markdown import shorten
from reportgen.core.owners import (
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
from reportgen.evidence.report import evidence_context
from reportgen.render.pdf_patterns import (
    CELL_LABELS,
    listing,
    override_note,
    service_matrix,
    services_by_model,
    srm_models,
)
from reportgen.render.pdf_say_once import control_chapter

SCOPE_LIST_LIMIT = 12  # accounts, regions, environments named on the cover
UNRESOLVED_LIMIT = 100  # distinct unresolved values listed in the appendix
UNRESOLVED_VALUE_CHARS = 200  # of each value shown
ROW_NUMBERS_LIMIT = 10  # row numbers shown per unresolved value
CHART_WIDTH = 300  # SVG user units of the longest bar
CHART_TOP = 40  # SVG user units above the first owner bar (the 100% bar sits there)
CHART_STEP = 24  # SVG user units per owner bar
OUTSIDE_SRM = "organization"  # outside AWS's model (docs/methodology.md 1), drawn apart
ANSWERED_NO = "Not applicable: your answer"  # engine.control_status's note for a "no"


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


# --------------------------------------------------------------------------- the whole


def build_context(matrix: dict[str, Any], paper_size: str = "A4") -> dict[str, Any]:
    """Everything the report templates read; keys are documented in templates/README.md.

    ``paper_size`` (A4 or Letter) sizes the service matrix's columns to the page."""
    label = framework_label(matrix["framework"]["name"], matrix["framework"]["version"])
    framework = {**matrix["framework"], "label": label}
    layers = {layer["id"]: layer for layer in matrix["layers"]}
    services = matrix["services"]
    from reportgen.render.artefacts import artefact_context  # it builds on this module

    sections_ = control_sections(matrix["groups"], matrix["controls"])
    sm = service_matrix(services, matrix["models"], layers, matrix["overrides"], paper_size)
    return {
        **artefact_context(matrix),
        "doc": _document(matrix, label),
        "cover": cover(framework),
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
        "srm_legend": legend(o for m in matrix["models"] for o in m["owners"].values()),
        "layers": [_layer(layer) for layer in matrix["layers"]],
        "service_matrix": {**sm, "legend": legend(sm["owners"])},
        "control_chapter": {**control_chapter(sections_), "legend": control_legend(sections_)},
        "control_sections": sections_,
        "evidence_sections": evidence_sections(matrix["groups"], matrix["controls"]),
        "evidence_status": evidence_context(matrix),
        "overrides": overrides(matrix["overrides"], services, layers),
        "unresolved": unresolved(matrix["unresolved"]),
        "raci_rules": matrix["raci_rules"],
        "roles": matrix["roles"],
        "warnings": matrix["warnings"],
        "glossary": {"owners": owner_meanings()},
    }


def cover(framework: dict[str, Any]) -> dict[str, str]:
    """The cover's title, subtitle and edition line, each saying something the others do
    not: 'ISO/IEC 27001:2022' over 'Information security management systems', not the
    name, version and publisher three times over."""
    title = framework["label"]
    subtitle = framework["full_name"]
    for head in (title, framework["name"]):
        if subtitle.startswith(head):
            subtitle = subtitle[len(head) :].lstrip(" :—–-,")
            break
    said = f"{title} {subtitle}"
    numbers = re.findall(r"\d+(?:\.\d+)*", framework["version"])
    parts = [] if all(n in said for n in numbers) else [f"version {framework['version']}"]
    if framework["publisher"] not in said:
        parts.append(f"published by {framework['publisher']}")
    standard = ", ".join(parts)
    return {
        "title": title,
        "subtitle": subtitle or framework["full_name"],
        "standard": standard[:1].upper() + standard[1:],
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
        "date": long_date(matrix["generated_at"]),
        "time": matrix["generated_at"][11:16] + " UTC",
        "id": matrix["document_id"],
        "classification": matrix["classification"],
    }


def owner_legend(counts: dict[str, int]) -> list[dict[str, Any]]:
    """One entry per owner in display order: label, palette colours and control count.

    ``percent`` is the share of the applicable controls (None for not applicable), the
    figure the workbook's Summary shows too.
    """
    applicable = sum(n for owner, n in counts.items() if owner != NOT_APPLICABLE)
    return [
        {
            "id": owner,
            "label": OWNER_LABELS[owner],
            "cell": CELL_LABELS[owner],
            "fill": "#" + OWNER_COLOURS[owner][0],
            "text": "#" + OWNER_COLOURS[owner][1],
            "count": counts.get(owner, 0),
            "percent": None
            if owner == NOT_APPLICABLE
            else percent(counts.get(owner, 0), applicable),
        }
        for owner in OWNER_ORDER
    ]


def percent(count: int, of: int) -> int:
    """A whole percentage, rounded half up as a spreadsheet's 0% format rounds."""
    return int(100 * count / of + 0.5) if of else 0


def legend(present: Iterable[str], split: bool = False) -> list[dict[str, str]]:
    """Legend entries for the owners a figure or table shows, in display order, and the
    split-by-service chip where a control is split: never a value the reader cannot find."""
    shown = set(present)
    entries = [{"id": o, "label": OWNER_LABELS[o]} for o in OWNER_ORDER if o in shown]
    if split:
        entries.insert(min(2, len(entries)), {"id": "split", "label": SPLIT_LABEL})
    return entries


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
        "not_applicable": counts.get(NOT_APPLICABLE, 0),
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
    """Geometry of the summary chart: a 100% bar of the applicable controls' owners, then
    one bar per owner that has any; not-applicable controls are counted beside it, never
    as a share (the workbook's Summary divides by the same number)."""
    applicable = {o: counts.get(o, 0) for o in OWNER_ORDER if o != NOT_APPLICABLE}
    present = [o for o in OWNER_ORDER if applicable.get(o)]
    largest = max(applicable.values(), default=0) or 1
    total = sum(applicable.values())
    bars, x = [], 0.0
    for owner in present:
        count = applicable[owner]
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
                "percent": percent(count, total),
            }
        )
        x += share
    height = CHART_TOP + CHART_STEP * len(bars) + 4
    return {"bars": bars, "width": CHART_WIDTH, "height": height, "applicable": total}


def overrides(items: list[dict], services: list[dict], layers: dict[str, dict]) -> list[dict]:
    names = {s["id"]: s["name"] for s in services}
    return [
        {**override_note(item, names, layers), "owner_id": item["owner"], "number": item["number"]}
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


def control_legend(sections_: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The owner chips the control matrix shows, and split by service if a row is split."""
    owners = [r["owner"] for s in sections_ for r in s["rows"] if r["kind"] == "control"]
    return legend((o for o in owners if o != "split"), split="split" in owners)


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
        # AWS carries its part but never collects the customer's evidence
        # (docs/methodology.md, 5. RACI).
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
                # Cut: a value of 16,000 emoji, one unbroken word, held the PDF's line
                # breaker for minutes (sixteenth pass); the workbook and matrix hold it whole.
                "value": shorten(item["value"], UNRESOLVED_VALUE_CHARS),
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
