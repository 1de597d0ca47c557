"""The packaged catalogs: complete against the reference id lists, own words, sane mappings."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from conftest import REFERENCE, SHARED_REFERENCE

from reportgen.catalogs.frameworks import Duty
from reportgen.catalogs.srm import MODEL_TRAITS, TRAITS
from reportgen.core.resources import catalog_path
from reportgen.ownership.engine import EstateService, control_for_service, service_layers

REFERENCE_KINDS = {
    "pci-dss": ("pci-dss-4.0.1-ids.tsv", {"requirement"}),
    "iso-27001": ("iso-27001-2022-ids.tsv", {"annex_a_control", "clause_requirement"}),
    "soc2": ("soc2-tsc-2017-ids.tsv", None),  # every criterion
}
ALWAYS_CUSTOMER = {"customer-data", "client-side-encryption", "customer-iam", "organization"}


def reference_ids(framework_id: str) -> list[str]:
    name, kinds = REFERENCE_KINDS[framework_id]
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return [row[0] for row in rows if kinds is None or row[1] in kinds]


@pytest.mark.skipif(not SHARED_REFERENCE.is_dir(), reason="../shared/reference not present")
@pytest.mark.parametrize("name", [name for name, _ in REFERENCE_KINDS.values()])
def test_reference_copies_match_the_shared_originals(name):
    assert (REFERENCE / name).read_bytes() == (SHARED_REFERENCE / name).read_bytes()


@pytest.fixture(params=list(REFERENCE_KINDS))
def framework(request, catalogs):
    return catalogs.frameworks[request.param].framework


def test_controls_match_the_reference_exactly(framework):
    expected = reference_ids(framework.id)
    ids = [c.id for c in framework.controls]
    assert len(ids) == len(set(ids)), "duplicate control ids"
    assert set(ids) - set(expected) == set(), "controls not in the standard"
    assert set(expected) - set(ids) == set(), "controls missing"
    assert ids == expected, "controls are not in the standard's order"


def test_every_control_is_complete(framework):
    for control in framework.controls:
        assert control.title.strip() and control.description.strip(), control.id
        assert control.duties and 1 <= len(control.topics) <= 3, control.id
        assert 1 <= len(control.evidence) <= 4, control.id
        assert len(set(control.evidence)) == len(control.evidence), control.id


def test_duty_texts_are_short_own_words(framework):
    """Duties are read on their own in the responsibility statements: short imperatives."""
    for control in framework.controls:
        for duty in control.duties:
            for text in filter(None, (duty.text, duty.aws_text)):
                assert 3 <= len(text.split()) <= 25, (control.id, text)
                assert not text.endswith("."), (control.id, text)
            if duty.by == "layer":
                assert duty.aws_text, (control.id, "a layer duty says what AWS does")


def test_titles_and_descriptions_are_short_own_words(framework):
    """Short texts keep us clear of the standard's copyrighted wording."""
    descriptions = set()
    for control in framework.controls:
        assert len(control.title.split()) <= 12, control.id
        words = control.description.split()
        assert len(words) <= 35, control.id
        assert len(re.findall(r"[.!?](\s|$)", control.description)) == 1, control.id
        assert control.description not in descriptions, f"{control.id} repeats a description"
        descriptions.add(control.description)


def test_aws_evidence_where_aws_can_hold_a_duty(framework, catalogs):
    for control in framework.controls:
        inherits = any(
            duty.by == "aws" or (duty.by == "layer" and catalogs.catalog.can_be_aws(duty.layer))
            for duty in control.duties
        )
        assert bool(control.aws_evidence) == inherits, control.id


def test_pci_iso_soc2_reference_groups(catalogs):
    pci = catalogs.frameworks["pci-dss"].framework
    assert {g.id for g in pci.groups} >= {str(n) for n in range(1, 13)} | {"A1", "A2", "A3"}
    iso = catalogs.frameworks["iso-27001"].framework
    assert {g.id for g in iso.groups} >= {"A.5", "A.6", "A.7", "A.8", "4", "10"}
    soc2 = catalogs.frameworks["soc2"].framework
    assert [c.id for c in soc2.categories if c.required] == ["security"]
    categories = {c.id for c in soc2.categories}
    assert {c.category for c in soc2.controls} == categories
    assert {c.id for c in soc2.controls if c.category == "privacy"} >= {"P1.1", "P8.1"}


def test_applicability_of_pci_appendices(catalogs):
    pci = catalogs.frameworks["pci-dss"].framework
    for control in pci.controls:
        if control.id.startswith(("A1.", "A2.", "A3.")):
            assert control.applicability and control.applies_if, control.id


