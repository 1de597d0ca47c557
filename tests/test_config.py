"""Config validation: every error at once, keyed by path and line; unknown keys rejected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_CONFIG, SAMPLE_INVENTORY, write_config
from packhelpers import run

from reportgen.config.model import AttachConfig, load_config
from reportgen.core.errors import InputError
from reportgen.core.yamlio import load_yaml
from reportgen.tickets.settings import transport


def test_sample_config_is_valid():
    loaded = load_config(SAMPLE_CONFIG)
    assert loaded.config.customer.name == "Harbourline Payments Ltd"
    assert loaded.resolve("inventory.xlsx") == SAMPLE_CONFIG.parent / "inventory.xlsx"


def test_every_problem_is_reported_with_its_path_and_line(tmp_path):
    path = write_config(
        tmp_path,
        "customer:\n"
        "  name: X\n"
        "  colour: blue\n"
        "frameworks: pci-dss\n"
        "overrides:\n"
        "  - service: ec2\n"
        "    layer: operating-system\n"
        "    owner: me\n"
        "    justification: short\n",
    )
    with pytest.raises(InputError) as caught:
        load_config(path)
    details = "\n".join(caught.value.details)
    assert "line 3: customer.colour: unknown key" in details
    assert "line 4: frameworks:" in details
    assert "line 8: overrides[0].owner:" in details
    assert "line 9: overrides[0].justification:" in details
    assert "4 problems" in caught.value.message


def test_third_party_needs_a_party(tmp_path):
    path = write_config(
        tmp_path,
        "customer: {name: X}\n"
        "overrides:\n"
        "  - {service: ec2, layer: operating-system, owner: third-party,"
        " justification: managed by a provider}\n",
    )
    with pytest.raises(InputError, match="not valid") as caught:
        load_config(path)
    assert "needs 'party'" in caught.value.details[0]


def test_missing_customer(tmp_path):
    path = write_config(tmp_path, "frameworks: [soc2]\n")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert "customer: required key is missing" in caught.value.details[0]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("customer: {name: X\n", "invalid YAML", 2),
        ("a: &x [1]\nb: *x\n", "aliases", 2),
        ("customer: {name: X}\ncustomer: {name: Y}\n", "duplicate key 'customer'", 2),
        ("- just\n- a list\n", "mapping", None),
        ("customer: !!python/object:os.system {}\n", "invalid YAML", 1),
    ],
)
def test_yaml_problems_name_the_line(tmp_path, text, message, line):
    path = write_config(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        load_config(path)
    assert caught.value.line == line


def test_a_bare_equals_sign_is_told_to_be_quoted(tmp_path):
    """Pass 62a: YAML 1.1 reads a bare '=' as its 'value' type; the message was PyYAML's
    "could not determine a constructor", with no word of what to do."""
    path = write_config(tmp_path, "customer: {name: =}\ninventory: {path: x.csv}\n")
    with pytest.raises(InputError, match="invalid YAML") as caught:
        load_config(path)
    assert caught.value.line == 1 and "put it in quotes ('=')" in caught.value.hint


def test_yaml_size_cap(tmp_path):
    path = write_config(tmp_path, "customer: {name: X}\n" + "#" * 6_000_000 + "\n")
    with pytest.raises(InputError, match="over the limit"):
        load_config(path)


def test_line_of_nested_keys(tmp_path):
    path = write_config(tmp_path, "a:\n  b:\n    - x\n    - y: 1\n")
    doc = load_yaml(path)
    assert doc.line_of(("a", "b", 1, "y")) == 4
    assert doc.line_of(("a", "missing")) == 2


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e400"])
def test_an_attach_number_that_is_nan_or_infinite_is_named_so(tmp_path, value):
    """Fifth adversarial pass: 'attach.timeout: .nan' was refused as 'should be less than
    or equal to 600' (NaN compares false with every bound)."""
    text = f"customer: {{name: X}}\nattach:\n  timeout: {value}\n  max_wait: {value}\n"
    with pytest.raises(InputError) as caught:
        load_config(write_config(tmp_path, text))
    why = "should be a number, not NaN or infinity (.nan, .inf, or past 1.8e308)"
    assert caught.value.details == [f"line 3: attach.timeout: {why}",
                                    f"line 4: attach.max_wait: {why}"]  # fmt: skip
    assert (
        load_config(write_config(tmp_path, text.replace(value, "0.5"))).config.attach.timeout == 0.5
    )


