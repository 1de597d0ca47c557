"""Framework catalogs (PCI DSS, ISO/IEC 27001, SOC 2): schema, loading and cross-checks.

Everything that differs between frameworks lives in their YAML catalogs; the code only
knows the shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reportgen.catalogs.srm import TRAITS, SrmCatalog
from reportgen.core.errors import InputError
from reportgen.core.resources import frameworks_dir
from reportgen.core.slug import MAX_ID, is_safe_id
from reportgen.core.strict import StrictModel
from reportgen.core.terminal import one_line
from reportgen.core.validation import MAX_CARRIED_TEXT, multi_line_text, validate_document
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES, load_yaml

_ID = r"^[a-z0-9][a-z0-9-]*$"

# What a control is about, for routing its customer duties to a role (RACI). The default
# role of each topic is in the RACI defaults (config.py).
TOPICS = (
    "governance",
    "people",
    "vendor-management",
    "asset-management",
    "access-control",
    "cryptography",
    "network",
    "configuration",
    "vulnerability-management",
    "secure-development",
    "logging-monitoring",
    "incident-response",
    "resilience",
    "data-protection",
    "physical",
)


class Attestation(StrictModel):
    name: str
    source: str


class Category(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    required: bool = False


class Condition(StrictModel):
    id: str = Field(pattern=_ID)
    question: str


class ScopeCategory(StrictModel):
    """A category of in-scope system the framework distinguishes (PCI DSS: CDE, connected)."""

    id: str = Field(pattern=_ID)
    name: str
    aliases: list[str] = []  # what an inventory's scope column may say for it


class Group(StrictModel):
    id: str
    title: str = Field(min_length=1)
    parent: str | None = None


DutyHolder = Literal["layer", "customer", "aws"]


class Duty(StrictModel):
    """One thing a control asks someone to do, and who carries it (docs/methodology.md, 3. Duties).

    ``by: layer`` -- whoever operates ``layer`` for each in-scope service (EC2's guest OS:
    the customer; RDS's: AWS). ``by: customer`` -- the customer, whatever the service:
    for each in-scope service (document, diagram, configure what AWS provides, review,
    test), or with ``estate: true`` once for the whole estate (policies, people, premises,
    suppliers). ``by: aws`` -- AWS for its own estate (facilities, hardware, its staff),
    inherited under the framework's attestation; never copied into service cells.
    """

    by: DutyHolder
    layer: str | None = None  # by: layer -- the layer; by: customer -- the part it is about
    estate: bool = False  # by: customer -- once for the whole estate, not per service
    text: str = Field(min_length=3)  # own words; imperative, or AWS's voice for by: aws
    aws_text: str | None = None  # by: layer -- what AWS does where it operates the layer
    applies_if: list[str] = []  # condition ids: the duty drops when one is answered no
    # Per-service duties only: the service traits it concerns (any of them); a service with
    # none of them has nothing of the duty (no code of yours to review in CloudTrail).
    within: list[str] = []
    # ... or only the services with none of these traits (AWS watches the network of a
    # service where the customer has no perimeter of its own: SQS, not RDS).
    unless: list[str] = []

    @model_validator(mode="after")
    def _shape(self) -> Duty:
        if self.by == "layer" and not self.layer:
            raise ValueError("a duty by: layer must name its layer")
        if self.estate and self.by != "customer":
            raise ValueError("estate: true is for customer duties (AWS duties are estate-wide)")
        if self.aws_text and self.by != "layer":
            raise ValueError("aws_text is for duties by: layer")
        if (self.within or self.unless) and not self.per_service:
            raise ValueError("within and unless are for duties carried per service")
        return self

    @property
    def per_service(self) -> bool:
        """True when the duty is carried within each in-scope service (a service cell)."""
        return self.by == "layer" or (self.by == "customer" and not self.estate)


class Superseded(StrictModel):
    on: date  # from this date the control no longer applies ...
    by: str  # ... and this one does instead


class Control(StrictModel):
    id: str = Field(min_length=1, max_length=MAX_CARRIED_TEXT)
    group: str
    title: str = Field(min_length=1, max_length=MAX_CARRIED_TEXT)
    description: str = Field(min_length=1)
    duties: list[Duty] = Field(min_length=1)
    topics: list[str] = []
    evidence: list[str] = Field(min_length=1)
    aws_evidence: str | None = None
    applicability: str | None = None
    applies_if: list[str] = []
    category: str | None = None
    in_force_from: date | None = None  # future-dated: a best practice until this date
    superseded: Superseded | None = None

    @property
    def layers(self) -> list[str]:
        """The SRM layers the control's duties name, in the order they first appear."""
        return list(dict.fromkeys(d.layer for d in self.duties if d.layer))


class Framework(StrictModel):
    id: str = Field(pattern=_ID, max_length=MAX_ID)
    name: str = Field(max_length=MAX_CARRIED_TEXT)
    full_name: str
    aliases: list[str] = []  # other names accepted in the inventory's scope column
    version: str
    catalog_version: str
    publisher: str
    # Where the framework comes in listings and builds (lower first; equal: by id). A user
    # catalog without one takes the place of the packaged one it replaces, else comes last.
    order: int | None = Field(default=None, ge=0, le=100_000)
    attestation: Attestation
    categories: list[Category] = []
    conditions: list[Condition] = []
    # Headers that scope this framework alone besides "<name> scope" ("CDE" for PCI DSS),
    # and the in-scope categories its own scope column may give.
    scope_headers: list[str] = []
    scope_categories: list[ScopeCategory] = []
    groups: list[Group] = Field(min_length=1)
    controls: list[Control] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _names_a_folder(cls, value: str) -> str:
        # The id names the framework's folder in the pack: no reserved device names.
        if not is_safe_id(value):
            raise ValueError(f"'{value}' cannot name a folder on every system; choose another id")
        return value

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    def group_path(self, group_id: str) -> list[Group]:
        """The group and its ancestors, outermost first."""
        path = []
        current: str | None = group_id
        while current is not None:
            group = self.group(current)
            path.insert(0, group)
            current = group.parent
        return path

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)


