"""Putting the evidence tracker into a matrix (pure): per control its evidence items with
the team's status, people, dates, links and notes, one implementation status, and the RACI
letters the team changed, checked against the rules every row keeps.

Without ``--evidence`` every item is 'not started': the fields are always there, so the
workbook, the PDF, summary.md and other tools (the ISO Statement of Applicability) read one
shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from reportgen.config.model import AWS_ROLE
from reportgen.core.errors import InputError
from reportgen.evidence.load import Carried
from reportgen.evidence.read import ItemEdit, RaciEdit
from reportgen.ownership.evidence_vocabulary import (
    ACCEPTED,
    IMPL_IN_PROGRESS,
    IMPL_NOT_APPLICABLE,
    IMPL_NOT_STARTED,
    IMPLEMENTATION_STATUSES,
    IMPLEMENTED,
    NOT_APPLICABLE,
    NOT_STARTED,
    OPEN_STATUSES,
    STATUSES,
    TEXT_FIELDS,
    item_key,
)

ACCOUNTABLE = ("A", "A/R")


def attach_evidence(matrix: dict[str, Any], carried: Carried | None) -> list[str]:
    """Add evidence_items, implementation_status and raci_overrides to every control, and
    evidence_status to the matrix; returns warnings. InputError when an edited RACI row
    breaks the rules."""
    carried = carried or Carried()
    as_of = matrix["generated_at"][:10]
    notes = apply_raci_overrides(matrix, carried.raci)
    for control in matrix["controls"]:
        items = evidence_items(control, carried, as_of)
        control["evidence_items"] = items
        control["implementation_status"] = implementation_status(control, items)
    orphans = [
        {"control": edit.control, **_item(edit, edit.item, edit.provided_by, "workbook", as_of)}
        for edit in carried.orphans
    ]
    matrix["evidence_status"] = status_summary(matrix, orphans, carried.sources, as_of)
    return notes


# ---------------------------------------------------------------- evidence items


def shows_evidence(control: dict[str, Any]) -> bool:
    """Whether a control has rows in the Evidence sheet: applicable, and someone has a part
    to evidence (the customer's statement, or AWS's attestation)."""
    return control["applicable"] and bool(
        control["responsibility"]["customer"] or control.get("aws_evidence")
    )


def evidence_items(control: dict[str, Any], carried: Carried, as_of: str) -> list[dict[str, Any]]:
    """The control's catalog items with what the team recorded, then the rows it added.
    A control that no longer applies keeps the items the team had worked on."""
    catalog = [(text, "customer") for text in control["evidence"]]
    if control.get("aws_evidence"):
        catalog.append((control["aws_evidence"], "aws"))
    items = []
    for text, provider in catalog:
        edit = carried.items.get((control["id"], item_key(text)))
        if shows_evidence(control) or (edit is not None and edit.has_data):
            items.append(_item(edit, text, provider, "catalog", as_of))
    for edit in carried.added.get(control["id"], []):
        items.append(_item(edit, edit.item, edit.provided_by, "workbook", as_of))
    return items


def _item(
    edit: ItemEdit | None, text: str, provider: str, source: str, as_of: str
) -> dict[str, Any]:
    values = edit.values if edit is not None else {}
    status = values.get("status", NOT_STARTED)
    item: dict[str, Any] = {
        "item": text,
        "provided_by": provider,
        "source": source,
        "status": status,
        "overdue": is_overdue(status, values.get("due_date"), as_of),
    }
    item.update({key: values[key] for key in TEXT_FIELDS if values.get(key)})
    if edit is not None and edit.has_data:
        item["read_from"] = edit.origin.text()
    return item


def is_overdue(status: str, due: str | None, as_of: str) -> bool:
    """Still to come in (not started or requested) and due before the pack's date."""
    return bool(due) and due < as_of and status in OPEN_STATUSES


