"""The user's configuration file (``reportgen.yaml``): schema, defaults and loading.

Every problem is reported at once, keyed by its path in the file (``overrides[2].owner``)
and its line; unknown keys are errors so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.inventory.fields import FIELDS
from reportgen.validation import validate_document
from reportgen.yamlio import DEFAULT_MAX_YAML_BYTES, load_yaml

DEFAULT_ROLES = ["Cloud Platform", "Security", "Application Owner", "Compliance"]
AWS_ROLE = "AWS"
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
    "organization": "Compliance",
}

_Text = Field(min_length=1, max_length=500)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerConfig(_Strict):
    name: str = Field(min_length=1, max_length=200)
    short_name: str | None = Field(default=None, min_length=1, max_length=60)


class InventoryConfig(_Strict):
    path: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    columns: dict[str, str] = {}

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)}; fields are {', '.join(FIELDS)}"
            )
        return columns


class RaciConfig(_Strict):
    roles: list[str] = Field(default_factory=lambda: list(DEFAULT_ROLES), min_length=1)
    accountable: str = "Security"
    responsible: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RESPONSIBLE))
    consulted: list[str] = []
    informed: list[str] = ["Compliance"]


class OverrideConfig(_Strict):
    service: str | None = Field(default=None, min_length=1, max_length=200)
    resource: str | None = Field(default=None, min_length=1, max_length=2048)
    layer: str | list[str]
    owner: Literal["aws", "customer", "shared", "third-party", "not-applicable"]
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


class FrameworkOptions(_Strict):
    categories: list[str] | None = None
    conditions: dict[str, bool] = {}
    allow_empty: bool = False  # build this framework even with no in-scope service


PdfVariant = Literal["default", "pdf/a-3u"]
PaperSize = Literal["A4", "Letter"]


class OutputConfig(_Strict):
    dir: str | None = None
    classification: str = Field(default="Confidential", min_length=1, max_length=80)
    templates: str | None = None  # folder searched before the shipped report templates
    pdf_variant: PdfVariant = "default"
    paper_size: PaperSize = "A4"  # the PDF's pages and the workbook's print setup


class CatalogsConfig(_Strict):
    services: list[str] = []
    frameworks: list[str] = []


class JiraAttachConfig(_Strict):
    """Where `reportgen attach --jira` finds its base URL and credentials: the names of
    environment variables, never the secrets themselves."""

    url: str | None = Field(default=None, max_length=500)  # not secret; else from url_env
    url_env: str = "REPORTGEN_JIRA_URL"
    email_env: str = "REPORTGEN_JIRA_EMAIL"
    token_env: str = "REPORTGEN_JIRA_TOKEN"
    pat_env: str = "REPORTGEN_JIRA_PAT"


class ServiceNowAttachConfig(_Strict):
    url: str | None = Field(default=None, max_length=500)
    url_env: str = "REPORTGEN_SERVICENOW_URL"
    user_env: str = "REPORTGEN_SERVICENOW_USER"
    password_env: str = "REPORTGEN_SERVICENOW_PASSWORD"
    token_env: str = "REPORTGEN_SERVICENOW_TOKEN"
    journal: Literal["work_notes", "comments"] = "work_notes"


class AttachConfig(_Strict):
    jira: JiraAttachConfig = JiraAttachConfig()
    servicenow: ServiceNowAttachConfig = ServiceNowAttachConfig()
    ca_bundle: str | None = None  # relative to the config file
    timeout: float = Field(default=60.0, gt=0, le=600)  # seconds per request
    retries: int = Field(default=5, ge=1, le=20)  # attempts per request, the first included
    backoff: float = Field(default=1.0, ge=0, le=60)  # seconds before the first retry
    max_wait: float = Field(default=60.0, ge=0, le=3600)  # cap of one wait, Retry-After too

    @model_validator(mode="after")
    def _env_names(self) -> AttachConfig:
        names = [
            getattr(section, key)
            for section in (self.jira, self.servicenow)
            for key in type(section).model_fields
            if key.endswith("_env")
        ]
        bad = [name for name in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
        if bad:
            raise ValueError(f"not an environment variable name: {', '.join(bad)}")
        return self


class Config(_Strict):
    customer: CustomerConfig
    frameworks: list[str] | None = Field(default=None, min_length=1)
    framework_options: dict[str, FrameworkOptions] = {}
    inventory: InventoryConfig = InventoryConfig()
    raci: RaciConfig = RaciConfig()
    overrides: list[OverrideConfig] = []
    output: OutputConfig = OutputConfig()
    catalogs: CatalogsConfig = CatalogsConfig()
    attach: AttachConfig = AttachConfig()


class LoadedConfig(BaseModel):
    """A validated config and the file it came from (relative paths resolve against it)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path

    def resolve(self, value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else self.path.parent / candidate


def load_config(path: Path, max_bytes: int = DEFAULT_MAX_YAML_BYTES) -> LoadedConfig:
    doc = load_yaml(path, max_bytes=max_bytes)
    return LoadedConfig(config=validate_document(Config, doc, "config"), path=path)