def test_a_huge_framework_name_is_cut_in_the_message(tmp_path):
    """Ninth pass: a 1 MB value where a framework name belongs was quoted whole (1 MB of
    error message)."""
    write_config(tmp_path, "customer: {name: Test Co, short_name: testco}\n"
                 f"frameworks: [\"{'Q' * 100_000}\"]\n")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    assert "unknown framework 'QQQ" in result.stderr and len(result.stderr) < 2_000


_LONG = "q" * 1_000_000
_KEY = f"? {_LONG} "  # a key past 1,024 characters is written as YAML's explicit key
_OVERRIDE = "{service: %s, layer: %s, owner: customer, justification: Checked by us twice}"
_INVENTORY = "inventory: {path: inventory.csv}\n"
_LONG_TEXT_PLACES = {  # a config with a megabyte where a key or a name belongs
    "inventory-column-key": f"inventory: {{path: inventory.csv, columns: {{{_KEY}: Svc}}}}",
    "raci-topic-key": f"{_INVENTORY}raci: {{topics: {{{_KEY}: Security}}}}",
    "raci-responsible-key": f"{_INVENTORY}raci: {{responsible: {{{_KEY}: Security}}}}",
    "raci-accountable": f"{_INVENTORY}raci: {{accountable: {_LONG}}}",
    "raci-consulted": f"{_INVENTORY}raci: {{consulted: [{_LONG}]}}",
    "override-service": f"{_INVENTORY}overrides: [" + _OVERRIDE % (_LONG, "customer-data") + "]",
    "override-layer": f"{_INVENTORY}overrides: [" + _OVERRIDE % ("ec2", _LONG) + "]",
    "category": f"{_INVENTORY}framework_options: {{soc2: {{categories: [{_LONG}]}}}}",
    "condition": f"{_INVENTORY}framework_options: {{pci-dss: {{conditions: {{{_KEY}: true}}}}}}",
    "exclusion-key": f"{_INVENTORY}framework_options: "
    f"{{iso-27001: {{exclusions: {{{_KEY}: too short}}}}}}",
    "criteria": f"{_INVENTORY}framework_options: {{soc2: {{user_entity_controls: "
    f"[{{text: Users review access, criteria: [{_LONG}]}}]}}}}",
    "coverage": f"{_INVENTORY}framework_options: "
    f"{{pci-dss: {{attestation: {{coverage: {{add: [{_LONG}]}}}}}}}}",
    "env-name": f"{_INVENTORY}attach: {{jira: {{token_env: {_LONG}-x}}}}",
    "duplicate-key": f"{_INVENTORY}document_control: {{{_KEY}: 1, {_KEY}: 2}}",
    # twelfth pass: checked against the inventory, not the schema
    "inventory-column-value": f"inventory: {{path: inventory.csv, columns: {{account: {_LONG}}}}}",
    "inventory-sheet": f"inventory: {{path: inventory.xlsx, sheet: {_LONG}}}",
}


