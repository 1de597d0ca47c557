"""SOC 2 complementary controls and the system description's inputs (pure).

In the customer's SOC 2 report AWS is a subservice organisation, carved out: the report
names the controls management expects AWS to operate (complementary subservice
organisation controls, CSOCs) and how management monitors AWS. They are derived here from
the duties AWS carries in the applicable criteria, in AWS's voice. The complementary user
entity controls (CUECs) are what the customer expects *its* clients to do: defaults from
the artefact catalog, which the config replaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.artefacts.catalog import ComplementaryControls
from reportgen.catalogs.frameworks import Control
from reportgen.config.model import FrameworkOptions

AWS_KIND = "aws"


def subservice_controls(
    matrix: dict[str, Any], catalog_controls: Mapping[str, Control]
) -> list[dict[str, Any]]:
    """One CSOC per distinct AWS duty, with the criteria it supports and the services it
    concerns (none: AWS's own estate), in the order of the first criterion needing it."""
    names = {s["id"]: s["name"] for s in matrix["services"]}
    found: dict[str, dict[str, Any]] = {}
    for control in matrix["controls"]:
        if not control["applicable"]:
            continue
        source = catalog_controls.get(control["id"])
        for duty in control["duties"]:
            if not any(p["kind"] == AWS_KIND for p in duty["parties"]):
                continue
            text = _aws_text(duty, source)
            entry = found.setdefault(text, {"text": text, "criteria": [], "services": []})
            if control["id"] not in entry["criteria"]:
                entry["criteria"].append(control["id"])
            if duty["scope"] == "service":
                for sid, cell in control["services"].items():
                    held = any(
                        d["index"] == duty["index"] and "AWS" in d["parties"]
                        for d in cell["duties"]
                    )
                    if held and names.get(sid, sid) not in entry["services"]:
                        entry["services"].append(names.get(sid, sid))
    entries = list(found.values())
    for number, entry in enumerate(entries, start=1):
        entry["id"] = f"CSOC-{number:02d}"
        entry["services"] = sorted(entry["services"], key=str.casefold)
    return [{"id": e["id"], **{k: v for k, v in e.items() if k != "id"}} for e in entries]


def _aws_text(duty: dict[str, Any], source: Control | None) -> str:
    """AWS's voice: the duty's own text for AWS's estate, its AWS wording for a layer AWS
    operates in some services."""
    if duty["by"] == "aws" or source is None:
        return duty["text"].rstrip(".") + "."
    catalog_duty = source.duties[duty["index"]]
    if catalog_duty.aws_text:
        return catalog_duty.aws_text.rstrip(".") + "."
    layer = (duty.get("layer") or "layer").replace("-", " ")
    return f"Operates the {layer} of the services it runs: {duty['text'].rstrip('.')}."


def user_entity_controls(
    spec: ComplementaryControls, options: FrameworkOptions | None, matrix: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    """The CUECs and where they come from ("config" or "defaults"). A default whose
    criteria are all outside the report (a category not selected) is left out."""
    applicable = {c["id"] for c in matrix["controls"] if c["applicable"]}
    if options and options.user_entity_controls is not None:
        given = [(u.text, list(u.criteria)) for u in options.user_entity_controls]
        source = "config"
    else:
        given = [
            (u.text, [c for c in u.criteria if c in applicable])
            for u in spec.user_entity_controls
            if not u.criteria or any(c in applicable for c in u.criteria)
        ]
        source = "defaults"
    entries = [
        {"id": f"CUEC-{n:02d}", "text": " ".join(text.split()), "criteria": criteria}
        for n, (text, criteria) in enumerate(given, start=1)
    ]
    return entries, source


def complementary_controls(
    spec: ComplementaryControls,
    options: FrameworkOptions | None,
    matrix: dict[str, Any],
    catalog_controls: Mapping[str, Control],
) -> dict[str, Any]:
    cuecs, source = user_entity_controls(spec, options, matrix)
    return {
        "subservice_organisation": "Amazon Web Services (AWS)",
        "method": "carve-out",
        "subservice_controls": subservice_controls(matrix, catalog_controls),
        "monitoring": " ".join(spec.monitoring.split()),
        "user_entity_controls": cuecs,
        "user_entity_controls_source": source,
    }


def system_description(options: FrameworkOptions | None) -> dict[str, Any]:
    """What the config says of the system; the renderer fills the skeleton from the matrix."""
    system = options.system if options else None
    return {
        "name": system.name if system else None,
        "description": system.description if system else None,
        "commitments": system.commitments if system else None,
    }
