"""The ownership engine against the seed's facts (docs/methodology.md, 1. Layers and
2. Service models) and the combination rule."""

from __future__ import annotations

import re
from datetime import date

import pytest

from reportgen.catalogs.frameworks import Condition, Control, Duty, Superseded
from reportgen.core.owners import owner_of
from reportgen.ownership.engine import (
    CustomerOverride,
    EstateService,
    ResourceIndex,
    control_for_service,
    evaluate_framework,
    service_layers,
)
from reportgen.ownership.provenance import MAX_CHARS
from reportgen.ownership.raci import RaciPlan, assign

SEED_MODELS = {
    "ec2": "infrastructure",
    "rds": "container",
    "elasticmapreduce": "container",
    "elasticbeanstalk": "container",
    "s3": "abstract",
    "dynamodb": "abstract",
    "glacier": "abstract",
    "sqs": "abstract",
}

# (layer, service) -> owner, straight from the seed article and the design's table.
SEED_FACTS = [
    ("operating-system", "ec2", "customer"),
    ("operating-system", "rds", "aws"),
    ("operating-system", "s3", "aws"),
    ("firewall-configuration", "ec2", "customer"),
    ("firewall-configuration", "rds", "customer"),
    ("firewall-configuration", "s3", "aws"),
    ("network-traffic-protection", "s3", "aws"),
    ("network-traffic-protection", "dynamodb", "aws"),
    ("network-traffic-protection", "sqs", "aws"),
    ("network-traffic-protection", "ec2", "customer"),
    ("customer-iam", "s3", "customer"),
    ("customer-data", "glacier", "customer"),
    ("physical-environmental", "ec2", "aws"),
    ("organization", "s3", "customer"),
]


def duty(by: str, layer: str | None = None, **extra: object) -> Duty:
    return Duty(by=by, layer=layer, text=f"do the {by} part", **extra)


def control(*duties: Duty, cid: str = "T.1", **extra: object) -> Control:
    return Control(
        id=cid,
        group="T",
        title="t",
        description="d",
        duties=list(duties),
        evidence=["e"],
        aws_evidence="AWS report",
        **extra,
    )


def operate(layer: str) -> Control:
    return control(duty("layer", layer))


def layers_of(catalogs, service_id, overrides=(), resources=1, resource_ids=()):
    estate = EstateService(service_id, resources, tuple(resource_ids))
    return service_layers(catalogs.catalog, estate, overrides)


def evaluate(catalogs, ctl, services=("ec2", "rds", "s3"), overrides=(), **kwargs):
    estate = [EstateService(s, 1) for s in services]
    framework = framework_with(ctl)
    result = evaluate_framework(framework, catalogs.catalog, estate, overrides, **kwargs)
    return result.controls[0]


CONDITIONS = [Condition(id="sp", question="Service provider?")]


def framework_with(*controls):
    from reportgen.catalogs.frameworks import Attestation, Framework, Group

    return Framework(
        id="test",
        name="Test",
        full_name="Test framework",
        version="1",
        catalog_version="1",
        publisher="us",
        attestation=Attestation(name="AWS report", source="AWS Artifact"),
        conditions=CONDITIONS,
        groups=[Group(id="T", title="Tests")],
        controls=list(controls),
    )


@pytest.mark.parametrize(("service_id", "model"), SEED_MODELS.items())
def test_seed_services_have_the_seed_model(catalogs, service_id, model):
    assert catalogs.catalog.services[service_id].model == model


@pytest.mark.parametrize(("layer", "service_id", "owner"), SEED_FACTS)
def test_seed_layer_owner(catalogs, layer, service_id, owner):
    assert layers_of(catalogs, service_id).layers[layer].owner == owner


# The seed's container examples: AWS runs the platform and the network by the model; where
# a service leaves a setting to the customer today the catalog says so, dated (issue 12).
SEED_MODEL_FACTS = [
    ("container", "platform-application", "aws"),
    ("container", "network-configuration", "aws"),
    ("container", "firewall-configuration", "customer"),
    ("abstract", "server-side-encryption", "aws"),
    ("infrastructure", "operating-system", "customer"),
]