@pytest.mark.parametrize("place", list(_LONG_TEXT_PLACES))
def test_a_megabyte_key_or_value_is_cut_in_config_messages(tmp_path, place):
    """Eleventh pass: a 1 MB key under inventory.columns, or a 1 MB overrides[].service,
    was quoted whole: a 1 MB message. Each is quoted by its first 60 characters."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    shutil.copy(SAMPLE_INVENTORY, tmp_path / "inventory.xlsx")
    body = "customer: {name: Test Co}\nframeworks: [pci-dss, iso-27001, soc2]\n"
    write_config(tmp_path, body + _LONG_TEXT_PLACES[place] + "\n")
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    output = result.stdout + result.stderr
    assert "q" * 59 + "…" in output, output[-3000:]
    assert "q" * 61 not in output and len(output) < 20_000, len(output)


@pytest.mark.parametrize(("party", "clash"), [("Security", "the RACI role 'Security'"),
                                              (" aws ", "AWS"),
                                              ("Amazon Web Services", "AWS"),
                                              ("Customer", "the name the pack gives the "
                                               "customer's own part")])  # fmt: skip
def test_a_third_party_named_like_a_role_or_aws_is_refused(tmp_path, party, clash):
    """Twelfth pass: a party named 'Security' (a role) or 'AWS' built, the row with two
    Accountables and the provider's part folded into the role's (or AWS's) column."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 "overrides:\n  - {service: ec2, layer: operating-system, owner: third-party,"
                 f" party: '{party}', justification: Patched by our MSP}}\n")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    said = " ".join(result.stderr.split())
    assert f"line 4: overrides[0].party: '{party.strip()}' is {clash}; a third party needs" in said


