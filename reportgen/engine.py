"""The ownership engine: who owns each layer of each service, and each control.

Pure functions over catalogs and the resolved estate: no I/O, no clock, no randomness.
Rule (DESIGN.md 2.3): the owners of the layers a control concerns, under a service's model
after catalog and customer overrides, all equal -> that owner, otherwise ``shared``. The
same rule combines the per-service results into the control's overall owner.
``not-applicable`` parts drop out of a combination unless every part is not applicable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reportgen.frameworks import Control, Framework
from reportgen.owners import AWS, NOT_APPLICABLE, OWNER_ORDER, SHARED, owner_label
from reportgen.srm import SrmCatalog

OwnerKey = tuple[str, str | None]  # (owner, third party's name)


@dataclass(frozen=True)
class CustomerOverride:
    """A layer the customer reassigns for a service or for one resource, with its reason."""

    number: int  # 1-based position in the config, used for footnotes
    layer: str
    owner: str
    justification: str
    service_id: str
    resource: str | None = None
    party: str | None = None


@dataclass(frozen=True)
class Decision:
    """The owner of one layer of one service and what decided it."""

    owner: str
    party: str | None = None
    source: str = "model"  # model | catalog | customer | resource
    reason: str | None = None
    overrides: tuple[int, ...] = ()  # customer override numbers that apply
    parties: tuple[str, ...] = ()  # third parties with a part in this layer, even if shared

    @property
    def key(self) -> OwnerKey:
        return (self.owner, self.party)


@dataclass(frozen=True)
class EstateService:
    """An in-scope service: how many inventory rows use it and the resource ids named."""

    service_id: str
    resources: int
    resource_ids: tuple[str, ...] = ()


@dataclass
class ServiceLayers:
    service_id: str
    name: str
    model: str
    resources: int
    layers: dict[str, Decision]


@dataclass
class ServiceOutcome:
    """A control's owner for one service, from the owners of the control's layers."""

    owner: str
    party: str | None
    layers: dict[str, Decision]

    @property
    def key(self) -> OwnerKey:
        return (self.owner, self.party)


@dataclass
class ControlResult:
    control: Control
    owner: str
    party: str | None
    applicable: bool
    services: dict[str, ServiceOutcome]
    provenance: str
    raci: dict[str, str] = field(default_factory=dict)


@dataclass
class FrameworkResult:
    framework: Framework
    services: list[ServiceLayers]
    controls: list[ControlResult]
    categories: list[str]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OWNER_ORDER, 0)
        for result in self.controls:
            counts[result.owner] += 1
        return counts


# --------------------------------------------------------------------------- combining


def combine(keys: Iterable[OwnerKey]) -> OwnerKey:
    """All equal -> that owner; otherwise shared. Not-applicable parts drop out."""
    distinct = set(keys)
    applicable = {key for key in distinct if key[0] != NOT_APPLICABLE}
    if not applicable:
        return (NOT_APPLICABLE, None)
    if len(applicable) == 1:
        return next(iter(applicable))
    return (SHARED, None)


# --------------------------------------------------------------------------- layers


def service_layers(
    catalog: SrmCatalog, estate: EstateService, overrides: Sequence[CustomerOverride]
) -> ServiceLayers:
    """Owner of every layer of one service after catalog, service and resource overrides."""
    service = catalog.services[estate.service_id]
    catalog_overrides = {o.layer: o for o in service.overrides}
    mine = [o for o in overrides if o.service_id == service.id]
    layers: dict[str, Decision] = {}
    for layer in catalog.layer_ids:
        decision = Decision(catalog.model_owner(service.model, layer))
        if layer in catalog_overrides:
            entry = catalog_overrides[layer]
            decision = Decision(entry.owner, None, "catalog", entry.reason)
        for override in mine:
            if override.layer == layer and override.resource is None:
                decision = Decision(
                    override.owner,
                    override.party,
                    "customer",
                    override.justification,
                    (override.number,),
                    (override.party,) if override.party else (),
                )
        resource_level = [o for o in mine if o.layer == layer and o.resource is not None]
        if resource_level:
            decision = _with_resources(decision, resource_level, estate)
        layers[layer] = decision
    return ServiceLayers(service.id, service.name, service.model, estate.resources, layers)


def _with_resources(
    base: Decision, overrides: list[CustomerOverride], estate: EstateService
) -> Decision:
    """Resource overrides change a layer for some resources; the rest keep the base owner."""
    matched = [o for o in overrides if _names_resource(o.resource or "", estate.resource_ids)]
    if not matched:
        return base
    covered = {r for o in matched for r in estate.resource_ids if _same_resource(o.resource, r)}
    keys = [(o.owner, o.party) for o in matched]
    if len(covered) < estate.resources:
        keys.append(base.key)
    owner, party = combine(keys)
    numbers = tuple(o.number for o in matched)
    reason = "; ".join(f"{o.resource}: {o.justification}" for o in matched)
    if len(covered) < estate.resources:
        reason += f" (other resources: {owner_label(*base.key)})"
    parties = {o.party for o in matched if o.party}
    if len(covered) < estate.resources:
        parties.update(base.parties)
    return Decision(
        owner, party, "resource", reason, (*base.overrides, *numbers), tuple(sorted(parties))
    )


def _same_resource(wanted: str | None, resource: str) -> bool:
    """An override names a resource by its full id/ARN or by the id at the end of the ARN."""
    if not wanted:
        return False
    return resource == wanted or resource.endswith(("/" + wanted, ":" + wanted))


def _names_resource(wanted: str, resource_ids: Iterable[str]) -> bool:
    return any(_same_resource(wanted, resource) for resource in resource_ids)


# --------------------------------------------------------------------------- controls


def control_for_service(control: Control, layers: ServiceLayers) -> ServiceOutcome:
    decisions = {layer: layers.layers[layer] for layer in control.layers}
    owner, party = combine(d.key for d in decisions.values())
    return ServiceOutcome(owner, party, decisions)


def evaluate_control(
    control: Control,
    services: Sequence[ServiceLayers],
    catalog: SrmCatalog,
    unmet_conditions: Mapping[str, str],
) -> ControlResult:
    """Overall owner of one control across the estate, with the sentence that explains it."""
    unmet = [unmet_conditions[c] for c in control.applies_if if c in unmet_conditions]
    if unmet:
        reason = "Not applicable: the config answers no to: " + "; ".join(unmet)
        return ControlResult(control, NOT_APPLICABLE, None, False, {}, reason)
    outcomes = {s.service_id: control_for_service(control, s) for s in services}
    if outcomes:
        owner, party = combine(o.key for o in outcomes.values())
    else:
        owner, party = _without_services(control, catalog)
    provenance = explain(control, services, outcomes, catalog)
    return ControlResult(control, owner, party, True, outcomes, provenance)


def _without_services(control: Control, catalog: SrmCatalog) -> OwnerKey:
    """With no service in scope only the layers every model agrees on can decide."""
    keys = []
    for layer in control.layers:
        owners = {catalog.model_owner(model, layer) for model in catalog.models}
        if len(owners) == 1:
            keys.append((owners.pop(), None))
    return combine(keys)


def evaluate_framework(
    framework: Framework,
    catalog: SrmCatalog,
    estate: Sequence[EstateService],
    overrides: Sequence[CustomerOverride] = (),
    categories: Sequence[str] | None = None,
    conditions: Mapping[str, bool] | None = None,
) -> FrameworkResult:
    """Every selected control of a framework against the in-scope services."""
    services = [service_layers(catalog, item, overrides) for item in estate]
    services.sort(key=lambda s: (s.name.casefold(), s.service_id))
    chosen = selected_categories(framework, categories)
    questions = {c.id: c.question for c in framework.conditions}
    unmet = {cid: questions[cid] for cid, value in (conditions or {}).items() if value is False}
    controls = [
        evaluate_control(control, services, catalog, unmet)
        for control in framework.controls
        if not framework.categories or control.category in chosen
    ]
    return FrameworkResult(framework, services, controls, chosen)


def selected_categories(framework: Framework, requested: Sequence[str] | None) -> list[str]:
    """Categories the report covers: the requested ones plus every required one."""
    if not framework.categories:
        return []
    wanted = set(requested) if requested is not None else {c.id for c in framework.categories}
    return [c.id for c in framework.categories if c.required or c.id in wanted]


# --------------------------------------------------------------------------- provenance


def short_name(name: str) -> str:
    """'Amazon EC2' -> 'EC2' for compact sentences."""
    for prefix in ("Amazon ", "AWS "):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def explain(
    control: Control,
    services: Sequence[ServiceLayers],
    outcomes: Mapping[str, ServiceOutcome],
    catalog: SrmCatalog,
) -> str:
    """'Customer for EC2 (infrastructure: operating-system); AWS for S3, DynamoDB'."""
    if not outcomes:
        return "No in-scope services; only layers every service model agrees on were used."
    groups: dict[tuple[str, str], list[ServiceLayers]] = {}
    order: dict[tuple[str, str], int] = {}
    for service in services:
        outcome = outcomes[service.service_id]
        why = _why(outcome, service.model)
        key = (owner_label(outcome.owner, outcome.party), why)
        groups.setdefault(key, []).append(service)
        order.setdefault(key, OWNER_ORDER.index(outcome.owner))
    # Groups are keyed by (owner, why) and `why` names the model, so one owner over several
    # models makes several groups: compare the owners alone.
    labels = {label for label, _ in groups}
    if len(labels) == 1 and _model_independent(control, catalog, outcomes):
        label = next(iter(labels))
        layers = ", ".join(control.layers)
        return f"{label} for every service: {layers} has the same owner in every model"
    keys = sorted(groups, key=lambda k: (_display_rank(order[k]), k))
    parts = []
    for index, key in enumerate(keys):
        label, why = key
        last = index == len(keys) - 1 and index > 0
        names, said_model = _group_names(groups[key], services, last and not why)
        if said_model and why:
            why = why.split(": ", 1)[1]
        parts.append(f"{label} for {names}" + (f" ({why})" if why else ""))
    return "; ".join(parts)


_SPELL_OUT = 6  # groups up to this size always list their services by name
# A longer list is cut after _SHOWN names: a sentence naming a hundred services is read by
# no one, and the workbook's Controls x Services sheet and matrix.json name every service.
_LIST_MAX = 12
_SHOWN = 8


def _group_names(
    group: Sequence[ServiceLayers], estate: Sequence[ServiceLayers], rest: bool
) -> tuple[str, bool]:
    """Service names of one provenance group, compact where a long list says nothing more:
    'all 28 abstract services', 'all abstract services but WAF, Lambda', 'the other 27
    services'. Returns the text and whether it names the model."""
    names = [short_name(s.name) for s in group]
    if len(group) <= _SPELL_OUT:
        return ", ".join(names), False
    if len(group) == len(estate):
        return f"all {len(group)} in-scope services", False
    if rest:  # the last group takes whatever the groups before it did not
        return f"the other {len(group)} services", False
    models = {s.model for s in group}
    if len(models) == 1:
        model = next(iter(models))
        members = {s.service_id for s in group}
        others = [s for s in estate if s.model == model and s.service_id not in members]
        if not others:
            return f"all {len(group)} {model} services", True
        # 'all but' names fewer services than the list it replaces would
        if len(others) <= 3 or (len(group) > _LIST_MAX and len(others) <= _SHOWN):
            but = ", ".join(short_name(s.name) for s in others)
            return f"all {model} services but {but}", True
    return _name_list(names, models), False


