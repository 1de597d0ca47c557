"""Compute stage: the estate in scope of each framework, its ownership and RACI (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from reportgen.catalogs.frameworks import Framework
from reportgen.inputs import Inputs
from reportgen.inventory.load import ResolvedRow
from reportgen.ownership.engine import EstateService, FrameworkResult, evaluate_framework
from reportgen.ownership.raci import apply_raci


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


def compute_inputs(
    inputs: Inputs,
    framework: Framework,
    as_of: date | None = None,
    also: Sequence[str] = (),
) -> FrameworkResult:
    """One framework as the build computes it from the inputs: the config's categories,
    condition answers and overrides, the inventory's estate, the RACI plan. ``also`` adds
    services the inventory does not scope (``explain`` on a service not in the estate)."""
    options = inputs.config.config.framework_options.get(framework.id)
    estate = estate_for(framework.id, inputs.inventory.rows)
    known = {item.service_id for item in estate}
    estate += [EstateService(sid, 0) for sid in also if sid not in known]
    result = evaluate_framework(
        framework,
        inputs.catalog,
        estate,
        inputs.overrides,
        categories=options.categories if options else None,
        conditions=dict(options.conditions) if options else None,
        as_of=as_of,
    )
    apply_raci(result, inputs.plan)
    return result
