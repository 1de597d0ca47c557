"""The ownership engine: who owns each layer of each service, and who carries each control.

Pure functions over catalogs and the resolved estate: no I/O, no clock, no randomness.
Rule (docs/methodology.md, sections 3 and 4): a control is a set of duties. A duty
``by: layer`` is carried by the operator of that layer for each in-scope service (after catalog
and customer overrides); a duty ``by: customer`` by the customer for each service, or once
for the estate; a duty ``by: aws`` by AWS for its own estate, inherited. A service cell's
owner follows from the holders of the duties within that service: one holder -> that
owner, several -> ``shared``, none -> ``not-applicable``. The control's owner follows from
every holder of every duty; where the service cells differ the control is *split by
service*.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from reportgen.catalogs.frameworks import Control, Duty, Framework
from reportgen.catalogs.srm import SrmCatalog
from reportgen.core.owners import (
    AWS_KEY,
    CUSTOMER_KEY,
    NOT_APPLICABLE,
    OWNER_ORDER,
    THIRD_PARTY,
    OwnerKey,
    holders_of,
    ordered,
    owner_label,
    owner_of,
)
from reportgen.ownership.provenance import explain


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
    """The owner of one layer of one service, who holds it, and what decided it."""

    owner: str
    party: str | None = None
    source: str = "model"  # model | catalog | customer | resource
    reason: str | None = None
    overrides: tuple[int, ...] = ()  # customer override numbers that apply
    holders: tuple[OwnerKey, ...] = ()  # who operates the layer: AWS, customer, third parties

    @classmethod
    def of(cls, owner: str, party: str | None = None, **kwargs: object) -> Decision:
        return cls(owner, party, holders=holders_of(owner, party), **kwargs)  # type: ignore[arg-type]

    @property
    def key(self) -> OwnerKey:
        return (self.owner, self.party)

    @property
    def parties(self) -> tuple[str, ...]:
        """Names of the third parties that hold a part of this layer."""
        return tuple(name for owner, name in self.holders if owner == THIRD_PARTY and name)


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
    traits: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DutyPart:
    """One duty within one service cell (or the estate): who holds it there."""

    duty: int  # index into the control's duties
    holders: tuple[OwnerKey, ...]
    decision: Decision | None = None  # the layer's decision, for duties by: layer
    layer: str | None = None  # that layer


@dataclass
class ServiceOutcome:
    """A control's owner within one service: the holders of its duties there."""

    owner: str
    party: str | None
    holders: tuple[OwnerKey, ...]
    parts: list[DutyPart]

    @property
    def key(self) -> OwnerKey:
        return (self.owner, self.party)

    @property
    def layers(self) -> dict[str, Decision]:
        return {p.layer: p.decision for p in self.parts if p.layer and p.decision}


@dataclass
class ControlResult:
    control: Control
    owner: str
    party: str | None
    applicable: bool
    services: dict[str, ServiceOutcome]
    provenance: str
    holders: tuple[OwnerKey, ...] = ()  # every party with a duty in this control
    split: bool = False  # the service cells have different owners
    estate: list[DutyPart] = field(default_factory=list)  # estate-wide duties and holders
    active: tuple[int, ...] = ()  # indexes of the duties that apply
    note: str | None = None  # why not applicable, or since when in force
    raci: dict[str, str] = field(default_factory=dict)

    @property
    def duties(self) -> list[Duty]:
        return [self.control.duties[i] for i in self.active]


@dataclass(frozen=True)
class Applicability:
    """What decides whether a control applies: the customer's answers and the date."""

    answers: Mapping[str, bool] = field(default_factory=dict)  # condition id -> answer
    questions: Mapping[str, str] = field(default_factory=dict)  # condition id -> question
    as_of: date | None = None  # the pack's date; None: ignore effective dates


@dataclass
class FrameworkResult:
    framework: Framework
    services: list[ServiceLayers]
    controls: list[ControlResult]
    categories: list[str]
    as_of: date | None = None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OWNER_ORDER, 0)
        for result in self.controls:
            counts[result.owner] += 1
        return counts

    def party_counts(self) -> dict[str, int]:
        """Applicable controls in which each party holds a duty: 'AWS', 'Customer', names."""
        counts: dict[str, int] = {}
        for result in self.controls:
            for key in result.holders:
                label = key[1] if key[0] == THIRD_PARTY and key[1] else owner_label(key[0])
                counts[label] = counts.get(label, 0) + 1
        return counts

    def split_count(self) -> int:
        return sum(1 for result in self.controls if result.split)


# --------------------------------------------------------------------------- layers


