"""The user's configuration file (``reportgen.yaml``): schema, defaults and loading.

Every problem is reported at once, keyed by its path in the file (``overrides[2].owner``)
and its line; unknown keys are errors so a typo never silently falls back to a default.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from reportgen.config.ticket_systems import TICKET_SYSTEMS, env_names
from reportgen.core.owners import Owner
from reportgen.core.pathtext import config_path, expand_home
from reportgen.core.plugins import format_name_problem
from reportgen.core.strict import StrictModel
from reportgen.core.validation import listed, validate_document
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES, load_yaml
from reportgen.inventory.fields import FIELDS

DEFAULT_ROLES = ["Cloud Platform", "Security", "Application Owner", "Compliance"]
AWS_ROLE = "AWS"
DEFAULT_ACCOUNTABLE = "Security"
DEFAULT_INFORMED = ["Compliance"]
# Who does the customer's work within each customer-side layer, on the default roles.
DEFAULT_RESPONSIBLE = {
    "customer-data": "Application Owner",
    "platform-application": "Application Owner",
    "operating-system": "Cloud Platform",
    "network-configuration": "Cloud Platform",
    "firewall-configuration": "Cloud Platform",
    "client-side-encryption": "Application Owner",
    "server-side-encryption": "Cloud Platform",
    "network-traffic-protection": "Cloud Platform",
    "customer-iam": "Security",
    "organization": "Security",
}
# Who does the customer's estate-wide work (policies, people, suppliers, incidents), by what
# the control is about (frameworks.TOPICS). No default makes Compliance responsible: it is
# the informed role of the defaults, and a config maps topics onto it to change that.
DEFAULT_TOPIC_ROLES = {
    "governance": "Security",
    "people": "Security",
    "vendor-management": "Security",
    "asset-management": "Cloud Platform",
    "access-control": "Security",
    "cryptography": "Security",
    "network": "Cloud Platform",
    "configuration": "Cloud Platform",
    "vulnerability-management": "Security",
    "secure-development": "Application Owner",
    "logging-monitoring": "Security",
    "incident-response": "Security",
    "resilience": "Cloud Platform",
    "data-protection": "Application Owner",
    "physical": "Security",
}

_Text = Field(min_length=1, max_length=500)


def _home_known(value: str) -> str:
    if "\x00" in value:  # os.stat's ValueError was an internal error (sixteenth pass)
        raise ValueError("the path holds a NUL byte, which no file name can hold")
    expand_home(value)  # the path itself is resolved later, against the config's folder
    return value


# A path in the config: relative to its folder, or starting with a home folder's ~.
ConfigPath = Annotated[str, AfterValidator(_home_known)]


class CustomerConfig(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    short_name: str | None = Field(default=None, min_length=1, max_length=60)


class InventoryConfig(StrictModel):
    path: ConfigPath | None = None
    sheet: str | None = None
    header_row: StrictInt | None = Field(default=None, ge=1)  # `true` is not row 1
    columns: dict[str, str] = {}

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {listed(unknown)}; fields are {', '.join(FIELDS)}")
        return columns


MAX_ROLES = 500  # RACI columns besides AWS and third parties; teams name a handful
RoleName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class RaciConfig(StrictModel):
    """RACI roles and who is responsible for what. Anything left out takes its default
    (DEFAULT_RESPONSIBLE, DEFAULT_TOPIC_ROLES); a default naming a role the config does not
    have falls back to the accountable role, with a warning (raci.plan_raci)."""

    # Each role is a column of the RACI sheet, in every row: 17,001 roles ran the sheet past
    # Excel's last column and 150,000 took minutes to check (twelfth adversarial pass).
    roles: list[RoleName] = Field(
        default_factory=lambda: list(DEFAULT_ROLES), min_length=1, max_length=MAX_ROLES
    )
    accountable: str | None = None  # default: Security, else the first role (with a warning)
    responsible: dict[str, str] = {}  # customer-side layer -> role
    topics: dict[str, str] = {}  # control topic -> role, for estate-wide duties
    consulted: list[str] = []
    informed: list[str] | None = None  # default: Compliance, when it is one of the roles

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, topics: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(topics) - set(DEFAULT_TOPIC_ROLES))
        if unknown:
            raise ValueError(
                f"unknown topic(s) {listed(unknown)}; topics are {', '.join(DEFAULT_TOPIC_ROLES)}"
            )
        return topics


class OverrideConfig(StrictModel):
    service: str | None = Field(default=None, min_length=1, max_length=200)
    resource: str | None = Field(default=None, min_length=1, max_length=2048)
    layer: str | list[str]
    owner: Owner
    party: str | None = Field(default=None, min_length=1, max_length=200)
    justification: str = Field(min_length=10, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> OverrideConfig:
        if not self.service and not self.resource:
            raise ValueError("name a 'service' or a 'resource' (or both)")
        if self.owner == "third-party" and not self.party:
            raise ValueError("owner 'third-party' needs 'party' naming who operates the layer")
        if self.owner != "third-party" and self.party:
            raise ValueError("'party' only applies to owner 'third-party'")
        return self

    @property
    def layers(self) -> list[str]:
        return [self.layer] if isinstance(self.layer, str) else list(self.layer)


class CoverageConfig(StrictModel):
    """Corrections to the shipped, dated list of services an AWS attestation covers."""

    checked: dt.date | None = None  # when you checked AWS's Services in Scope page
    add: list[str] = []  # services the attestation covers that the shipped list lacks
    remove: list[str] = []  # services it no longer covers


class AttestationConfig(StrictModel):
    """The AWS attestation this framework's pack relies on, as obtained from AWS Artifact
    (PCI DSS: the AOC; ISO/IEC 27001: the certificate; SOC 2: the report)."""

    date: dt.date | None = None  # its date (AOC signed, certificate issued, period end)
    version: str | None = Field(default=None, min_length=1, max_length=200)
    assessor: str | None = Field(default=None, min_length=1, max_length=200)
    coverage: CoverageConfig = CoverageConfig()


class UserEntityControlConfig(StrictModel):
    """A control the customer's own clients (user entities) are expected to operate."""

    text: str = Field(min_length=10, max_length=1000)
    criteria: list[str] = []  # the criteria it supports


