"""RACI rules: exactly one Accountable per row, AWS R/A for what it owns, config checks."""

from __future__ import annotations

import pytest

from reportgen.config import RaciConfig
from reportgen.engine import CustomerOverride, EstateService, evaluate_framework
from reportgen.errors import InputError
from reportgen.inputs import customer_layers
from reportgen.raci import apply_raci, plan_raci


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
    assert physical.raci["AWS"] == "R" and physical.raci[plan.accountable] == "A"


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


def test_customer_rows_use_layer_roles(results):
    policy = next(r for r in results.controls if r.control.id == "12.1.1")
    assert policy.owner == "customer"
    assert policy.raci == {"Security": "A", "Compliance": "R"}


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
    ],
)
def test_bad_raci_config_is_rejected(catalogs, config, message):
    with pytest.raises(InputError) as caught:
        plan_raci(RaciConfig(**config), customer_layers(catalogs.catalog))
    assert any(message in detail for detail in caught.value.details), caught.value.details


def test_missing_responsible_role_for_a_layer_is_rejected(catalogs):
    config = RaciConfig(responsible={"customer-data": "Security"})
    with pytest.raises(InputError) as caught:
        plan_raci(config, customer_layers(catalogs.catalog))
    assert any("no role is responsible" in d for d in caught.value.details)