def owners(catalogs, control, services=("ec2", "rds", "s3", "dynamodb", "sqs", "lambda")):
    result = {}
    for service_id in services:
        layers = service_layers(catalogs.catalog, EstateService(service_id, 1), [])
        result[service_id] = control_for_service(control, layers).owner
    return result


def controls(catalogs, framework_id, pattern):
    framework = catalogs.frameworks[framework_id].framework
    found = [c for c in framework.controls if re.fullmatch(pattern, c.id)]
    assert found, pattern
    return found


PHYSICAL = [
    ("pci-dss", r"9\.2\.\d+(\.\d+)?"),  # physical access to facilities
    ("pci-dss", r"9\.4\.[1-5](\.\d+)?|9\.4\.7"),  # media (9.4.6 is paper, the customer's)
    ("iso-27001", r"A\.7\.(1|2|3|4|5|8|11|12|13|14)"),  # perimeters, entry, equipment
    ("soc2", r"CC6\.4"),
]


@pytest.mark.parametrize(("framework_id", "pattern"), PHYSICAL)
def test_physical_security_is_aws_facilities_and_the_customers_own_estate(
    catalogs, framework_id, pattern
):
    """Inherited for AWS's data centres, the customer's for its own sites: never a duty
    copied into every service cell."""
    for control in controls(catalogs, framework_id, pattern):
        kinds = {(d.by, d.per_service) for d in control.duties}
        assert ("aws", False) in kinds, control.id
        assert not any(per_service for _by, per_service in kinds), control.id


POLICY_AND_PEOPLE = [
    ("pci-dss", r"12\.(1|4|6|7)\..*"),
    ("iso-27001", r"A\.5\.1|A\.6\.\d"),
    ("iso-27001", r"[4-9]\.\d.*|10\.\d"),
    ("soc2", r"CC1\.\d"),
]


@pytest.mark.parametrize(("framework_id", "pattern"), POLICY_AND_PEOPLE)
def test_policy_and_people_are_the_customers_estate_wide(catalogs, framework_id, pattern):
    for control in controls(catalogs, framework_id, pattern):
        assert all(d.by == "customer" for d in control.duties), control.id
        assert set(owners(catalogs, control).values()) <= {"not-applicable", "customer"}, control.id


MALWARE_AND_PATCHING = [
    ("pci-dss", r"5\.2\.[12]|5\.3\.[12]|6\.3\.3"),
    ("iso-27001", r"A\.8\.7"),
]


@pytest.mark.parametrize(("framework_id", "pattern"), MALWARE_AND_PATCHING)
def test_malware_and_patching_customer_for_ec2_aws_for_s3(catalogs, framework_id, pattern):
    for control in controls(catalogs, framework_id, pattern):
        found = owners(catalogs, control, ("ec2", "s3", "dynamodb"))
        assert found == {"ec2": "customer", "s3": "aws", "dynamodb": "aws"}, control.id


def test_estate_wide_only_controls_exist_in_every_framework(catalogs):
    for loaded in catalogs.frameworks.values():
        assert any(all(not d.per_service for d in c.duties) for c in loaded.framework.controls), (
            loaded.framework.id
        )


# ---------------------------------------------------------------- service catalog


def test_service_catalog_size_and_ids(catalogs):
    services = catalogs.catalog.services
    assert len(services) >= 150
    for service_id, service in services.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", service_id)
        assert service.model in ("infrastructure", "container", "abstract")
        for override in service.overrides:
            assert override.reason.strip(), (service_id, override.layer)


def test_every_model_is_used(catalogs):
    models = {s.model for s in catalogs.catalog.services.values()}
    assert models == {"infrastructure", "container", "abstract"}


def test_every_alias_resolves_to_its_own_service(catalogs):
    for service in catalogs.catalog.services.values():
        for name in (service.id, service.name, *service.aliases):
            resolution = catalogs.resolver.resolve(name)
            assert resolution and resolution.service_id == service.id, (name, service.id)


# ---------------------------------------------------------------- service traits


def test_every_packaged_service_lists_its_traits(catalogs):
    """Traits are judged per service, never left to the model's defaults."""
    for service_id, service in catalogs.catalog.services.items():
        assert service.traits is not None, f"{service_id} has no traits: list"
        assert len(set(service.traits)) == len(service.traits), service_id
        assert set(service.traits) <= set(TRAITS), service_id
        assert service.traits == [t for t in TRAITS if t in service.traits], (
            f"{service_id}: traits not in the order {', '.join(TRAITS)}"
        )


def test_traits_sit_right_after_the_model_in_the_file(catalogs):
    lines = catalog_path("services.yaml").read_text(encoding="utf-8").splitlines()
    models = [i for i, line in enumerate(lines) if line.startswith("    model: ")]
    assert len(models) == len(catalogs.catalog.services)
    for index in models:
        assert lines[index + 1].startswith("    traits: ["), lines[index]


