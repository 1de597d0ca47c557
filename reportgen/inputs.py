"""Read stage: the config, the catalogs and the inventory, checked against each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.artefacts.options import check_options
from reportgen.artefacts.providers import declared_names, match_key
from reportgen.catalogs.frameworks import Framework
from reportgen.catalogs.load import Catalogs as Catalogs  # re-exported
from reportgen.catalogs.load import load_catalogs as load_catalogs  # re-exported
from reportgen.catalogs.names import FrameworkNames, written_names
from reportgen.catalogs.resolve import ServiceResolver
from reportgen.catalogs.srm import SrmCatalog
from reportgen.config.model import CatalogsConfig, LoadedConfig, OverrideConfig
from reportgen.config_checks import (
    ReadConfig,
    check_raci,
    normalise_frameworks,
    read_config,
    select_frameworks,
)
from reportgen.core.errors import InputError
from reportgen.core.hashing import FileState, file_state, read_sha256
from reportgen.core.pathtext import NOT_UTF8, refuse_unwritable
from reportgen.core.slug import slugify
from reportgen.core.validation import Problems, did_you_mean, shown
from reportgen.evidence.load import Carried, Customer, read_evidence
from reportgen.inventory.limits import Limits
from reportgen.inventory.load import Inventory, InventoryOptions, UnresolvedRow, read_inventory
from reportgen.inventory.scope import ScopeParser
from reportgen.ownership.engine import CustomerOverride, resource_names
from reportgen.ownership.raci import RaciPlan, plan_raci


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


def scope_parser(catalogs: Catalogs) -> ScopeParser:
    """Reads scope columns with the names, headers and categories the catalogs give; a
    framework's name as people write it ('PCI-DSS 4.0.1') as everywhere else."""
    frameworks = [lf.framework for lf in catalogs.frameworks.values()]
    names = FrameworkNames(frameworks)
    return ScopeParser(
        {f.id: [*written_names(f), *names.keys(f.id)] for f in frameworks},
        {f.id: {c.id: [c.name, *c.aliases] for c in f.scope_categories} for f in frameworks},
        {f.id: list(f.scope_headers) for f in frameworks},
    )


