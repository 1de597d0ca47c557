"""Provenance: one short sentence that says why a control has its owner (pure).

It names what differs between services and why -- which layer, which holder, which
override -- and leaves what every control shares (the customer's estate-wide part, AWS's
inherited facilities) to a few words: "Split by service: Stackwise Managed Services for EC2
(it operates the operating system, override #1); AWS for the other 32 services (it operates
their operating system). Estate-wide: AWS (inherited)."
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportgen.core.owners import (
    AWS,
    CUSTOMER,
    NOT_APPLICABLE,
    SPLIT_LABEL,
    OwnerKey,
    control_label,
    holder_name,
)

if TYPE_CHECKING:  # engine builds results and calls explain(); only types come back here
    from reportgen.catalogs.srm import SrmCatalog
    from reportgen.ownership.engine import ControlResult, DutyPart, ServiceLayers

MAX_CHARS = 300
_SPELL_OUT = 6  # groups up to this size always list their services by name
# A longer list is cut after _SHOWN names: a sentence naming a hundred services is read by
# no one, and the workbook's Controls x Services sheet and matrix.json name every service.
_LIST_MAX = 12
_SHOWN = 8


def short_name(name: str) -> str:
    """'Amazon EC2' -> 'EC2' for compact sentences."""
    for prefix in ("Amazon ", "AWS "):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def explain(result: ControlResult, services: Sequence[ServiceLayers], catalog: SrmCatalog) -> str:
    """The provenance sentence of an applicable control."""
    groups = _service_groups(result, services, catalog)
    estate = _estate_words(result)
    if not groups:
        if estate:
            return estate + " No duty within the services."
        return "No in-scope service holds a duty of this control."
    labels = {label for label, _why in groups}
    concerned = [s for members in groups.values() for s in members]
    if len(labels) == 1:
        text = _same_owner_text(groups, concerned)
    else:
        text = _split_text(groups, concerned)
        if len(text) + len(estate) + 2 > MAX_CHARS:
            text = _split_text(_compact(groups), concerned)
    rest = _not_concerned(services, concerned)
    if rest:
        text = text.replace("for every service", "for every service it concerns", 1)
    return _finish(text + rest, estate)


def _not_concerned(services: Sequence[ServiceLayers], concerned: Sequence[ServiceLayers]) -> str:
    """'; not applicable to KMS, ELB': services none of whose duties concern them."""
    ids = {s.service_id for s in concerned}
    rest = [s for s in services if s.service_id not in ids]
    if not rest:
        return ""
    return f"; not applicable to {_group_names(rest, services, rest=False)}"


def _same_owner_text(
    groups: dict[tuple[str, str], list[ServiceLayers]], services: Sequence[ServiceLayers]
) -> str:
    """'Shared for every service (AWS operates the X for S3, SQS; AWS and you for RDS)'."""
    label = next(iter(groups))[0]
    whys = [(why, members) for (_label, why), members in groups.items() if why]
    if not whys:
        return f"{label} for every service"
    if len(whys) == 1 and len(whys[0][1]) == len(services):
        return f"{label} for every service ({whys[0][0]})"
    parts = [f"{why} for {_group_names(members, services, False)}" for why, members in whys]
    text = f"{label} for every service ({'; '.join(parts)})"
    return text if len(text) <= MAX_CHARS - 60 else f"{label} for every service"


def _finish(text: str, estate: str) -> str:
    sentence = text + (f". {estate}" if estate else ".")
    return sentence if len(sentence) <= MAX_CHARS else sentence[: MAX_CHARS - 1] + "…"


def _compact(groups: dict[tuple[str, str], list[ServiceLayers]]) -> dict:
    """The same groups by owner alone, for a sentence that would run too long."""
    merged: dict[tuple[str, str], list[ServiceLayers]] = {}
    for (label, _why), members in groups.items():
        merged.setdefault((label, ""), []).extend(members)
    return merged


def _split_text(
    groups: dict[tuple[str, str], list[ServiceLayers]], estate: Sequence[ServiceLayers]
) -> str:
    keys = sorted(groups, key=lambda k: (_rank(k[0]), -len(groups[k]), k))
    parts = []
    for index, key in enumerate(keys):
        label, why = key
        rest = index == len(keys) - 1
        names = _group_names(groups[key], estate, rest)
        parts.append(f"{label} for {names}" + (f" ({why})" if why else ""))
    return f"{SPLIT_LABEL}: " + "; ".join(parts)


def _rank(label: str) -> int:
    # What the reader must act on first: the customer's and third parties' cells.
    return 2 if label.startswith("AWS") and "," not in label else 1 if "Shared" in label else 0


def _service_groups(
    result: ControlResult, services: Sequence[ServiceLayers], catalog: SrmCatalog
) -> dict[tuple[str, str], list[ServiceLayers]]:
    groups: dict[tuple[str, str], list[ServiceLayers]] = {}
    for service in services:
        outcome = result.services.get(service.service_id)
        if outcome is None or outcome.owner == NOT_APPLICABLE:
            continue
        label = _cell_label(outcome.holders)
        why = _why(outcome.parts, catalog, len(services) == 1)
        groups.setdefault((label, why), []).append(service)
    return groups


def _cell_label(holders: Sequence[OwnerKey]) -> str:
    if len(holders) == 1:
        return holder_name(holders[0])
    if all(h[0] in (AWS, CUSTOMER) for h in holders):
        return "Shared"
    return "Shared (" + ", ".join(holder_name(h) for h in holders) + ")"


def _subject(holders: Sequence[OwnerKey]) -> str:
    names = ["you" if h[0] == CUSTOMER else holder_name(h) for h in holders]
    return _and(names)


def _why(parts: Sequence[DutyPart], catalog: SrmCatalog, single: bool) -> str:
    """Which layer operators made the cell what it is; a customer's own duty needs no word."""
    by_holder: dict[str, list[str]] = {}
    notes: list[str] = []
    for part in parts:
        if part.decision is None or not part.layer or not part.holders:
            continue
        who = _subject(part.holders)
        name = "the " + catalog.layer(part.layer).name.lower()
        by_holder.setdefault(who, []).append(name)
        notes += _source_note(part)
    if not by_holder:
        return ""
    clauses = []
    for who, names in by_holder.items():
        verb = "operate" if who == "you" or " and " in who else "operates"
        clauses.append(f"{who} {verb} {_and(names)}")
    text = "; ".join(clauses)
    return text + (f" [{', '.join(dict.fromkeys(notes))}]" if notes else "")


