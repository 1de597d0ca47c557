#!/usr/bin/env python3
"""Derive AWS service aliases from botocore's service metadata for services.yaml.

Maintainer tool. botocore is not a runtime dependency of reportgen; install it into any
virtual environment first (``pip install botocore``) and run from the repository root:

    python tools/gen_service_aliases.py            # print the derived aliases per service
    python tools/gen_service_aliases.py --check    # report differences, exit 1 if any
    python tools/gen_service_aliases.py --write    # rewrite the derived part of each list

For every service in ``reportgen/catalogs/services.yaml`` the tool finds the botocore
clients that belong to it (same name as the service id, or a signing name / endpoint
prefix among the service's ARN namespaces, plus the explicit table ``EXTRA_CLIENTS``) and
collects their ``serviceFullName``, ``serviceAbbreviation``, ``serviceId`` and
``endpointPrefix``. A value is dropped when it equals the service's own id or one of its
hand-written aliases, and when it is already claimed by, or derived for, another service
(the catalog loader rejects an alias shared by two services).

Each ``aliases`` list holds hand-written entries first, then a marker comment (``MARKER``)
followed by the derived entries. ``--write`` replaces only the lines after the marker, so
comments, key order and the hand-written aliases stay as they are; running it twice gives
no diff.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    import botocore
    from botocore.loaders import Loader
except ImportError:  # pragma: no cover - depends on the maintainer's environment
    sys.exit(
        "gen_service_aliases.py needs botocore, which reportgen itself does not depend on.\n"
        "Install it into a virtual environment first:  python -m pip install botocore"
    )

CATALOG = Path(__file__).resolve().parents[1] / "reportgen" / "catalogs" / "services.yaml"
MARKER = "# botocore-derived: regenerate with tools/gen_service_aliases.py --write"
FIELDS = ("serviceFullName", "serviceAbbreviation", "serviceId", "endpointPrefix")
ITEM_INDENT = " " * 6

# botocore clients whose name, signing name or endpoint prefix does not match the catalog
# service they belong to. An entry here wins over automatic matching.
EXTRA_CLIENTS: dict[str, tuple[str, ...]] = {
    "autoscaling": ("autoscaling-plans",),
    "aws-marketplace": ("marketplacecommerceanalytics",),
    "cloudformation": ("cloudcontrol",),
    "cloudfront": ("cloudfront-keyvaluestore",),
    "cloudtrail": ("cloudtrail-data",),
    "connect": ("connectparticipant",),
    "ds": ("ds-data",),
    "ec2": ("ebs", "ec2-instance-connect"),
    "eks": ("eks-auth",),
    "inspector2": ("inspector-scan",),
    "iot": ("iot-data", "iot-jobs-data", "iotsecuretunneling"),
    "managedblockchain": ("managedblockchain-query",),
    "mgh": ("migrationhubstrategy",),
    "rds": ("rds-data",),
    "redshift": ("redshift-data",),
    "resource-groups": ("resourcegroupstaggingapi",),
    "route53-recovery-control-config": ("arc-zonal-shift",),
    "ssm": ("ssm-guiconnect",),
    "sso": ("sso-oidc",),
    "support": ("support-app",),
    "workmail": ("workmailmessageflow",),
}

_SERVICE_START = re.compile(r"^  - id:\s*(?P<id>\S+)\s*$")
_ALIASES_KEY = re.compile(r"^    aliases:\s*(?P<flow>\[\s*\])?\s*$")
_LIST_LINE = re.compile(r"^      (-\s|#)")


class CatalogLayoutError(Exception):
    """services.yaml is not laid out the way --write can edit safely."""


@dataclass(frozen=True)
class Client:
    """One botocore client and the metadata values we turn into aliases."""

    name: str
    namespace: str
    values: tuple[str, ...]


@dataclass
class AliasBlock:
    """Where one service's aliases list sits in the file, split at the marker."""

    service_id: str
    key_line: int
    flow_empty: bool
    derived_start: int
    end: int
    manual: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    path: Path
    lines: list[str]
    services: list[dict[str, Any]]
    blocks: dict[str, AliasBlock]


