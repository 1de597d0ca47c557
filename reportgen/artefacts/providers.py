"""Third-party service providers: the parties named in overrides and those declared in the
config, with the inventory rows that name them (pure).

PCI DSS 12.8.1 asks for the list of providers that handle account data or could affect
its security, 12.8.5 for what each of them is responsible for. An inventory row that names
a declared provider (a SaaS data warehouse, a monitoring vendor) is that provider's, not an
unresolved AWS service; whatever stays unresolved is outside the matrix.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from reportgen.config.model import ThirdPartyConfig

THIRD_PARTY_KIND = "third-party"
Row = TypeVar("Row")


def match_key(text: str) -> str:
    """Case and spacing do not matter when a row names a provider."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def declared_names(parties: Sequence[ThirdPartyConfig]) -> dict[str, str]:
    """Inventory service text (as a match key) -> the provider it names."""
    names: dict[str, str] = {}
    for party in parties:
        for text in (party.name, *party.inventory):
            names.setdefault(match_key(text), party.name)
    return names


def split_unresolved(
    unresolved: Iterable[Row],
    parties: Sequence[ThirdPartyConfig],
    text: Callable[[Row], str] = operator.itemgetter("value"),
) -> tuple[dict[str, list[Row]], list[Row]]:
    """Unresolved rows that name a declared provider (by provider), and the rest. ``text``:
    a row's service text (a matrix's rows are dicts; validate gives the inventory's)."""
    names = declared_names(parties)
    claimed: dict[str, list[Row]] = {}
    rest = []
    for row in unresolved:
        party = names.get(match_key(text(row)))
        if party is None:
            rest.append(row)
        else:
            claimed.setdefault(party, []).append(row)
    return claimed, rest


def providers(
    parties: Sequence[ThirdPartyConfig],
    claimed: dict[str, list[dict[str, Any]]],
    matrix: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every third party: those operating layers by override, then those only declared."""
    declared = {match_key(p.name): p for p in parties}
    services = {s["id"]: s["name"] for s in matrix["services"]}
    layers = {layer["id"]: layer["name"] for layer in matrix["layers"]}
    operating = _operating(matrix["overrides"], services, layers)
    entries = []
    for name in sorted(operating, key=str.casefold):
        entries.append(_entry(name, declared.pop(match_key(name), None), operating[name]))
    for party in parties:
        if match_key(party.name) in declared:
            entries.append(_entry(party.name, party, []))
    for entry in entries:
        entry["controls"] = _controls(entry["name"], matrix["controls"])
        entry["inventory_rows"] = [
            {"sheet": r["sheet"], "row": r["row"], "value": r["value"]}
            for r in claimed.get(entry["name"], [])
        ]
    return entries


def _operating(
    overrides: list[dict[str, Any]], services: dict[str, str], layers: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in overrides:
        if item["owner"] != THIRD_PARTY_KIND or not item.get("party"):
            continue
        found.setdefault(item["party"], []).append(
            {
                "service": services.get(item["service"], item["service"]),
                "layer": layers.get(item["layer"], item["layer"]),
                "override": item["number"],
                **({"resource": item["resource"]} if item.get("resource") else {}),
            }
        )
    return found


def _entry(
    name: str, party: ThirdPartyConfig | None, operates: list[dict[str, Any]]
) -> dict[str, Any]:
    source = "override" if party is None else ("config" if not operates else "both")
    # A party that operates layers of in-scope services could affect their security even
    # if the config says nothing about it.
    account_data = list(party.account_data) if party else []
    if operates and not account_data:
        account_data = ["could-impact"]
    return {
        "name": name,
        "source": source,
        "service": party.service if party else None,
        "account_data": account_data,
        "compliance": party.compliance if party else None,
        "responsibilities": party.responsibilities if party else None,
        "operates": operates,
    }


def _controls(name: str, controls: list[dict[str, Any]]) -> list[str]:
    """Applicable controls in which the provider carries a duty."""
    return [
        c["id"]
        for c in controls
        if c["applicable"]
        and any(p["kind"] == THIRD_PARTY_KIND and p["name"] == name for p in c["parties"])
    ]