def test_traits_are_judged_not_copied_from_the_models(catalogs):
    catalog = catalogs.catalog
    traits = {service_id: catalog.traits_of(service_id) for service_id in catalog.services}
    for model, defaults in MODEL_TRAITS.items():
        ids = [i for i, s in catalog.services.items() if s.model == model]
        assert any(traits[i] != frozenset(defaults) for i in ids), model
    for trait in TRAITS:
        assert any(trait in found for found in traits.values()), trait


TRAIT_SPOT_CHECKS = [
    ("s3", {"stores-data"}),
    ("dynamodb", {"stores-data"}),
    ("sqs", {"stores-data", "transient-data"}),
    ("lambda", {"customer-code", "customer-network", "handles-credentials"}),
    (
        "ec2",
        {"customer-code", "stores-data", "customer-network", "user-accounts", "internet-facing"},
    ),
    ("rds", {"stores-data", "customer-network", "user-accounts"}),
    ("elasticloadbalancing", {"customer-network", "internet-facing"}),
    ("states", {"customer-code", "stores-data"}),
    ("iam", {"user-accounts"}),
    ("kms", {"holds-keys"}),
    ("cognito-idp", {"stores-data", "user-accounts"}),
    ("secretsmanager", {"stores-data", "handles-credentials"}),
    ("organizations", set()),
    ("artifact", set()),
]


@pytest.mark.parametrize(("service_id", "expected"), TRAIT_SPOT_CHECKS)
def test_traits_of_obvious_services(catalogs, service_id, expected):
    assert catalogs.catalog.traits_of(service_id) == frozenset(expected)


# user-accounts: accounts or credentials of the service's own that people or workloads sign
# in with, beyond the IAM principals calling its API (IAM's own users and roles count).
HAS_USER_ACCOUNTS = ["iam", "rds", "cognito-idp", "sso", "ds", "ec2", "eks", "redshift", "es"]
HAS_NO_USER_ACCOUNTS = [
    "s3",
    "elasticloadbalancing",
    "kms",
    "secretsmanager",  # stores credentials for other systems; its callers are IAM principals
    "ecs",  # task roles are IAM's, container instances' OS users are EC2's
    "sts",
    "cognito-identity",  # federates into IAM roles; the accounts are the providers'
    "apigateway",  # API keys identify callers; authorizers belong to Cognito or Lambda
]


@pytest.mark.parametrize("service_id", HAS_USER_ACCOUNTS)
def test_services_that_keep_their_own_user_accounts(catalogs, service_id):
    assert "user-accounts" in catalogs.catalog.traits_of(service_id)


@pytest.mark.parametrize("service_id", HAS_NO_USER_ACCOUNTS)
def test_services_that_keep_no_user_accounts_of_their_own(catalogs, service_id):
    assert "user-accounts" not in catalogs.catalog.traits_of(service_id)


def test_a_duty_within_a_trait_concerns_only_the_services_that_have_it(catalogs):
    control = controls(catalogs, "pci-dss", r"6\.2\.1")[0]
    review = Duty(by="customer", text="Review the code you deploy", within=["customer-code"])
    narrowed = control.model_copy(update={"duties": [review]})
    found = owners(catalogs, narrowed, ("lambda", "ec2", "s3", "iam"))
    assert found == {
        "lambda": "customer",
        "ec2": "customer",
        "s3": "not-applicable",
        "iam": "not-applicable",
    }


@pytest.mark.parametrize(
    ("body", "said"),
    [
        # Thirteenth pass: a service 'aws-estate' took the OSCAL plan's UUIDs of AWS's estate.
        ("  - {id: aws-estate, name: Estate Svc, model: infrastructure}\n",
         "line 2: services[0].id (id 'aws-estate'): 'aws-estate' is reserved"),
        ("  - {id: this-system, name: Own Svc, model: infrastructure}\n",
         "services[0].id (id 'this-system'): 'this-system' is reserved"),
        # Twelfth pass: an entry was named by its id's value (services[5] for id 5).
        ("  - {id: ok-one, name: One, model: infrastructure}\n  - {id: 5}\n",
         "line 3: services[1].id: Input should be a valid string"),
    ],
)  # fmt: skip
def test_a_user_service_entry_is_named_by_its_position(tmp_path, body, said):
    from packhelpers import run

    catalog = tmp_path / "services.yaml"
    catalog.write_text("services:\n" + body, encoding="utf-8")
    result = run("services", "--catalog", catalog, "x", check=2, pdf=False)
    assert said in result.stderr and "Value error" not in result.stderr, result.stderr