def implementation_status(control: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """One value per control: 'not applicable' when the control or all its items are;
    'implemented' when every other item is accepted; 'not started' when none has moved;
    'in progress' in between."""
    if not control["applicable"]:
        return IMPL_NOT_APPLICABLE
    live = [i["status"] for i in items if i["status"] != NOT_APPLICABLE]
    if items and not live:
        return IMPL_NOT_APPLICABLE
    if live and all(status == ACCEPTED for status in live):
        return IMPLEMENTED
    if all(status == NOT_STARTED for status in live):
        return IMPL_NOT_STARTED
    return IMPL_IN_PROGRESS


def status_summary(
    matrix: dict[str, Any], orphans: list[dict[str, Any]], sources: list[str], as_of: str
) -> dict[str, Any]:
    items = [item for control in matrix["controls"] for item in control["evidence_items"]]
    by_status = Counter(item["status"] for item in items)
    by_control = Counter(control["implementation_status"] for control in matrix["controls"])
    return {
        "as_of": as_of,
        "sources": list(sources),
        "items": {status: by_status[status] for status in STATUSES},
        "controls": {status: by_control[status] for status in IMPLEMENTATION_STATUSES},
        "overdue": sum(1 for item in items if item["overdue"]),
        "raci_overrides": sum(len(c.get("raci_overrides", ())) for c in matrix["controls"]),
        "orphans": orphans,
    }


# ---------------------------------------------------------------- RACI overrides


def apply_raci_overrides(
    matrix: dict[str, Any], edits: dict[str, dict[str, RaciEdit]]
) -> list[str]:
    """Put the team's letters over the rules' ones, each with where it was read; a row left
    without exactly one Accountable customer role, or AWS made responsible for the
    customer's part, stops the build."""
    roles = set(matrix["roles"])
    unknown: set[str] = set()
    problems: list[str] = []
    first_file = ""
    for control in matrix["controls"]:
        changes = edits.get(control["id"], {})
        overrides = []
        for role, edit in changes.items():
            if role not in roles:
                unknown.add(role)
                continue
            computed = control["raci"].get(role, "")
            if edit.letter == computed:
                continue  # the rules now give what the team chose
            overrides.append(_override(edit, computed))
            first_file = first_file or edit.origin.file
        if overrides:
            control["raci"] = _with_letters(control["raci"], overrides, matrix["roles"])
            control["raci_overrides"] = overrides
            problems += _raci_problems(control, changes, _third_parties(matrix))
    if problems:
        raise InputError(
            "RACI letters edited in the workbook break the rules every row keeps",
            file=first_file,
            details=problems[:25],
            hint="Each row needs exactly one A (or A/R), on one of your roles; AWS is R only "
            "for the part it operates. Correct the cells in the RACI sheet.",
        )
    if not unknown:
        return []
    return [
        f"{matrix['framework']['id']}: RACI letters edited for role(s) no longer in the config "
        f"({', '.join(sorted(unknown))}) are not carried"
    ]


def _override(edit: RaciEdit, computed: str) -> dict[str, Any]:
    return {
        "role": edit.role,
        "letter": edit.letter or None,
        "computed": computed or None,
        "source": edit.origin.text(),
    }


def _with_letters(
    raci: dict[str, str], overrides: list[dict[str, Any]], roles: list[str]
) -> dict[str, str]:
    letters = dict(raci)
    for override in overrides:
        if override["letter"]:
            letters[override["role"]] = override["letter"]
        else:
            letters.pop(override["role"], None)
    return {role: letters[role] for role in roles if role in letters}  # column order


def _third_parties(matrix: dict[str, Any]) -> set[str]:
    return {o["party"] for o in matrix["overrides"] if o.get("party")}


def _raci_problems(
    control: dict[str, Any], edits: dict[str, RaciEdit], third: set[str]
) -> list[str]:
    origin = next(iter(edits.values())).origin
    where = (
        f"workbook {origin.file}, sheet {origin.sheet}, row {origin.row} (control {control['id']})"
    )
    raci = control["raci"]
    accountable = [role for role, letter in raci.items() if letter in ACCOUNTABLE]
    problems = []
    if len(accountable) != 1:
        found = ", ".join(accountable) or "none"
        problems.append(f"{where}: {len(accountable)} Accountable ({found}); exactly one A per row")
    elif accountable[0] == AWS_ROLE or accountable[0] in third:
        problems.append(f"{where}: {accountable[0]} cannot be Accountable; one of your roles is")
    aws = next((o for o in control["raci_overrides"] if o["role"] == AWS_ROLE), None)
    if aws and aws["letter"] and "R" in aws["letter"] and not (aws["computed"] or "").count("R"):
        problems.append(
            f"{where}: AWS is responsible only for the part it operates, and this control "
            "gives it none"
        )
    return problems


# ---------------------------------------------------------------- the command line


def evidence_lines(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    """What ``reportgen validate`` says about the workbooks read back with --evidence."""
    for fid, matrix in matrices.items():
        status = matrix["evidence_status"]
        if not status["sources"]:
            continue
        moved = sum(n for s, n in status["items"].items() if s != NOT_STARTED)
        yield (
            f"evidence ({fid}): {', '.join(status['sources'])}: {moved} item(s) past not "
            f"started, {status['overdue']} overdue, {status['raci_overrides']} RACI letter(s) "
            f"changed, {len(status['orphans'])} row(s) of controls no longer in the catalog"
        )
