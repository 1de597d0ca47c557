"""What each auditor asks for, computed into matrix.json: document control, the AWS
attestation and its coverage, third-party providers, the PCI DSS responsibility summary's
settings, the ISO/IEC 27001 Statement of Applicability, SOC 2 complementary controls."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import write_config, write_csv

from reportgen.artefacts.catalog import artefact_catalog, attestation_list
from reportgen.artefacts.coverage import COVERED, NOT_COVERED, NOT_LISTED, service_status
from reportgen.artefacts.document import add_months, change_summary, next_version
from reportgen.config.model import CoverageConfig
from reportgen.core.errors import InputError
from reportgen.inputs import RunOptions
from reportgen.pipeline import prepare

BASE = """\
customer:
  name: Test Co
inventory:
  path: inventory.csv
"""


def matrices_of(project, extra: str = "", frameworks=("pci-dss", "iso-27001", "soc2")):
    config = write_config(project, BASE + extra)
    inputs, matrices = prepare(RunOptions(config=config, frameworks=tuple(frameworks)))
    return inputs, matrices


# --------------------------------------------------------------------------- coverage


def test_the_shipped_list_is_dated_and_names_the_three_programs():
    listing = attestation_list()
    assert dt.date.fromisoformat(listing.as_of) <= dt.date.today()
    assert {p.id for p in listing.programs} == {"pci-dss", "iso-27001", "soc"}
    assert set(listing.services["ec2"]) == {"pci-dss", "iso-27001", "soc"}
    programs = {spec.attestation_program for spec in artefact_catalog().frameworks.values()}
    assert programs == {"pci-dss", "iso-27001", "soc"}


@pytest.mark.parametrize(
    ("service", "program", "expected"),
    [
        ("ec2", "pci-dss", COVERED),
        ("lightsail", "pci-dss", NOT_COVERED),  # on AWS's page, in no program (2022)
        ("memorydb", "iso-27001", NOT_COVERED),  # PCI DSS only in 2022
        ("memorydb", "pci-dss", COVERED),
        ("bedrock", "soc", NOT_LISTED),  # newer than the list
    ],
)
def test_service_status_follows_the_list(service, program, expected):
    assert service_status(service, program, attestation_list(), CoverageConfig()) == expected


def test_config_corrections_win_over_the_list():
    corrections = CoverageConfig(add=["bedrock"], remove=["ec2"])
    listing = attestation_list()
    assert service_status("bedrock", "soc", listing, corrections) == COVERED
    assert service_status("ec2", "soc", listing, corrections) == NOT_COVERED


def test_uncovered_services_are_flagged_in_matrix_and_statements(project):
    write_csv(
        project / "inventory.csv",
        [["Service", "Resource ID"], ["EC2", "i-1"], ["Lightsail", "ls-1"], ["Bedrock", "b-1"]],
    )
    _, matrices = matrices_of(project, frameworks=("pci-dss",))
    matrix = matrices["pci-dss"]
    coverage = matrix["aws_attestation"]["coverage"]
    assert coverage["covered"] == ["ec2"]
    assert coverage["not_covered"] == ["lightsail"] and coverage["not_listed"] == ["bedrock"]
    status = {s["id"]: s["attestation"] for s in matrix["services"]}
    assert status == {"ec2": "covered", "lightsail": "not-covered", "bedrock": "not-listed"}
    flagged = [c for c in matrix["controls"] if "Not evidenced for" in c["responsibility"]["aws"]]
    assert flagged
    for control in matrix["controls"]:
        aws = control["responsibility"]["aws"]
        if any(p["kind"] == "aws" for p in control["parties"]) and aws:
            concerned = {
                sid
                for sid, cell in control["services"].items()
                if any(p["kind"] == "aws" for p in cell["parties"])
            }
            estate = any(d["by"] == "aws" for d in control["duties"])
            if estate or concerned & {"lightsail", "bedrock"}:
                assert "Not evidenced for" in aws, control["id"]
            else:
                assert "Not evidenced for" not in aws, control["id"]


def test_coverage_corrections_resolve_names_and_are_recorded(project):
    extra = """\
framework_options:
  pci-dss:
    attestation:
      date: 2025-11-28
      version: Fall 2025
      assessor: Coalfire Systems Inc.
      coverage: {checked: 2026-01-15, add: [Amazon Bedrock]}
