"""Checks of the config's artefact settings against the catalogs, every problem at once.

Which settings a framework takes follows from what its pack carries (artefacts.yaml): a
segmentation description for a responsibility summary, an ISMS scope and exclusions for a
Statement of Applicability, user entity controls and the system for complementary controls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reportgen.artefacts.catalog import FrameworkArtefacts, artefact_catalog
from reportgen.artefacts.providers import declared_names, match_key
from reportgen.artefacts.soa import top_groups
from reportgen.catalogs.frameworks import Framework
from reportgen.catalogs.resolve import ServiceResolver
from reportgen.config.model import Config, FrameworkOptions
from reportgen.core.validation import listed, shown


def resolve_services(
    names: Iterable[str], resolver: ServiceResolver
) -> tuple[list[str], list[str]]:
    """Service ids of names as a user writes them (ids, aliases, full names); the unknown."""
    ids, unknown = [], []
    for name in names:
        found = resolver.resolve(name)
        (ids if found else unknown).append(found.service_id if found else name)
    return ids, unknown


def check_options(
    config: Config,
    frameworks: dict[str, Framework],
    resolver: ServiceResolver,
    unresolved_values: Sequence[str],
    selected: Sequence[str],
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the artefact settings of the config."""
    problems: list[str] = []
    warnings: list[str] = []
    catalog = artefact_catalog()
    for fid, options in config.framework_options.items():
        framework = frameworks.get(fid)
        if framework is None:
            continue  # an unknown framework id is reported by the inputs' own checks
        where = f"framework_options.{fid}"
        spec = catalog.of(fid)
        problems += _misplaced(where, spec, options)
        problems += _soa_ids(where, spec, options, framework)
        problems += _criteria(where, options, framework)
        problems += _coverage(where, spec, options, resolver)
        if fid in selected:
            warnings += _segmentation(fid, spec, options)
    for fid in selected:
        if fid not in config.framework_options:
            warnings += _segmentation(fid, catalog.of(fid), FrameworkOptions())
    warnings += _unmatched_providers(config, unresolved_values)
    return problems, warnings


def _misplaced(where: str, spec: FrameworkArtefacts, options: FrameworkOptions) -> list[str]:
    found = []
    given = options.model_fields_set
    checks = (
        (("segmentation",), spec.responsibility_summary, "a PCI DSS responsibility summary"),
        (
            ("isms_scope", "exclusions", "justifications"),
            spec.statement_of_applicability,
            "a Statement of Applicability (ISO/IEC 27001)",
        ),
        (
            ("user_entity_controls", "system"),
            spec.complementary_controls,
            "SOC 2 complementary controls",
        ),
    )
    for keys, present, what in checks:
        for key in keys:
            if key in given and present is None:
                found.append(f"{where}.{key}: only for a framework whose pack has {what}")
    return found


def _soa_ids(
    where: str, spec: FrameworkArtefacts, options: FrameworkOptions, framework: Framework
) -> list[str]:
    soa = spec.statement_of_applicability
    if soa is None:
        return []
    top = top_groups([g.model_dump() for g in framework.groups])
    rows = {c.id for c in framework.controls if top.get(c.group) in soa.control_groups}
    found = []
    for key in ("exclusions", "justifications"):
        unknown = sorted(set(getattr(options, key)) - rows)
        if unknown:
            found.append(
                f"{where}.{key}: not Annex A controls of the Statement of Applicability: "
                f"{listed(unknown)}"
            )
    both = sorted(set(options.exclusions) & set(options.justifications))
    if both:
        found.append(f"{where}: both excluded and justified as included: {listed(both)}")
    return found


def _criteria(where: str, options: FrameworkOptions, framework: Framework) -> list[str]:
    known = {c.id for c in framework.controls}
    found = []
    for index, control in enumerate(options.user_entity_controls or []):
        unknown = [c for c in control.criteria if c not in known]
        if unknown:
            found.append(
                f"{where}.user_entity_controls[{index}].criteria: unknown {listed(unknown)}"
            )
    return found


def _coverage(
    where: str, spec: FrameworkArtefacts, options: FrameworkOptions, resolver: ServiceResolver
) -> list[str]:
    coverage = options.attestation.coverage
    if not (coverage.add or coverage.remove):
        return []
    if spec.attestation_program is None:
        return [f"{where}.attestation.coverage: no AWS attestation list for this framework"]
    found = []
    added, unknown_add = resolve_services(coverage.add, resolver)
    removed, unknown_remove = resolve_services(coverage.remove, resolver)
    for key, unknown in (("add", unknown_add), ("remove", unknown_remove)):
        if unknown:
            found.append(
                f"{where}.attestation.coverage.{key}: unknown service(s) {listed(unknown)} "
                "('reportgen services QUERY' finds a service's id)"
            )
    both = sorted(set(added) & set(removed))
    if both:
        found.append(f"{where}.attestation.coverage: both added and removed: {', '.join(both)}")
    return found


def _segmentation(fid: str, spec: FrameworkArtefacts, options: FrameworkOptions) -> list[str]:
    summary = spec.responsibility_summary
    if summary is None or summary.segmentation_condition is None:
        return []
    answer = options.conditions.get(summary.segmentation_condition)
    if answer and not options.segmentation:
        return [
            f"{fid}: segmentation is used ({summary.segmentation_condition}: yes) but not "
            f"described: describe how the CDE is kept apart under "
            f"framework_options.{fid}.segmentation (the pack leaves a blank to fill)"
        ]
    if answer is False and options.segmentation:
        return [
            f"{fid}: framework_options.{fid}.segmentation describes segmentation, but "
            f"{summary.segmentation_condition} is answered no"
        ]
    return []


def _unmatched_providers(config: Config, unresolved_values: Sequence[str]) -> list[str]:
    """A provider's inventory name that matches no unresolved row is probably a typo."""
    seen = {match_key(value) for value in unresolved_values}
    names = declared_names(config.third_parties)
    return [
        f"third_parties[{shown(party.name)}].inventory: '{shown(text)}' names no unresolved "
        "inventory row"
        for party in config.third_parties
        for text in party.inventory
        if match_key(text) not in seen and names.get(match_key(text)) == party.name
    ]