@pytest.mark.parametrize("layer", ["L" * 200, "my layer"])
def test_an_unknown_layer_key_the_message_cannot_spell_still_gets_a_line(tmp_path, layer):
    """Twelfth pass: a layer key cut for the message (or holding a space) was listed with
    no line, where every other problem of the config has one."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 f"raci:\n  responsible:\n    {layer}: Security\n")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    said = " ".join(result.stderr.split())
    assert "line 5: raci.responsible." in said and "not a customer-side layer" in said


def test_two_overrides_giving_one_layer_different_owners_are_refused(tmp_path):
    """Twelfth pass: the last silently won, while the first's justification was still
    listed. The same owner twice (a party spelt in another case) is not a conflict."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 "overrides:\n"
                 "  - {service: ec2, layer: operating-system, owner: third-party,"
                 " party: Stackwise, justification: Patched by our MSP}\n"
                 "  - {service: Amazon EC2, layer: [network-configuration, operating-system],"
                 " owner: customer, justification: We patch it ourselves}\n"
                 "  - {service: ec2, layer: operating-system, owner: third-party,"
                 " party: ' stackwise', justification: Patched by our MSP too}\n")  # fmt: skip
    for command in ("validate", "build"):
        result = run(command, "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
        said = " ".join(result.stderr.split())
        assert ("line 5: overrides[1].owner: gives the operating-system layer of ec2 to the "
                "customer, but overrides[0] (line 4) gives it to 'Stackwise'") in said  # fmt: skip
        assert "(1 problem)" in said, said
    assert not (tmp_path / "output").exists()


def _roles_config(tmp_path, roles: list[str]):
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    listed = "".join(f"    - {json.dumps(role)}\n" for role in roles)
    body = "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
    return write_config(tmp_path, f"{body}raci:\n  accountable: Security\n  roles:\n{listed}")


def test_roles_the_workbook_cannot_tell_apart_are_refused(tmp_path):
    """Twelfth pass: 'Security' and 'security' were accepted and built, then the pack's own
    RACI workbook was refused by --evidence (2 Accountable on every row): it finds a role's
    column by its header whatever the case and spacing."""
    roles = ["Cloud Platform", "Security", "Application Owner", "security", " Cloud  platform",
             "Secu\u200brity"]  # fmt: skip
    _roles_config(tmp_path, roles)
    for command in ("validate", "build"):
        result = run(command, "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
        message = " ".join(result.stderr.split())
        assert "line 9: raci.roles[3]: 'security' and 'Security' are one role" in message
        assert "line 10: raci.roles[4]: ' Cloud platform' and 'Cloud Platform'" in message
        # 61a: spelt out, or it printed as the same name twice
        assert "raci.roles[5]: 'Secu\\u200brity' and 'Security' are one role" in message
    assert not (tmp_path / "output").exists()


def test_a_role_named_like_a_column_of_the_raci_sheet_is_refused(tmp_path):
    """Twelfth pass: a role 'Control' built, then its workbook was refused by --evidence
    with 280 bogus errors (the role's letters read from the control ids)."""
    fixed = ["Control", "group", "TITLE", "Owner", "Parties", "Customer must",
             "AWS provides (inherited)", " Why  (provenance)"]  # fmt: skip
    _roles_config(tmp_path, ["Security", *fixed, "AWS", "aws"])
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    message = " ".join(result.stderr.split())
    assert f"config is not valid ({len(fixed) + 2} problems)" in message
    assert "raci.roles[1]: 'Control' is named like the RACI sheet's own 'Control' column" in message
    assert "raci.roles[2]: 'group' is named like the RACI sheet's own 'Group' column" in message
    assert "raci.roles[8]: ' Why (provenance)' is named like the RACI sheet's own 'Why" in message
    assert "raci.roles[9]: 'AWS' is named like the 'AWS' column every RACI has" in message
    assert "raci.roles[10]: 'aws' is named like the 'AWS' column every RACI has" in message


def test_a_role_that_shows_as_nothing_is_refused(tmp_path):
    """Pass 55a R1: roles '\u200b' and '\u200c' were accepted, and the pack they built,
    given back unedited, was refused: their columns were one to the workbook's reader."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    roles = 'raci:\n  accountable: Security\n  roles: [Security, "\\u200b", "\\u200c"]\n'
    head = "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
    write_config(tmp_path, head + roles)
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    message = " ".join(result.stderr.split())
    assert "raci.roles[1]: '\\u200b' shows as nothing once its invisible" in message, message
    assert "raci.roles[2]: '\\u200c' shows as nothing" in message, message


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("Ops\\x9f", "Ops\\u009f"),
        ("Ops\\u2028Team", "Ops\\u2028Team"),
        ("Ops\\u202eTeam", "Ops\\u202eTeam"),
    ],
)
def test_a_role_holding_a_character_the_workbook_drops_is_refused(tmp_path, role, shown):
    """Pass 56a A10: a role 'Ops\\x9f' was written 'Ops' (the workbook cannot hold the
    character), and the letters typed under it were dropped as a role no longer there;
    57a A1: so was one holding a line separator or a right-to-left override."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    roles = f'raci:\n  accountable: Security\n  roles: [Security, "{role}"]\n'
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n" + roles)
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    said = " ".join(result.stderr.split())
    assert f"raci.roles[1]: '{shown}' holds a control, line-breaking or text-reordering" in said


def test_more_roles_than_a_sheet_should_hold_are_refused_at_once(tmp_path):
    """Twelfth pass: 17,001 roles built a RACI sheet past Excel's last column, 20,001 were
    'internal error', 150,000 (a 1 MB config) ran for minutes."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    roles = ", ".join(f"R{i:06d}" for i in range(150_000))
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 f"raci: {{roles: [{roles}], accountable: R000001}}\n")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    assert "raci.roles: List should have at most 500 items after validation, not 150000" in (
        result.stderr
    )


def test_header_row_true_is_not_row_one(tmp_path):
    """Twelfth pass: `header_row: true` was read as row 1."""
    with pytest.raises(InputError) as caught:
        load_config(write_config(tmp_path, "customer: {name: Test Co}\n"
                                 "inventory: {path: inv.csv, header_row: true}\n"))  # fmt: skip
    assert "inventory.header_row: Input should be a valid integer" in " ".join(caught.value.details)


def test_more_third_parties_than_a_sheet_should_hold_are_refused(tmp_path):
    """Twelfth pass (with roles): each third party is a RACI column, and nothing bounded
    them."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    items = "".join(
        f"  - {{service: ec2, resource: i-{n}, layer: operating-system, owner: third-party, "
        f"party: MSP {n}, justification: Run by our provider}}\n"
        for n in range(101)
    )
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 f"overrides:\n{items}")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    assert "overrides: 101 third parties; at most 100 (each is a column" in " ".join(
        result.stderr.split()
    )