"""
    write_csv(project / "inventory.csv", [["Service"], ["EC2"], ["Bedrock"]])
    _, matrices = matrices_of(project, extra, frameworks=("pci-dss",))
    block = matrices["pci-dss"]["aws_attestation"]
    assert block["relied_on"] == {
        "date": "2025-11-28",
        "version": "Fall 2025",
        "assessor": "Coalfire Systems Inc.",
    }
    assert block["coverage"]["added"] == ["bedrock"]
    assert block["coverage"]["checked"] == "2026-01-15"
    assert block["coverage"]["not_listed"] == []


# --------------------------------------------------------------------------- providers


def test_declared_providers_take_their_rows_out_of_unresolved(project):
    write_csv(
        project / "inventory.csv",
        [["Service"], ["EC2"], ["snowflake   data cloud"], ["Datadog"], ["Nonsense Svc"]],
    )
    extra = """\
third_parties:
  - name: Snowflake
    service: Data warehouse for settlement reports.
    account_data: [stores]
    inventory: [Snowflake Data Cloud]
  - name: Datadog
    service: Monitoring.
overrides:
  - {service: ec2, layer: operating-system, owner: third-party, party: Patchers Ltd,
     justification: Patchers Ltd patches the fleet under contract.}
"""
    inputs, matrices = matrices_of(project, extra, frameworks=("pci-dss",))
    matrix = matrices["pci-dss"]
    assert [u["value"] for u in matrix["unresolved"]] == ["Nonsense Svc"]
    assert matrix["scope"]["unresolved_rows"] == 1
    assert matrix["scope"]["third_party_rows"] == 2
    parties = {p["name"]: p for p in matrix["third_parties"]}
    assert list(parties) == ["Patchers Ltd", "Snowflake", "Datadog"]
    assert parties["Patchers Ltd"]["source"] == "override"
    assert parties["Patchers Ltd"]["account_data"] == ["could-impact"]
    assert parties["Patchers Ltd"]["operates"][0]["layer"] == "Operating system"
    assert "6.3.3" in parties["Patchers Ltd"]["controls"]  # patching
    assert parties["Snowflake"]["inventory_rows"][0]["value"] == "snowflake   data cloud"
    assert parties["Datadog"]["inventory_rows"][0]["row"] == 4
    assert len(inputs.inventory.unresolved) == 3  # the inventory itself is untouched


def test_strict_accepts_rows_of_declared_providers(project):
    write_csv(project / "inventory.csv", [["Service"], ["EC2"], ["Snowflake"]])
    config = write_config(project, BASE + "third_parties: [{name: Snowflake, service: DWH.}]\n")
    prepare(RunOptions(config=config, strict=True, frameworks=("pci-dss",)))
    write_csv(project / "inventory.csv", [["Service"], ["EC2"], ["Snowflake"], ["Nope"]])
    with pytest.raises(InputError, match=r"row 4, column A \(Service\): 'Nope' could not be"):
        prepare(RunOptions(config=config, strict=True, frameworks=("pci-dss",)))


def test_a_provider_name_matching_no_row_is_a_warning(project):
    extra = "third_parties: [{name: Acme, service: Things., inventory: [Acme Cloud]}]\n"
    inputs, _ = matrices_of(project, extra, frameworks=("pci-dss",))
    assert any("'Acme Cloud' names no unresolved inventory row" in w for w in inputs.warnings)


# --------------------------------------------------------------------------- document control


@pytest.mark.parametrize(
    ("old", "new"),
    [("1", "2"), ("1.4", "1.5"), ("v3", "v4"), ("2.9", "2.10"), ("draft", "draft.1")],
)
def test_next_version(old, new):
    assert next_version(old) == new


def test_add_months_keeps_the_day_or_the_months_last():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 12) == dt.date(2027, 11, 15)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_document_control_defaults(project):
    _, matrices = matrices_of(project, frameworks=("soc2",))
    document = matrices["soc2"]["document"]
    built = dt.date.fromisoformat(matrices["soc2"]["generated_at"][:10])
    assert document["version"] == "1" and document["previous_version"] is None
    assert document["next_review"] == add_months(built, 12).isoformat()
    assert document["approvers"] == [] and document["distribution"] == []
    assert [r["summary"] for r in document["revisions"]] == ["First version."]


def test_the_previous_pack_continues_version_and_history(project):
    _, first = matrices_of(project, frameworks=("pci-dss",))
    extra = """\
overrides:
  - {service: ec2, layer: operating-system, owner: third-party, party: Patchers Ltd,
     justification: Patchers Ltd patches the fleet under contract.}
document_control:
  change_note: Patching moved to Patchers Ltd