class SystemConfig(StrictModel):
    """The SOC 2 system, for the system description skeleton."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=4000)
    commitments: str | None = Field(default=None, min_length=1, max_length=4000)


_Statement = Field(default=None, min_length=10, max_length=4000)


class FrameworkOptions(StrictModel):
    categories: list[str] | None = None
    conditions: dict[str, bool] = {}
    allow_empty: bool = False  # build this framework even with no in-scope service
    # Which of these a framework takes is in catalogs/artefacts.yaml (artefacts.check_options).
    attestation: AttestationConfig = AttestationConfig()
    segmentation: str | None = _Statement  # PCI DSS: how the CDE is kept apart
    isms_scope: str | None = _Statement  # ISO/IEC 27001: the ISMS scope statement
    exclusions: dict[str, str] = {}  # ISO/IEC 27001: Annex A control -> why excluded
    justifications: dict[str, str] = {}  # ISO/IEC 27001: Annex A control -> why included
    user_entity_controls: list[UserEntityControlConfig] | None = None  # SOC 2
    system: SystemConfig = SystemConfig()  # SOC 2

    @field_validator("exclusions", "justifications")
    @classmethod
    def _reasons(cls, reasons: dict[str, str]) -> dict[str, str]:
        short = sorted(control for control, text in reasons.items() if len(text.strip()) < 10)
        if short:
            raise ValueError(f"give a reason of at least 10 characters for {listed(short)}")
        return reasons


PdfVariant = Literal["default", "pdf/a-3u"]
PaperSize = Literal["A4", "Letter"]


def _known_format(name: str) -> str:
    problem = format_name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


FormatName = Annotated[str, AfterValidator(_known_format)]  # an output format's name


class OutputConfig(StrictModel):
    dir: ConfigPath | None = None
    classification: str = Field(default="Confidential", min_length=1, max_length=80)
    templates: ConfigPath | None = None  # folder searched before the shipped report templates
    pdf_variant: PdfVariant = "default"
    paper_size: PaperSize = "A4"  # the PDF's pages and the workbook's print setup
    # Output formats to write (render/formats.py: matrix, xlsx, oscal, pdf, summary and any
    # plugin's); absent: all of them. --format on the command line wins.
    formats: list[FormatName] | None = Field(default=None, min_length=1)


class ApproverConfig(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=200)
    date: dt.date | None = None  # when signed; empty: a line to sign on
    action: Literal["prepared", "reviewed", "approved"] = "approved"


# A document version: letters, digits, dots and hyphens ("2", "1.4", "v3", "2025-1"). Also
# what a pack's revision history may hold (pack/manifest_schema.py): build --previous adds
# one to its last number.
DOCUMENT_VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.-]*$"


class DocumentControlConfig(StrictModel):
    """What makes each PDF and workbook a controlled record (ISO/IEC 27001 7.5.3 style)."""

    # Default: 1, or the previous pack's version + 1 with `build --previous`.
    version: str | None = Field(default=None, pattern=DOCUMENT_VERSION_PATTERN, max_length=20)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    approvers: list[ApproverConfig] = []
    review_interval_months: int = Field(default=12, ge=1, le=60)
    next_review: dt.date | None = None  # default: the build date + review_interval_months
    distribution: list[str] = []
    change_note: str | None = Field(default=None, min_length=1, max_length=1000)


AccountData = Literal["stores", "processes", "transmits", "could-impact"]


class ThirdPartyConfig(StrictModel):
    """A service provider outside AWS (a SaaS warehouse, a monitoring vendor, your MSP)."""

    name: str = Field(min_length=1, max_length=200)
    service: str = Field(min_length=3, max_length=1000)  # what it does for you
    account_data: list[AccountData] = []  # PCI DSS: how it touches account data; [] none
    inventory: list[str] = []  # service cells of the inventory that name it
    compliance: str | None = Field(default=None, min_length=1, max_length=500)
    responsibilities: str | None = Field(default=None, min_length=1, max_length=2000)


class CatalogsConfig(StrictModel):
    services: list[ConfigPath] = []
    frameworks: list[ConfigPath] = []


class _AttachCommon(StrictModel):
    """What every ticket system shares; each system's own section (``attach.jira``...) comes
    from the ticket-system registry (config/ticket_systems.py)."""

    ca_bundle: ConfigPath | None = None  # relative to the config file
    timeout: float = Field(default=60.0, gt=0, le=600)  # seconds per request
    retries: int = Field(default=5, ge=1, le=20)  # attempts per request, the first included
    backoff: float = Field(default=1.0, ge=0, le=60)  # seconds before the first retry
    max_wait: float = Field(default=60.0, ge=0, le=3600)  # cap of one wait, Retry-After too

    @model_validator(mode="after")
    def _env_names(self) -> _AttachCommon:
        names = [n for s in TICKET_SYSTEMS.all() for n in env_names(getattr(self, s.name))]
        bad = [name for name in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
        if bad:
            raise ValueError(f"not an environment variable name: {listed(bad)}")
        return self


AttachConfig = create_model(  # attach: the shared keys, and one section per ticket system
    "AttachConfig",
    __base__=_AttachCommon,
    **{s.name: (s.settings, Field(default_factory=s.settings)) for s in TICKET_SYSTEMS.all()},
)


class Config(StrictModel):
    customer: CustomerConfig
    frameworks: list[str] | None = Field(default=None, min_length=1)
    framework_options: dict[str, FrameworkOptions] = {}
    inventory: InventoryConfig = InventoryConfig()
    raci: RaciConfig = RaciConfig()
    overrides: list[OverrideConfig] = []
    output: OutputConfig = OutputConfig()
    catalogs: CatalogsConfig = CatalogsConfig()
    attach: AttachConfig = AttachConfig()
    document_control: DocumentControlConfig = DocumentControlConfig()
    third_parties: list[ThirdPartyConfig] = []

    @field_validator("third_parties")
    @classmethod
    def _unique_parties(cls, parties: list[ThirdPartyConfig]) -> list[ThirdPartyConfig]:
        names = [p.name.casefold() for p in parties]
        twice = sorted({p.name for p in parties if names.count(p.name.casefold()) > 1})
        if twice:
            raise ValueError(f"named more than once: {listed(twice)}")
        return parties


class LoadedConfig(BaseModel):
    """A validated config and the file it came from (relative paths resolve against it)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path

    def resolve(self, value: str) -> Path:
        return config_path(value, self.path.parent)


def load_config(path: Path, max_bytes: int = DEFAULT_MAX_YAML_BYTES) -> LoadedConfig:
    doc = load_yaml(path, max_bytes=max_bytes)
    return LoadedConfig(config=validate_document(Config, doc, "config"), path=path)