NO_USER = "~nosuchuser-reportgen"


def inventory_read(pack: Path) -> str:
    """The inventory file a pack's matrix records it was built from."""
    matrix = json.loads(next(pack.rglob("matrix.json")).read_text(encoding="utf-8"))
    (found,) = [item["path"] for item in matrix["inputs"] if item["role"] == "inventory"]
    return found


@pytest.mark.parametrize(
    ("section", "key", "command"),
    [
        ("output: {dir: 'PATH/out'}", "output.dir", "build"),
        ("output: {templates: 'PATH/t'}", "output.templates", "build"),
        ("catalogs: {services: ['PATH/s.yaml']}", "catalogs.services[0]", "validate"),
        ("catalogs: {frameworks: ['PATH/f.yaml']}", "catalogs.frameworks[0]", "explain"),
        ("attach: {ca_bundle: 'PATH/ca.pem'}", "attach.ca_bundle", "validate"),
    ],
)
def test_a_config_path_starting_with_an_unknown_users_home_is_exit_2(
    tmp_path, section, key, command
):
    """Fifteenth pass: '~nosuchuser/out' raised RuntimeError in pathlib: exit 1, "internal
    error", for every path key of the config."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    body = "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
    config = write_config(tmp_path, body + section.replace("PATH", NO_USER) + "\n")
    args = ("explain", "ec2") if command == "explain" else (command, "--format", "matrix")
    args = args[:1] if command == "validate" else args
    result = run(*args, "--config", config, check=2, pdf=False)
    said = " ".join(result.stderr.split())
    assert "reportgen.yaml" in said and f"line 3: {key}: {NO_USER} names no home folder" in said
    assert f"(no user '{NO_USER[1:]}'); for a file or folder whose name starts with ~" in said
    assert "internal error" not in said


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('inventory: {path: "inv\\0.xlsx"}', "inventory.path"),
        ('catalogs: {services: ["s\\0.yaml"]}', "catalogs.services[0]"),
        ('catalogs: {frameworks: ["\\0"]}', "catalogs.frameworks[0]"),
    ],
)
def test_a_config_path_holding_a_nul_byte_is_exit_2(tmp_path, section, key):
    """Sixteenth pass: a NUL in a config path reached os.stat, whose ValueError was an
    internal error."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\n", encoding="utf-8")
    body = "customer: {name: Test Co}\n"
    if not key.startswith("inventory"):
        body += "inventory: {path: inventory.csv}\n"
    config = write_config(tmp_path, body + section + "\n")
    said = " ".join(run("validate", "--config", config, check=2, pdf=False).stderr.split())
    assert f"{key}: the path holds a NUL byte" in said and "internal error" not in said


def test_an_inventory_path_starting_with_tilde_reads_as_a_shell_would(tmp_path):
    """'~/x' is the home folder's x; './~x.csv' is the file of that name beside the config
    (pathlib dropped the './' and looked for the home of a user 'x.csv')."""
    home, project = tmp_path / "home", tmp_path / "project"
    for folder in (home, project):
        folder.mkdir()
    (home / "estate.csv").write_text("Service,Resource ID\nEC2,i-home\n", encoding="utf-8")
    (project / "~x.csv").write_text("Service,Resource ID\nEC2,i-tilde\n", encoding="utf-8")
    for path, expected in (("~/estate.csv", home / "estate.csv"), ("./~x.csv", project / "~x.csv")):
        body = f"customer: {{name: Test Co}}\ninventory: {{path: '{path}'}}\n"
        config = write_config(project, body)
        out = tmp_path / f"out-{expected.stem}"
        run("build", "--config", config, "--out", out, "--format", "matrix",
            env={"HOME": str(home)}, pdf=False)  # fmt: skip
        assert inventory_read(out) == str(expected)


