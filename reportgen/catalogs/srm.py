"""The Shared Responsibility Model catalog: layers, service models and AWS services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from reportgen.core.errors import InputError
from reportgen.core.owners import CatalogOverrideOwner, ModelOwner
from reportgen.core.resources import catalog_path
from reportgen.core.strict import StrictModel
from reportgen.core.validation import (
    MAX_CARRIED_TEXT,
    error_message,
    multi_line_text,
    shown,
    validate_document,
)
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES, YamlDocument, load_yaml

MODELS = ("infrastructure", "container", "abstract")
# What a service gives the customer to look after, which decides whether a duty such as
# "review the code you deploy" concerns it at all (a duty's ``within``).
TRAITS = (
    "customer-code",
    "stores-data",
    "customer-network",
    "holds-keys",
    "user-accounts",
    "internet-facing",
    # Narrower facts that keep a duty off services where it asks nothing (review 5-8):
    "handles-credentials",  # keeps secrets or hands role credentials to code it runs
    "transient-data",  # holds content only until it is delivered (queues, topics)
    "activity-records",  # records activity about resources, never their content
)
# A service that does not list its traits has its model's.
MODEL_TRAITS = {
    "infrastructure": ("customer-code", "stores-data", "customer-network"),
    "container": ("stores-data", "customer-network"),
    "abstract": ("stores-data",),
}
_ID = r"^[a-z0-9][a-z0-9-]*$"
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::([A-Za-z0-9]+|\*)$")


class Layer(StrictModel):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)


class ServiceModel(StrictModel):
    name: str
    description: str
    owners: dict[str, ModelOwner]


class SrmFile(StrictModel):
    version: str
    layers: list[Layer] = Field(min_length=1)
    models: dict[str, ServiceModel]


class LayerOverride(StrictModel):
    layer: str
    owner: CatalogOverrideOwner
    reason: str = Field(min_length=5)
    as_of: date | None = None  # when the reason was last checked against AWS's documentation


# The OSCAL plan's ids for the customer's own estate and AWS's (render/oscal_context.py):
# a service with one of them took their UUIDs, 30 of them twice (thirteenth pass).
THIS_SYSTEM = "this-system"
AWS_ESTATE = "aws-estate"
RESERVED_SERVICE_IDS = (THIS_SYSTEM, AWS_ESTATE)


class Service(StrictModel):
    id: str = Field(pattern=_ID, max_length=MAX_CARRIED_TEXT)
    name: str = Field(min_length=1, max_length=MAX_CARRIED_TEXT)
    full_name: str | None = None
    category: str = "Other"
    model: str
    aliases: list[str] = []
    arn_namespaces: list[str] = []
    resource_types: list[str] = []
    overrides: list[LayerOverride] = []
    traits: list[str] | None = None  # None: the model's (MODEL_TRAITS)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_SERVICE_IDS:
            raise ValueError(
                f"'{value}' is reserved (the OSCAL plan names an estate so); choose another id"
            )
        return value

    @field_validator("resource_types")
    @classmethod
    def _resource_types(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _RESOURCE_TYPE.match(value):
                raise ValueError(f"'{value}' is not AWS::Namespace::Type or AWS::Namespace::*")
        return values

    @property
    def namespaces(self) -> list[str]:
        return self.arn_namespaces or [self.id]


class ServicesFile(StrictModel):
    version: str
    services: list[Service]


class ServicesExtension(StrictModel):
    """A user file that adds services or replaces fields of packaged ones."""

    version: str | None = None
    services: list[dict[str, Any]] = []


@dataclass
class SrmCatalog:
    """Layers, models and services, with lookups; built by :func:`load_srm_catalog`."""

    version: str
    layers: list[Layer]
    models: dict[str, ServiceModel]
    services: dict[str, Service]
    sources: list[Path] = field(default_factory=list)

    @property
    def layer_ids(self) -> list[str]:
        return [layer.id for layer in self.layers]

    def layer(self, layer_id: str) -> Layer:
        return next(layer for layer in self.layers if layer.id == layer_id)

    def model_owner(self, model: str, layer_id: str) -> str:
        return self.models[model].owners[layer_id]

    def traits_of(self, service_id: str) -> frozenset[str]:
        service = self.services[service_id]
        if service.traits is not None:
            return frozenset(service.traits)
        return frozenset(MODEL_TRAITS.get(service.model, ()))

    def can_be_aws(self, layer_id: str) -> bool:
        """True when some model leaves this layer with AWS (so AWS evidence is relevant)."""
        return any(m.owners[layer_id] in ("aws", "shared") for m in self.models.values())


def norm_key(text: str) -> str:
    """Normalised lookup key: case-folded, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


