"""RACI rules: exactly one Accountable per row, AWS R/A for what it owns, config checks."""

from __future__ import annotations

import pytest

from reportgen.config.model import RaciConfig
from reportgen.core.errors import InputError
from reportgen.inputs import customer_layers
from reportgen.ownership.engine import CustomerOverride, EstateService, evaluate_framework
from reportgen.ownership.raci import apply_raci, plan_raci


@pytest.fixture
def plan(catalogs):
    return plan_raci(RaciConfig(), customer_layers(catalogs.catalog))


@pytest.fixture
def results(catalogs, plan):
    framework = catalogs.frameworks["pci-dss"].framework
    estate = [EstateService(s, 1) for s in ("ec2", "rds", "s3")]
    override = CustomerOverride(
        1, "operating-system", "third-party", "MSP patches EC2", "ec2", party="MSP"
    )
    result = evaluate_framework(framework, catalogs.catalog, estate, [override])
    apply_raci(result, plan)
    return result


def test_exactly_one_accountable_per_row(results):
    for row in results.controls:
        accountable = [role for role, mark in row.raci.items() if "A" in mark]
        assert len(accountable) == 1, (row.control.id, row.raci)


def test_rows_list_roles_in_column_order(results, plan):
    """Not in the order of a set, which changes from run to run (hash randomisation)."""
    column = {role: i for i, role in enumerate(plan.columns())}
    for row in results.controls:
        roles = list(row.raci)
        assert roles == sorted(roles, key=lambda r: (column.get(r, len(column)), r)), row.raci


def test_aws_is_responsible_where_it_carries_a_duty_and_never_accountable(results, plan):
    for row in results.controls:
        carries = any(owner == "aws" for owner, _ in row.holders)
        assert row.raci.get("AWS") == ("R" if carries else None), (row.control.id, row.raci)
        assert "A" in row.raci[plan.accountable], row.control.id
    physical = next(r for r in results.controls if r.control.id == "9.2.1")
    # AWS's data centres; the customer's own premises go to the role of the physical topic.
    assert physical.raci["AWS"] == "R" and physical.raci[plan.accountable] == "A/R"


def test_shared_rows_have_both_sides_responsible_and_customer_accountable(results, plan):
    shared = [row for row in results.controls if row.owner == "shared"]
    assert shared
    for row in shared:
        assert "A" in row.raci[plan.accountable]
        assert "R" in row.raci.get("AWS", "")
        customer_r = [r for r, m in row.raci.items() if r != "AWS" and "R" in m]
        assert customer_r, row.control.id


def test_third_party_is_responsible(results):
    rows = [r for r in results.controls if any(o.party == "MSP" for o in r.services.values())]
    assert rows
    assert all(row.raci.get("MSP") == "R" for row in rows)


def _row(results, control_id):
    return next(r for r in results.controls if r.control.id == control_id)


def test_estate_duties_go_to_the_role_of_the_controls_topic(results):
    """Policies, incident response, people, secure development: by topic, not all to one
    'organization' role; Compliance, the informed role of the defaults, is only informed."""
    assert _row(results, "12.1.1").raci == {"Security": "A/R", "Compliance": "I"}
    assert _row(results, "12.10.1").raci["Security"] == "A/R"  # incident response
    training = _row(results, "6.2.2")  # secure-coding training: the developers
    assert training.control.topics[0] == "secure-development"
    assert training.raci["Application Owner"] == "R"
    for row in results.controls:
        assert row.raci.get("Compliance") in ("I", None), (row.control.id, row.raci)


def test_duties_within_a_layer_use_the_layer_role(results):
    # 2.2.2 default accounts: within the guest OS (the MSP on EC2), IAM and the DB users.
    row = _row(results, "8.3.1")
    assert row.raci["Security"] == "A/R"  # customer-iam


def test_config_maps_topics_onto_its_own_roles(catalogs):
    config = RaciConfig(
        roles=["Platform", "SecOps", "Dev", "GRC", "People Team"],
        accountable="SecOps",
        responsible={"operating-system": "Platform"},
        topics={"people": "People Team", "governance": "GRC", "secure-development": "Dev"},
        informed=[],
    )
    plan = plan_raci(config, customer_layers(catalogs.catalog))
    result = _evaluate(catalogs, plan)
    screening = _row(result, "12.7.1")  # pre-hire screening
    assert screening.control.topics[0] == "people"
    assert screening.raci == {"SecOps": "A", "People Team": "R"}
    assert _row(result, "12.1.1").raci == {"SecOps": "A", "GRC": "R"}
    assert all(row.raci.get("Dev") != "A" for row in result.controls)


def test_a_config_that_only_renames_roles_stays_valid_and_says_what_fell_back(catalogs):
    config = RaciConfig(roles=["Platform", "SecOps", "Dev"], accountable="SecOps")
    plan = plan_raci(config, customer_layers(catalogs.catalog))
    assert plan.informed == ()  # the default informed role (Compliance) is not one of them
    assert set(plan.responsible.values()) == {"SecOps"}
    assert set(plan.topics.values()) == {"SecOps"}
    (warning,) = plan.warnings
    assert "operating-system" in warning and "incident-response" in warning
    assert "SecOps, the accountable role" in warning
    for row in _evaluate(catalogs, plan).controls:
        assert [r for r, m in row.raci.items() if "A" in m] == ["SecOps"], row.raci