@dataclass
class LoadedFramework:
    framework: Framework
    path: Path


def _cross_check(framework: Framework, srm: SrmCatalog) -> list[str]:
    problems: list[str] = []
    group_ids = [g.id for g in framework.groups]
    known_groups: set[str] = set()
    for group in framework.groups:
        if group.parent is not None and group.parent not in known_groups:
            problems.append(f"groups[{group.id}].parent: '{group.parent}' is not listed before it")
        known_groups.add(group.id)
    problems += _duplicates("groups", group_ids)
    problems += _duplicates("controls", [c.id for c in framework.controls])
    categories = {c.id for c in framework.categories}
    conditions = {c.id for c in framework.conditions}
    layers = set(srm.layer_ids)
    control_ids = {c.id for c in framework.controls}
    for control in framework.controls:
        where = f"controls[{control.id}]"
        if control.group not in known_groups:
            problems.append(f"{where}.group: unknown group '{control.group}'")
        for index, duty in enumerate(control.duties):
            if duty.layer is not None and duty.layer not in layers:
                problems.append(f"{where}.duties[{index}].layer: unknown layer '{duty.layer}'")
            for condition in duty.applies_if:
                if condition not in conditions:
                    problems.append(
                        f"{where}.duties[{index}].applies_if: undeclared condition '{condition}'"
                    )
        for index, duty in enumerate(control.duties):
            for trait in [*duty.within, *duty.unless]:
                if trait not in TRAITS:
                    problems.append(f"{where}.duties[{index}].within: unknown trait '{trait}'")
        for topic in control.topics:
            if topic not in TOPICS:
                problems.append(f"{where}.topics: unknown topic '{topic}'")
        if control.superseded and control.superseded.by not in control_ids:
            problems.append(f"{where}.superseded.by: unknown control '{control.superseded.by}'")
        for condition in control.applies_if:
            if condition not in conditions:
                problems.append(f"{where}.applies_if: undeclared condition '{condition}'")
        if categories and control.category not in categories:
            problems.append(f"{where}.category: must be one of {', '.join(sorted(categories))}")
        if not categories and control.category is not None:
            problems.append(f"{where}.category: the catalog declares no categories")
        inherits = any(d.by == "aws" for d in control.duties) or any(
            srm.can_be_aws(d.layer) for d in control.duties if d.by == "layer" and d.layer in layers
        )
        if inherits and not control.aws_evidence:
            problems.append(f"{where}.aws_evidence: required, a layer of this control can be AWS's")
    return problems


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    return [f"{kind}: duplicate id '{i}'" for i in dupes]


def load_framework(
    path: Path, srm: SrmCatalog, max_bytes: int = DEFAULT_MAX_YAML_BYTES
) -> Framework:
    """Load and check one framework catalog file."""
    doc = load_yaml(path, max_bytes=max_bytes)
    framework = validate_document(Framework, doc, "framework catalog")
    text = multi_line_text(doc)
    if text:
        raise InputError("framework catalog is not valid", file=path, details=text)
    problems = _cross_check(framework, srm)
    if problems:
        raise InputError(
            f"framework catalog '{framework.id}' is not consistent", file=path, details=problems
        )
    return framework


def packaged_framework_paths() -> list[Path]:
    return sorted(frameworks_dir().glob("*.yaml"))


def load_frameworks(
    srm: SrmCatalog,
    extra_files: list[Path] | tuple[Path, ...] = (),
    max_bytes: int = DEFAULT_MAX_YAML_BYTES,
) -> dict[str, LoadedFramework]:
    """Packaged catalogs, then user catalogs (a user catalog with the same id replaces one)."""
    loaded: dict[str, LoadedFramework] = {}
    order: dict[str, int] = {}
    packaged = packaged_framework_paths()
    for number, path in enumerate([*packaged, *extra_files]):
        framework = load_framework(path, srm, max_bytes)
        if number >= len(packaged):
            _refuse_second_user_catalog(loaded.get(framework.id), framework.id, path, packaged)
        loaded[framework.id] = LoadedFramework(framework, path)
        if framework.order is not None:
            order[framework.id] = framework.order
    return dict(sorted(loaded.items(), key=lambda item: (order.get(item[0], LAST), item[0])))


def _refuse_second_user_catalog(
    earlier: LoadedFramework | None, framework_id: str, path: Path, packaged: list[Path]
) -> None:
    """A user catalog replaces the packaged one of its id; a second user catalog of that
    id would silently replace the first, which a build still listed among its inputs
    (thirteenth adversarial pass). The same file named twice (in the config and on the
    command line) is one catalog."""
    if earlier is None or earlier.path in packaged or _same_file(earlier.path, path):
        return
    raise InputError(
        f"framework id '{framework_id}' is given by two framework catalogs: "
        f"{one_line(str(earlier.path))} and this one",
        file=path,
        hint="Give one catalog per framework id (a second id of its own adds a framework).",
    )


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:  # both were just read; one gone since is not the same file
        return False


LAST = 100_001  # the place of a framework whose catalogs give no order