def load_inputs(options: RunOptions) -> Inputs:
    """Everything the compute stage needs, or one InputError listing every problem of the
    config, the inventory and the command line, each with its line or cell (one pass)."""
    problems = Problems()
    seen = _Reads()
    seen.before(options.config)
    read = read_config(options.config, options.limits.max_yaml_bytes, problems)
    config = read.config
    catalog_files = config.catalogs if "catalogs" not in read.dropped else CatalogsConfig()
    service_files = [*map(read.loaded.resolve, catalog_files.services), *options.service_files]
    framework_files = [
        *map(read.loaded.resolve, catalog_files.frameworks),
        *options.framework_files,
    ]
    for path in (*service_files, *framework_files):
        seen.before(path)
    catalogs = load_catalogs(service_files, framework_files, options.limits.max_yaml_bytes)
    names = FrameworkNames.of(catalogs.frameworks)
    frameworks = {fid: lf.framework for fid, lf in catalogs.frameworks.items()}
    selected = select_frameworks(options.frameworks, read, names, problems)
    loaded = normalise_frameworks(read, names, frameworks, problems)
    config = loaded.config
    check_raci(read, customer_layers(catalogs.catalog), problems)
    inventory_path, inventory = _read_inventory(options, read, catalogs, problems, seen)
    overrides, warnings = resolve_overrides(read, catalogs, inventory, options.strict, problems)
    # Rows naming a third party the config declares are that provider's, not unresolved.
    declared = declared_names(config.third_parties)
    unresolved = inventory.unresolved if inventory is not None else []
    if options.strict and inventory is not None:
        pending = [u for u in unresolved if match_key(u.row.service_text) not in declared]
        _strict_problems(inventory, pending, problems)
    artefact_problems, artefact_warnings = check_options(
        config,
        frameworks,
        catalogs.resolver,
        [u.row.service_text for u in unresolved],
        selected,
    )
    problems.at_path(read.doc, artefact_problems)
    problems.raise_if_any()
    assert inventory is not None and inventory_path is not None  # else a problem was raised
    plan = plan_raci(
        config.raci,
        customer_layers(catalogs.catalog),
        service_owner_roles(inventory, config.raci.roles),
        where=str(options.config),
    )
    evidence = read_evidence(
        options.evidence,
        {fid: catalogs.frameworks[fid].framework for fid in selected},
        Customer(config.customer.name, slugify(config.customer.short_name or config.customer.name)),
        options.limits,
    )
    files = [
        seen.file("config", options.config),
        seen.file("inventory", inventory_path),
        *(seen.file("service-catalog", p) for p in service_files),
        *(seen.file("framework-catalog", p) for p in framework_files),
        *(_input_file("evidence", path, state, shown) for shown, path, state in evidence.files),
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


def _read_inventory(
    options: RunOptions, read: ReadConfig, catalogs: Catalogs, problems: Problems, seen: _Reads
) -> tuple[Path | None, Inventory | None]:
    """The inventory, its cell problems added to ``problems``; (path, None) when it cannot
    be read at all (that problem added), or when the config's inventory section is wrong."""
    if "inventory" in read.dropped:
        return None, None
    settings = read.config.inventory
    try:
        path = _inventory_path(options, read.loaded)
    except InputError as exc:
        problems.error(exc)
        return None, None
    problems.what.setdefault(str(path), "inventory")
    seen.before(path)
    try:
        # before it is read: calamine cannot open such a path, and called the workbook
        # damaged (fourteenth adversarial pass)
        _refuse_unrecordable(path, _WHAT["inventory"])
        inventory = read_inventory(
            path,
            InventoryOptions(
                sheet=settings.sheet,
                columns=dict(settings.columns),
                header_row=settings.header_row,
                limits=options.limits,
                collect_problems=True,
            ),
            catalogs.resolver,
            scope_parser(catalogs),
        )
    except InputError as exc:
        problems.error(exc)
        return path, None
    for error in inventory.problems:
        problems.error(error)
    problems.uncounted += inventory.problem_count - len(inventory.problems)
    return path, inventory


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


def _strict_problems(
    inventory: Inventory, unresolved: Sequence[UnresolvedRow], problems: Problems
) -> None:
    """--strict: each unresolved row (a declared provider's excepted) is a problem, at its
    cell."""
    for item in unresolved:
        mean = f"; did you mean {', '.join(item.suggestions)}?" if item.suggestions else ""
        what = f"'{item.row.service_text}'" if item.row.service_text else "the row"
        problems.error(
            InputError(
                f"{what} could not be resolved (--strict): {item.reason}{mean}",
                file=inventory.path,
                sheet=item.row.sheet,
                row=item.row.row,
                column=item.row.service_column or None,
            )
        )


def resolve_overrides(
    read: ReadConfig,
    catalogs: Catalogs,
    inventory: Inventory | None,
    strict: bool,
    problems: Problems,
) -> tuple[list[CustomerOverride], list[str]]:
    """Config overrides with their service ids; resource overrides find their service in
    the inventory. Every unknown service and layer is a problem on its line: all of them,
    in every override, also one with a schema problem of its own (a misspelt owner)."""
    _check_override_names(read, catalogs, problems)
    warnings: list[str] = []
    result: list[CustomerOverride] = []
    layers = set(catalogs.catalog.layer_ids)
    wanted = {e.resource for e in read.config.overrides if e.resource and not e.service}
    services = _services_by_resource_name(inventory, wanted) if wanted else {}
    for position, entry in zip(read.override_index, read.config.overrides, strict=True):
        service_id = _override_service(entry.service, entry.resource, catalogs, services)
        if service_id is None:
            if not entry.service and inventory is not None:
                _missing_resource(read, position, entry, strict, problems, warnings)
            continue
        result += [
            CustomerOverride(
                number=position + 1,
                layer=layer,
                owner=entry.owner,
                justification=entry.justification,
                service_id=service_id,
                resource=entry.resource,
                party=entry.party,
            )
            for layer in entry.layers
            if layer in layers
        ]
    _check_conflicts(read, result, problems)
    return result, warnings


def _check_conflicts(
    read: ReadConfig, overrides: Sequence[CustomerOverride], problems: Problems
) -> None:
    """Two overrides giving one layer of one service (or one resource) different owners:
    the last silently won, while the pack still listed the first's justification (twelfth
    adversarial pass). Which one the customer meant is theirs to say."""
    first: dict[tuple[str, str | None, str], CustomerOverride] = {}
    for override in overrides:
        key = (override.service_id, override.resource, override.layer)
        earlier = first.setdefault(key, override)
        if _owner_key(earlier) == _owner_key(override):
            continue
        line = read.doc.line_of(("overrides", earlier.number - 1)) or 0
        said = _owner_words(earlier)
        problems.at(
            read.doc,
            ("overrides", override.number - 1, "owner"),
            f"gives the {override.layer} layer of {override.resource or override.service_id} "
            f"to {_owner_words(override)}, but overrides[{earlier.number - 1}] (line {line}) "
            f"gives it to {said}; one layer has one owner, so keep one of the two",
        )


def _owner_key(override: CustomerOverride) -> tuple[str, str]:
    return override.owner, (override.party or "").strip().casefold()


def _owner_words(override: CustomerOverride) -> str:
    return f"'{shown(override.party)}'" if override.party else f"the {override.owner}"


def _check_override_names(read: ReadConfig, catalogs: Catalogs, problems: Problems) -> None:
    """The service and layers each override names, as written in the file."""
    raw = read.doc.data.get("overrides") if "overrides" not in read.dropped else None
    layers = catalogs.catalog.layer_ids
    for position, entry in enumerate(raw if isinstance(raw, list) else []):
        service = entry.get("service") if isinstance(entry, dict) else None
        layer = entry.get("layer") if isinstance(entry, dict) else None
        if isinstance(service, str) and service and not catalogs.resolver.resolve(service):
            close = catalogs.resolver.suggest(service)
            mean = f"did you mean {', '.join(close)}?" if close else "'reportgen services' lists"
            where = ("overrides", position, "service")
            problems.at(read.doc, where, f"unknown service '{shown(service)}'; {mean}")
        for name in [layer] if isinstance(layer, str) else layer if isinstance(layer, list) else []:
            if isinstance(name, str) and name not in layers:
                listed = f"(layers: {', '.join(layers)})"
                text = f"unknown layer '{shown(name)}'{did_you_mean(name, layers)} {listed}"
                problems.at(read.doc, ("overrides", position, "layer"), text, name)


def _missing_resource(
    read: ReadConfig,
    position: int,
    entry: OverrideConfig,
    strict: bool,
    problems: Problems,
    warnings: list[str],
) -> None:
    """A resource override that no inventory row has: ignored with a warning (the resource
    may simply be gone), a problem with --strict."""
    where = ("overrides", position, "resource")
    text = f"resource '{shown(entry.resource)}' is not in the inventory"
    if strict:
        problems.at(read.doc, where, f"{text} (--strict)")
        return
    line = read.doc.line_of(where)
    at = f"{read.path}" + (f", line {line}" if line else "")
    warnings.append(f"{at}: overrides[{position}].resource: {text}; the override is ignored")


def _override_service(
    service: str | None, resource: str | None, catalogs: Catalogs, services: dict[str, str]
) -> str | None:
    if service:
        resolution = catalogs.resolver.resolve(service)
        return resolution.service_id if resolution else None
    return services.get(resource) if resource else None


def _services_by_resource_name(inventory: Inventory | None, wanted: set[str]) -> dict[str, str]:
    """Each name in ``wanted`` that an inventory row's resource goes by (the engine's
    resource_names), to the service of the first such row; one pass over the rows."""
    services: dict[str, str] = {}
    for item in inventory.rows if inventory is not None else ():
        if item.row.resource:
            for name in resource_names(item.row.resource):
                if name in wanted:
                    services.setdefault(name, item.service_id)
    return services


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


_WHAT = {
    "config": "the config file",
    "inventory": "the inventory",
    "service-catalog": "the service catalog",
    "framework-catalog": "the framework catalog",
    "evidence": "the evidence workbook",
}


class _Reads:
    """The state of each input file just before it is read, so the hash the pack records
    is refused unless it is of the bytes that were read (an editor saving the inventory
    mid-build would otherwise leave a pack whose input hash matches nothing it used)."""

    def __init__(self) -> None:
        self.states: dict[Path, FileState | None] = {}

    def before(self, path: Path) -> None:
        self.states.setdefault(path, file_state(path))

    def file(self, role: str, path: Path) -> InputFile:
        return _input_file(role, path, self.states.get(path))


def _input_file(
    role: str, path: Path, before: FileState | None, shown: str | None = None
) -> InputFile:
    _refuse_unrecordable(path, _WHAT[role])
    sha256, size = read_sha256(path, before, _WHAT[role])
    return InputFile(role=role, path=shown or path.as_posix(), sha256=sha256, size=size)


def _refuse_unrecordable(path: Path, what: str) -> None:
    """The pack records each input's path (matrix.json, summary.md, the manifest), as UTF-8
    text: a byte of it that is not UTF-8 failed the build as it wrote them, an internal
    error after the inputs were read (twelfth adversarial pass)."""
    refuse_unwritable(
        str(path),
        str(path),
        subject=f"the path of {what}",
        cannot="the pack (a UTF-8 record of its inputs) cannot name",
        hint="Rename the file (or the folder holding it) to plain text.",
        found=NOT_UTF8,
    )
