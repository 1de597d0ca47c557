"""RACI assignments per control (pure).

AWS is Responsible only for the duties it holds (its inherited part), a named third party
for the layers it operates, the customer's roles for the customer's duties; the customer's
accountable role is the one Accountable of every row. Roles,
the responsible role of each customer-side layer and the accountable role come from the
config; a config that would leave a row without an Accountable, or with two, is rejected
before anything is computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reportgen.config import AWS_ROLE, RaciConfig
from reportgen.engine import ControlResult, FrameworkResult
from reportgen.errors import InputError
from reportgen.owners import AWS, CUSTOMER_KEY, THIRD_PARTY

RACI_VALUES = ("R", "A", "A/R", "C", "I")


@dataclass(frozen=True)
class RaciPlan:
    """Validated RACI rules: who is R for each customer layer, who is A, who is C and I."""

    roles: tuple[str, ...]
    accountable: str
    responsible: Mapping[str, str]
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()
    service_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def columns(self, parties: Iterable[str] = ()) -> list[str]:
        """AWS first, then the customer's roles, then any third parties named in overrides."""
        return [AWS_ROLE, *self.roles, *sorted(set(parties))]


def plan_raci(
    config: RaciConfig,
    customer_layers: Sequence[str],
    service_owner_roles: Mapping[str, Iterable[str]] | None = None,
    where: str = "config",
) -> RaciPlan:
    """Check the RACI section of the config and turn it into a plan; every problem at once."""
    roles = _unique_roles(config.roles)
    problems: list[str] = []
    known = set(roles)
    if config.accountable == AWS_ROLE:
        problems.append("raci.accountable: AWS cannot be accountable for the customer's part")
    elif config.accountable not in known:
        problems.append(
            f"raci.accountable: '{config.accountable}' is not one of the roles "
            f"({', '.join(roles)}); every row needs exactly one Accountable role"
        )
    for layer, role in config.responsible.items():
        if layer not in customer_layers:
            problems.append(f"raci.responsible.{layer}: not a customer-side layer")
        elif role not in known:
            problems.append(f"raci.responsible.{layer}: '{role}' is not one of the roles")
    responsible = {layer: config.responsible.get(layer) for layer in customer_layers}
    for layer, role in responsible.items():
        if role is None:
            problems.append(f"raci.responsible.{layer}: no role is responsible for this layer")
    for key, values in (("consulted", config.consulted), ("informed", config.informed)):
        for role in values:
            if role not in known:
                problems.append(f"raci.{key}: '{role}' is not one of the roles")
            if role == config.accountable:
                problems.append(
                    f"raci.{key}: '{role}' is the accountable role; a row cannot also mark it {key}"
                )
    overlap = set(config.consulted) & set(config.informed)
    if overlap:
        problems.append(f"raci: {', '.join(sorted(overlap))} both consulted and informed")
    if problems:
        raise InputError("the RACI settings are not valid", file=where, details=problems)
    return RaciPlan(
        roles=tuple(roles),
        accountable=config.accountable,
        responsible={k: v for k, v in responsible.items() if v},
        consulted=tuple(config.consulted),
        informed=tuple(config.informed),
        service_roles={k: tuple(sorted(set(v))) for k, v in (service_owner_roles or {}).items()},
    )


def _unique_roles(roles: Sequence[str]) -> list[str]:
    unique: list[str] = []
    for role in roles:
        name = role.strip()
        if name and name != AWS_ROLE and name not in unique:
            unique.append(name)
    return unique


def assign(result: ControlResult, plan: RaciPlan) -> dict[str, str]:
    """R/A/C/I for one control row; exactly one A, always a customer role (DESIGN.md 2.4).

    AWS is R only where it holds a duty (its inherited part); a third party where it
    operates a layer; the customer's roles for the duties the customer holds.
    """
    marks: dict[str, set[str]] = {}

    def mark(role: str, letter: str) -> None:
        marks.setdefault(role, set()).add(letter)

    mark(plan.accountable, "A")
    for role in _responsible(result, plan):
        mark(role, "R")
    for role in plan.consulted:
        marks.setdefault(role, {"C"})
    for role in plan.informed:
        marks.setdefault(role, {"I"})
    # Column order, never set order: matrix.json must be byte-identical between runs.
    order = {role: index for index, role in enumerate(plan.columns())}
    ranked = sorted(marks, key=lambda role: (order.get(role, len(order)), role))
    return {role: _letters(marks[role]) for role in ranked}


def _responsible(result: ControlResult, plan: RaciPlan) -> set[str]:
    if not result.applicable:
        return set()
    roles: set[str] = set()
    for owner, party in result.holders:
        if owner == AWS:
            roles.add(AWS_ROLE)
        elif owner == THIRD_PARTY and party:
            roles.add(party)
    duties = result.control.duties
    for service_id, outcome in result.services.items():
        for part in outcome.parts:
            if CUSTOMER_KEY in part.holders:
                roles.update(_customer_roles(plan, service_id, duties[part.duty].layer))
    for part in result.estate:
        if CUSTOMER_KEY in part.holders:
            roles.update(_customer_roles(plan, None, duties[part.duty].layer))
    return roles


def _customer_roles(plan: RaciPlan, service_id: str | None, layer: str | None) -> tuple[str, ...]:
    """The team named for the service in the inventory, else the layer's role."""
    named = plan.service_roles.get(service_id) if service_id else None
    if named:
        return named
    role = plan.responsible.get(layer or "organization")
    return (role,) if role else ()


def _letters(found: set[str]) -> str:
    if "A" in found and "R" in found:
        return "A/R"
    return next(letter for letter in ("A", "R", "C", "I") if letter in found)


def apply_raci(result: FrameworkResult, plan: RaciPlan) -> None:
    for control in result.controls:
        control.raci = assign(control, plan)


def third_parties(result: FrameworkResult) -> list[str]:
    return sorted(
        {party for s in result.services for d in s.layers.values() for party in d.parties}
    )
