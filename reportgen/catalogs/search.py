"""Searching the catalogs for the `services`, `controls` and `explain` commands."""

from __future__ import annotations

from reportgen.catalogs.frameworks import Control, Framework
from reportgen.catalogs.listing import condition_uses
from reportgen.catalogs.load import Catalogs
from reportgen.catalogs.names import FrameworkNames
from reportgen.catalogs.srm import Service, norm_key
from reportgen.core.errors import InputError
from reportgen.core.validation import did_you_mean, shown


def search_services(catalogs: Catalogs, query: str) -> list[Service]:
    """Exact resolution first (name, alias, ARN, resource type), then substring matches."""
    found: list[Service] = []
    exact = catalogs.resolver.resolve(query)
    if exact:
        found.append(catalogs.catalog.services[exact.service_id])
    key = norm_key(query)
    for service in catalogs.catalog.services.values():
        names = [
            service.id,
            service.name,
            service.full_name or "",
            service.category,
            *service.aliases,
        ]
        if service not in found and any(key in norm_key(name) for name in names):
            found.append(service)
    return found


def find_service(catalogs: Catalogs, text: str) -> Service:
    """One service by any name the inventory would accept, or an error with suggestions."""
    resolution = catalogs.resolver.resolve(text)
    if resolution is None:
        suggestions = catalogs.resolver.suggest(text)
        hint = f"Did you mean: {', '.join(suggestions)}?" if suggestions else None
        hint = hint or "See 'reportgen services'."
        raise InputError(f"unknown service '{shown(text)}'", hint=hint)
    return catalogs.catalog.services[resolution.service_id]


def find_framework(catalogs: Catalogs, text: str) -> Framework:
    """A framework by its id or a name as people write it ('PCI', 'ISO/IEC 27001:2022')."""
    names = FrameworkNames.of(catalogs.frameworks)
    framework_id = names.resolve(text)
    if framework_id is None:
        raise InputError(names.unknown(text), hint="'reportgen frameworks' lists them.")
    return catalogs.frameworks[framework_id].framework


def filter_by_condition(
    framework: Framework, controls: list[Control], condition: str
) -> list[Control]:
    """The controls that depend on ``condition`` (wholly or through a duty)."""
    known = [c.id for c in framework.conditions]
    if condition not in known:
        choices = ", ".join(known) or "none"
        raise InputError(
            f"{framework.id} has no condition '{shown(condition)}'{did_you_mean(condition, known)}",
            hint=f"Its conditions: {choices}.",
        )
    return [c for c in controls if any(cid == condition for cid, _ in condition_uses(c))]


def search_controls(framework: Framework, query: str | None) -> list[Control]:
    """Controls whose id starts with the query, or whose text or layers contain it."""
    if not query:
        return list(framework.controls)
    key = norm_key(query)
    by_id = [c for c in framework.controls if norm_key(c.id).startswith(key)]
    if by_id:
        return by_id
    return [
        c
        for c in framework.controls
        if key in norm_key(f"{c.title} {c.description} {' '.join(c.layers)}")
    ]


def find_control(framework: Framework, control_id: str) -> Control:
    control = framework.control(control_id)
    if control is None:
        close = [c.id for c in framework.controls if c.id.startswith(control_id)][:5]
        hint = f"Did you mean: {', '.join(close)}?" if close else None
        raise InputError(f"{framework.id} has no control '{shown(control_id)}'", hint=hint)
    return control
