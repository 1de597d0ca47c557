"""The ISO/IEC 27001 Statement of Applicability (pure).

Every Annex A control: included or excluded, why (the risk it treats and who carries it, or
the config's reason for excluding it), its owner and its implementation status. Clauses
4-10 are requirements of the ISMS itself: listed apart, never counted as controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.artefacts.catalog import StatementOfApplicability
from reportgen.config.model import FrameworkOptions
from reportgen.ownership.evidence_vocabulary import IMPL_NOT_STARTED, IMPLEMENTATION_STATUSES

NOT_STARTED = IMPL_NOT_STARTED  # before the evidence round-trip records any status
EXCLUDED = "excluded"
# The evidence round-trip's implementation statuses, and excluded from the SoA.
SOA_STATUSES: tuple[str, ...] = (*IMPLEMENTATION_STATUSES, EXCLUDED)


def status_label(status: str) -> str:
    """'not started' -> 'Not started': how the PDF and the workbook show a status."""
    return status[:1].upper() + status[1:]


def top_groups(groups: list[dict[str, Any]]) -> dict[str, str]:
    """Group id -> its outermost group's id."""
    parents = {g["id"]: g.get("parent") for g in groups}
    top = {}
    for group_id in parents:
        current, seen = group_id, set()
        while parents.get(current) and current not in seen:
            seen.add(current)
            current = parents[current]
        top[group_id] = current
    return top


def implementation_status(control: Mapping[str, Any]) -> str:
    """From the evidence round-trip (controls[].implementation_status); "not started"
    before it has recorded any."""
    return str(control.get("implementation_status") or NOT_STARTED)


def statement_of_applicability(
    spec: StatementOfApplicability,
    matrix: dict[str, Any],
    options: FrameworkOptions | None,
    attestation: str,
) -> dict[str, Any]:
    top = top_groups(matrix["groups"])
    exclusions = options.exclusions if options else {}
    reasons = options.justifications if options else {}
    customer = matrix["customer"]["name"]
    rows, requirements = [], []
    for control in matrix["controls"]:
        group = top.get(control["group"], control["group"])
        if group in spec.control_groups:
            rows.append(_row(control, exclusions, reasons, customer, attestation, matrix))
        elif group in spec.requirement_groups:
            requirements.append({"id": control["id"], "status": implementation_status(control)})
    return {
        "isms_scope": options.isms_scope if options else None,
        "controls": rows,
        "requirements": requirements,
    }


def _row(
    control: dict[str, Any],
    exclusions: Mapping[str, str],
    reasons: Mapping[str, str],
    customer: str,
    attestation: str,
    matrix: dict[str, Any],
) -> dict[str, Any]:
    excluded = exclusions.get(control["id"])
    if excluded is None and not control["applicable"]:
        excluded = control.get("note") or "Does not apply to this organisation."
    if excluded is not None:
        return {
            "id": control["id"],
            "included": False,
            "justification": excluded,
            "owner": matrix["raci_rules"]["accountable"],
            "status": EXCLUDED,
        }
    return {
        "id": control["id"],
        "included": True,
        "justification": reasons.get(control["id"]) or _needed(control, customer, attestation),
        "owner": owner_text(control, matrix["raci_rules"]["accountable"]),
        "status": implementation_status(control),
    }


def _needed(control: dict[str, Any], customer: str, attestation: str) -> str:
    """Why an applicable control is in: it treats risks in the ISMS scope; who carries it."""
    kinds = {p["kind"] for p in control["parties"]}
    others = [p["name"] for p in control["parties"] if p["kind"] == "third-party"]
    if kinds == {"aws"}:
        who = (
            "Implemented by AWS, the cloud supplier, for the services it runs: relied on "
            f"through the {attestation} and monitored as a supplier (A.5.22)."
        )
    elif "aws" in kinds:
        who = f"{customer} operates its part; AWS's part is inherited under the {attestation}."
    else:
        who = f"{customer} operates it."
    if others:
        who += f" {', '.join(others)} carries part of it under contract (A.5.19-A.5.22)."
    return f"Needed to treat information security risks within the ISMS scope. {who}"


def owner_text(control: dict[str, Any], accountable: str) -> str:
    """The roles responsible for the customer's part (the accountable role when none), and
    AWS for its inherited part."""
    roles = [r for r, mark in control["raci"].items() if "R" in mark and r != "AWS"]
    text = ", ".join(roles) or accountable
    if any(p["kind"] == "aws" for p in control["parties"]):
        text += "; AWS (inherited part)"
    return text
