"""Which in-scope services the AWS attestation of a framework covers (pure).

AWS's PCI DSS AOC, ISO/IEC 27001 certificate and SOC 2 report each cover a list of
services. A customer cannot inherit AWS's part of a control for a service its attestation
does not cover, so every in-scope service outside the list is flagged. The list shipped is
dated (attestations.yaml); the config corrects single services and says when it checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reportgen.artefacts.catalog import AttestationList
from reportgen.config.model import CoverageConfig

COVERED = "covered"
NOT_COVERED = "not-covered"  # on AWS's page, but not in this program's scope
NOT_LISTED = "not-listed"  # not in the dated list at all: newer, or named otherwise


def service_status(
    service_id: str, program: str, listing: AttestationList, config: CoverageConfig
) -> str:
    if service_id in config.remove:
        return NOT_COVERED
    if service_id in config.add:
        return COVERED
    programs = listing.services.get(service_id)
    if programs is None:
        return NOT_LISTED
    return COVERED if program in programs else NOT_COVERED


def coverage(
    program: str, listing: AttestationList, config: CoverageConfig, service_ids: Iterable[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The matrix's ``aws_attestation.coverage`` and each service's status."""
    status = {sid: service_status(sid, program, listing, config) for sid in service_ids}
    summary = {
        "program": program,
        "name": listing.program(program).name,
        "as_of": listing.as_of,
        "source": listing.source,
        "checked": config.checked.isoformat() if config.checked else None,
        "added": sorted(config.add),
        "removed": sorted(config.remove),
        "covered": sorted(s for s, v in status.items() if v == COVERED),
        "not_covered": sorted(s for s, v in status.items() if v == NOT_COVERED),
        "not_listed": sorted(s for s, v in status.items() if v == NOT_LISTED),
    }
    return summary, status


def outside(summary: dict[str, Any] | None) -> list[str]:
    """In-scope services the attestation does not cover, or that the list does not know."""
    if not summary:
        return []
    return sorted([*summary["not_covered"], *summary["not_listed"]])
