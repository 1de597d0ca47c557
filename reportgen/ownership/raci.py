"""RACI assignments per control (pure).

AWS is Responsible only for the duties it holds (its inherited part), a named third party
for the layers it operates, the customer's roles for the customer's duties; the customer's
accountable role is the one Accountable of every row. The customer's duties within a layer
go to that layer's role, its estate-wide duties (policies, people, suppliers, incidents) to
the role of the control's topic. Roles, these assignments and the accountable role come
from the config, with defaults; a config that would leave a row without an Accountable, or
with two, is rejected before anything is computed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reportgen.catalogs.frameworks import Control
from reportgen.config.model import (
    AWS_ROLE,
    DEFAULT_ACCOUNTABLE,
    DEFAULT_INFORMED,
    DEFAULT_RESPONSIBLE,
    DEFAULT_TOPIC_ROLES,
    RaciConfig,
)
from reportgen.core.errors import InputError
from reportgen.core.owners import AWS, CUSTOMER_KEY, THIRD_PARTY, spelt_out
from reportgen.core.terminal import CELL_FORBIDDEN_CLASS
from reportgen.core.validation import listed, shown
from reportgen.ownership.engine import ControlResult, FrameworkResult
from reportgen.ownership.evidence_vocabulary import RACI_FIXED, header_key

RACI_VALUES = ("R", "A", "A/R", "C", "I")
ORGANIZATION = "organization"  # the layer outside AWS's model: the customer's organisation


@dataclass(frozen=True)
class RaciPlan:
    """Validated RACI rules: who is R for each customer layer and topic, who is A, C and I."""

    roles: tuple[str, ...]
    accountable: str
    responsible: Mapping[str, str]
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()
    service_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)  # topic -> responsible role
    warnings: tuple[str, ...] = ()  # defaults that fell back to the accountable role

    def columns(self, parties: Iterable[str] = ()) -> list[str]:
        """AWS first, then the customer's roles, then any third parties named in overrides."""
        return [AWS_ROLE, *self.roles, *sorted(set(parties))]


def plan_raci(
    config: RaciConfig,
    customer_layers: Sequence[str],
    service_owner_roles: Mapping[str, Iterable[str]] | None = None,
    where: str = "config",
) -> RaciPlan:
    """Check the RACI section of the config and turn it into a plan; every problem at once.

    What the config names must exist (an unknown role or layer is an error); what it leaves
    out takes its default, and a default that names a role the config does not have, or one
    it marks consulted or informed, falls back to the accountable role with a warning.
    """
    roles = _unique_roles(config.roles)
    known = set(roles)
    problems: list[str] = _indistinct_roles(config.roles)
    warnings: list[str] = []
    accountable = _accountable(config, roles, problems, warnings)
    informed = config.informed
    if informed is None:  # the default: Compliance, when the config has that role
        informed = [role for role in DEFAULT_INFORMED if role in known and role != accountable]
    for layer, role in config.responsible.items():
        if layer not in customer_layers:
            problems.append(f"raci.responsible.{shown(layer)}: not a customer-side layer")
        elif role not in known:
            problems.append(f"raci.responsible.{layer}: '{shown(role)}' is not one of the roles")
    for topic, role in config.topics.items():
        if role not in known:
            problems.append(f"raci.topics.{topic}: '{shown(role)}' is not one of the roles")
    for key, values in (("consulted", config.consulted), ("informed", informed)):
        for role in values:
            if role not in known:
                problems.append(f"raci.{key}: '{shown(role)}' is not one of the roles")
            if role == accountable:
                problems.append(
                    f"raci.{key}: '{shown(role)}' is the accountable role; a row cannot also "
                    f"mark it {key}"
                )
    overlap = set(config.consulted) & set(informed)
    if overlap:
        problems.append(f"raci: {listed(sorted(overlap))} both consulted and informed")
    if problems:
        raise InputError("the RACI settings are not valid", file=where, details=problems)
    assert accountable is not None
    # A default never makes a role responsible that the config has not got, or that it
    # lists as only consulted or informed: such rows go to the accountable role.
    usable = known - set(config.consulted) - set(informed)
    layer_defaults = {layer: DEFAULT_RESPONSIBLE.get(layer) for layer in customer_layers}
    responsible, fell_layers = _fill(config.responsible, layer_defaults, usable, accountable)
    topic_defaults: Mapping[str, str | None] = DEFAULT_TOPIC_ROLES
    if ORGANIZATION in config.responsible:  # a config from before topics: its role stands
        topic_defaults = dict.fromkeys(DEFAULT_TOPIC_ROLES, config.responsible[ORGANIZATION])
    topics, fell_topics = _fill(config.topics, topic_defaults, usable, accountable)
    if fell_layers or fell_topics:
        warnings.append(_fallback_warning(accountable, fell_layers, fell_topics))
    return RaciPlan(
        roles=tuple(roles),
        accountable=accountable,
        responsible=responsible,
        consulted=tuple(config.consulted),
        informed=tuple(informed),
        service_roles={k: tuple(sorted(set(v))) for k, v in (service_owner_roles or {}).items()},
        topics=topics,
        warnings=tuple(warnings),
    )


