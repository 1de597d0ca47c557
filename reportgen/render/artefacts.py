"""Template-ready data for the chapters each auditor asks for (pure, from matrix.json).

Document control, the AWS attestation relied on and its coverage, the third-party service
providers, and the framework's own chapters after the evidence checklist: the PCI DSS
scope, AOC and providers with the per-requirement responsibility summary; the ISO/IEC 27001
Statement of Applicability; the SOC 2 system description skeleton and complementary
controls. ``chapters`` lists them, numbered, for the contents and report.html.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reportgen.artefacts.soa import status_label
from reportgen.core.clock import long_date
from reportgen.core.owners import AWS, NOT_APPLICABLE, THIRD_PARTY
from reportgen.ownership.provenance import short_name
from reportgen.render.pdf_context import anchor, control_legend, sections
from reportgen.render.pdf_patterns import Listing, listing

FIRST_CHAPTER = 7  # after the evidence checklist (6); the appendices keep their letters
REVISIONS_SHOWN = 12  # latest revision lines in the PDF; matrix.json keeps them all
SERVICES_SHOWN = 8  # services named per complementary control before "and N more"
CONTROLS_SHOWN = 12  # a provider's requirements named before "and N more"
ACTIONS = {"prepared": "Prepared by", "reviewed": "Reviewed by", "approved": "Approved by"}
COVERAGE_WORDS = {
    "not-covered": "Not in its scope",
    "not-listed": "Not on the dated list",
}
ACCOUNT_DATA = {
    "stores": "stores",
    "processes": "processes",
    "transmits": "transmits",
    "could-impact": "could affect its security",
}
TO_COMPLETE = "To be completed"


def artefact_context(matrix: dict[str, Any]) -> dict[str, Any]:
    """The template keys of this module (see templates/README.md)."""
    terms = dict(matrix["framework"]["terms"])
    terms["Many"] = terms["many"][:1].upper() + terms["many"][1:]
    artefacts = matrix["artefacts"]
    attestation = attestation_context(matrix)
    context: dict[str, Any] = {
        "terms": terms,
        "doc_control": document_context(matrix),
        "attestation": attestation,
        "providers": providers_context(matrix),
        "outside_matrix": {
            "unresolved": matrix["scope"]["unresolved_rows"],
            "third_party_rows": matrix["scope"]["third_party_rows"],
        },
        "pci": None,
        "soa": None,
        "soc2": None,
    }
    chapters: list[dict[str, Any]] = []
    if artefacts.get("responsibility_summary"):
        context["pci"] = pci_context(matrix, artefacts["responsibility_summary"])
        chapters += [
            _chapter("pci-scope", "PCI DSS scope, AOC and service providers", "pci-scope.html"),
            _chapter(
                "responsibility-summary",
                "PCI DSS responsibility summary",
                "pci-responsibility-summary.html",
                context["pci"]["sections"],
            ),
        ]
    if artefacts.get("statement_of_applicability"):
        context["soa"] = soa_context(matrix, artefacts["statement_of_applicability"])
        chapters.append(
            _chapter(
                "soa",
                "Statement of Applicability",
                "statement-of-applicability.html",
                context["soa"]["themes"],
            )
        )
    if artefacts.get("complementary_controls"):
        context["soc2"] = soc2_context(matrix, artefacts)
        chapters += [
            _chapter(
                "system-description", "System description (skeleton)", "system-description.html"
            ),
            _chapter("complementary", "Complementary controls", "complementary-controls.html"),
        ]
    for number, chapter in enumerate(chapters, start=FIRST_CHAPTER):
        chapter["num"] = str(number)
    context["chapters"] = chapters
    context["chapter_of"] = {c["id"]: c for c in chapters}
    return context


def _chapter(
    ident: str, title: str, partial: str, subs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": ident,
        "anchor": ident,
        "title": title,
        "partial": f"partials/{partial}",
        "subs": [{"anchor": s["anchor"], "title": s["heading"]} for s in subs or []],
    }


# --------------------------------------------------------------------------- document control


def document_context(matrix: dict[str, Any]) -> dict[str, Any]:
    document = matrix["document"]
    revisions = document["revisions"]
    shown = revisions[-REVISIONS_SHOWN:]
    approvers = [
        {
            "action": ACTIONS[a["action"]],
            "name": a["name"],
            "role": a["role"],
            "date": long_date(a["date"]),
        }
        for a in document["approvers"]
    ]
    return {
        "version": document["version"],
        "previous_version": document["previous_version"],
        "owner": document["owner"],
        "next_review": long_date(document["next_review"]),
        "interval": document["review_interval_months"],
        "distribution": document["distribution"],
        "approvers": approvers,
        "revisions": [{**r, "date": long_date(r["date"])} for r in reversed(shown)],
        "earlier": len(revisions) - len(shown),
    }


# --------------------------------------------------------------------------- attestation


def attestation_context(matrix: dict[str, Any]) -> dict[str, Any]:
    framework = matrix["framework"]
    block = matrix["aws_attestation"]
    relied = block["relied_on"]
    coverage = block["coverage"]
    names = {s["id"]: s["name"] for s in matrix["services"]}
    outside = []
    if coverage:
        for key, status in (("not_covered", "not-covered"), ("not_listed", "not-listed")):
            outside += [
                {"id": sid, "name": names.get(sid, sid), "status": COVERAGE_WORDS[status]}
                for sid in coverage[key]
            ]
    return {
        "name": framework["attestation"]["name"],
        "source": framework["attestation"]["source"],
        "relied_on": {
            "date": long_date(relied["date"]),
            "version": relied["version"],
            "assessor": relied["assessor"],
        }
        if relied
        else None,
        "obtain": (
            f"Not recorded: obtain the current {framework['attestation']['name']} from "
            f"{framework['attestation']['source']}, check its date and the services in its "
            f"scope, and record its date, version and assessor under "
            f"framework_options.{framework['id']}.attestation."
        ),
        "coverage": {
            "list": coverage["name"],
            "as_of": long_date(coverage["as_of"]),
            "checked": long_date(coverage["checked"]),
            "added": [names.get(s, s) for s in coverage["added"]],
            "removed": [names.get(s, s) for s in coverage["removed"]],
            "covered": len(coverage["covered"]),
            "total": len(matrix["services"]),
            "outside": outside,
        }
        if coverage
        else None,
    }


# --------------------------------------------------------------------------- providers


def providers_context(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for party in matrix["third_parties"]:
        operates = [
            f"operates the {o['layer'].lower()} of {o['service']}"
            + (f" for {o['resource']}" if o.get("resource") else "")
            + f" (override #{o['override']})"
            for o in party["operates"]
        ]
        text = "; ".join(operates)
        rows.append(
            {
                "name": party["name"],
                "service": party["service"],
                "operates": operates,
                "operates_text": (text[:1].upper() + text[1:] + ".") if text else "",
                "account_data": [ACCOUNT_DATA[a] for a in party["account_data"]],
                "compliance": party["compliance"],
                "responsibilities": party["responsibilities"],
                "controls": listing(party["controls"], CONTROLS_SHOWN),
                "rows": [
                    f"{r['sheet']} row {r['row']}" if r["sheet"] else f"row {r['row']}"
                    for r in party["inventory_rows"]
                ],
                "named_as": sorted({r["value"] for r in party["inventory_rows"]}),
            }
        )
    return rows


# --------------------------------------------------------------------------- PCI DSS


def pci_context(matrix: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    names = {s["id"]: s["name"] for s in matrix["services"]}
    categories = {c["id"]: c["name"] for c in matrix["framework"]["scope_categories"]}
    scope = [
        {
            "name": categories.get(cid, cid),
            "accounts": found["accounts"],
            "services": [short_name(names.get(s, s)) for s in found["services"]],
        }
        for cid, found in matrix["scope"]["categories"].items()
    ]
    rows = _anchored(sections(matrix["groups"], matrix["controls"], summary_row), "rs")
    return {
        "scope_categories": scope,
        "segmentation": summary["segmentation"],
        "provider_controls": summary["provider_controls"],
        "aws_services": len(matrix["services"]),
        "sections": rows,
        "legend": control_legend(rows),
    }


def _anchored(found: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Sections with anchors of their own: the control matrix uses the groups' anchors."""
    return [{**s, "anchor": anchor(prefix, s["id"] or "other")} for s in found]


