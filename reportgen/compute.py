"""Compute stage: the estate in scope of each framework, its ownership and RACI (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from reportgen.engine import CustomerOverride, EstateService, FrameworkResult, evaluate_framework
from reportgen.frameworks import Framework
from reportgen.inventory.load import ResolvedRow
from reportgen.raci import RaciPlan, apply_raci
from reportgen.srm import SrmCatalog


def estate_for(framework_id: str, rows: Iterable[ResolvedRow]) -> list[EstateService]:
    """In-scope services of one framework with their row counts and resource ids."""
    counts: dict[str, int] = {}
    resources: dict[str, set[str]] = {}
    for item in rows:
        if not item.row.in_scope(framework_id):
            continue
        counts[item.service_id] = counts.get(item.service_id, 0) + 1
        if item.row.resource:
            resources.setdefault(item.service_id, set()).add(item.row.resource)
    return [
        EstateService(sid, counts[sid], tuple(sorted(resources.get(sid, ()))))
        for sid in sorted(counts)
    ]


def compute_framework(
    framework: Framework,
    catalog: SrmCatalog,
    rows: Sequence[ResolvedRow],
    overrides: Sequence[CustomerOverride],
    plan: RaciPlan,
    categories: Sequence[str] | None = None,
    conditions: dict[str, bool] | None = None,
    as_of: date | None = None,
) -> FrameworkResult:
    result = evaluate_framework(
        framework,
        catalog,
        estate_for(framework.id, rows),
        overrides,
        categories=categories,
        conditions=conditions,
        as_of=as_of,
    )
    apply_raci(result, plan)
    return result
