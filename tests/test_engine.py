"""The ownership engine against the seed's facts (DESIGN.md 2.1) and the combination rule."""

from __future__ import annotations

import re

import pytest

from reportgen.engine import (
    CustomerOverride,
    EstateService,
    combine,
    control_for_service,
    evaluate_framework,
    service_layers,
)
from reportgen.frameworks import Condition, Control

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
    ("platform-application", "elasticbeanstalk", "aws"),
    ("network-configuration", "elasticmapreduce", "aws"),
    ("customer-iam", "s3", "customer"),
    ("customer-data", "glacier", "customer"),
    ("physical-environmental", "ec2", "aws"),
    ("organization", "s3", "customer"),
]


def control(*layers: str, cid: str = "T.1") -> Control:
    return Control(
        id=cid, group="T", title="t", description="d", layers=list(layers), evidence=["e"]
    )


def layers_of(catalogs, service_id, overrides=(), resources=1, resource_ids=()):
    estate = EstateService(service_id, resources, tuple(resource_ids))
    return service_layers(catalogs.catalog, estate, overrides)


@pytest.mark.parametrize(("service_id", "model"), SEED_MODELS.items())
def test_seed_services_have_the_seed_model(catalogs, service_id, model):
    assert catalogs.catalog.services[service_id].model == model


@pytest.mark.parametrize(("layer", "service_id", "owner"), SEED_FACTS)
def test_seed_layer_owner(catalogs, layer, service_id, owner):
    assert layers_of(catalogs, service_id).layers[layer].owner == owner


def test_combine_rule():
    assert combine([("aws", None), ("aws", None)]) == ("aws", None)
    assert combine([("aws", None), ("customer", None)]) == ("shared", None)
    assert combine([("customer", None), ("not-applicable", None)]) == ("customer", None)
    assert combine([("not-applicable", None)]) == ("not-applicable", None)
    assert combine([("third-party", "MSP"), ("third-party", "MSP")]) == ("third-party", "MSP")
    assert combine([("third-party", "MSP"), ("third-party", "Other")]) == ("shared", None)
    assert combine([]) == ("not-applicable", None)


def test_patching_control_is_customer_for_ec2_and_aws_for_rds_and_s3(catalogs):
    patching = control("operating-system")
    owners = {
        sid: control_for_service(patching, layers_of(catalogs, sid)).owner
        for sid in ("ec2", "rds", "s3")
    }
    assert owners == {"ec2": "customer", "rds": "aws", "s3": "aws"}


def test_mixed_layers_are_shared(catalogs):
    outcome = control_for_service(
        control("firewall-configuration", "physical-environmental"), layers_of(catalogs, "ec2")
    )
    assert outcome.owner == "shared"
    assert outcome.layers["physical-environmental"].owner == "aws"


def framework_with(*controls):
    from reportgen.frameworks import Attestation, Framework, Group

    return Framework(
        id="test",
        name="Test",
        full_name="Test framework",
        version="1",
        catalog_version="1",
        publisher="us",
        attestation=Attestation(name="AWS report", source="AWS Artifact"),
        groups=[Group(id="T", title="Tests")],
        controls=list(controls),
    )


def test_overall_owner_and_provenance_sentence(catalogs):
    framework = framework_with(control("operating-system"))
    estate = [EstateService(s, 1) for s in ("ec2", "s3", "dynamodb")]
    result = evaluate_framework(framework, catalogs.catalog, estate).controls[0]
    assert result.owner == "shared"
    assert result.services["ec2"].owner == "customer"
    assert result.services["s3"].owner == "aws"
    assert (
        result.provenance
        == "Customer for EC2 (infrastructure: operating-system); AWS for DynamoDB, S3"
    )


def test_model_independent_controls_say_so(catalogs):
    framework = framework_with(control("physical-environmental"))
    estate = [EstateService(s, 1) for s in ("ec2", "rds", "s3")]
    result = evaluate_framework(framework, catalogs.catalog, estate).controls[0]
    assert result.owner == "aws"
    assert "every service" in result.provenance