def _name_list(names: Sequence[str], models: set[str]) -> str:
    """'A, B, C' or, past _LIST_MAX names, 'A, ..., H and 93 more abstract services'."""
    if len(names) <= _LIST_MAX:
        return ", ".join(names)
    kind = f"{next(iter(models))} " if len(models) == 1 else ""
    return f"{', '.join(names[:_SHOWN])} and {len(names) - _SHOWN} more {kind}services"


def _display_rank(rank: int) -> int:
    # Customer-side first: that is what the reader must act on.
    return {2: 0, 1: 1, 3: 2, 0: 3, 4: 4}.get(rank, rank)


def _model_independent(
    control: Control, catalog: SrmCatalog, outcomes: Mapping[str, ServiceOutcome]
) -> bool:
    for layer in control.layers:
        if len({catalog.model_owner(model, layer) for model in catalog.models}) != 1:
            return False
    return all(d.source == "model" for o in outcomes.values() for d in o.layers.values())


def _why(outcome: ServiceOutcome, model: str) -> str:
    """The layers behind a service's outcome; AWS-only outcomes need no explanation."""
    changed = any(d.source != "model" for d in outcome.layers.values())
    if outcome.owner == AWS and not changed:
        return ""
    by_owner: dict[str, list[str]] = {}
    for layer, decision in outcome.layers.items():
        label = owner_label(decision.owner, decision.party)
        by_owner.setdefault(label, []).append(layer + _source_note(decision))
    if len(by_owner) > 1:
        detail = "; ".join(f"{label}: {', '.join(layers)}" for label, layers in by_owner.items())
    else:
        detail = ", ".join(next(iter(by_owner.values())))
    return f"{model}: {detail}"


def _source_note(decision: Decision) -> str:
    if decision.source == "catalog":
        return " [service catalog]"
    if decision.overrides:
        return f" [override {', '.join(f'#{n}' for n in decision.overrides)}]"
    return ""
