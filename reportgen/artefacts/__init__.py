"""What each auditor asks for besides the matrix, added to matrix.json (pure).

For every framework: document control (version, revision history, approvers, next review,
distribution), the AWS attestation relied on and which in-scope services it covers, and the
third-party service providers. Then what the framework's pack carries (artefacts.yaml): the
PCI DSS responsibility summary's settings, the ISO/IEC 27001 Statement of Applicability,
the SOC 2 complementary controls and system description. Renderers read them from the
matrix like everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.artefacts.catalog import FrameworkArtefacts, artefact_catalog, attestation_list
from reportgen.artefacts.complementary import complementary_controls, system_description
from reportgen.artefacts.coverage import coverage, outside
from reportgen.artefacts.document import document_control
from reportgen.artefacts.options import resolve_services
from reportgen.artefacts.providers import providers, split_unresolved
from reportgen.artefacts.soa import statement_of_applicability
from reportgen.catalogs.resolve import ServiceResolver
from reportgen.config.model import Config, CoverageConfig, FrameworkOptions
from reportgen.ownership.engine import FrameworkResult
from reportgen.ownership.provenance import short_name


def add_artefacts(
    matrix: dict[str, Any],
    result: FrameworkResult,
    config: Config,
    resolver: ServiceResolver,
    previous: Mapping[str, dict[str, Any]],
) -> list[str]:
    """Add this framework's artefacts to ``matrix`` (in place); return new warnings.

    Rows of the inventory that name a declared third party move from ``unresolved`` to that
    provider, and AWS's statement of a control says where its attestation does not reach.
    """
    fid = result.framework.id
    spec = artefact_catalog().of(fid)
    options = config.framework_options.get(fid)
    warnings: list[str] = []
    matrix["framework"]["terms"] = spec.terms.model_dump()
    claimed, rest = split_unresolved(matrix["unresolved"], config.third_parties)
    matrix["unresolved"] = rest
    matrix["scope"]["unresolved_rows"] = len(rest)
    matrix["scope"]["third_party_rows"] = sum(len(rows) for rows in claimed.values())
    matrix["third_parties"] = providers(config.third_parties, claimed, matrix)
    matrix["aws_attestation"] = _attestation(matrix, spec, options, resolver)
    _flag_uncovered(matrix)
    matrix["artefacts"] = _framework_artefacts(matrix, result, spec, options)
    matrix["document"] = document_control(
        config.document_control, matrix, previous.get(fid), warnings
    )
    matrix["warnings"] += warnings
    return warnings


def _attestation(
    matrix: dict[str, Any],
    spec: FrameworkArtefacts,
    options: FrameworkOptions | None,
    resolver: ServiceResolver,
) -> dict[str, Any]:
    configured = options.attestation if options else None
    relied_on = None
    if configured and (configured.date or configured.version or configured.assessor):
        relied_on = {
            "date": configured.date.isoformat() if configured.date else None,
            "version": configured.version,
            "assessor": configured.assessor,
        }
    summary = None
    if spec.attestation_program:
        corrections = configured.coverage if configured else None
        if corrections is not None:
            added, _ = resolve_services(corrections.add, resolver)
            removed, _ = resolve_services(corrections.remove, resolver)
            corrections = corrections.model_copy(update={"add": added, "remove": removed})
        summary, status = coverage(
            spec.attestation_program,
            attestation_list(),
            corrections or CoverageConfig(),
            [s["id"] for s in matrix["services"]],
        )
        for service in matrix["services"]:
            service["attestation"] = status[service["id"]]
    return {"relied_on": relied_on, "coverage": summary}


def _flag_uncovered(matrix: dict[str, Any]) -> None:
    """AWS's part of a control is not evidenced for a service its attestation does not
    cover: say so in the control's AWS statement."""
    summary = matrix["aws_attestation"]["coverage"]
    flagged = set(outside(summary))
    if not flagged:
        return
    names = {s["id"]: short_name(s["name"]) for s in matrix["services"]}
    for control in matrix["controls"]:
        statement = control["responsibility"]["aws"]
        if not statement:
            continue
        estate = any(
            d["by"] == "aws" and any(p["kind"] == "aws" for p in d["parties"])
            for d in control["duties"]
        )
        concerned = {
            sid
            for sid, cell in control["services"].items()
            if any(p["kind"] == "aws" for p in cell["parties"])
        }
        hit = sorted(flagged if estate else flagged & concerned, key=lambda s: names[s])
        if hit:
            listed = ", ".join(names[s] for s in hit)
            control["responsibility"]["aws"] = (
                f"{statement} Not evidenced for {listed}: not on the list of services the "
                f"attestation covers (as of {summary['as_of']}); confirm in AWS Artifact "
                "before relying on AWS's part there."
            )


def _framework_artefacts(
    matrix: dict[str, Any],
    result: FrameworkResult,
    spec: FrameworkArtefacts,
    options: FrameworkOptions | None,
) -> dict[str, Any]:
    artefacts: dict[str, Any] = {}
    program = matrix["framework"]["attestation"]["name"]
    if spec.attestation_program:
        program = attestation_list().program(spec.attestation_program).name
    if spec.responsibility_summary is not None:
        summary = spec.responsibility_summary
        condition = summary.segmentation_condition
        answers = options.conditions if options else {}
        artefacts["responsibility_summary"] = {
            "provider_controls": [
                cid for cid in summary.provider_controls if result.framework.control(cid)
            ],
            "segmentation": {
                "used": answers.get(condition) if condition else None,
                "description": options.segmentation if options else None,
            },
        }
    if spec.statement_of_applicability is not None:
        artefacts["statement_of_applicability"] = statement_of_applicability(
            spec.statement_of_applicability, matrix, options, program
        )
    if spec.complementary_controls is not None:
        catalog_controls = {c.control.id: c.control for c in result.controls}
        artefacts["complementary_controls"] = complementary_controls(
            spec.complementary_controls, options, matrix, catalog_controls
        )
        artefacts["system_description"] = system_description(options)
    return artefacts