"""
    config = write_config(project, BASE + extra)
    from reportgen.pack.diff import Pack

    previous = Pack(project, first, None)
    _, second = prepare(RunOptions(config=config, frameworks=("pci-dss",)), previous=previous)
    document = second["pci-dss"]["document"]
    assert document["version"] == "2" and document["previous_version"] == "1"
    assert [r["version"] for r in document["revisions"]] == ["1", "2"]
    summary = document["revisions"][-1]["summary"]
    assert summary.startswith("Patching moved to Patchers Ltd. ")
    assert "owner change" in summary and "→" in summary
    assert "changed inputs: config" in summary
    assert summary == "Patching moved to Patchers Ltd. " + change_summary(
        first["pci-dss"], second["pci-dss"]
    )


def test_change_summary_names_owner_changes_and_services():
    old = {
        "controls": [
            {"id": "1.1", "title": "a", "owner": "customer", "label": "Customer",
             "provenance": "p"},
            {"id": "1.2", "title": "b", "owner": "aws", "label": "AWS", "provenance": "p"},
        ],
        "services": [{"id": "ec2", "name": "Amazon EC2"}],
        "framework": {"id": "x", "name": "X"},
        "inputs": [{"role": "config", "sha256": "1"}],
    }  # fmt: skip
    new = {
        **old,
        "controls": [
            {**old["controls"][0], "owner": "shared", "label": "Shared"},
            old["controls"][1],
        ],
        "services": [*old["services"], {"id": "s3", "name": "Amazon S3"}],
        "inputs": [{"role": "config", "sha256": "1"}],
    }
    text = change_summary(old, new)
    assert text == "1 owner change: 1.1 Customer → Shared; services added: Amazon S3."


def test_a_pinned_version_equal_to_the_previous_warns(project):
    _, first = matrices_of(project, "document_control: {version: '3'}\n", ("soc2",))
    config = write_config(project, BASE + "document_control: {version: '3'}\n")
    from reportgen.pack.diff import Pack

    inputs, second = prepare(
        RunOptions(config=config, frameworks=("soc2",)), previous=Pack(project, first, None)
    )
    assert second["soc2"]["document"]["version"] == "3"
    assert any("the version of the previous pack too" in w for w in inputs.warnings)


# --------------------------------------------------------------------------- PCI DSS


def test_segmentation_is_asked_for_when_used(project):
    extra = "framework_options:\n  pci-dss:\n    conditions: {uses-segmentation: true}\n"
    inputs, matrices = matrices_of(project, extra, frameworks=("pci-dss",))
    summary = matrices["pci-dss"]["artefacts"]["responsibility_summary"]
    assert summary["segmentation"] == {"used": True, "description": None}
    assert summary["provider_controls"] == ["12.8.1", "12.8.5"]
    assert any("segmentation is used" in w for w in inputs.warnings)


def test_scope_categories_give_cde_and_connected_accounts(project):
    write_csv(
        project / "inventory.csv",
        [
            ["Service", "Account", "PCI Scope"],
            ["EC2", "111111111111", "CDE"],
            ["RDS", "111111111111", "CDE"],
            ["S3", "222222222222", "connected"],
            ["SQS", "333333333333", "no"],
        ],
    )
    _, matrices = matrices_of(project, frameworks=("pci-dss",))
    categories = matrices["pci-dss"]["scope"]["categories"]
    assert categories["cde"] == {"services": ["ec2", "rds"], "accounts": ["111111111111"]}
    assert categories["connected"]["accounts"] == ["222222222222"]


# --------------------------------------------------------------------------- ISO/IEC 27001


def test_the_soa_lists_every_annex_a_control_and_keeps_clauses_apart(project):
    extra = """\
