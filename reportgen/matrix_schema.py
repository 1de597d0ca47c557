"""The typed contract of matrix.json: every field a renderer, a diff or another tool reads.

``build_matrix`` checks each matrix against :class:`Matrix` before anything is written, so a
field that drifts from this contract fails the build in tests, not in an auditor's tool.
``reportgen schema matrix`` prints its JSON Schema (draft 2020-12); docs/matrix.md
describes the fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportgen.core.owners import Owner
from reportgen.ownership.evidence_vocabulary import ImplementationStatus, Status

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


class Terms(_Closed):
    """What the standard calls its items, for the renderers' wording."""

    one: str = Field(description="'control', 'requirement', 'criterion'")
    many: str = Field(description="'controls', 'requirements', 'criteria'")
    matrix: str = Field(description="title of the control matrix chapter")


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
    terms: Terms


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
    unresolved_rows: int = Field(description="rows naming no AWS service nor declared provider")
    third_party_rows: int = Field(description="rows naming a third party the config declares")


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
    topics: dict[str, str] = Field(description="control topic -> responsible role")
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
    attestation: Literal["covered", "not-covered", "not-listed"] | None = Field(
        None,
        description="whether AWS's attestation for this framework covers the service, by the "
        "dated list (not-listed: the list does not know it); absent without a list",
    )


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


class Approver(_Closed):
    action: Literal["prepared", "reviewed", "approved"]
    name: str
    role: str
    date: str | None = Field(description="when signed; null: a line to sign on")


class Revision(_Closed):
    version: str
    date: str
    document_id: str
    summary: str = Field(description="what changed since the version before, from the diff")


class Document(_Closed):
    """Document control: what makes the pack a controlled record."""

    version: str
    previous_version: str | None
    owner: str | None
    approvers: list[Approver]
    review_interval_months: int
    next_review: str
    distribution: list[str]
    revisions: list[Revision] = Field(description="oldest first; the last is this version")


class ReliedOn(_Closed):
    date: str | None
    version: str | None
    assessor: str | None


class Coverage(_Closed):
    program: str = Field(description="the AWS attestation program of the dated list")
    name: str = Field(description="its name")
    as_of: str = Field(description="date of the shipped list")
    source: str
    checked: str | None = Field(description="when the config says it checked the live list")
    added: list[str]
    removed: list[str]
    covered: list[str] = Field(description="in-scope service ids the attestation covers")
    not_covered: list[str]
    not_listed: list[str]


class AwsAttestation(_Closed):
    relied_on: ReliedOn | None = Field(
        description="the attestation obtained from AWS Artifact (date, version, assessor); "
        "null until the config records it"
    )
    coverage: Coverage | None


class Operated(_Closed):
    service: str
    layer: str
    override: int
    resource: str | None = None


class InventoryRow(_Closed):
    sheet: str | None
    row: int
    value: str


class ThirdParty(_Closed):
    name: str
    source: Literal["override", "config", "both"]
    service: str | None = Field(description="what it does for the customer (config)")
    account_data: list[Literal["stores", "processes", "transmits", "could-impact"]]
    compliance: str | None
    responsibilities: str | None
    operates: list[Operated] = Field(description="layers it operates, by override")
    controls: list[str] = Field(description="applicable controls in which it carries a duty")
    inventory_rows: list[InventoryRow]


class Segmentation(_Closed):
    used: bool | None
    description: str | None


class ResponsibilitySummary(_Closed):
    provider_controls: list[str]
    segmentation: Segmentation


class SoaControl(_Closed):
    id: str
    included: bool
    justification: str
    owner: str
    status: Literal["not started", "in progress", "implemented", "not applicable", "excluded"] = (
        Field(description="the control's implementation_status, or excluded")
    )


class SoaRequirement(_Closed):
    id: str
    status: Literal["not started", "in progress", "implemented", "not applicable"]


class StatementOfApplicability(_Closed):
    isms_scope: str | None
    controls: list[SoaControl] = Field(description="every Annex A control")
    requirements: list[SoaRequirement] = Field(description="clauses 4-10: ISMS requirements")


class SubserviceControl(_Closed):
    id: str
    text: str
    criteria: list[str]
    services: list[str] = Field(description="services it concerns; empty: AWS's own estate")


class UserEntityControl(_Closed):
    id: str
    text: str
    criteria: list[str]


class ComplementaryControls(_Closed):
    subservice_organisation: str
    method: Literal["carve-out"]
    subservice_controls: list[SubserviceControl]
    monitoring: str
    user_entity_controls: list[UserEntityControl]
    user_entity_controls_source: Literal["config", "defaults"]


class SystemDescription(_Closed):
    name: str | None
    description: str | None
    commitments: str | None


class Artefacts(_Closed):
    """What this framework's auditor asks for besides the matrix."""

    responsibility_summary: ResponsibilitySummary | None = None
    statement_of_applicability: StatementOfApplicability | None = None
    complementary_controls: ComplementaryControls | None = None
    system_description: SystemDescription | None = None


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
    third_parties: list[ThirdParty]
    aws_attestation: AwsAttestation
    artefacts: Artefacts
    document: Document


# Required fields the contract gained after packs were first built against it (the first
# typed matrix.json came with the duty model). A pack written before one was added lacks it,
# and is still a valid matrix for diff and build --previous (pack/matrix_check.py): such a
# field may be missing, nothing else may differ. Paths as pack/matrix_check.contract_path
# writes them ("[]": every item of a list). A new required field goes here too: the matrices
# of older packs in tests/fixtures/old-packs are diffed and built on in tests.
ADDED_SINCE = frozenset(
    {
        "services[].traits",  # service traits
        "controls[].evidence_items",  # the evidence tracker
        "controls[].implementation_status",
        "evidence_status",
        "framework.terms",  # auditor artefacts, third parties, RACI by topic, document control
        "scope.third_party_rows",
        "raci_rules.topics",
        "third_parties",
        "aws_attestation",
        "artefacts",
        "document",
    }
)


def check_matrix(matrix: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError if ``matrix`` breaks the contract."""
    Matrix.model_validate(matrix)


def json_schema() -> dict[str, Any]:
    schema = Matrix.model_json_schema(by_alias=True)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:{SCHEMA_ID}", **schema}