@pytest.mark.parametrize(("model", "layer", "owner"), SEED_MODEL_FACTS)
def test_seed_model_owner(catalogs, model, layer, owner):
    assert catalogs.catalog.model_owner(model, layer) == owner


@pytest.mark.parametrize(
    ("service_id", "layer"),
    [("elasticbeanstalk", "platform-application"), ("elasticmapreduce", "network-configuration")],
)
def test_a_service_that_departs_from_its_model_says_why_and_when(catalogs, service_id, layer):
    decision = layers_of(catalogs, service_id).layers[layer]
    assert decision.source == "catalog" and decision.owner == "shared"
    override = next(o for o in catalogs.catalog.services[service_id].overrides if o.layer == layer)
    assert override.reason and override.as_of is not None


def test_every_packaged_service_override_is_dated(catalogs):
    undated = [
        (sid, o.layer)
        for sid, service in catalogs.catalog.services.items()
        for o in service.overrides
        if o.as_of is None
    ]
    assert undated == []


def test_owner_of_holders():
    assert owner_of((("aws", None),)) == ("aws", None)
    assert owner_of((("aws", None), ("customer", None))) == ("shared", None)
    assert owner_of((("third-party", "MSP"),)) == ("third-party", "MSP")
    assert owner_of((("customer", None), ("third-party", "MSP"))) == ("shared", None)
    assert owner_of(()) == ("not-applicable", None)


def test_patching_follows_the_operator_of_the_os(catalogs):
    owners = {
        sid: control_for_service(operate("operating-system"), layers_of(catalogs, sid)).owner
        for sid in ("ec2", "rds", "s3")
    }
    assert owners == {"ec2": "customer", "rds": "aws", "s3": "aws"}


def test_a_customer_duty_about_a_layer_aws_runs_stays_the_customers(catalogs):
    """The network diagram of an RDS database is drawn by the customer (PCI 1.2.3)."""
    diagram = control(duty("customer", "network-configuration"))
    result = evaluate(catalogs, diagram, services=("ec2", "rds", "s3", "dynamodb"))
    assert {sid: cell.owner for sid, cell in result.services.items()} == dict.fromkeys(
        ("ec2", "rds", "s3", "dynamodb"), "customer"
    )
    assert (result.owner, result.split) == ("customer", False)
    assert result.provenance == "Customer for every service."


def test_estate_wide_duties_are_not_copied_into_service_cells(catalogs):
    policy = control(duty("customer", estate=True))
    physical = control(duty("aws", "physical-environmental"), duty("customer", estate=True))
    for ctl, owner in ((policy, "customer"), (physical, "shared")):
        result = evaluate(catalogs, ctl)
        assert result.services == {}
        assert result.owner == owner
        assert [p.holders for p in result.estate][-1] == (("customer", None),)
    assert "AWS for its own estate (inherited)" in evaluate(catalogs, physical).provenance


def test_split_by_service_is_not_the_same_as_shared(catalogs):
    split = evaluate(catalogs, operate("operating-system"))
    assert (split.owner, split.split) == ("shared", True)
    assert split.provenance.startswith("Split by service: Customer for EC2")
    # every cell the customer's, but AWS's own estate inherited: shared, not split
    both = evaluate(catalogs, control(duty("customer"), duty("aws", "foundation-services")))
    assert (both.owner, both.split) == ("shared", False)
    assert {cell.owner for cell in both.services.values()} == {"customer"}


def test_an_aws_provided_feature_the_customer_configures_is_shared_not_aws(catalogs):
    """S3 encrypts by default (AWS's mechanism); key choice and policy are the customer's."""
    at_rest = control(
        duty("customer", "server-side-encryption"),
        operate_duty := duty("layer", "server-side-encryption", aws_text="Encrypts stored objects"),
    )
    result = evaluate(catalogs, at_rest, services=("s3", "ec2"))
    assert result.services["s3"].holders == (("aws", None), ("customer", None))
    assert result.services["ec2"].owner == "customer"
    assert operate_duty.per_service