framework_options:
  iso-27001:
    isms_scope: The ISMS of Test Co for its platform on AWS.
    exclusions: {A.7.6: No secure areas of our own; hosting is AWS's.}
    justifications: {A.5.1: Required by our banking licence and by risk R-12.}
"""
    _, matrices = matrices_of(project, extra, frameworks=("iso-27001",))
    matrix = matrices["iso-27001"]
    soa = matrix["artefacts"]["statement_of_applicability"]
    ids = [row["id"] for row in soa["controls"]]
    assert len(ids) == 93 and all(i.startswith("A.") for i in ids)
    assert len(soa["requirements"]) == 30
    assert not {r["id"] for r in soa["requirements"]} & set(ids)
    assert soa["isms_scope"].startswith("The ISMS of Test Co")
    rows = {row["id"]: row for row in soa["controls"]}
    assert rows["A.7.6"]["included"] is False and rows["A.7.6"]["status"] == "excluded"
    assert rows["A.5.1"]["justification"].startswith("Required by our banking licence")
    for row in soa["controls"]:
        assert len(row["justification"]) > 20 and row["owner"], row
        assert row["status"] in ("not started", "excluded")
    shared = rows["A.7.1"]  # physical perimeters: AWS's data centres, the customer's office
    assert "inherited under the AWS ISO/IEC 27001 certificate" in shared["justification"]
    assert shared["owner"].endswith("AWS (inherited part)")


def test_the_soa_reads_the_implementation_status_when_the_round_trip_sets_it(project):
    from reportgen.artefacts.soa import statement_of_applicability

    _, matrices = matrices_of(project, frameworks=("iso-27001",))
    matrix = matrices["iso-27001"]
    matrix["controls"][-1]["implementation_status"] = "implemented"
    spec = artefact_catalog().of("iso-27001").statement_of_applicability
    soa = statement_of_applicability(spec, matrix, None, "certificate")
    assert soa["controls"][-1]["status"] == "implemented"
    assert soa["controls"][0]["status"] == "not started"


# --------------------------------------------------------------------------- SOC 2


def test_csocs_come_from_the_duties_aws_carries(project):
    _, matrices = matrices_of(project, frameworks=("soc2",))
    matrix = matrices["soc2"]
    block = matrix["artefacts"]["complementary_controls"]
    csocs = block["subservice_controls"]
    assert csocs and block["method"] == "carve-out"
    controls = {c["id"]: c for c in matrix["controls"]}
    inherited = {
        c["id"]
        for c in matrix["controls"]
        if c["applicable"] and any(p["kind"] == "aws" for p in c["parties"])
    }
    assert {cid for c in csocs for cid in c["criteria"]} == inherited
    for csoc in csocs:
        for cid in csoc["criteria"]:
            assert any(p["kind"] == "aws" for p in controls[cid]["parties"])
    physical = next(c for c in csocs if "CC6.4" in c["criteria"])
    assert physical["services"] == []  # AWS's own estate
    assert len({c["text"] for c in csocs}) == len(csocs)


def test_cuec_defaults_follow_the_categories_and_config_replaces_them(project):
    chosen = "framework_options:\n  soc2:\n    categories: [security, confidentiality]\n"
    _, matrices = matrices_of(project, chosen, frameworks=("soc2",))
    block = matrices["soc2"]["artefacts"]["complementary_controls"]
    assert block["user_entity_controls_source"] == "defaults"
    criteria = {c for u in block["user_entity_controls"] for c in u["criteria"]}
    assert {"CC6.2", "C1.1"} <= criteria
    assert not any(c.startswith(("PI", "P1", "P2", "A1")) for c in criteria)
    _, matrices = matrices_of(project, frameworks=("soc2",))  # every category
    block = matrices["soc2"]["artefacts"]["complementary_controls"]
    assert {"PI1.2", "A1.2", "P1.1"} <= {
        c for u in block["user_entity_controls"] for c in u["criteria"]
    }
    extra = """\
framework_options:
  soc2:
    user_entity_controls:
      - {text: Clients rotate the API keys we issue them every 90 days., criteria: [CC6.1]}
"""
    _, matrices = matrices_of(project, extra, frameworks=("soc2",))
    block = matrices["soc2"]["artefacts"]["complementary_controls"]
    assert block["user_entity_controls_source"] == "config"
    assert [u["id"] for u in block["user_entity_controls"]] == ["CUEC-01"]


# --------------------------------------------------------------------------- config checks


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "framework_options:\n  pci-dss:\n    isms_scope: The ISMS of the whole company.\n",
            "framework_options.pci-dss.isms_scope: only for a framework whose pack has a "
            "Statement of Applicability",
        ),
        (
            "framework_options:\n  iso-27001:\n    segmentation: VPCs keep the CDE apart.\n",
            "framework_options.iso-27001.segmentation: only for",
        ),
        (
            "framework_options:\n  iso-27001:\n    exclusions: {'5.1': Not an Annex A one.}\n",
            "not Annex A controls of the Statement of Applicability: 5.1",
        ),
        (
            "framework_options:\n  soc2:\n    user_entity_controls: [{text: Do the thing well.,"
            " criteria: [CC99.1]}]\n",
            "user_entity_controls[0].criteria: unknown CC99.1",
        ),
        (
            "framework_options:\n  pci-dss:\n    attestation: {coverage: {add: [Nonexistent]}}\n",
            "attestation.coverage.add: unknown service(s) Nonexistent",
        ),
    ],
)
def test_misplaced_or_unknown_artefact_settings_are_errors(project, extra, message):
    with pytest.raises(InputError) as caught:
        matrices_of(project, extra)
    assert any(message in detail for detail in caught.value.details), caught.value.details
