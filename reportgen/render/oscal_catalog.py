"""The OSCAL catalog of a framework as reportgen ships it, and the customer's profile of it.

The catalog holds the control identifiers (facts) and reportgen's own-words titles, in the
standard's groups; the standard's text stays out: each control's statement part only says
where to read it. The profile imports that catalog, excludes the controls the customer's
answers make not applicable (saying why) and keeps the groups as they are, so that the SSP's
``import-profile`` resolves inside the pack.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reportgen.render.oscal_ids import (
    OSCAL_VERSION,
    content_uuid,
    line,
    md,
    md_line,
    prop,
    sort_id,
    token,
    unique_tokens,
)
from reportgen.render.pdf_context import framework_label


def control_tokens(matrix: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(control id -> token, group id -> token): '<framework>-<id>', unique in the catalog.

    OSCAL ids are tokens that start with a letter ('1.3.1' is not one), and controls and
    groups share one index in a catalog; a group that would clash with a control takes a
    '-group' suffix.
    """
    framework = matrix["framework"]["id"]
    ids = [c["id"] for c in matrix["controls"]]
    # An id that is its own token first: a look-alike ('A.5.1' and a hidden U+202E) listed
    # before the real 'A.5.1' took its token (twenty-second adversarial pass).
    clean_first = sorted(ids, key=lambda i: token(f"{framework}-{i}") != f"{framework}-{i}")
    controls = unique_tokens(clean_first, lambda i: token(f"{framework}-{i}"))
    controls = {i: controls[i] for i in ids}
    used = set(controls.values())

    def claim(name: str) -> str:
        candidate, number = name, 1
        while candidate in used:  # only ids that differ in characters a token cannot hold
            number += 1
            candidate = f"{name}-{number}"
        used.add(candidate)
        return candidate

    groups = {}
    for group in matrix["groups"]:
        name = token(f"{framework}-{group['id']}")
        groups[group["id"]] = claim(f"{name}-group" if name in used else name)
    return controls, groups


def build_catalog(matrix: dict[str, Any]) -> dict[str, Any]:
    framework = matrix["framework"]
    label = framework_label(framework["name"], framework["version"])
    controls, groups = control_tokens(matrix)
    standard = _standard_resource(framework, label)
    body: dict[str, Any] = {
        "uuid": "",
        "metadata": {
            "title": md_line(f"{framework['full_name']} ({label}): control identifiers and titles"),
            "last-modified": matrix["generated_at"],
            "version": line(framework["catalog_version"]),
            "oscal-version": OSCAL_VERSION,
            "props": [
                prop("framework", framework["id"]),
                prop("framework-version", framework["version"]),
            ],
            "remarks": md(
                f"The controls of {label} as reportgen {matrix['generator']['version']} ships "
                "them: the identifiers, and titles in reportgen's own words. The standard's "
                f"text is {framework['publisher']}'s and is not reproduced: read it in the "
                "standard itself."
            ),
        },
        **_tree(matrix, controls, groups, label),
        "back-matter": {"resources": [standard]},
    }
    body["uuid"] = content_uuid(body)
    return {"catalog": body}


def _standard_resource(framework: dict[str, Any], label: str) -> dict[str, Any]:
    citation = f"{framework['full_name']}, version {framework['version']}, {framework['publisher']}"
    return {
        "uuid": content_uuid(["standard", citation]),
        "title": md_line(label),
        "props": [
            prop("type", "standard", ns=None),
            prop("version", framework["version"], ns=None),
        ],
        "citation": {"text": md_line(citation)},
    }


def _tree(
    matrix: dict[str, Any], controls: dict[str, str], groups: dict[str, str], label: str
) -> dict[str, Any]:
    """Groups as the standard nests them. OSCAL lets a group hold groups or controls, not
    both: the sub-groups of a group that also holds controls sit beside it, each with a
    ``part-of`` property naming the group it belongs to (ISO/IEC 27001 clause 6.1 in 6)."""
    known = {group["id"] for group in matrix["groups"]}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for group in matrix["groups"]:
        parent = group["parent"] if group["parent"] in known else None
        children[parent].append(group)
    members: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for control in matrix["controls"]:
        group = control["group"] if control["group"] in known else None
        members[group].append(_control(control, controls[control["id"]], label, matrix))

    def nodes(group: dict[str, Any]) -> list[dict[str, Any]]:
        node: dict[str, Any] = {
            "id": groups[group["id"]],
            "title": md_line(group["title"]),
            "props": _labels(group["id"]),
        }
        below = [n for child in children[group["id"]] for n in nodes(child)]
        mine = members[group["id"]]
        if mine and below:
            node["controls"] = mine
            for child in children[group["id"]]:
                lifted = next(n for n in below if n["id"] == groups[child["id"]])
                lifted["props"].append(prop("part-of", group["id"]))
            return [node, *below]
        if below:
            node["groups"] = below
        elif mine:
            node["controls"] = mine
        return [node]

    tree: dict[str, Any] = {}
    if members[None]:
        tree["controls"] = members[None]
    top = [n for group in children[None] for n in nodes(group)]
    if top:
        tree["groups"] = top
    return tree


def _labels(identifier: str) -> list[dict[str, str]]:
    return [prop("label", identifier, ns=None), prop("sort-id", sort_id(identifier), ns=None)]


def _control(
    control: dict[str, Any], control_token: str, label: str, matrix: dict[str, Any]
) -> dict[str, Any]:
    publisher = matrix["framework"]["publisher"]
    return {
        "id": control_token,
        "title": md_line(control["title"]),
        "props": _labels(control["id"]),
        "parts": [
            {
                "name": "statement",
                "prose": md(
                    f"Not reproduced: read {label} {control['id']} in the standard ({publisher})."
                ),
            }
        ],
    }


def build_profile(
    matrix: dict[str, Any], catalog_href: str, version: str, marking: str
) -> dict[str, Any]:
    """The customer's baseline: the whole catalog but the controls that do not apply."""
    framework = matrix["framework"]
    label = framework_label(framework["name"], framework["version"])
    controls, _ = control_tokens(matrix)
    excluded = [c for c in matrix["controls"] if not c["applicable"]]
    imported: dict[str, Any] = {"href": catalog_href, "include-all": {}}
    if excluded:
        imported["exclude-controls"] = [{"with-ids": [controls[c["id"]] for c in excluded]}]
    body: dict[str, Any] = {
        "uuid": "",
        "metadata": {
            "title": md_line(f"{matrix['customer']['name']}: {label} baseline"),
            "last-modified": matrix["generated_at"],
            "version": version,
            "oscal-version": OSCAL_VERSION,
            "props": [prop("marking", marking, ns=None)],
            "remarks": _exclusions(excluded, label),
        },
        "imports": [imported],
        "merge": {"as-is": True},
    }
    body["uuid"] = content_uuid(body)
    return {"profile": body}


def _exclusions(excluded: list[dict[str, Any]], label: str) -> str:
    if not excluded:
        return md(f"Every control of {label} applies.")
    lines = [md(f"{len(excluded)} controls of {label} do not apply and are excluded:"), ""]
    lines += [
        "- " + md_line(f"{c['id']}: {c.get('note') or c['provenance']}", line_start=False)
        for c in excluded
    ]
    return "\n".join(lines)