def service_layers(
    catalog: SrmCatalog, estate: EstateService, overrides: Sequence[CustomerOverride]
) -> ServiceLayers:
    """Owner of every layer of one service after catalog, service and resource overrides."""
    service = catalog.services[estate.service_id]
    catalog_overrides = {o.layer: o for o in service.overrides}
    mine = [o for o in overrides if o.service_id == service.id]
    layers: dict[str, Decision] = {}
    index: ResourceIndex | None = None  # built once, for the first layer a resource changes
    for layer in catalog.layer_ids:
        decision = Decision.of(catalog.model_owner(service.model, layer))
        if layer in catalog_overrides:
            entry = catalog_overrides[layer]
            dated = f"{entry.reason} (as of {entry.as_of})" if entry.as_of else entry.reason
            decision = Decision.of(entry.owner, source="catalog", reason=dated)
        for override in mine:
            if override.layer == layer and override.resource is None:
                decision = Decision.of(
                    override.owner,
                    override.party,
                    source="customer",
                    reason=override.justification,
                    overrides=(override.number,),
                )
        resource_level = [o for o in mine if o.layer == layer and o.resource is not None]
        if resource_level:
            index = index or ResourceIndex(estate.resource_ids)
            decision = _with_resources(decision, resource_level, estate, index)
        layers[layer] = decision
    traits = catalog.traits_of(service.id)
    return ServiceLayers(service.id, service.name, service.model, estate.resources, layers, traits)


def _with_resources(
    base: Decision, overrides: list[CustomerOverride], estate: EstateService, index: ResourceIndex
) -> Decision:
    """Resource overrides change a layer for some resources; the rest keep the base owner."""
    matched = [o for o in overrides if index.matching(o.resource)]
    if not matched:
        return base
    covered = {r for o in matched for r in index.matching(o.resource)}
    rest = len(covered) < estate.resources
    holders = [h for o in matched for h in holders_of(o.owner, o.party)]
    if rest:
        holders += base.holders
    held = ordered(holders)
    owner, party = owner_of(held)
    reason = "; ".join(f"{o.resource}: {o.justification}" for o in matched)
    if rest:
        reason += f" (other resources: {owner_label(*base.key)})"
    numbers = tuple(o.number for o in matched)
    return Decision(owner, party, "resource", reason, (*base.overrides, *numbers), held)


class ResourceIndex:
    """The resources an override names: by the full id/ARN, or by the id at the end of the
    ARN (what follows any '/' or ':'). Every such name of every resource is a key, so one
    override is matched in one look-up: matching each override against every resource took
    73 s for 10,000 of each (twelfth adversarial pass)."""

    def __init__(self, resources: Iterable[str]) -> None:
        self._by_name: dict[str, list[str]] = {}
        for resource in resources:
            for name in resource_names(resource):
                self._by_name.setdefault(name, []).append(resource)

    def matching(self, wanted: str | None) -> list[str]:
        """The resources ``wanted`` names, in the order given; none for no name."""
        return self._by_name.get(wanted, []) if wanted else []


def resource_names(resource: str) -> Iterator[str]:
    """The names an override may give ``resource`` by: itself and each tail after a '/' or
    ':' (an ARN's resource id, 'instance/i-0abc' and 'i-0abc' alike)."""
    yield resource
    for position, char in enumerate(resource):
        if char in "/:" and position + 1 < len(resource):
            yield resource[position + 1 :]


# --------------------------------------------------------------------------- applicability


def control_status(control: Control, rules: Applicability) -> tuple[bool, str | None]:
    """Whether a control applies, and the note that says why not (or since when it does)."""
    unmet = [c for c in control.applies_if if rules.answers.get(c) is False]
    if unmet:
        said = "; ".join(rules.questions.get(c, c) for c in unmet)
        return False, f"Not applicable: your answer is no to: {said}"
    if rules.as_of and control.superseded and rules.as_of >= control.superseded.on:
        on, by = control.superseded.on.isoformat(), control.superseded.by
        return False, f"Not applicable: superseded by {by} on {on}"
    if rules.as_of and control.in_force_from and rules.as_of < control.in_force_from:
        since = control.in_force_from.isoformat()
        return False, f"Not applicable yet: a best practice until {since}"
    if control.in_force_from:
        return True, f"In force since {control.in_force_from.isoformat()} (was future-dated)"
    return True, None


def active_duties(control: Control, rules: Applicability) -> tuple[int, ...]:
    """Indexes of the duties whose own conditions are not answered no."""
    return tuple(
        index
        for index, duty in enumerate(control.duties)
        if not any(rules.answers.get(c) is False for c in duty.applies_if)
    )


