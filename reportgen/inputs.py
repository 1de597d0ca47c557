"""Read stage: the config, the catalogs and the inventory, checked against each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.artefacts.options import check_options
from reportgen.artefacts.providers import declared_names, match_key
from reportgen.config import LoadedConfig, load_config
from reportgen.engine import CustomerOverride
from reportgen.errors import InputError
from reportgen.evidence.load import Carried, Customer, read_evidence
from reportgen.frameworks import Framework, LoadedFramework, load_frameworks
from reportgen.hashing import file_sha256
from reportgen.inventory.limits import Limits
from reportgen.inventory.load import Inventory, InventoryOptions, UnresolvedRow, read_inventory
from reportgen.inventory.resolve import ServiceResolver
from reportgen.inventory.scope import ScopeParser
from reportgen.raci import RaciPlan, plan_raci
from reportgen.slug import slugify
from reportgen.srm import SrmCatalog, load_srm_catalog
from reportgen.yamlio import DEFAULT_MAX_YAML_BYTES


@dataclass(frozen=True)
class InputFile:
    role: str  # config | inventory | service-catalog | framework-catalog | evidence
    path: str  # as the user gave it
    sha256: str
    size: int


@dataclass(frozen=True)
class RunOptions:
    config: Path
    inventory: Path | None = None
    frameworks: tuple[str, ...] = ()
    strict: bool = False
    service_files: tuple[Path, ...] = ()
    framework_files: tuple[Path, ...] = ()
    limits: Limits = field(default_factory=Limits)
    allow_empty: bool = False  # build frameworks with no in-scope service (a warning, not 2)
    evidence: tuple[Path, ...] = ()  # earlier workbooks or packs whose tracking carries on


@dataclass
class Inputs:
    config: LoadedConfig
    catalog: SrmCatalog
    frameworks: dict[str, Framework]
    framework_paths: dict[str, Path]
    resolver: ServiceResolver
    inventory: Inventory
    overrides: list[CustomerOverride]
    plan: RaciPlan
    files: list[InputFile]
    warnings: list[str] = field(default_factory=list)
    evidence: dict[str, Carried] = field(default_factory=dict)  # framework id -> carried


@dataclass
class Catalogs:
    catalog: SrmCatalog
    frameworks: dict[str, LoadedFramework]
    resolver: ServiceResolver


def scope_parser(catalogs: Catalogs) -> ScopeParser:
    """Reads scope columns with the names, headers and categories the catalogs give."""
    frameworks = [lf.framework for lf in catalogs.frameworks.values()]
    return ScopeParser(
        {f.id: [f.name, *f.aliases] for f in frameworks},
        {f.id: {c.id: [c.name, *c.aliases] for c in f.scope_categories} for f in frameworks},
        {f.id: list(f.scope_headers) for f in frameworks},
    )


def load_catalogs(
    service_files: Sequence[Path] = (),
    framework_files: Sequence[Path] = (),
    max_yaml_bytes: int = DEFAULT_MAX_YAML_BYTES,
) -> Catalogs:
    catalog = load_srm_catalog(tuple(service_files), max_yaml_bytes)
    frameworks = load_frameworks(catalog, tuple(framework_files), max_yaml_bytes)
    return Catalogs(catalog, frameworks, ServiceResolver(catalog))


def load_inputs(options: RunOptions) -> Inputs:
    """Everything the compute stage needs, or one InputError naming what is wrong."""
    loaded = load_config(options.config, options.limits.max_yaml_bytes)
    config = loaded.config
    service_files = [*map(loaded.resolve, config.catalogs.services), *options.service_files]
    framework_files = [*map(loaded.resolve, config.catalogs.frameworks), *options.framework_files]
    catalogs = load_catalogs(service_files, framework_files, options.limits.max_yaml_bytes)
    selected = select_frameworks(options.frameworks or tuple(config.frameworks or ()), catalogs)
    _check_framework_options(loaded, catalogs)
    plan = plan_raci(
        config.raci,
        customer_layers(catalogs.catalog),
        where=str(options.config),
    )
    inventory_path = _inventory_path(options, loaded)
    inventory = read_inventory(
        inventory_path,
        InventoryOptions(
            sheet=config.inventory.sheet,
            columns=dict(config.inventory.columns),
            header_row=config.inventory.header_row,
            limits=options.limits,
        ),
        catalogs.resolver,
        scope_parser(catalogs),
    )
    # Rows naming a third party the config declares are that provider's, not unresolved.
    declared = declared_names(config.third_parties)
    pending = [u for u in inventory.unresolved if match_key(u.row.service_text) not in declared]
    if options.strict and pending:
        raise _strict_error(inventory, pending)
    artefact_problems, artefact_warnings = check_options(
        config,
        {fid: lf.framework for fid, lf in catalogs.frameworks.items()},
        catalogs.resolver,
        [u.row.service_text for u in inventory.unresolved],
        selected,
    )
    if artefact_problems:
        raise InputError("the config is not valid", file=loaded.path, details=artefact_problems)
    overrides, warnings = resolve_overrides(loaded, catalogs, inventory, options.strict)
    plan = plan_raci(
        config.raci,
        customer_layers(catalogs.catalog),
        service_owner_roles(inventory, plan.roles),
        where=str(options.config),
    )
    evidence = read_evidence(
        options.evidence,
        {fid: catalogs.frameworks[fid].framework for fid in selected},
        Customer(config.customer.name, slugify(config.customer.short_name or config.customer.name)),
        options.limits,
    )
    files = [
        _input_file("config", options.config),
        _input_file("inventory", inventory_path),
        *(_input_file("service-catalog", p) for p in service_files),
        *(_input_file("framework-catalog", p) for p in framework_files),
        *(_input_file("evidence", path, shown) for shown, path in evidence.files),
    ]
    return Inputs(
        config=loaded,
        catalog=catalogs.catalog,
        frameworks={fid: catalogs.frameworks[fid].framework for fid in selected},
        framework_paths={fid: catalogs.frameworks[fid].path for fid in selected},
        resolver=catalogs.resolver,
        inventory=inventory,
        overrides=overrides,
        plan=plan,
        files=files,
        warnings=[
            *inventory.warnings,
            *warnings,
            *unanswered_warnings(loaded, catalogs, selected),
            *plan.warnings,
            *artefact_warnings,
            *evidence.warnings,
        ],
        evidence=evidence.carried,
    )


def unanswered_conditions(framework: Framework, answers: dict[str, bool]) -> list[str]:
    """Condition ids some control depends on that the config does not answer."""
    used = {c for control in framework.controls for c in control.applies_if}
    used |= {c for control in framework.controls for d in control.duties for c in d.applies_if}
    return [c.id for c in framework.conditions if c.id in used and c.id not in answers]


def unanswered_warnings(
    loaded: LoadedConfig, catalogs: Catalogs, selected: Sequence[str]
) -> list[str]:
    warnings = []
    for fid in selected:
        options = loaded.config.framework_options.get(fid)
        missing = unanswered_conditions(
            catalogs.frameworks[fid].framework, dict(options.conditions) if options else {}
        )
        if missing:
            warnings.append(
                f"{fid}: {len(missing)} applicability question(s) not answered, so the "
                f"requirements that depend on them are included as if answered yes: "
                f"{', '.join(missing)} (answer them under framework_options.{fid}.conditions; "
                f"'reportgen controls {fid}' shows the questions)"
            )
    return warnings


def customer_layers(catalog: SrmCatalog) -> list[str]:
    """Layers the customer can own under some model (AWS-only layers need no role)."""
    return [
        layer
        for layer in catalog.layer_ids
        if any(m.owners[layer] != "aws" for m in catalog.models.values())
    ]


def select_frameworks(requested: Sequence[str], catalogs: Catalogs) -> list[str]:
    known = list(catalogs.frameworks)
    if not requested:
        return known
    unknown = [f for f in requested if f not in catalogs.frameworks]
    if unknown:
        raise InputError(
            f"unknown framework id(s): {', '.join(unknown)}",
            hint=f"Known frameworks: {', '.join(known)} (see 'reportgen frameworks').",
        )
    return list(dict.fromkeys(requested))


def _check_framework_options(loaded: LoadedConfig, catalogs: Catalogs) -> None:
    problems = []
    for fid, options in loaded.config.framework_options.items():
        if fid not in catalogs.frameworks:
            problems.append(f"framework_options.{fid}: unknown framework")
            continue
        framework = catalogs.frameworks[fid].framework
        categories = {c.id for c in framework.categories}
        for category in options.categories or []:
            if category not in categories:
                choices = ", ".join(sorted(categories)) or "none"
                problems.append(
                    f"framework_options.{fid}.categories: unknown category '{category}' "
                    f"(choices: {choices})"
                )
        conditions = {c.id for c in framework.conditions}
        for condition in options.conditions:
            if condition not in conditions:
                choices = ", ".join(sorted(conditions)) or "none"
                problems.append(
                    f"framework_options.{fid}.conditions: unknown condition '{condition}' "
                    f"(choices: {choices})"
                )
    if problems:
        raise InputError("the config is not valid", file=loaded.path, details=problems)


def _inventory_path(options: RunOptions, loaded: LoadedConfig) -> Path:
    if options.inventory is not None:
        return options.inventory
    if loaded.config.inventory.path:
        return loaded.resolve(loaded.config.inventory.path)
    raise InputError(
        "no inventory given",
        file=loaded.path,
        hint="Pass --inventory FILE or set inventory.path in the config.",
    )


def _strict_error(inventory: Inventory, unresolved: Sequence[UnresolvedRow]) -> InputError:
    details = [
        f"sheet '{u.row.sheet}', row {u.row.row}: " if u.row.sheet else f"row {u.row.row}: "
        for u in unresolved[:20]
    ]
    details = [
        prefix
        + f"'{u.row.service_text}' ({u.reason})"
        + (f"; did you mean {', '.join(u.suggestions)}?" if u.suggestions else "")
        for prefix, u in zip(details, unresolved, strict=False)
    ]
    more = len(unresolved) - len(details)
    if more > 0:
        details.append(f"... and {more} more")
    return InputError(
        f"{len(unresolved)} inventory row(s) could not be resolved (--strict)",
        file=inventory.path,
        details=details,
    )


def resolve_overrides(
    loaded: LoadedConfig, catalogs: Catalogs, inventory: Inventory, strict: bool
) -> tuple[list[CustomerOverride], list[str]]:
    """Config overrides with their service ids; resource overrides find their service."""
    problems: list[str] = []
    warnings: list[str] = []
    result: list[CustomerOverride] = []
    layers = set(catalogs.catalog.layer_ids)
    for number, entry in enumerate(loaded.config.overrides, start=1):
        where = f"overrides[{number - 1}]"
        service_id = _override_service(entry.service, entry.resource, catalogs, inventory)
        if service_id is None:
            what = f"service '{entry.service}'" if entry.service else f"resource '{entry.resource}'"
            message = f"{where}: {what} does not match the service catalog or the inventory"
            if entry.service or strict:
                problems.append(message)
            else:
                warnings.append(f"{loaded.path}: {message}; the override is ignored")
            continue
        for layer in entry.layers:
            if layer not in layers:
                problems.append(f"{where}.layer: unknown layer '{layer}'")
                continue
            result.append(
                CustomerOverride(
                    number=number,
                    layer=layer,
                    owner=entry.owner,
                    justification=entry.justification,
                    service_id=service_id,
                    resource=entry.resource,
                    party=entry.party,
                )
            )
    if problems:
        raise InputError("the config's overrides are not valid", file=loaded.path, details=problems)
    return result, warnings


def _override_service(
    service: str | None, resource: str | None, catalogs: Catalogs, inventory: Inventory
) -> str | None:
    if service:
        resolution = catalogs.resolver.resolve(service)
        return resolution.service_id if resolution else None
    for item in inventory.rows:
        if item.row.resource == resource or item.row.resource.endswith(
            ("/" + (resource or ""), ":" + (resource or ""))
        ):
            return item.service_id
    return None


def service_owner_roles(inventory: Inventory, roles: Sequence[str]) -> dict[str, set[str]]:
    """Roles named in the inventory's owner column, per service (other team names are kept
    in the inventory but do not become RACI columns)."""
    by_key = {role.casefold(): role for role in roles}
    found: dict[str, set[str]] = {}
    for item in inventory.rows:
        role = by_key.get(item.row.owner.casefold()) if item.row.owner else None
        if role:
            found.setdefault(item.service_id, set()).add(role)
    return found


def _input_file(role: str, path: Path, shown: str | None = None) -> InputFile:
    sha256, size = file_sha256(path)
    return InputFile(role=role, path=shown or path.as_posix(), sha256=sha256, size=size)
