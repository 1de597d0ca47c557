"""Independent checks of OSCAL documents: NIST's JSON Schemas and OSCAL's reference rules.

Nothing here comes from reportgen: the schemas are NIST's (tests/oscal_schema/SOURCE.md),
validated with ``jsonschema``; their ``\\p{L}`` / ``\\p{N}`` patterns run on the ``regex``
engine, which knows Unicode classes (Python's ``re`` rejects them).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import regex
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError

SCHEMAS = Path(__file__).with_name("oscal_schema")
OSCAL_VERSION = "1.2.1"
KINDS = ("ssp", "catalog", "profile")


@functools.cache
def _compiled(pattern: str) -> Any:
    return regex.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


@functools.cache
def schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"oscal_{kind}_schema.json").read_text(encoding="utf-8"))


def schema_errors(document: Any, kind: str, limit: int = 10) -> list[str]:
    """Where and why ``document`` breaks NIST's schema for ``kind`` (empty: valid)."""
    found = []
    for error in OscalValidator(schema(kind)).iter_errors(document):
        where = "/".join(str(part) for part in error.absolute_path)
        found.append(f"{where}: {error.message[:200]}")
        if len(found) >= limit:
            break
    return found


MARKUP_KEYS = ("title", "description", "remarks", "prose", "text")  # OSCAL markup fields
_ESCAPED = regex.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark backslash escapes


def plain(markup: str) -> str:
    """The text a Markdown string shows when it holds only escaped characters."""
    return _ESCAPED.sub(r"\1", markup)


def markup_fields(document: Any) -> Iterator[tuple[str, str]]:
    """(path, text) of every markup field of an OSCAL document."""
    for path, value in walk(document):
        if isinstance(value, dict):
            for key in MARKUP_KEYS:
                if isinstance(value.get(key), str):
                    yield f"{path}/{key}", value[key]


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) below ``value``, containers included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from walk(item, f"{path}/{number}")


def values_of(document: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in the document."""
    return [v[key] for _, v in walk(document) if isinstance(v, dict) and key in v]


def reference_problems(ssp: dict[str, Any]) -> list[str]:
    """OSCAL's index and uniqueness rules for an SSP that a JSON Schema cannot express."""
    plan = ssp["system-security-plan"]
    metadata = plan["metadata"]
    roles = {role["id"] for role in metadata["roles"]}
    parties = {party["uuid"] for party in metadata["parties"]}
    components = {c["uuid"] for c in plan["system-implementation"]["components"]}
    problems = []
    uuids = [u for _, u in _declared_uuids(plan)]
    if len(uuids) != len(set(uuids)):
        problems.append(f"{len(uuids) - len(set(uuids))} UUIDs are declared twice")
    problems += [f"unknown role {r}" for r in set(values_of(plan, "role-id")) - roles]
    used_parties = {u for listed in values_of(plan, "party-uuids") for u in listed}
    problems += [f"unknown party {p}" for p in used_parties - parties]
    requirements = plan["control-implementation"]["implemented-requirements"]
    provided = {item["uuid"] for items in values_of(requirements, "provided") for item in items}
    duties = {
        item["uuid"] for items in values_of(requirements, "responsibilities") for item in items
    }
    linked = set(values_of(requirements, "provided-uuid"))
    problems += [f"unknown provided {u}" for u in linked - provided]
    satisfied = set(values_of(requirements, "responsibility-uuid"))
    problems += [f"unknown responsibility {u}" for u in satisfied - duties]
    for requirement in requirements:
        used = [b["component-uuid"] for b in requirement["by-components"]]
        if not used:
            problems.append(f"{requirement['control-id']}: no by-component")
        if len(used) != len(set(used)):
            problems.append(f"{requirement['control-id']}: a component twice")
        unknown = set(used) - components
        problems += [f"{requirement['control-id']}: unknown component {u}" for u in unknown]
        for _, entry in walk(requirement):
            if isinstance(entry, dict) and "responsible-roles" in entry:
                ids = [r["role-id"] for r in entry["responsible-roles"]]
                if len(ids) != len(set(ids)):
                    problems.append(f"{requirement['control-id']}: a role twice")
    return problems


def _declared_uuids(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """UUIDs that declare an object (not those that refer to one)."""
    for path, value in walk(plan):
        if isinstance(value, dict) and isinstance(value.get("uuid"), str):
            yield path, value["uuid"]