def summary_row(control: dict[str, Any]) -> dict[str, Any]:
    split = control["split_by_service"]
    return {
        "kind": "control",
        "id": control["id"],
        "anchor": anchor("r", control["id"]),
        "target": anchor("c", control["id"]),
        "title": control["title"],
        "owner": "split" if split else control["owner"],
        "label": control["label"],
        "applicable": control["applicable"],
        "note": control.get("note"),
        "customer": control["responsibility"]["customer"],
        "aws": control["responsibility"]["aws"],
        "third": [p["name"] for p in control["parties"] if p["kind"] == THIRD_PARTY],
    }


# --------------------------------------------------------------------------- ISO/IEC 27001


def soa_context(matrix: dict[str, Any], soa: dict[str, Any]) -> dict[str, Any]:
    controls = {c["id"]: c for c in matrix["controls"]}
    rows = {row["id"]: row for row in soa["controls"]}

    def make_row(control: dict[str, Any]) -> dict[str, Any]:
        row = rows[control["id"]]
        return {
            "kind": "control",
            "id": control["id"],
            "anchor": anchor("s", control["id"]),
            "target": anchor("c", control["id"]),
            "title": control["title"],
            "included": row["included"],
            "justification": row["justification"],
            "owner": row["owner"],
            "status": status_label(row["status"]),
            "carried": "split" if control["split_by_service"] else control["owner"],
            "label": control["label"],
        }

    members = [controls[row["id"]] for row in soa["controls"]]
    included = sum(1 for row in soa["controls"] if row["included"])
    statuses = Counter(status_label(r["status"]) for r in soa["controls"] if r["included"])
    return {
        "isms_scope": soa["isms_scope"],
        "themes": _anchored(sections(matrix["groups"], members, make_row), "soa"),
        "total": len(soa["controls"]),
        "included": included,
        "excluded": len(soa["controls"]) - included,
        "statuses": sorted(statuses.items()),
        "requirements": [
            {
                "id": r["id"],
                "title": controls[r["id"]]["title"],
                "status": status_label(r["status"]),
                "target": anchor("c", r["id"]),
            }
            for r in soa["requirements"]
        ],
    }