def test_model_independent_customer_controls_say_so_across_models(catalogs):
    """'organization' is the customer's in every model: one short sentence, not a list."""
    framework = framework_with(control("organization"))
    estate = [EstateService(s, 1) for s in ("ec2", "rds", "s3")]
    result = evaluate_framework(framework, catalogs.catalog, estate).controls[0]
    assert result.owner == "customer"
    assert result.provenance == (
        "Customer for every service: organization has the same owner in every model"
    )


def test_service_override_names_party_and_justification(catalogs):
    override = CustomerOverride(
        1, "operating-system", "third-party", "MSP patches EC2", "ec2", party="Stackwise"
    )
    layers = layers_of(catalogs, "ec2", [override])
    decision = layers.layers["operating-system"]
    assert (decision.owner, decision.party, decision.source) == (
        "third-party",
        "Stackwise",
        "customer",
    )
    assert decision.reason == "MSP patches EC2"
    framework = framework_with(control("operating-system"))
    result = evaluate_framework(framework, catalogs.catalog, [EstateService("ec2", 1)], [override])
    row = result.controls[0]
    assert (row.owner, row.party) == ("third-party", "Stackwise")
    assert "operating-system [override #1]" in row.provenance
    assert "Third party (Stackwise)" in row.provenance


def test_resource_override_on_some_resources_makes_the_layer_shared(catalogs):
    override = CustomerOverride(
        2,
        "operating-system",
        "third-party",
        "MSP runs this host",
        "ec2",
        resource="i-2",
        party="MSP",
    )
    layers = layers_of(catalogs, "ec2", [override], resources=2, resource_ids=("i-1", "i-2"))
    decision = layers.layers["operating-system"]
    assert decision.owner == "shared"
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


def test_catalog_override_is_reported_as_such(catalogs):
    service = catalogs.catalog.services["rds"]
    assert any(o.layer == "server-side-encryption" for o in service.overrides)
    decision = layers_of(catalogs, "rds").layers["server-side-encryption"]
    assert decision.owner == "shared"
    assert decision.source == "catalog"
    assert decision.reason


def test_unmet_condition_makes_control_not_applicable(catalogs):
    only_sp = control("organization").model_copy(update={"applies_if": ["sp"]})
    framework = framework_with(only_sp).model_copy(
        update={"conditions": [Condition(id="sp", question="Service provider?")]}
    )
    estate = [EstateService("ec2", 1)]
    no = evaluate_framework(framework, catalogs.catalog, estate, conditions={"sp": False})
    yes = evaluate_framework(framework, catalogs.catalog, estate, conditions={"sp": True})
    unset = evaluate_framework(framework, catalogs.catalog, estate)
    assert no.controls[0].owner == "not-applicable"
    assert "Service provider?" in no.controls[0].provenance
    assert yes.controls[0].owner == unset.controls[0].owner == "customer"


def test_no_services_in_scope_uses_model_independent_layers_only(catalogs):
    framework = framework_with(control("organization"), control("operating-system", cid="T.2"))
    result = evaluate_framework(framework, catalogs.catalog, [])
    assert [c.owner for c in result.controls] == ["customer", "not-applicable"]


def test_long_service_lists_are_cut_with_a_count(catalogs):
    """Against every catalog service, no provenance part lists more than a dozen names, and a
    cut list names eight and says how many more of which model it left out."""
    layers = ("customer-data", "platform-application", "operating-system", "network-configuration")
    framework = framework_with(control(*layers))  # e.g. PCI DSS 11.4.2, internal pen testing
    estate = [EstateService(s, 1) for s in catalogs.catalog.services]
    result = evaluate_framework(framework, catalogs.catalog, estate).controls[0]
    lists = re.findall(r"(?:^|; )[A-Z][^;(]*? for ([^;(]+)", result.provenance)
    assert lists and all(names.count(", ") < 12 for names in lists), result.provenance
    cut = [re.fullmatch(r"(.+) and (\d+) more (\w+) services ", names) for names in lists]
    cut = [match for match in cut if match]
    assert cut, result.provenance
    models = {service.model for service in catalogs.catalog.services.values()}
    for match in cut:
        assert len(match[1].split(", ")) == 8
        assert int(match[2]) > 4 and match[3] in models