def _source_note(part: DutyPart) -> list[str]:
    decision = part.decision
    if decision is None:
        return []
    if decision.overrides:
        return [f"override #{n}" for n in decision.overrides]
    if decision.source == "catalog":
        return ["service catalog"]
    return []


def _estate_words(result: ControlResult) -> str:
    customer = any(CUSTOMER in [h[0] for h in part.holders] for part in result.estate)
    aws = any(AWS in [h[0] for h in part.holders] for part in result.estate)
    if customer and aws:
        return "Estate-wide: you, and AWS for its own estate (inherited)."
    if customer:
        return "Estate-wide: you."
    if aws:
        return "Estate-wide: AWS for its own estate (inherited)."
    return ""


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _group_names(
    group: Sequence[ServiceLayers], estate: Sequence[ServiceLayers], rest: bool
) -> str:
    """Service names of one group, compact where a long list says nothing more:
    'all 28 abstract services', 'all abstract services but WAF, Lambda', 'the other 27
    services'."""
    names = [short_name(s.name) for s in group]
    if len(group) <= _SPELL_OUT:
        return ", ".join(names)
    if rest:  # the last group takes whatever the groups before it did not
        return f"the other {len(group)} services"
    models = {s.model for s in group}
    if len(models) == 1:
        model = next(iter(models))
        members = {s.service_id for s in group}
        others = [s for s in estate if s.model == model and s.service_id not in members]
        if not others:
            return f"all {len(group)} {model} services"
        if len(others) <= 3:
            return f"all {model} services but {', '.join(short_name(s.name) for s in others)}"
    if len(names) <= _LIST_MAX:
        return ", ".join(names)
    kind = f"{next(iter(models))} " if len(models) == 1 else ""
    return f"{', '.join(names[:_SHOWN])} and {len(names) - _SHOWN} more {kind}services"


def service_names(group: Sequence[ServiceLayers], estate: Sequence[ServiceLayers]) -> str:
    """A compact list of some of the estate's services (see _group_names)."""
    return _group_names(group, estate, rest=False)


def label_of(result: ControlResult) -> str:
    """The overall owner as a reader should see it: 'Split by service' where it is."""
    return control_label(result.owner, result.party, result.split)