def test_a_ca_bundle_in_the_config_starting_with_tilde_is_in_the_home_folder(tmp_path, monkeypatch):
    """README: '~' in attach.ca_bundle is the home folder, as in every path of the config;
    it was read as a folder named '~' beside the config."""
    (tmp_path / "ca.pem").write_text("not read here\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    config = AttachConfig.model_validate({"ca_bundle": "~/ca.pem"})
    assert transport(config, tmp_path / "project", None, {}).ca_bundle == tmp_path / "ca.pem"


@pytest.mark.parametrize(
    ("party", "said"),
    [
        ("AWS\u200b", "'AWS\\u200b' is AWS"),
        ("Cust\u00adomer", "'Cust\\u00adomer' is the name the pack gives the customer's own part"),
        ("Secur\u200bity", "'Secur\\u200bity' is the RACI role 'Security'"),
        ("ＡＷＳ", "'ＡＷＳ' is AWS"),
        ("Amazon  Web Services", "'Amazon Web Services' is AWS"),  # spacing collapsed below
        ("\u0410WS", "'\u0410WS' is AWS"),  # a Cyrillic А
        ("\u2060", "'\\u2060' is nothing a reader can see"),
        ("Stack\u200bwise", "'Stack\\u200bwise' is drawn like 'Stackwise' (overrides[0])"),
        ("AWS\ufff0", "'AWS\\ufff0' is AWS"),  # 55a: unassigned, reserved to show as nothing
        ("Owner", "'Owner' is the RACI sheet's own 'Owner' column"),  # 56a A1
        ("why (provenance)", "'why (provenance)' is the RACI sheet's own 'Why (provenance)'"),
        ("Secur\u2065ity", "'Secur\\u2065ity' is the RACI role 'Security'"),
        # 69a: an escape of four digits read U+E002 and a '0'
        ("Stackwise\U000e0020", "'Stackwise\\U000e0020' is drawn like 'Stackwise' (overrides[0])"),
    ],
)
def test_a_third_party_that_only_looks_like_aws_a_role_or_another_party_is_refused(
    tmp_path, party, said
):
    """Fifteenth pass: names were compared after case folding alone, so 'AWS' with a
    zero-width space, a fullwidth 'ＡＷＳ' or 'Amazon  Web Services' built a second column
    headed AWS, Responsible for the EC2 operating system."""
    (tmp_path / "inventory.csv").write_text("Service\nEC2\nS3\n", encoding="utf-8")
    write_config(tmp_path, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
                 "overrides:\n  - {service: s3, layer: operating-system, owner: third-party,"
                 " party: Stackwise, justification: Patched by our MSP}\n"
                 "  - {service: ec2, layer: operating-system, owner: third-party,"
                 f" party: \"{party}\", justification: Patched by our MSP}}\n")  # fmt: skip
    result = run("validate", "--config", tmp_path / "reportgen.yaml", check=2, pdf=False)
    message = " ".join(result.stderr.split())
    assert f"line 5: overrides[1].party: {said}" in message and "(1 problem)" in message


def test_a_megabyte_long_config_path_is_not_quoted_whole(tmp_path):
    """Sixteenth pass: a 1 MB inventory.path was quoted whole, a megabyte of message."""
    config = write_config(
        tmp_path, "customer: {name: X}\ninventory: {path: " + "k" * 1_000_000 + "}\n"
    )
    said = run("validate", "--config", config, check=2, pdf=False).stderr
    assert len(said) < 2000 and "(a path of 1,0" in said
