"""`reportgen explain`: a service's layers and, optionally, how one control's owner follows.

With ``--config`` it runs the real build computation (inventory, scope, overrides,
conditions and the pack's date) and reports the very cell the pack would hold; without,
the catalogs alone on one service with nothing answered. Nothing here decides an owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text

from reportgen import views
from reportgen.catalog_search import find_control, find_framework, find_service
from reportgen.clock import build_time
from reportgen.engine import (
    ControlResult,
    EstateService,
    FrameworkResult,
    ServiceLayers,
    evaluate_framework,
)
from reportgen.frameworks import Framework
from reportgen.inputs import Catalogs, RunOptions, load_catalogs, load_inputs
from reportgen.owners import holders_label
from reportgen.pipeline import compute_all
from reportgen.provenance import label_of


def explain_service(
    text: str,
    framework_id: str | None,
    control_id: str | None,
    config: Path | None,
    service_files: Sequence[Path] = (),
    framework_files: Sequence[Path] = (),
) -> list[RenderableType]:
    catalogs = load_catalogs(service_files, framework_files)
    service = find_service(catalogs, text)
    framework = find_framework(catalogs, framework_id) if framework_id else None
    result = _computed(catalogs, service.id, framework, config, service_files, framework_files)
    layers = _layers_of(result, service.id) if result else None
    if layers is None:  # not in the config's estate: the catalogs alone
        result = _catalog_only(catalogs, service.id, framework or _any(catalogs))
        layers = _layers_of(result, service.id)
    model = catalogs.catalog.models[service.model]
    report: list[RenderableType] = [
        Text(
            f"{service.name} ({service.full_name or service.name}), id '{service.id}'", style="bold"
        ),
        f"model: {service.model}: {model.description}",
        views.layers_table(catalogs.catalog, layers),
    ]
    if framework and control_id:
        control = find_control(framework, control_id)
        row = next(c for c in result.controls if c.control.id == control.id)
        report += _control_lines(framework, row, service.id)
    return report


def _computed(
    catalogs: Catalogs,
    service_id: str,
    framework: Framework | None,
    config: Path | None,
    service_files: Sequence[Path],
    framework_files: Sequence[Path],
) -> FrameworkResult | None:
    """The build's own result for the framework, when a config gives the estate."""
    if config is None:
        return None
    options = RunOptions(
        config=config,
        frameworks=(framework.id,) if framework else (),
        service_files=tuple(service_files),
        framework_files=tuple(framework_files),
        allow_empty=True,
    )
    inputs = load_inputs(options)
    results = compute_all(inputs, as_of=build_time().date())
    found = results.get(framework.id) if framework else next(iter(results.values()), None)
    return found if found and any(s.service_id == service_id for s in found.services) else None


def _catalog_only(catalogs: Catalogs, service_id: str, framework: Framework) -> FrameworkResult:
    estate = [EstateService(service_id, 1)]
    return evaluate_framework(framework, catalogs.catalog, estate, as_of=date.today())


def _any(catalogs: Catalogs) -> Framework:
    return next(iter(catalogs.frameworks.values())).framework


def _layers_of(result: FrameworkResult, service_id: str) -> ServiceLayers | None:
    return next((s for s in result.services if s.service_id == service_id), None)


def _control_lines(framework: Framework, row: ControlResult, service_id: str) -> list:
    line = Text(f"{framework.name} {row.control.id} {row.control.title}: ")
    cell = row.services.get(service_id)
    if not row.applicable:
        line.append_text(views.owner_text(row.owner))
        return [line, f"why: {row.note}"]
    if cell is None:
        line.append("no duty within the service (estate-wide duties only)")
    else:
        line.append_text(views.owner_text(cell.owner, cell.party))
        line.append(f" ({holders_label(cell.holders)})")
    lines: list = [line, f"overall: {label_of(row)}; why: {row.provenance}"]
    for index in row.active:
        duty = row.control.duties[index]
        where = f"layer {duty.layer}" if duty.by == "layer" else duty.by
        scope = "estate-wide" if not duty.per_service else "per service"
        lines.append(f"  duty ({where}, {scope}): {duty.text}")
    if row.note:
        lines.append(row.note)
    return lines