def test_roles_without_an_accountable_take_the_first_role_with_a_warning(catalogs):
    plan = plan_raci(RaciConfig(roles=["Platform", "Dev"]), customer_layers(catalogs.catalog))
    assert plan.accountable == "Platform"
    assert any("'Platform', the first role, is accountable" in w for w in plan.warnings)


def test_a_default_never_makes_an_informed_role_responsible(catalogs):
    config = RaciConfig(informed=["Cloud Platform"])
    plan = plan_raci(config, customer_layers(catalogs.catalog))
    assert plan.responsible["operating-system"] == "Security"
    assert plan.topics["network"] == "Security"
    assert "operating-system" in plan.warnings[0] and "network" in plan.warnings[0]
    for row in _evaluate(catalogs, plan).controls:
        assert row.raci.get("Cloud Platform") in ("I", None), (row.control.id, row.raci)


def test_defaults_give_no_warning(plan):
    assert plan.warnings == ()


def test_an_organization_role_from_an_older_config_still_routes_estate_duties(catalogs):
    config = RaciConfig(responsible={"organization": "Compliance"}, informed=[])
    plan = plan_raci(config, customer_layers(catalogs.catalog))
    assert set(plan.topics.values()) == {"Compliance"}
    assert _row(_evaluate(catalogs, plan), "12.1.1").raci == {"Security": "A", "Compliance": "R"}


def test_aws_is_never_responsible_for_the_customers_evidence(results, plan):
    """In the workbook's Evidence sheet AWS collects only its own attestation."""
    from reportgen.render.xlsx_evidence import evidence_rows

    controls = []
    for row in results.controls:
        items = [{"item": e, "provided_by": "customer", "status": "not started"}
                 for e in row.control.evidence]  # fmt: skip
        if row.control.aws_evidence:
            items.append(
                {"item": row.control.aws_evidence, "provided_by": "aws", "status": "not started"}
            )
        controls.append(
            {"id": row.control.id, "title": row.control.title, "owner": row.owner,
             "raci": row.raci, "evidence_items": items}
        )  # fmt: skip
    matrix = {
        "roles": plan.columns(["MSP"]),
        "raci_rules": {"accountable": plan.accountable},
        "controls": controls,
        "framework": {"name": "PCI DSS"},
        "evidence_status": {"orphans": []},
    }
    rows = list(evidence_rows(matrix))
    assert rows
    for row in rows:
        provided_by, role = row[3], row[5]
        assert (provided_by == "AWS") == (role == "AWS"), row


def _evaluate(catalogs, plan):
    framework = catalogs.frameworks["pci-dss"].framework
    estate = [EstateService(s, 1) for s in ("ec2", "rds", "s3")]
    result = evaluate_framework(framework, catalogs.catalog, estate, [])
    apply_raci(result, plan)
    return result


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"accountable": "CISO"}, "'CISO' is not one of the roles"),
        ({"accountable": "AWS"}, "AWS cannot be accountable"),
        ({"accountable": "Security, Compliance"}, "exactly one Accountable"),
        ({"responsible": {"operating-system": "Nobody"}}, "'Nobody' is not one of the roles"),
        ({"responsible": {"physical-environmental": "Security"}}, "not a customer-side layer"),
        ({"consulted": ["Security"]}, "accountable role"),
        ({"informed": ["Ghost"]}, "'Ghost' is not one of the roles"),
        ({"topics": {"people": "HR"}}, "raci.topics.people: 'HR' is not one of the roles"),
    ],
)
def test_bad_raci_config_is_rejected(catalogs, config, message):
    with pytest.raises(InputError) as caught:
        plan_raci(RaciConfig(**config), customer_layers(catalogs.catalog))
    assert any(message in detail for detail in caught.value.details), caught.value.details


def test_layers_left_out_take_their_default_role(catalogs):
    config = RaciConfig(responsible={"customer-data": "Security"})
    plan = plan_raci(config, customer_layers(catalogs.catalog))
    assert plan.responsible["customer-data"] == "Security"
    assert plan.responsible["operating-system"] == "Cloud Platform"
    assert plan.warnings == ()


def test_an_unknown_topic_is_an_error():
    with pytest.raises(ValueError, match="unknown topic"):
        RaciConfig(topics={"hr": "Security"})


def test_the_pdf_checklist_never_makes_aws_collect_the_customers_evidence():
    from reportgen.render.pdf_context import evidence_row

    control = {
        "id": "9.2.1",
        "title": "Entry controls",
        "split_by_service": False,
        "owner": "shared",
        "label": "Shared",
        "evidence": ["Visitor logs of the office"],
    }
    shared = evidence_row({**control, "raci": {"AWS": "R", "Security": "A", "Facilities": "R"}})
    assert shared["responsible"] == ["Facilities"]
    inherited = evidence_row({**control, "raci": {"AWS": "R", "Security": "A"}})
    assert inherited["responsible"] == ["Security"]  # files AWS's attestation
