"""matrix.json: the machine-readable result of one framework, the contract renderers consume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen import __version__
from reportgen.artefacts import add_artefacts
from reportgen.core.owners import OWNER_ORDER, OwnerKey, holder_name, ordered
from reportgen.core.terminal import visible_json
from reportgen.evidence.carry import attach_evidence
from reportgen.inputs import InputFile, Inputs
from reportgen.inventory.load import ResolvedRow, UnresolvedRow
from reportgen.inventory.scope import categories_of
from reportgen.matrix_schema import SCHEMA_ID, check_matrix
from reportgen.ownership.engine import (
    ControlResult,
    Decision,
    FrameworkResult,
    ServiceLayers,
    ServiceOutcome,
)
from reportgen.ownership.provenance import label_of
from reportgen.ownership.raci import third_parties
from reportgen.ownership.responsibility import statements

SCHEMA = SCHEMA_ID


@dataclass(frozen=True)
class RunInfo:
    """What every framework's matrix shares: who, when, from which files."""

    customer: str
    slug: str
    classification: str
    generated_at: str
    inputs: tuple[InputFile, ...]
    # The earlier pack's matrices (build --previous), by framework id: document control
    # continues its version and revision history.
    previous: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def document_id(framework_id: str, inputs: Iterable[InputFile], catalog_version: str) -> str:
    """Stable id of a document: same inputs, catalogs and tool give the same id."""
    digest = hashlib.sha256()
    for item in inputs:
        digest.update(f"{item.role}:{item.sha256}\n".encode())
    digest.update(f"{framework_id}:{catalog_version}:{__version__}".encode())
    return f"RG-{framework_id.upper()}-{digest.hexdigest()[:10].upper()}"


def _parties(holders: Iterable[OwnerKey]) -> list[dict[str, str]]:
    return [{"kind": key[0], "name": holder_name(key)} for key in holders]