def _accountable(
    config: RaciConfig, roles: Sequence[str], problems: list[str], warnings: list[str]
) -> str | None:
    if config.accountable is None:
        if DEFAULT_ACCOUNTABLE in roles:
            return DEFAULT_ACCOUNTABLE
        if not roles:
            problems.append("raci.roles: name at least one role besides AWS")
            return None
        warnings.append(
            f"raci.accountable is not set and there is no '{DEFAULT_ACCOUNTABLE}' role: "
            f"'{shown(roles[0])}', the first role, is accountable for every row "
            "(set raci.accountable)"
        )
        return roles[0]
    if config.accountable == AWS_ROLE:
        problems.append("raci.accountable: AWS cannot be accountable for the customer's part")
    elif config.accountable not in roles:
        problems.append(
            f"raci.accountable: '{shown(config.accountable)}' is not one of the roles "
            f"({listed(roles)}); every row needs exactly one Accountable role"
        )
    return config.accountable


def _fill(
    given: Mapping[str, str],
    defaults: Mapping[str, str | None],
    usable: set[str],
    accountable: str,
) -> tuple[dict[str, str], list[str]]:
    """The config's assignments, then the defaults that name a usable role; the rest go to
    the accountable role and are returned by name."""
    result: dict[str, str] = {}
    fell_back: list[str] = []
    for key, default in defaults.items():
        if key in given:
            result[key] = given[key]
        elif default in usable:
            result[key] = default
        else:
            result[key] = accountable
            fell_back.append(key)
    return result, fell_back


def _fallback_warning(accountable: str, layers: Sequence[str], topics: Sequence[str]) -> str:
    parts = []
    if layers:
        parts.append(f"layers {', '.join(layers)}")
    if topics:
        parts.append(f"topics {', '.join(topics)}")
    return (
        f"raci: the default role of {' and '.join(parts)} is not one of your roles (or is "
        f"only consulted or informed), so {accountable}, the accountable role, is responsible "
        "for them; map them under raci.responsible and raci.topics"
    )


# What the workbook writes a header without: a control character (56a), a line or
# paragraph separator, a mark that reorders text (57a).
_UNWRITABLE = re.compile(CELL_FORBIDDEN_CLASS)


def _indistinct_roles(roles: Sequence[str]) -> list[str]:
    """Roles the RACI workbook could not tell apart. Read back (build --evidence), a column
    is found by its header whatever its case and spacing: two such roles would both read
    the first one's letters, and a role named like one of the sheet's own columns (or
    AWS's) would read that column, so an accepted config could not take its own workbook."""
    reserved = {header_key(n): f"the RACI sheet's own '{n}' column" for n in RACI_FIXED}
    reserved[header_key(AWS_ROLE)] = f"the '{AWS_ROLE}' column every RACI has"
    seen: dict[str, str] = {}
    problems = []
    for index, role in enumerate(roles):
        key = header_key(role)
        if key in reserved:
            problems.append(
                f"raci.roles[{index}]: '{shown(spelt_out(role))}' is named like {reserved[key]}; "
                "give the role another name"
            )
        elif key in seen:
            # spelt out: 'Secu\u200brity' and 'Security' printed as one name twice (61a)
            first, second = shown(spelt_out(role)), shown(spelt_out(seen[key]))
            problems.append(
                f"raci.roles[{index}]: '{first}' and '{second}' are one role to the RACI "
                "workbook, which matches names whatever their case and spacing; remove or "
                "rename one"
            )
        elif _UNWRITABLE.search(role):  # written without it, its letters read as another's
            problems.append(
                f"raci.roles[{index}]: '{spelt_out(role)}' holds a control, line-breaking or "
                "text-reordering character, which the workbook cannot hold; give the role a "
                "name without it"
            )
        elif not key and role.strip():  # shows as nothing: two such read as one (55a)
            problems.append(
                f"raci.roles[{index}]: '{spelt_out(role)}' shows as nothing once its invisible "
                "characters are left out; give the role a name"
            )
        elif key:
            seen[key] = role
    return problems


def _unique_roles(roles: Sequence[str]) -> list[str]:
    unique: list[str] = []
    for role in roles:
        name = role.strip()
        if name and name != AWS_ROLE and name not in unique:
            unique.append(name)
    return unique


def assign(result: ControlResult, plan: RaciPlan) -> dict[str, str]:
    """R/A/C/I for one control row; exactly one A, always a customer role
    (docs/methodology.md, 5. RACI).

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
    control = result.control
    for service_id, outcome in result.services.items():
        for part in outcome.parts:
            if CUSTOMER_KEY in part.holders:
                roles.update(_customer_roles(plan, service_id, control, part.duty))
    for part in result.estate:
        if CUSTOMER_KEY in part.holders:
            roles.update(_customer_roles(plan, None, control, part.duty))
    return roles


def _customer_roles(
    plan: RaciPlan, service_id: str | None, control: Control, index: int
) -> tuple[str, ...]:
    """The team named for the service in the inventory; else the role of the duty's layer;
    else, for the customer's own organisation (policies, people, suppliers, incidents), the
    role of the control's first topic that has one."""
    named = plan.service_roles.get(service_id) if service_id else None
    if named:
        return named
    layer = control.duties[index].layer
    if layer and layer != ORGANIZATION:
        role = plan.responsible.get(layer)
        return (role,) if role else (plan.accountable,)
    for topic in control.topics:
        if topic in plan.topics:
            return (plan.topics[topic],)
    return (plan.responsible.get(ORGANIZATION, plan.accountable),)


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
