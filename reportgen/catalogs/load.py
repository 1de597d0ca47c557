"""The shipped catalogs (SRM, services, frameworks) with any the user adds, loaded together
with the resolver that maps the names an inventory writes to the service catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.catalogs.frameworks import LoadedFramework, load_frameworks
from reportgen.catalogs.resolve import ServiceResolver
from reportgen.catalogs.srm import SrmCatalog, load_srm_catalog
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES


@dataclass
class Catalogs:
    catalog: SrmCatalog
    frameworks: dict[str, LoadedFramework]
    resolver: ServiceResolver


def load_catalogs(
    service_files: Sequence[Path] = (),
    framework_files: Sequence[Path] = (),
    max_yaml_bytes: int = DEFAULT_MAX_YAML_BYTES,
) -> Catalogs:
    catalog = load_srm_catalog(tuple(service_files), max_yaml_bytes)
    frameworks = load_frameworks(catalog, tuple(framework_files), max_yaml_bytes)
    return Catalogs(catalog, frameworks, ServiceResolver(catalog))