# --------------------------------------------------------------------------- SOC 2


def soc2_context(matrix: dict[str, Any], artefacts: dict[str, Any]) -> dict[str, Any]:
    complementary = artefacts["complementary_controls"]
    system = artefacts["system_description"]
    services = matrix["services"]
    total = len(services)
    return {
        "system": system,
        "csocs": [
            {**c, "where": _where(c["services"], services), "criteria": c["criteria"]}
            for c in complementary["subservice_controls"]
        ],
        "cuecs": complementary["user_entity_controls"],
        "cuec_source": complementary["user_entity_controls_source"],
        "monitoring": complementary["monitoring"],
        "organisation": complementary["subservice_organisation"],
        "categories": [c for c in matrix["framework"]["categories"] if c["selected"]],
        "code": _names(services, "customer-code"),
        "data": _names(services, "stores-data"),
        "roles": [r for r in matrix["roles"] if r != "AWS"],
        "total": total,
        "latest_change": matrix["document"]["revisions"][-1]["summary"],
        "inherited": sum(
            1
            for c in matrix["controls"]
            if c["applicable"] and any(p["kind"] == AWS for p in c["parties"])
        ),
        "not_applicable": matrix["counts"].get(NOT_APPLICABLE, 0),
    }


def _names(services: list[dict[str, Any]], trait: str) -> Listing:
    return listing([short_name(s["name"]) for s in services if trait in s["traits"]], 12)


def _where(names: list[str], services: list[dict[str, Any]]) -> str:
    """'AWS's own estate', 'every in-scope service', '... except EC2', or a cut list."""
    if not names:
        return "AWS's own estate (data centres, hardware, network)"
    if len(names) == len(services):
        return "Every in-scope service"
    others = [s["name"] for s in services if s["name"] not in names]
    if len(others) <= 3:
        return "Every in-scope service except " + ", ".join(short_name(n) for n in others)
    cut: Listing = listing([short_name(n) for n in names], SERVICES_SHOWN)
    tail = f" and {cut.more} more" if cut.more else ""
    return ", ".join(cut.items) + tail
