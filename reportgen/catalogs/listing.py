"""The catalog listings (`services`, `controls`, `frameworks`) as data: records that the
terminal shows as a table and ``--format json|csv`` writes for scripts and spreadsheets.

JSON is a list of objects, nested where the catalog nests (a control's conditions with
their questions). CSV is one row per record with the same keys as columns; a list becomes
its items joined by "; " and a nested object its ids, so a spreadsheet can filter on them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from reportgen.catalogs.frameworks import Control, Framework
from reportgen.catalogs.srm import Service
from reportgen.core.terminal import FORMULA_PREFIXES

FORMATS = ("table", "json", "csv")
LIST_SEPARATOR = "; "


def service_record(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": service.name,
        "full_name": service.full_name or service.name,
        "model": service.model,
        "category": service.category,
        "aliases": list(service.aliases),
        "arn_namespaces": list(service.namespaces),
        "resource_types": list(service.resource_types),
    }


def condition_uses(control: Control) -> list[tuple[str, str]]:
    """(condition id, 'control' or 'duty'): what answering the condition 'no' drops, the
    whole control or some of its duties."""
    uses = [(c, "control") for c in control.applies_if]
    uses += [
        (c, "duty") for d in control.duties for c in d.applies_if if c not in control.applies_if
    ]
    return list(dict.fromkeys(uses))


def control_record(framework: Framework, control: Control) -> dict[str, Any]:
    questions = {c.id: c.question for c in framework.conditions}
    return {
        "id": control.id,
        "group": control.group,
        "title": control.title,
        "layers": control.layers,
        "conditions": [
            {"id": cid, "drops": drops, "question": questions.get(cid, "")}
            for cid, drops in condition_uses(control)
        ],
        "category": control.category,
        "in_force_from": control.in_force_from.isoformat() if control.in_force_from else None,
        "superseded_on": control.superseded.on.isoformat() if control.superseded else None,
        "superseded_by": control.superseded.by if control.superseded else None,
    }


def dependents(framework: Framework) -> dict[str, list[str]]:
    """Condition id -> the controls that depend on it (wholly or through a duty)."""
    found: dict[str, list[str]] = {c.id: [] for c in framework.conditions}
    for control in framework.controls:
        for cid, _ in condition_uses(control):
            found.setdefault(cid, []).append(control.id)
    return found


def framework_record(framework: Framework) -> dict[str, Any]:
    using = dependents(framework)
    return {
        "id": framework.id,
        "name": framework.name,
        "full_name": framework.full_name,
        "version": framework.version,
        "catalog_version": framework.catalog_version,
        "aliases": list(framework.aliases),
        "controls": len(framework.controls),
        "groups": len(framework.groups),
        "conditions": [
            {"id": c.id, "question": c.question, "controls": using.get(c.id, [])}
            for c in framework.conditions
        ],
        "categories": [
            {"id": c.id, "name": c.name, "required": c.required} for c in framework.categories
        ],
    }


def render(records: Sequence[dict[str, Any]], fmt: str) -> str:
    """``records`` as JSON (a list of objects) or CSV (a header, then a row each)."""
    if fmt == "json":
        return json.dumps(list(records), indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}")
    buffer = io.StringIO()
    columns = list(dict.fromkeys(key for record in records for key in record))
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_inert(_cell(record.get(column))) for column in columns])
    return buffer.getvalue()


def _inert(text: str) -> str:
    """A cell a spreadsheet app would run as a formula, quoted with an apostrophe as OWASP
    advises for CSV: a user catalog's '=HYPERLINK(...)' ran when the listing was opened
    (fifteenth adversarial pass). CSV has no way to mark text; JSON is left as it is."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return str(value.get("id", ""))
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(_cell(item) for item in value)
    return str(value)