def _decision(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = {"owner": decision.owner, "source": decision.source}
    if decision.party:
        data["party"] = decision.party
    data["parties"] = _parties(decision.holders)
    if decision.reason:
        data["reason"] = decision.reason
    if decision.overrides:
        data["overrides"] = list(decision.overrides)
    return data


def _service(service: ServiceLayers, rows: dict[str, dict[str, set[str]]], inputs: Inputs) -> dict:
    entry = inputs.catalog.services[service.service_id]
    seen = rows.get(service.service_id, {})
    return {
        "id": service.service_id,
        "name": service.name,
        "full_name": entry.full_name or service.name,
        "category": entry.category,
        "model": service.model,
        "resources": service.resources,
        "accounts": sorted(seen.get("account", ())),
        "regions": sorted(seen.get("region", ())),
        "environments": sorted(seen.get("environment", ())),
        "teams": sorted(seen.get("owner", ())),
        "scope_categories": sorted(seen.get("category", ())),
        "traits": sorted(service.traits),
        "layers": {layer: _decision(d) for layer, d in service.layers.items()},
    }


def _control(result: ControlResult, statements: dict[str, str]) -> dict[str, Any]:
    control = result.control
    data: dict[str, Any] = {
        "id": control.id,
        "title": control.title,
        "description": control.description,
        "group": control.group,
        "topics": list(control.topics),
        "layers": list(control.layers),
        "owner": result.owner,
        "split_by_service": result.split,
        "label": label_of(result),
        "parties": _parties(result.holders),
        "applicable": result.applicable,
        "provenance": result.provenance,
        "duties": _duties(result),
        "responsibility": statements,
        "evidence": list(control.evidence),
        "raci": result.raci,
        "services": {sid: _cell(outcome) for sid, outcome in result.services.items()},
    }
    optional = {
        "party": result.party,
        "note": result.note,
        "category": control.category,
        "aws_evidence": control.aws_evidence,
        "applicability": control.applicability,
        "applies_if": list(control.applies_if) or None,
        "in_force_from": control.in_force_from.isoformat() if control.in_force_from else None,
        "superseded": {
            "on": control.superseded.on.isoformat(),
            "by": control.superseded.by,
        }
        if control.superseded
        else None,
    }
    data.update({k: v for k, v in optional.items() if v})
    return data


def _duties(result: ControlResult) -> list[dict[str, Any]]:
    """The duties that apply, each with every party that holds it somewhere in the estate."""
    held: dict[int, set[OwnerKey]] = {}
    for outcome in result.services.values():
        for part in outcome.parts:
            held.setdefault(part.duty, set()).update(part.holders)
    for part in result.estate:
        held.setdefault(part.duty, set()).update(part.holders)
    duties = []
    for index in result.active:
        duty = result.control.duties[index]
        entry: dict[str, Any] = {
            "index": index,
            "by": duty.by,
            "scope": "service" if duty.per_service else "estate",
            "text": duty.text,
            "parties": _parties(ordered(held.get(index, ()))),
        }
        if duty.layer:
            entry["layer"] = duty.layer
        if duty.aws_text:
            entry["aws_text"] = duty.aws_text
        duties.append(entry)
    return duties


def _cell(outcome: ServiceOutcome) -> dict[str, Any]:
    cell: dict[str, Any] = {"owner": outcome.owner}
    if outcome.party:
        cell["party"] = outcome.party
    cell["parties"] = _parties(outcome.holders)
    cell["layers"] = {layer: d.owner for layer, d in outcome.layers.items()}
    cell["duties"] = [
        {"index": part.duty, "parties": [holder_name(h) for h in part.holders]}
        for part in outcome.parts
    ]
    return cell


def _row_values(rows: Iterable[ResolvedRow], framework_id: str) -> dict[str, dict[str, set[str]]]:
    values: dict[str, dict[str, set[str]]] = {}
    for item in rows:
        if not item.row.in_scope(framework_id):
            continue
        found = values.setdefault(item.service_id, {})
        for name in ("account", "region", "environment", "owner"):
            value = getattr(item.row, name)
            if value:
                found.setdefault(name, set()).add(value)
        for category in categories_of(item.row.scope, framework_id):
            found.setdefault("category", set()).add(category)
            if item.row.account:
                found.setdefault(f"category:{category}", set()).add(item.row.account)
    return values


def _scope(values: dict[str, dict[str, set[str]]], result: FrameworkResult) -> dict[str, Any]:
    def union(name: str) -> list[str]:
        return sorted({v for found in values.values() for v in found.get(name, ())})

    categories = {}
    for category in sorted({c for found in values.values() for c in found.get("category", ())}):
        categories[category] = {
            "services": sorted(
                sid for sid, found in values.items() if category in found.get("category", ())
            ),
            "accounts": union(f"category:{category}"),
        }
    return {
        "accounts": union("account"),
        "regions": union("region"),
        "environments": union("environment"),
        "services": len(result.services),
        "resources": sum(s.resources for s in result.services),
        "categories": categories,
    }


def unresolved_entry(item: UnresolvedRow) -> dict[str, Any]:
    return {
        "sheet": item.row.sheet,
        "row": item.row.row,
        "column": item.row.service_column,
        "value": item.row.service_text,
        "reason": item.reason,
        "suggestions": item.suggestions,
    }


def build_matrix(result: FrameworkResult, inputs: Inputs, run: RunInfo) -> dict[str, Any]:
    """The whole matrix of one framework as plain JSON-ready data."""
    framework = result.framework
    values = _row_values(inputs.inventory.rows, framework.id)
    options = inputs.config.config.framework_options.get(framework.id)
    answers = options.conditions if options else {}
    counts = result.counts()
    parties = third_parties(result)
    attestation = framework.attestation.name
    matrix = {
        "schema": SCHEMA,
        "generator": {"name": "reportgen", "version": __version__},
        "generated_at": run.generated_at,
        "document_id": document_id(framework.id, run.inputs, framework.catalog_version),
        "customer": {"name": run.customer, "slug": run.slug},
        "classification": run.classification,
        "framework": {
            "id": framework.id,
            "name": framework.name,
            "full_name": framework.full_name,
            "version": framework.version,
            "catalog_version": framework.catalog_version,
            "publisher": framework.publisher,
            "attestation": framework.attestation.model_dump(),
            "categories": [
                {**c.model_dump(), "selected": c.id in result.categories}
                for c in framework.categories
            ],
            "scope_categories": [c.model_dump() for c in framework.scope_categories],
            "conditions": [_condition(c, answers) for c in framework.conditions],
        },
        "catalogs": {"srm": inputs.catalog.version, "framework": framework.catalog_version},
        "inputs": [item.__dict__ for item in run.inputs],
        "scope": {
            **_scope(values, result),
            "inventory_rows": inputs.inventory.total_rows,
            "unresolved_rows": len(inputs.inventory.unresolved),
        },
        "layers": [layer.model_dump() for layer in inputs.catalog.layers],
        "models": [
            {"id": mid, **model.model_dump()} for mid, model in inputs.catalog.models.items()
        ],
        "roles": inputs.plan.columns(parties),
        "raci_rules": {
            "accountable": inputs.plan.accountable,
            "responsible": dict(inputs.plan.responsible),
            "topics": dict(inputs.plan.topics),
            "consulted": list(inputs.plan.consulted),
            "informed": list(inputs.plan.informed),
            "service_roles": {k: list(v) for k, v in sorted(inputs.plan.service_roles.items())},
        },
        "services": [_service(s, values, inputs) for s in result.services],
        "overrides": [_override(o) for o in inputs.overrides],
        "groups": [g.model_dump() for g in framework.groups],
        "controls": [
            _control(c, statements(c, result.services, attestation)) for c in result.controls
        ],
        "counts": {owner: counts[owner] for owner in OWNER_ORDER},
        "split_by_service": result.split_count(),
        "party_counts": result.party_counts(),
        "unresolved": [unresolved_entry(u) for u in inputs.inventory.unresolved],
        "warnings": list(inputs.warnings),
    }
    matrix["warnings"] += attach_evidence(matrix, inputs.evidence.get(framework.id))
    # After the evidence: the Statement of Applicability reads each implementation_status.
    new = add_artefacts(matrix, result, inputs.config.config, inputs.resolver, run.previous)
    inputs.warnings.extend(w for w in new if w not in inputs.warnings)
    check_matrix(matrix)
    return matrix


def _condition(condition: Any, answers: Any) -> dict[str, Any]:
    answer = answers.get(condition.id)
    data = {**condition.model_dump(), "answer": answer}
    if answer is None:
        data["default"] = "applies"
    return data


def _override(override: Any) -> dict[str, Any]:
    data = {
        "number": override.number,
        "service": override.service_id,
        "layer": override.layer,
        "owner": override.owner,
        "justification": override.justification,
    }
    if override.resource:
        data["resource"] = override.resource
    if override.party:
        data["party"] = override.party
    return data


def dumps(matrix: dict[str, Any]) -> str:
    """Deterministic JSON text (sorted keys would scramble the reading order; keep it)."""
    # DEL, C1 controls and bidi overrides as JSON escapes: the same strings to a parser,
    # but a viewer of the file no longer reorders or hides text (fifteenth pass).
    return visible_json(json.dumps(matrix, ensure_ascii=False, indent=2)) + "\n"
