"""The typed contract of matrix.json: every field a renderer, a diff or another tool reads.

``build_matrix`` checks each matrix against :class:`Matrix` before anything is written, so a
field that drifts from this contract fails the build in tests, not in an auditor's tool.
``reportgen schema matrix`` prints its JSON Schema (draft 2020-12); docs/matrix.md
describes the fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportgen.evidence.vocabulary import ImplementationStatus, Status
from reportgen.owners import Owner

SCHEMA_ID = "reportgen.matrix/1"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

PartyKind = Literal["aws", "customer", "third-party"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Party(_Closed):
    """Someone who carries a duty: AWS (inherited), the customer, or a named third party."""

    kind: PartyKind
    name: str = Field(description="'AWS', 'Customer', or the third party's own name")


class Generator(_Closed):
    name: Literal["reportgen"]
    version: str


class Customer(_Closed):
    name: str
    slug: str


class Attestation(_Closed):
    name: str
    source: str


class Category(_Closed):
    id: str
    name: str
    required: bool = False
    selected: bool


class ScopeCategory(_Closed):
    id: str
    name: str
    aliases: list[str] = []


class Condition(_Closed):
    id: str
    question: str
    answer: bool | None = Field(description="the config's answer; null when not answered")
    default: Literal["applies"] | None = Field(
        None, description="what an unanswered condition falls back to: the controls apply"
    )


class FrameworkInfo(_Closed):
    id: str
    name: str
    full_name: str
    version: str
    catalog_version: str
    publisher: str
    attestation: Attestation
    categories: list[Category]
    scope_categories: list[ScopeCategory]
    conditions: list[Condition]


class Catalogs(_Closed):
    srm: str
    framework: str


class InputFile(_Closed):
    role: str
    path: str
    sha256: str
    size: int


class CategoryScope(_Closed):
    services: list[str]
    accounts: list[str]


class Scope(_Closed):
    accounts: list[str]
    regions: list[str]
    environments: list[str]
    services: int
    resources: int
    categories: dict[str, CategoryScope] = Field(
        description="per scope category (PCI DSS: cde, connected): services and accounts"
    )
    inventory_rows: int
    unresolved_rows: int


class Layer(_Closed):
    id: str
    name: str
    description: str


class Model(_Closed):
    id: str
    name: str
    description: str
    owners: dict[str, str]


class RaciRules(_Closed):
    accountable: str
    responsible: dict[str, str]
    consulted: list[str]
    informed: list[str]
    service_roles: dict[str, list[str]]


class LayerDecision(_Closed):
    owner: Owner
    source: Literal["model", "catalog", "customer", "resource"]
    party: str | None = None
    parties: list[Party]
    reason: str | None = None
    overrides: list[int] | None = None


class Service(_Closed):
    id: str
    name: str
    full_name: str
    category: str
    model: str
    resources: int
    accounts: list[str]
    regions: list[str]
    environments: list[str]
    teams: list[str]
    scope_categories: list[str]
    traits: list[str] = Field(
        description="what the service gives the customer to look after: customer-code, "
        "stores-data, customer-network (a duty 'within' a trait concerns only such services)"
    )
    layers: dict[str, LayerDecision]


class Override(_Closed):
    number: int
    service: str
    layer: str
    owner: str
    justification: str
    resource: str | None = None
    party: str | None = None


class Group(_Closed):
    id: str
    title: str
    parent: str | None = None


class Duty(_Closed):
    index: int = Field(description="position of the duty in the catalog control")
    by: Literal["layer", "customer", "aws"]
    scope: Literal["service", "estate"]
    text: str
    parties: list[Party] = Field(description="who carries it somewhere in the estate")
    layer: str | None = None
    aws_text: str | None = Field(
        None, description="by: layer duties: what AWS does where it operates the layer"
    )


class CellDuty(_Closed):
    index: int
    parties: list[str]


class Cell(_Closed):
    """A control within one service: the owner of the duties that concern that service."""

    owner: Owner
    party: str | None = None
    parties: list[Party]
    layers: dict[str, Owner]
    duties: list[CellDuty]


class Responsibility(_Closed):
    customer: str = Field(description="what the customer must do; empty when it has no part")
    aws: str = Field(description="what AWS provides and its attestation; empty when none")


class Superseded(_Closed):
    on: str
    by: str


class EvidenceItem(_Closed):
    """One row of the evidence tracker: a catalog item, or one the team added."""

    item: str
    provided_by: Literal["customer", "aws"]
    source: Literal["catalog", "workbook"] = Field(
        description="catalog: the framework catalog's item; workbook: a row the team added"
    )
    status: Status
    overdue: bool = Field(description="not started or requested, and due before the pack's date")
    responsible_person: str | None = None
    due_date: str | None = Field(None, description="YYYY-MM-DD")
    link: str | None = Field(None, description="where the evidence is: a URL or a path, as text")
    collected_on: str | None = Field(None, description="YYYY-MM-DD")
    reviewed_by: str | None = None
    notes: str | None = None
    read_from: str | None = Field(
        None, description="'edited in workbook <file>, sheet Evidence, row N'"
    )


class OrphanItem(EvidenceItem):
    control: str = Field(description="a control id the framework catalog no longer has")


class RaciOverride(_Closed):
    role: str
    letter: Literal["R", "A", "A/R", "C", "I"] | None = Field(
        description="the team's letter; null when the team cleared the cell"
    )
    computed: Literal["R", "A", "A/R", "C", "I"] | None = Field(
        description="what the RACI rules give"
    )
    source: str = Field(description="'edited in workbook <file>, sheet RACI, row N'")


class EvidenceStatus(_Closed):
    as_of: str = Field(description="the pack's date, against which due dates are overdue")
    sources: list[str] = Field(description="the workbooks read back (build --evidence)")
    items: dict[Status, int]
    controls: dict[ImplementationStatus, int]
    overdue: int
    raci_overrides: int
    orphans: list[OrphanItem]


class Control(_Closed):
    id: str
    title: str
    description: str
    group: str
    topics: list[str]
    layers: list[str]
    owner: Owner
    split_by_service: bool = Field(description="the service cells have different owners")
    label: str = Field(description="the overall owner as shown: 'Split by service' where split")
    parties: list[Party]
    applicable: bool
    provenance: str
    duties: list[Duty]
    responsibility: Responsibility
    evidence: list[str]
    raci: dict[str, str]
    services: dict[str, Cell] = Field(
        description="service id -> cell; empty for controls with estate-wide duties only"
    )
    party: str | None = None
    note: str | None = Field(None, description="why not applicable, or since when in force")
    category: str | None = None
    aws_evidence: str | None = None
    applicability: str | None = None
    applies_if: list[str] | None = None
    in_force_from: str | None = None
    superseded: Superseded | None = None
    evidence_items: list[EvidenceItem]
    implementation_status: ImplementationStatus
    raci_overrides: list[RaciOverride] | None = None


class Unresolved(_Closed):
    sheet: str | None
    row: int
    column: str
    value: str
    reason: str
    suggestions: list[str]


class Matrix(_Closed):
    """One framework's matrix.json."""

    schema_: Literal["reportgen.matrix/1"] = Field(alias="schema")
    generator: Generator
    generated_at: str
    document_id: str
    customer: Customer
    classification: str
    framework: FrameworkInfo
    catalogs: Catalogs
    inputs: list[InputFile]
    scope: Scope
    layers: list[Layer]
    models: list[Model]
    roles: list[str]
    raci_rules: RaciRules
    services: list[Service]
    overrides: list[Override]
    groups: list[Group]
    controls: list[Control]
    counts: dict[Owner, int]
    split_by_service: int = Field(description="controls whose service cells differ")
    party_counts: dict[str, int] = Field(
        description="applicable controls in which each party carries a duty, by name"
    )
    unresolved: list[Unresolved]
    warnings: list[str]
    evidence_status: EvidenceStatus


def check_matrix(matrix: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError if ``matrix`` breaks the contract."""
    Matrix.model_validate(matrix)


def json_schema() -> dict[str, Any]:
    schema = Matrix.model_json_schema(by_alias=True)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:{SCHEMA_ID}", **schema}
