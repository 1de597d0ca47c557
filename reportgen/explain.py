"""`reportgen explain`: a service's layers and, optionally, how one control's owner follows.

With ``--config`` it reads the inputs as the build does (the config's own catalogs, its
inventory, overrides by service and by resource, layer checks, condition answers, SOC 2
categories) and computes the framework with the build's own function on the build's date,
so the cell it reports is the one the pack holds. A service the inventory does not scope is
computed as if it were, with the same answers and overrides. Without ``--config``: the
catalogs alone on one service, nothing answered. Nothing here decides an owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import RenderableType

from reportgen.catalogs.frameworks import Framework, LoadedFramework
from reportgen.catalogs.search import find_control, find_framework, find_service
from reportgen.compute import compute_inputs, estate_for
from reportgen.core.clock import build_time
from reportgen.core.owners import holder_name, holders_label
from reportgen.core.terminal import safe_text
from reportgen.inputs import Catalogs, Inputs, RunOptions, load_catalogs, load_inputs
from reportgen.inventory.limits import Limits
from reportgen.ownership.engine import (
    ControlResult,
    EstateService,
    FrameworkResult,
    evaluate_framework,
)
from reportgen.ownership.provenance import label_of
from reportgen.render import terminal as views


@dataclass(frozen=True)
class CellExplanation:
    """What explain says of one control for one service: the pack's terms, comparable
    with matrix.json (``owner``/``parties`` of the control and of ``services[id]``)."""

    control_id: str
    applicable: bool
    owner: str  # the control's overall owner
    label: str
    parties: tuple[str, ...]
    cell_owner: str | None  # None: no duty within the service
    cell_party: str | None
    cell_parties: tuple[str, ...]
    note: str | None


class Explainer:
    """The inputs read once (or the catalogs alone), the framework results computed once."""

    def __init__(
        self,
        config: Path | None,
        framework_text: str | None = None,
        service_files: Sequence[Path] = (),
        framework_files: Sequence[Path] = (),
        limits: Limits | None = None,
    ) -> None:
        limits = limits or Limits()
        self.inputs: Inputs | None = None
        if config is not None:
            self.inputs = load_inputs(
                RunOptions(
                    config=config,
                    frameworks=(framework_text,) if framework_text else (),
                    service_files=tuple(service_files),
                    framework_files=tuple(framework_files),
                    allow_empty=True,
                    limits=limits,
                )
            )
            self.catalogs = _catalogs_of(self.inputs)
        else:
            self.catalogs = load_catalogs(service_files, framework_files, limits.max_yaml_bytes)
        self.as_of = build_time().date()  # the build's (UTC) day, as the pack's
        self._results: dict[tuple[str, str], FrameworkResult] = {}

    def framework(self, text: str | None) -> Framework:
        if text:
            return find_framework(self.catalogs, text)
        return next(iter(self.catalogs.frameworks.values())).framework

    def in_estate(self, framework: Framework, service_id: str) -> bool:
        rows = self.inputs.inventory.rows if self.inputs is not None else ()
        return any(s.service_id == service_id for s in estate_for(framework.id, rows))

    def result(self, framework: Framework, service_id: str) -> FrameworkResult:
        """The framework computed as the build computes it, ``service_id`` added to the
        estate when the inventory does not scope it."""
        key = (framework.id, service_id)
        if key not in self._results:
            if self.inputs is None:
                estate = [EstateService(service_id, 1)]
                computed = evaluate_framework(
                    framework, self.catalogs.catalog, estate, as_of=self.as_of
                )
            else:
                computed = compute_inputs(self.inputs, framework, self.as_of, (service_id,))
            self._results[key] = computed
        return self._results[key]

    def cell(self, framework: Framework, control_id: str, service_id: str) -> CellExplanation:
        control = find_control(framework, control_id)
        row = _row(self.result(framework, service_id), control.id)
        if row is None:  # a category the config leaves out (SOC 2)
            return CellExplanation(
                control.id, False, "not-applicable", "Not applicable", (), None, None, (), None
            )
        cell = row.services.get(service_id)
        return CellExplanation(
            control_id=control.id,
            applicable=row.applicable,
            owner=row.owner,
            label=label_of(row),
            parties=tuple(holder_name(h) for h in row.holders),
            cell_owner=cell.owner if cell else None,
            cell_party=cell.party if cell else None,
            cell_parties=tuple(holder_name(h) for h in cell.holders) if cell else (),
            note=row.note,
        )


def explain_service(
    text: str,
    framework_id: str | None,
    control_id: str | None,
    config: Path | None,
    service_files: Sequence[Path] = (),
    framework_files: Sequence[Path] = (),
    limits: Limits | None = None,
) -> list[RenderableType]:
    explainer = Explainer(config, framework_id, service_files, framework_files, limits)
    catalogs = explainer.catalogs
    service = find_service(catalogs, text)
    framework = explainer.framework(framework_id)
    result = explainer.result(framework, service.id)
    layers = next(s for s in result.services if s.service_id == service.id)
    model = catalogs.catalog.models[service.model]
    report: list[RenderableType] = [
        safe_text(
            f"{service.name} ({service.full_name or service.name}), id '{service.id}'", style="bold"
        ),
        f"model: {service.model}: {model.description}",
    ]
    if config is not None and not explainer.in_estate(framework, service.id):
        report.append(
            f"not in the inventory's {framework.id} scope: shown as if it were, with the "
            "config's answers and overrides"
        )
    report.append(views.layers_table(catalogs.catalog, layers))
    if framework_id and control_id:
        explained = explainer.cell(framework, control_id, service.id)
        row = _row(result, explained.control_id)
        report += _control_lines(framework, explained, row, service.id)
    return report


def _catalogs_of(inputs: Inputs) -> Catalogs:
    """The catalogs the build read (the config's own included), for the searches."""
    frameworks = {
        fid: LoadedFramework(framework, inputs.framework_paths[fid])
        for fid, framework in inputs.frameworks.items()
    }
    return Catalogs(inputs.catalog, frameworks, inputs.resolver)


def _row(result: FrameworkResult, control_id: str) -> ControlResult | None:
    return next((c for c in result.controls if c.control.id == control_id), None)


def _control_lines(
    framework: Framework, explained: CellExplanation, row: ControlResult | None, service_id: str
) -> list:
    title = framework.control(explained.control_id)
    # safe_text, not Text: rich's Text drops BEL, BS, VT, FF and CR from a catalog's title
    # before the console could show them as escapes (thirteenth adversarial pass).
    line = safe_text(f"{framework.name} {explained.control_id} {title.title if title else ''}: ")
    if row is None:
        line.append_text(views.owner_text("not-applicable"))
        return [line, "why: its category is not among the config's framework_options categories"]
    if not explained.applicable:
        line.append_text(views.owner_text(explained.owner))
        return [line, f"why: {explained.note}"]
    cell = row.services.get(service_id)
    if cell is None:
        line.append("no duty within the service (estate-wide duties only)")
    else:
        line.append_text(views.owner_text(cell.owner, cell.party))
        line.append_text(safe_text(f" ({holders_label(cell.holders)})"))
    lines: list = [line, f"overall: {explained.label}; why: {row.provenance}"]
    for index in row.active:
        duty = row.control.duties[index]
        where = f"layer {duty.layer}" if duty.by == "layer" else duty.by
        scope = "estate-wide" if not duty.per_service else "per service"
        lines.append(f"  duty ({where}, {scope}): {duty.text}")
    if row.note:
        lines.append(row.note)
    return lines
