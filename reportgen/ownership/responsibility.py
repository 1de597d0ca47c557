"""Responsibility statements: what the customer must do and what AWS provides (pure).

Two short statements per control, in the shape of AWS's PCI Responsibility Summary and a
FedRAMP Customer Responsibility Matrix, written for this estate: they name the in-scope
services each duty concerns and the third parties that carry one. Built from the duty
texts of the catalog (our own words) and the holders the engine found.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.catalogs.frameworks import Duty
from reportgen.core.owners import AWS, CUSTOMER, THIRD_PARTY, OwnerKey
from reportgen.ownership.engine import ControlResult, ServiceLayers
from reportgen.ownership.provenance import service_names


def statements(
    result: ControlResult, services: Sequence[ServiceLayers], attestation: str
) -> dict[str, str]:
    """``{"customer": ..., "aws": ...}``; a side with no part gets an empty string."""
    if not result.applicable:
        return {"customer": "", "aws": ""}
    held = _held_by(result, services)
    customer = [_customer_clause(result.control.duties[i], held[i], services) for i in held]
    aws = [_aws_clause(result.control.duties[i], held[i], services) for i in held]
    customer_text = _sentences(c for c in customer if c)
    aws_text = _sentences(a for a in aws if a)
    if aws_text:
        aws_text += f" Inherited: evidenced by the {attestation}."
    return {"customer": customer_text, "aws": aws_text}


Holding = dict[OwnerKey, list[ServiceLayers]]  # holder -> services where it holds the duty


def _held_by(result: ControlResult, services: Sequence[ServiceLayers]) -> dict[int, Holding]:
    """For each applicable duty: who holds it, in which services (estate duties: none)."""
    held: dict[int, Holding] = {index: {} for index in result.active}
    for service in services:
        outcome = result.services.get(service.service_id)
        for part in outcome.parts if outcome else ():
            for holder in part.holders:
                held[part.duty].setdefault(holder, []).append(service)
    for part in result.estate:
        for holder in part.holders:
            held[part.duty].setdefault(holder, [])
    return held


def _customer_clause(duty: Duty, holding: Holding, estate: Sequence[ServiceLayers]) -> str:
    mine = holding.get((CUSTOMER, None))
    parties = {k[1]: v for k, v in holding.items() if k[0] == THIRD_PARTY and k[1]}
    if mine is None and not parties:
        return ""
    text = duty.text.rstrip(".")
    if duty.by == "customer" and not duty.per_service:
        return text
    where = []
    if mine is not None:
        where.append(_scope(mine, estate))
    where += [f"{name} does this for {_scope(found, estate)}" for name, found in parties.items()]
    return f"{text} ({'; '.join(where)})"


def _aws_clause(duty: Duty, holding: Holding, estate: Sequence[ServiceLayers]) -> str:
    found = holding.get((AWS, None))
    if found is None:
        return ""
    if duty.by == "aws":
        return duty.text.rstrip(".")
    layer = (duty.layer or "layer").replace("-", " ")
    text = (duty.aws_text or f"Operates the {layer} and does this there").rstrip(".")
    return f"{text} ({_scope(found, estate)})"


def _scope(found: Sequence[ServiceLayers], estate: Sequence[ServiceLayers]) -> str:
    if len(found) == len(estate):
        return "every in-scope service" if len(estate) > 1 else service_names(found, estate)
    return service_names(found, estate)


def _sentences(clauses: object) -> str:
    text = ". ".join(dict.fromkeys(clauses))  # type: ignore[arg-type]
    return text + "." if text else ""