def _dropped_by(control: Control, active: Sequence[int], rules: Applicability) -> str:
    """The questions answered no that removed some of the control's duties."""
    ids = {
        condition
        for index, duty in enumerate(control.duties)
        if index not in active
        for condition in duty.applies_if
        if rules.answers.get(condition) is False
    }
    return "; ".join(rules.questions.get(c, c) for c in sorted(ids))


# --------------------------------------------------------------------------- controls


def control_for_service(
    control: Control, layers: ServiceLayers, active: Sequence[int] | None = None
) -> ServiceOutcome:
    """The holders of a control's per-service duties within one service."""
    indexes = range(len(control.duties)) if active is None else active
    parts = []
    for index in indexes:
        duty = control.duties[index]
        if not duty.per_service or not concerns(duty, layers.traits):
            continue
        decision = layers.layers[duty.layer] if duty.layer else None
        if duty.by == "layer" and decision is not None:
            parts.append(DutyPart(index, decision.holders, decision, duty.layer))
        elif decision is None or decision.owner != NOT_APPLICABLE:
            # a customer duty about a layer the service does not have concerns it not
            parts.append(DutyPart(index, (CUSTOMER_KEY,)))
    holders = ordered(h for part in parts for h in part.holders)
    owner, party = owner_of(holders)
    return ServiceOutcome(owner, party, holders, parts)


def concerns(duty: Duty, traits: frozenset[str]) -> bool:
    """Whether a per-service duty concerns a service with these traits."""
    if duty.within and not traits.intersection(duty.within):
        return False
    return not traits.intersection(duty.unless)


def estate_parts(control: Control, active: Sequence[int]) -> list[DutyPart]:
    """The duties carried once for the estate: the customer's and AWS's own."""
    parts = []
    for index in active:
        duty = control.duties[index]
        if duty.per_service:
            continue
        parts.append(DutyPart(index, (AWS_KEY,) if duty.by == "aws" else (CUSTOMER_KEY,)))
    return parts


def evaluate_control(
    control: Control,
    services: Sequence[ServiceLayers],
    catalog: SrmCatalog,
    rules: Applicability | None = None,
) -> ControlResult:
    """Owner of one control across the estate, with the sentence that explains it."""
    rules = rules or Applicability()
    applicable, note = control_status(control, rules)
    if not applicable:
        return ControlResult(control, NOT_APPLICABLE, None, False, {}, note or "", note=note)
    active = active_duties(control, rules)
    dropped = _dropped_by(control, active, rules)
    if not active:
        said = f"Not applicable: your answer is no to: {dropped}"
        return ControlResult(control, NOT_APPLICABLE, None, False, {}, said, note=said)
    if dropped:
        part = f"Part of it does not apply: your answer is no to: {dropped}"
        note = f"{note}. {part}" if note else part
    # A control with estate-wide duties only has no service cells: its duties are not
    # copied into every service (docs/methodology.md, 4. The rule).
    within = any(control.duties[i].per_service for i in active)
    outcomes = {s.service_id: control_for_service(control, s, active) for s in services if within}
    estate = estate_parts(control, active)
    holders = ordered(
        [h for o in outcomes.values() for h in o.holders] + [h for p in estate for h in p.holders]
    )
    owner, party = owner_of(holders)
    cells = {o.key for o in outcomes.values() if o.owner != NOT_APPLICABLE}
    result = ControlResult(
        control,
        owner,
        party,
        True,
        outcomes,
        "",
        holders=holders,
        split=len(cells) > 1,
        estate=estate,
        active=active,
        note=note,
    )
    result.provenance = explain(result, services, catalog)
    return result


def evaluate_framework(
    framework: Framework,
    catalog: SrmCatalog,
    estate: Sequence[EstateService],
    overrides: Sequence[CustomerOverride] = (),
    categories: Sequence[str] | None = None,
    conditions: Mapping[str, bool] | None = None,
    as_of: date | None = None,
) -> FrameworkResult:
    """Every selected control of a framework against the in-scope services."""
    services = [service_layers(catalog, item, overrides) for item in estate]
    services.sort(key=lambda s: (s.name.casefold(), s.service_id))
    chosen = selected_categories(framework, categories)
    rules = Applicability(
        answers=dict(conditions or {}),
        questions={c.id: c.question for c in framework.conditions},
        as_of=as_of,
    )
    controls = [
        evaluate_control(control, services, catalog, rules)
        for control in framework.controls
        if not framework.categories or control.category in chosen
    ]
    return FrameworkResult(framework, services, controls, chosen, as_of)


def selected_categories(framework: Framework, requested: Sequence[str] | None) -> list[str]:
    """Categories the report covers: the requested ones plus every required one."""
    if not framework.categories:
        return []
    wanted = set(requested) if requested is not None else {c.id for c in framework.categories}
    return [c.id for c in framework.categories if c.required or c.id in wanted]
