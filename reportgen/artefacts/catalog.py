"""The packaged artefact catalogs: which services each AWS attestation covers (a dated
list) and what each framework's pack carries besides the matrix (artefacts.yaml)."""

from __future__ import annotations

from functools import cache

from pydantic import Field, model_validator

from reportgen.core.errors import InputError
from reportgen.core.resources import catalog_path
from reportgen.core.strict import StrictModel
from reportgen.core.validation import validate_document
from reportgen.core.yamlio import load_yaml


class Program(StrictModel):
    id: str
    name: str


class AttestationList(StrictModel):
    """attestations.yaml: per IAM service prefix, the AWS programs whose scope lists it."""

    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    source: str
    programs: list[Program]
    services: dict[str, list[str]]

    @model_validator(mode="after")
    def _known_programs(self) -> AttestationList:
        known = {p.id for p in self.programs}
        bad = sorted({p for found in self.services.values() for p in found} - known)
        if bad:
            raise ValueError(f"services name unknown program(s): {', '.join(bad)}")
        return self

    def program(self, program_id: str) -> Program:
        return next(p for p in self.programs if p.id == program_id)


class Terms(StrictModel):
    one: str = "control"
    many: str = "controls"
    matrix: str = "Control matrix"  # the title of the control matrix chapter


class ResponsibilitySummary(StrictModel):
    provider_controls: list[str] = []  # where third-party service providers are listed
    segmentation_condition: str | None = None  # a yes asks for the segmentation description


class StatementOfApplicability(StrictModel):
    control_groups: list[str] = Field(min_length=1)
    requirement_groups: list[str] = []


class UserEntityControl(StrictModel):
    text: str = Field(min_length=10)
    criteria: list[str] = []


class ComplementaryControls(StrictModel):
    monitoring: str = Field(min_length=10)
    user_entity_controls: list[UserEntityControl] = []


class FrameworkArtefacts(StrictModel):
    attestation_program: str | None = None
    terms: Terms = Terms()
    responsibility_summary: ResponsibilitySummary | None = None
    statement_of_applicability: StatementOfApplicability | None = None
    complementary_controls: ComplementaryControls | None = None


class ArtefactCatalog(StrictModel):
    frameworks: dict[str, FrameworkArtefacts]

    def of(self, framework_id: str) -> FrameworkArtefacts:
        return self.frameworks.get(framework_id, FrameworkArtefacts())


@cache
def attestation_list() -> AttestationList:
    path = catalog_path("attestations.yaml")
    return validate_document(AttestationList, load_yaml(path), "attestation list")


@cache
def artefact_catalog() -> ArtefactCatalog:
    path = catalog_path("artefacts.yaml")
    catalog = validate_document(ArtefactCatalog, load_yaml(path), "artefact catalog")
    programs = {p.id for p in attestation_list().programs}
    bad = [
        f"frameworks.{fid}.attestation_program: unknown program '{spec.attestation_program}'"
        for fid, spec in catalog.frameworks.items()
        if spec.attestation_program and spec.attestation_program not in programs
    ]
    if bad:
        raise InputError("the artefact catalog is not consistent", file=path, details=bad)
    return catalog