def test_catalog_text_a_pack_carries_is_held_to_what_diff_reads_back(tmp_path):
    """Fifteenth pass: a control id of 5,000 characters built and verified, and then the
    pack's own diff and --previous refused it (its matrix carries at most 2,000)."""
    from packhelpers import run

    from reportgen.core.resources import frameworks_dir

    catalog = tmp_path / "long.yaml"
    text = (frameworks_dir() / "soc2.yaml").read_text(encoding="utf-8")
    catalog.write_text(text.replace("id: soc2", "id: longfw", 1).replace(
        '  - id: "CC1.1"', "  - id: " + "L" * 2001, 1), encoding="utf-8")  # fmt: skip
    said = run("frameworks", "--framework-catalog", catalog, check=2, pdf=False).stderr
    assert "String should have at most 2000 characters" in said, said
    services = tmp_path / "services.yaml"
    services.write_text("services:\n  - {id: long, name: " + "N" * 2001 + ", model: container}\n")
    said = run("services", "--catalog", services, "x", check=2, pdf=False).stderr
    assert "services[0].name" in said and "at most 2000 characters" in said, said


def test_a_name_two_services_claim_is_listed_once(tmp_path):
    from packhelpers import run

    catalog = tmp_path / "services.yaml"
    catalog.write_text(
        "services:\n  - {id: ec2, aliases: [s3]}\n",  # the clash is found from ec2 and s3
        encoding="utf-8",
    )
    result = run("services", "--catalog", catalog, "x", check=2, pdf=False)
    assert result.stderr.count("belongs to both") == 1, result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_listings_for_tools_escape_what_the_tables_escape(tmp_path, fmt):
    """Thirteenth pass: `services --format csv` printed a catalog's ESC sequences raw (the
    terminal's title set, the screen cleared) and the JSON its U+202E, where the table
    escapes both."""
    import json

    from packhelpers import run

    catalog = tmp_path / "services.yaml"
    catalog.write_text(
        'services:\n  - {id: evil, name: EvilSvc, full_name: "Evil \\e]0;pwned\\a \\u202e'
        ' \\x7f", model: container}\n',
        encoding="utf-8",
    )
    printed = run("services", "--catalog", catalog, "EvilSvc", "--format", fmt).stdout
    assert not any(c in printed for c in "\x1b\x07\u202e\x7f"), repr(printed)
    if fmt == "json":
        assert json.loads(printed)[0]["full_name"] == "Evil \x1b]0;pwned\x07 \u202e \x7f"
    else:
        assert "Evil \\x1b]0;pwned\\x07 \\u202e \\x7f" in printed


def test_two_user_framework_catalogs_of_one_id_are_an_error_naming_both(tmp_path):
    """Thirteenth adversarial pass (C34): the second of two user catalogs of one id
    silently replaced the first (61 controls or 68, by the order of the flags), and a
    build listed both among its inputs. The same file named twice stays one catalog."""
    from packhelpers import run

    from reportgen.core.resources import frameworks_dir

    packaged = frameworks_dir() / "soc2.yaml"
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    for copy in (first, second):
        shutil.copyfile(packaged, copy)
    args = ("frameworks", "--framework-catalog", first, "--framework-catalog", second)
    said = run(*args, check=2, pdf=False).stderr
    assert said.startswith(f"error: {second}: framework id 'soc2' is given by two"), said
    assert str(first) in said and "Traceback" not in said
    again = ("--framework-catalog", first, "--framework-catalog", tmp_path / "." / first.name)
    assert "soc2" in run("frameworks", *again, "--format", "json", pdf=False).stdout


def test_a_csv_listing_never_hands_a_spreadsheet_a_formula(tmp_path):
    """Fifteenth pass: `services --format csv`, for scripts and spreadsheets, wrote a user
    catalog's '=HYPERLINK(...)' as it was, which a spreadsheet app runs."""
    import csv
    import io
    import json

    from packhelpers import run

    catalog = tmp_path / "services.yaml"
    catalog.write_text(
        'services:\n  - {id: zed, name: "=HYPERLINK(\\"http://x\\",\\"Zed\\")", '
        'full_name: "+Zed Service", aliases: ["@X", "-zed"], model: container}\n',
        encoding="utf-8",
    )
    printed = run("services", "--catalog", catalog, "zed", "--format", "csv").stdout
    [record] = list(csv.DictReader(io.StringIO(printed)))
    assert record["name"] == '\'=HYPERLINK("http://x","Zed")'
    assert record["full_name"] == "'+Zed Service"
    as_json = run("services", "--catalog", catalog, "zed", "--format", "json").stdout
    assert json.loads(as_json)[0]["full_name"] == "+Zed Service"  # JSON marks text itself
