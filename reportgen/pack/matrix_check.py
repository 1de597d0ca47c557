"""A pack's matrix.json, checked before ``diff`` or ``build --previous`` reads a field of it.

A pack may come from anyone, so its matrix is held to the contract the build holds its own
matrix to (reportgen/matrix_schema.py), strictly: JSON types are taken as they are ("5" is
not a count, "false" not a flag, 7 not a version), so that no reader further on meets an
int where it indexes a dict. On top of it come the bounds of what the readers carry into
what they write (pack/manifest_schema.py: a timestamp for the new manifest, texts of a
sane length, a document version ``next_version`` can count on).

Older packs: the contract has gained required fields since the first typed matrix.json
(``matrix_schema.ADDED_SINCE``); a matrix written before one of them lacks it and is
accepted, and the readers treat the field as absent (a pack from before document control
starts a new history, one from before the evidence tracker compares no evidence). A matrix
from before the contract itself (before the duty model: its controls have no duties) is
refused with a message saying so. Anything else is exit 2 naming the file and the JSON path
of the first field that breaks the contract.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reportgen.core.errors import InputError
from reportgen.core.owners import control_label
from reportgen.core.validation import error_message, key_path
from reportgen.matrix_schema import ADDED_SINCE
from reportgen.matrix_schema import Matrix as Contract
from reportgen.pack.manifest_schema import Matrix as ReadBounds
from reportgen.pack.shape_check import shape_problems

DETAILS = 20  # problems listed under the first; a matrix with more has a bigger problem
_MANY = "(more problems not counted: the check stops past the first few)"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")
OLDER_HINT = (
    "Compare it with the reportgen version that built it, or rebuild the old pack from its "
    "inputs (its manifest lists them). Without --previous, a build starts a new document "
    "history: set document_control.version to carry the numbering on."
)
NEWER_HINT = "A pack written by a newer reportgen has fields this version does not know."


def check_pack_matrix(value: dict[str, Any], path: Path) -> None:
    """InputError (exit 2) unless ``value``, a matrix.json read from a pack, keeps the
    contract (as a pack of this or an earlier reportgen does) and the read bounds."""
    problems = _problems(value, Contract, tolerate=ADDED_SINCE)
    if problems and _before_the_contract(value):
        raise InputError(
            "written by an older reportgen, from before matrix.json had its typed contract "
            "(its controls have no duties); diff and build --previous read packs built since",
            file=path,
            details=[f"first difference: {problems[0]}"],
            hint=OLDER_HINT,
        )
    problems = (
        problems
        or _problems(value, ReadBounds)
        or _duplicate_ids(value, "controls")
        or _duplicate_ids(value, "services")
        or _label_problems(value)
    )
    if problems:
        unknown = all(problem.endswith(": unknown key") for problem in problems)
        more = len(problems) - 1 - DETAILS
        count = [f"… and {more:,} more"] if more > 0 else []
        raise InputError(
            f"the matrix is not valid: {problems[0]}",
            file=path,
            details=[*problems[1 : DETAILS + 1], *([_MANY] if problems[-1] == _MANY else count)],
            hint=NEWER_HINT if unknown else None,
        )


def _problems(
    value: dict[str, Any], model: type[BaseModel], tolerate: frozenset[str] = frozenset()
) -> list[str]:
    """``path: what is wrong`` for every field of ``value`` that breaks ``model`` (strict),
    but for a missing field listed in ``tolerate``; past DETAILS problems found by the cheap
    walk (pack/shape_check.py), those alone (pydantic would gather every one of them)."""
    rough = shape_problems(value, model, DETAILS, lambda loc: contract_path(loc) in tolerate)
    if len(rough) > DETAILS:
        return [f"{json_path(loc)}: {what}" for loc, what in rough] + [_MANY]
    try:
        model.model_validate(value, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        return [
            f"{json_path(error['loc'])}: {error_message(error, model)}"
            for error in errors
            if not (error["type"] == "missing" and contract_path(error["loc"]) in tolerate)
        ]
    return []


def _duplicate_ids(value: dict[str, Any], kind: str) -> list[str]:
    """Each entry of ``controls`` or ``services`` whose id an earlier one has: diff and
    build --previous key them by id, so one of the two was dropped without a word
    (thirteenth adversarial pass); a build never writes two."""
    first: dict[str, int] = {}
    problems = []
    for index, entry in enumerate(value[kind]):
        earlier = first.setdefault(entry["id"], index)
        if earlier != index:
            shown = json.dumps(entry["id"][:60], ensure_ascii=True)
            problems.append(f"{kind}[{index}].id: {shown} is also the id of {kind}[{earlier}]")
            if len(problems) > DETAILS:
                break
    return problems


def _label_problems(value: dict[str, Any]) -> list[str]:
    """Each control's label as the build derives it from its owner: a crafted matrix whose
    owner and label disagreed passed, and diff showed 'Customer -> Customer' for an owner
    that changed (eighth adversarial pass)."""
    problems = []
    for index, control in enumerate(value["controls"]):
        split, owner, party = control["split_by_service"], control["owner"], control.get("party")
        expected = control_label(owner, party, split)
        if control["label"] != expected:
            shown = json.dumps(control["label"][:60], ensure_ascii=True)
            problems.append(
                f"controls[{index}].label: {shown} does not match the control's owner "
                f"({'split by service' if split else owner}): it reads {json.dumps(expected)}"
            )
            if len(problems) > DETAILS:
                break
    return problems


def contract_path(loc: tuple[Any, ...]) -> str:
    """A field's place in the contract, list items left out: ('services', 3, 'traits') ->
    'services[].traits' (the form of matrix_schema.ADDED_SINCE)."""
    text = ""
    for part in loc:
        text += "[]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def json_path(loc: tuple[Any, ...]) -> str:
    """Where a problem is, with list indexes (``controls[0].evidence_items[2].status``).
    A key the contract does not name comes from the file: one that is not plain is quoted
    with its control characters escaped, and cut to 60 characters."""
    safe = tuple(
        part if isinstance(part, int) or _PLAIN_KEY.fullmatch(part) else json.dumps(part[:60])
        for part in loc
    )
    return key_path(safe, None, by_id=False)


def _before_the_contract(value: dict[str, Any]) -> bool:
    """A matrix of the first reportgen builds: controls, none of which has duties."""
    controls = value.get("controls")
    return (
        isinstance(controls, list)
        and bool(controls)
        and all(isinstance(control, dict) and "duties" not in control for control in controls)
    )