def test_a_third_party_is_named_never_folded(catalogs):
    override = CustomerOverride(
        1, "operating-system", "third-party", "MSP patches EC2", "ec2", party="Stackwise"
    )
    decision = layers_of(catalogs, "ec2", [override]).layers["operating-system"]
    assert (decision.owner, decision.party, decision.source) == (
        "third-party",
        "Stackwise",
        "customer",
    )
    alone = evaluate(catalogs, operate("operating-system"), ("ec2",), [override])
    assert (alone.owner, alone.party) == ("third-party", "Stackwise")
    assert "Stackwise operates the operating system [override #1]" in alone.provenance
    mixed = evaluate(catalogs, operate("operating-system"), ("ec2", "rds"), [override])
    assert mixed.holders == (("aws", None), ("third-party", "Stackwise"))
    assert (mixed.owner, mixed.split) == ("shared", True)
    with_customer = evaluate(
        catalogs, control(duty("layer", "operating-system"), duty("customer")), ("ec2",), [override]
    )
    assert with_customer.services["ec2"].holders == (
        ("customer", None),
        ("third-party", "Stackwise"),
    )


def test_resource_override_on_some_resources_names_both_holders(catalogs):
    override = CustomerOverride(
        2, "operating-system", "third-party", "MSP runs this host", "ec2", "i-2", "MSP"
    )
    layers = layers_of(catalogs, "ec2", [override], resources=2, resource_ids=("i-1", "i-2"))
    decision = layers.layers["operating-system"]
    assert decision.owner == "shared"
    assert decision.holders == (("customer", None), ("third-party", "MSP"))
    assert decision.source == "resource"
    assert decision.overrides == (2,)
    assert "i-2: MSP runs this host" in decision.reason


def test_resource_override_on_every_resource_takes_over(catalogs):
    override = CustomerOverride(
        3, "operating-system", "third-party", "MSP runs it", "ec2", resource="i-1", party="MSP"
    )
    arn = "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
    layers = layers_of(catalogs, "ec2", [override], resources=1, resource_ids=(arn,))
    assert layers.layers["operating-system"].key == ("third-party", "MSP")


@pytest.mark.parametrize(
    ("wanted", "matched"),
    [
        ("i-1", ["arn:aws:ec2:eu-west-1:111122223333:instance/i-1", "i-1"]),
        ("instance/i-1", ["arn:aws:ec2:eu-west-1:111122223333:instance/i-1"]),
        ("bucket-a", ["arn:aws:s3:::bucket-a"]),
        ("i-12", []),  # a tail, not a prefix: i-12 is not i-1
        ("1", []),  # nor the end of a name
        ("", []),
    ],
)
def test_a_resource_is_named_by_its_id_or_any_tail_after_a_slash_or_colon(wanted, matched):
    resources = [
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-1",
        "i-1",
        "arn:aws:s3:::bucket-a",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-21",
        "trailing/",
    ]
    assert ResourceIndex(resources).matching(wanted) == matched
    assert ResourceIndex(resources).matching(None) == []


def test_many_resource_overrides_each_hold_their_own_resource(catalogs):
    """Twelfth pass: 10,000 resource overrides on 10,000 rows took 73 s (each override
    matched against every resource); now one look-up each, with the same owners."""
    ids = [f"arn:aws:ec2:eu-west-1:111122223333:instance/i-{n:05d}" for n in range(2000)]
    overrides = [
        CustomerOverride(
            n + 1, "operating-system", "third-party", "MSP patches it", "ec2", f"i-{n:05d}", "MSP"
        )
        for n in range(0, 2000, 2)
    ]
    layers = layers_of(catalogs, "ec2", overrides, resources=len(ids), resource_ids=ids)
    decision = layers.layers["operating-system"]
    assert decision.holders == (("customer", None), ("third-party", "MSP"))
    assert decision.overrides == tuple(range(1, 2000, 2))
    every = layers_of(catalogs, "ec2", overrides, resources=1000, resource_ids=ids[::2])
    assert every.layers["operating-system"].key == ("third-party", "MSP")


def test_catalog_override_is_reported_as_such(catalogs):
    service = catalogs.catalog.services["rds"]
    assert any(o.layer == "server-side-encryption" for o in service.overrides)
    decision = layers_of(catalogs, "rds").layers["server-side-encryption"]
    assert decision.owner == "shared"
    assert decision.source == "catalog"
    assert decision.reason