def norm_key(text: str) -> str:
    """The catalog loader's comparison key: case-folded, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


def yaml_scalar(value: str) -> str:
    """A plain scalar when YAML reads it back unchanged, else a double-quoted one."""
    try:
        plain_ok = value == value.strip() and yaml.safe_load(value) == value
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok and "\n" not in value else json.dumps(value, ensure_ascii=False)


def load_clients() -> list[Client]:
    loader = Loader()
    clients = []
    for name in sorted(loader.list_available_services("service-2")):
        meta = loader.load_service_model(name, "service-2")["metadata"]
        namespace = meta.get("signingName") or meta.get("endpointPrefix") or name
        values = tuple(str(meta[f]).strip() for f in FIELDS if str(meta.get(f) or "").strip())
        clients.append(Client(name=name, namespace=namespace, values=values))
    return clients


def _parse_item(line: str, path: Path, number: int) -> str:
    value = yaml.safe_load(line.strip()[1:])
    if not isinstance(value, str):
        raise CatalogLayoutError(f"{path}:{number}: alias is not a string: {line.strip()}")
    return value


def _scan_block(lines: list[str], start: int, stop: int, service_id: str, path: Path) -> AliasBlock:
    for index in range(start, stop):
        match = _ALIASES_KEY.match(lines[index])
        if match:
            break
    else:
        raise CatalogLayoutError(f"{path}: service '{service_id}' has no 'aliases:' key")
    end = index + 1
    while end < stop and _LIST_LINE.match(lines[end]):
        end += 1
    block = AliasBlock(service_id, index, bool(match.group("flow")), end, end)
    for number in range(index + 1, end):
        text = lines[number].strip()
        if text == MARKER:
            block.derived_start = number
        elif text.startswith("-"):
            target = block.derived if block.derived_start < number else block.manual
            target.append(_parse_item(lines[number], path, number + 1))
    return block


def read_catalog(path: Path) -> Catalog:
    text = path.read_text(encoding="utf-8")
    services = (yaml.safe_load(text) or {}).get("services") or []
    lines = text.splitlines()
    starts = [
        (i, m.group("id")) for i, line in enumerate(lines) if (m := _SERVICE_START.match(line))
    ]
    if [sid for _, sid in starts] != [str(s.get("id")) for s in services]:
        raise CatalogLayoutError(f"{path}: every service must start with a '  - id: <id>' line")
    bounds = [*(i for i, _ in starts[1:]), len(lines)]
    blocks = {
        sid: _scan_block(lines, start, stop, sid, path)
        for (start, sid), stop in zip(starts, bounds, strict=True)
    }
    return Catalog(path, lines, services, blocks)


def namespaces(service: dict[str, Any]) -> list[str]:
    return list(service.get("arn_namespaces") or [service["id"]])


def map_clients(catalog: Catalog, clients: list[Client]) -> dict[str, list[Client]]:
    """Catalog service id -> its botocore clients (explicit table first, then matching)."""
    by_name = {client.name: client for client in clients}
    explicit = {name: sid for sid, names in EXTRA_CLIENTS.items() for name in names}
    owner_of_ns = {ns: s["id"] for s in catalog.services for ns in namespaces(s)}
    ids = {s["id"] for s in catalog.services}
    mapping: dict[str, list[Client]] = defaultdict(list)
    for client in clients:
        if client.name in explicit:
            target = explicit[client.name]
        else:
            candidates = {
                owner_of_ns.get(client.namespace),
                client.name if client.name in ids else None,
            }
            candidates.discard(None)
            if len(candidates) != 1:
                continue
            target = candidates.pop()
        if target in ids:
            mapping[target].append(client)
    missing = sorted(name for name in explicit if name not in by_name)
    if missing:
        print(
            f"note: EXTRA_CLIENTS names not in this botocore: {', '.join(missing)}", file=sys.stderr
        )
    return mapping


def _claims(catalog: Catalog) -> dict[str, set[str]]:
    """Map each norm key to the services owning it (id, name, full name or manual aliases)."""
    claims: dict[str, set[str]] = defaultdict(set)
    for service in catalog.services:
        sid = service["id"]
        names = [sid, service.get("name") or "", service.get("full_name") or ""]
        for value in [*names, *catalog.blocks[sid].manual]:
            if value:
                claims[norm_key(value)].add(sid)
    return claims


def _candidates(clients: list[Client]) -> list[str]:
    seen: dict[str, str] = {}
    for client in clients:
        for value in client.values:
            seen.setdefault(norm_key(value), value)
    return list(seen.values())


def derive(
    catalog: Catalog, mapping: dict[str, list[Client]]
) -> tuple[dict[str, list[str]], list[str]]:
    """Derived aliases per service, and a note for every value dropped as a collision."""
    claims = _claims(catalog)
    wanted = {s["id"]: _candidates(mapping.get(s["id"], [])) for s in catalog.services}
    derived_by: dict[str, set[str]] = defaultdict(set)
    for sid, values in wanted.items():
        for value in values:
            derived_by[norm_key(value)].add(sid)
    result: dict[str, list[str]] = {}
    dropped: list[str] = []
    for sid, values in wanted.items():
        keep = []
        for value in values:
            key = norm_key(value)
            if sid in claims.get(key, set()):
                continue
            others = (claims.get(key, set()) | derived_by[key]) - {sid}
            if others:
                dropped.append(f"{sid}: dropped '{value}' (also {', '.join(sorted(others))})")
            else:
                keep.append(value)
        result[sid] = keep
    return result, dropped


def render(catalog: Catalog, derived: dict[str, list[str]]) -> str:
    lines = list(catalog.lines)
    ordered = sorted(catalog.blocks.values(), key=lambda b: b.key_line, reverse=True)
    for block in ordered:
        values = derived.get(block.service_id, [])
        new = [ITEM_INDENT + MARKER] if values else []
        new += [f"{ITEM_INDENT}- {yaml_scalar(v)}" for v in values]
        lines[block.derived_start : block.end] = new
        if block.flow_empty:
            has_items = bool(values or block.manual)
            lines[block.key_line] = "    aliases:" if has_items else "    aliases: []"
    return "\n".join(lines) + "\n"


def differences(catalog: Catalog, derived: dict[str, list[str]]) -> list[str]:
    report = []
    for sid, block in catalog.blocks.items():
        want = derived.get(sid, [])
        if block.derived == want:
            continue
        added = [v for v in want if v not in block.derived]
        removed = [v for v in block.derived if v not in want]
        parts = [f"+{v!r}" for v in added] + [f"-{v!r}" for v in removed] or ["order changed"]
        report.append(f"{sid}: {' '.join(parts)}")
    return report


def print_table(
    catalog: Catalog, mapping: dict[str, list[Client]], derived: dict[str, list[str]]
) -> None:
    for service in catalog.services:
        sid = service["id"]
        clients = ", ".join(c.name for c in mapping.get(sid, [])) or "-"
        print(f"{sid}  [botocore: {clients}]")
        for value in derived.get(sid, []):
            print(f"    - {yaml_scalar(value)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report differences, exit 1 if any")
    mode.add_argument("--write", action="store_true", help="rewrite the derived alias entries")
    parser.add_argument("--catalog", type=Path, default=CATALOG, help="path to services.yaml")
    parser.add_argument("--quiet", action="store_true", help="do not list dropped collisions")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        catalog = read_catalog(args.catalog)
    except (OSError, yaml.YAMLError, CatalogLayoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mapping = map_clients(catalog, load_clients())
    derived, dropped = derive(catalog, mapping)
    if not args.quiet:
        for note in dropped:
            print(f"collision: {note}", file=sys.stderr)
    if args.check:
        report = differences(catalog, derived)
        for line in report:
            print(line)
        print(f"{len(report)} service(s) differ from botocore {botocore.__version__}")
        return 1 if report else 0
    if args.write:
        text = render(catalog, derived)
        reread = yaml.safe_load(text).get("services") or []
        if [s.get("id") for s in reread] != [s.get("id") for s in catalog.services]:
            print("error: rewritten catalog does not parse back; nothing written", file=sys.stderr)
            return 2
        changed = text != args.catalog.read_text(encoding="utf-8")
        if changed:
            args.catalog.write_text(text, encoding="utf-8")
        status = "updated" if changed else "unchanged"
        print(f"{args.catalog}: {status} (botocore {botocore.__version__})")
        return 0
    print_table(catalog, mapping, derived)
    return 0


if __name__ == "__main__":
    sys.exit(main())