def _check_srm(srm: SrmFile, path: Path) -> None:
    layer_ids = {layer.id for layer in srm.layers}
    problems = []
    if set(srm.models) != set(MODELS):
        problems.append(
            f"models must be exactly {', '.join(MODELS)}; found {', '.join(srm.models)}"
        )
    for name, model in srm.models.items():
        missing = layer_ids - set(model.owners)
        extra = set(model.owners) - layer_ids
        if missing:
            problems.append(f"models.{name}.owners: no owner for {', '.join(sorted(missing))}")
        if extra:
            problems.append(f"models.{name}.owners: unknown layers {', '.join(sorted(extra))}")
    if problems:
        raise InputError("SRM catalog is not consistent", file=path, details=problems)


def _check_services(catalog: SrmCatalog, source: dict[str, Path]) -> None:
    layer_ids = set(catalog.layer_ids)
    problems: list[str] = []
    claimed: dict[str, str] = {}

    def claim(kind: str, value: str, service_id: str) -> None:
        key = f"{kind}:{norm_key(value)}"
        owner = claimed.setdefault(key, service_id)
        if owner != service_id:
            problems.append(f"{kind} '{value}' belongs to both '{owner}' and '{service_id}'")

    for service in catalog.services.values():
        where = f"services[{service.id}]"
        if service.model not in catalog.models:
            problems.append(f"{where}.model: unknown model '{service.model}'")
        for override in service.overrides:
            if override.layer not in layer_ids:
                problems.append(f"{where}.overrides: unknown layer '{override.layer}'")
        for trait in service.traits or ():
            if trait not in TRAITS:
                problems.append(f"{where}.traits: unknown trait '{trait}' ({', '.join(TRAITS)})")
        claim("name", service.id, service.id)
        for alias in {norm_key(a) for a in [service.name, *service.aliases]}:
            claim("name", alias, service.id)
        for namespace in service.namespaces:
            claim("ARN namespace", namespace, service.id)
        for resource_type in service.resource_types:
            claim("resource type", resource_type, service.id)
    if problems:
        files = ", ".join(str(p) for p in sorted(set(source.values())))
        details = list(dict.fromkeys(problems))  # a clash found from both of its services once
        raise InputError("service catalog is not consistent", file=files, details=details)


def _validate_service(data: dict[str, Any], doc: YamlDocument, index: int) -> Service:
    try:
        return Service.model_validate(data)
    except ValidationError as exc:
        # Named by position, as the file is read: an id of 5 named services[5] (the
        # twelfth pass), and the id may be what is wrong.
        ident = data.get("id")
        which = f" (id '{shown(ident)}')" if isinstance(ident, str) and ident else ""
        details = [
            f"line {doc.line_of(('services', index, *e['loc']))}: "
            f"services[{index}].{'.'.join(str(p) for p in e['loc'])}{which}: {error_message(e)}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InputError("service entry is not valid", file=doc.path, details=details) from exc


def _merge_extension(
    services: dict[str, Service], source: dict[str, Path], path: Path, max_bytes: int
) -> None:
    doc = load_yaml(path, max_bytes=max_bytes)
    extension = validate_document(ServicesExtension, doc, "service catalog extension")
    problems = multi_line_text(doc)
    if problems:
        raise InputError("service catalog extension is not valid", file=path, details=problems)
    for index, entry in enumerate(extension.services):
        ident = entry.get("id")
        base = services.get(ident).model_dump() if ident in services else {}
        merged = {**base, **entry}
        services[merged.get("id", ident)] = _validate_service(merged, doc, index)
        source[str(merged.get("id"))] = path


def load_srm_catalog(
    extra_service_files: list[Path] | tuple[Path, ...] = (),
    max_bytes: int = DEFAULT_MAX_YAML_BYTES,
) -> SrmCatalog:
    """Load the packaged SRM and service catalogs, then apply user extension files in order."""
    srm_path = catalog_path("srm.yaml")
    srm = validate_document(SrmFile, load_yaml(srm_path), "SRM catalog")
    _check_srm(srm, srm_path)
    services_path = catalog_path("services.yaml")
    packaged = validate_document(ServicesFile, load_yaml(services_path), "service catalog")
    services = {s.id: s for s in packaged.services}
    source = {s.id: services_path for s in packaged.services}
    if len(services) != len(packaged.services):
        raise InputError("service catalog has duplicate ids", file=services_path)
    for path in extra_service_files:
        _merge_extension(services, source, path, max_bytes)
    catalog = SrmCatalog(
        version=_versions(srm.version, packaged.version),
        layers=srm.layers,
        models=srm.models,
        services=services,
        sources=[srm_path, services_path, *extra_service_files],
    )
    _check_services(catalog, source)
    return catalog


def _versions(srm: str, services: str) -> str:
    """One version when the SRM and service catalogs agree (they ship together), else both."""
    return srm if srm == services else f"{srm}/{services}"