def test_a_customer_duty_about_a_layer_a_service_lacks_concerns_it_not(catalogs):
    override = next(
        (sid, o.layer)
        for sid, service in catalogs.catalog.services.items()
        for o in service.overrides
        if o.owner == "not-applicable"
    )
    sid, layer = override
    result = evaluate(catalogs, control(duty("customer", layer)), services=(sid, "ec2"))
    assert result.services[sid].owner == "not-applicable"
    assert result.services["ec2"].owner == "customer"
    assert result.split is False  # a cell with no duty does not split a control


def test_unmet_condition_makes_control_not_applicable(catalogs):
    only_sp = control(duty("customer", estate=True), applies_if=["sp"])
    no = evaluate(catalogs, only_sp, conditions={"sp": False})
    yes = evaluate(catalogs, only_sp, conditions={"sp": True})
    unset = evaluate(catalogs, only_sp)
    assert no.owner == "not-applicable" and not no.applicable
    assert "Service provider?" in no.note
    assert yes.owner == unset.owner == "customer"


def test_a_duty_condition_drops_that_duty_and_says_so(catalogs):
    ctl = control(
        duty("aws", "physical-environmental"), duty("customer", estate=True, applies_if=["sp"])
    )
    no = evaluate(catalogs, ctl, conditions={"sp": False})
    assert (no.owner, no.applicable) == ("aws", True)
    assert "Part of it does not apply" in no.note and "Service provider?" in no.note
    only = control(duty("customer", estate=True, applies_if=["sp"]))
    gone = evaluate(catalogs, only, conditions={"sp": False})
    assert (gone.owner, gone.applicable) == ("not-applicable", False)
    assert "Service provider?" in gone.note


def test_superseded_and_future_dated_requirements_follow_the_pack_date(catalogs):
    old = control(duty("customer"), superseded=Superseded(on=date(2025, 3, 31), by="T.1"))
    new = control(duty("customer"), in_force_from=date(2025, 3, 31))
    before, after = date(2025, 3, 30), date(2026, 1, 1)
    assert evaluate(catalogs, old, as_of=before).applicable
    late = evaluate(catalogs, old, as_of=after)
    assert not late.applicable and late.note == "Not applicable: superseded by T.1 on 2025-03-31"
    early = evaluate(catalogs, new, as_of=before)
    assert not early.applicable and "best practice until 2025-03-31" in early.note
    now = evaluate(catalogs, new, as_of=after)
    assert now.applicable and now.note == "In force since 2025-03-31 (was future-dated)"


def test_no_services_in_scope_keeps_the_estate_duties(catalogs):
    framework = framework_with(
        control(duty("customer", estate=True)),
        control(duty("layer", "operating-system"), cid="T.2"),
    )
    result = evaluate_framework(framework, catalogs.catalog, [])
    assert [c.owner for c in result.controls] == ["customer", "not-applicable"]


def test_raci_makes_aws_responsible_only_for_its_part_and_never_accountable(catalogs):
    plan = RaciPlan(
        roles=("Platform", "Security"),
        accountable="Security",
        responsible={"operating-system": "Platform", "organization": "Security"},
    )
    diagram = evaluate(catalogs, control(duty("customer", "network-configuration")))
    patching = evaluate(catalogs, operate("operating-system"), services=("rds", "s3"))
    assert "AWS" not in assign(diagram, plan)
    assert assign(patching, plan) == {"AWS": "R", "Security": "A"}


def test_provenance_stays_short_against_every_catalog_service(catalogs):
    """Against all 249 services, no sentence runs past 300 characters and no list names
    more than a dozen services."""
    framework = next(iter(catalogs.frameworks.values())).framework
    estate = [EstateService(s, 1) for s in catalogs.catalog.services]
    result = evaluate_framework(framework, catalogs.catalog, estate)
    longest = max(result.controls, key=lambda c: len(c.provenance))
    assert len(longest.provenance) <= MAX_CHARS, longest.provenance
    for row in result.controls:
        for names in re.findall(r" for ([^;(.]+)", row.provenance):
            assert names.count(", ") < 12, row.provenance
