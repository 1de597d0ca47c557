"""`reportgen explain`: a service's layers and, optionally, how one control's owner follows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text

from reportgen import views
from reportgen.catalog_search import find_control, find_framework, find_service
from reportgen.config import load_config
from reportgen.engine import (
    CustomerOverride,
    EstateService,
    control_for_service,
    evaluate_control,
    service_layers,
)
from reportgen.inputs import Catalogs, load_catalogs


def _config_overrides(config: Path, catalogs: Catalogs, service_id: str) -> list[CustomerOverride]:
    loaded = load_config(config)
    found = []
    for number, entry in enumerate(loaded.config.overrides, start=1):
        resolution = catalogs.resolver.resolve(entry.service) if entry.service else None
        if resolution is None or resolution.service_id != service_id or entry.resource:
            continue
        found += [
            CustomerOverride(
                number, layer, entry.owner, entry.justification, service_id, None, entry.party
            )
            for layer in entry.layers
        ]
    return found


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
    overrides = _config_overrides(config, catalogs, service.id) if config else []
    layers = service_layers(catalogs.catalog, EstateService(service.id, 1), overrides)
    model = catalogs.catalog.models[service.model]
    report: list[RenderableType] = [
        Text(
            f"{service.name} ({service.full_name or service.name}), id '{service.id}'", style="bold"
        ),
        f"model: {service.model}: {model.description}",
        views.layers_table(catalogs.catalog, layers),
    ]
    if framework_id and control_id:
        framework = find_framework(catalogs, framework_id)
        control = find_control(framework, control_id)
        outcome = control_for_service(control, layers)
        result = evaluate_control(control, [layers], catalogs.catalog, {})
        line = Text(f"{framework.name} {control.id} {control.title}: ")
        line.append_text(views.owner_text(outcome.owner, outcome.party))
        report += [
            line,
            f"layers the control concerns: {', '.join(control.layers)}",
            f"why: {result.provenance}",
        ]
    return report
