"""The command line as a user meets it: real processes, exit codes, messages, files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, SAMPLE_CONFIG, write_config, write_csv
from packhelpers import run


def test_build_writes_a_matrix_per_framework(sample_pack):
    for fid in ("pci-dss", "iso-27001", "soc2"):
        matrix = json.loads((sample_pack / fid / "matrix.json").read_text())
        assert matrix["framework"]["id"] == fid
        assert matrix["controls"]
        for control in matrix["controls"]:
            assert control["owner"] in (
                "aws",
                "customer",
                "shared",
                "third-party",
                "not-applicable",
            )
            for service in control["services"].values():
                assert set(service["layers"]) <= set(control["layers"])


def _owner(parties: list[dict]) -> str:
    kinds = {p["kind"] for p in parties}
    if not parties:
        return "not-applicable"
    return next(iter(kinds)) if len(parties) == 1 else "shared"


def test_matrix_owners_follow_the_rule(sample_pack):
    """Recompute every owner from matrix.json alone: a cell from the parties of the duties
    within it (each layer duty held by that layer's operator), a control from every party."""
    for fid in ("pci-dss", "iso-27001", "soc2"):
        matrix = json.loads((sample_pack / fid / "matrix.json").read_text())
        services = {s["id"]: s for s in matrix["services"]}
        for control in (c for c in matrix["controls"] if c["applicable"]):
            duties = {d["index"]: d for d in control["duties"]}
            everyone = set()
            for sid, cell in control["services"].items():
                held = set()
                for part in cell["duties"]:
                    duty = duties[part["index"]]
                    if duty["by"] == "layer":
                        layer = services[sid]["layers"][duty["layer"]]
                        assert part["parties"] == [p["name"] for p in layer["parties"]]
                    else:
                        assert part["parties"] == ["Customer"], (control["id"], duty)
                    held.update(part["parties"])
                named = {p["name"] for p in cell["parties"]}
                assert named == held, (fid, control["id"], sid)
                assert _owner(cell["parties"]) == cell["owner"], (fid, control["id"], sid)
                everyone |= held
            for duty in control["duties"]:
                if duty["scope"] == "estate":
                    expected = ["AWS"] if duty["by"] == "aws" else ["Customer"]
                    assert [p["name"] for p in duty["parties"]] == expected
                    everyone.update(expected)
            assert everyone == {p["name"] for p in control["parties"]}, (fid, control["id"])
            assert _owner(control["parties"]) == control["owner"], (fid, control["id"])
            owners = {c["owner"] for c in control["services"].values()} - {"not-applicable"}
            assert control["split_by_service"] == (len(owners) > 1), (fid, control["id"])


def test_sample_scope_and_unresolved_rows(sample_pack):
    pci = json.loads((sample_pack / "pci-dss" / "matrix.json").read_text())
    iso = json.loads((sample_pack / "iso-27001" / "matrix.json").read_text())
    pci_services = {s["id"] for s in pci["services"]}
    iso_services = {s["id"] for s in iso["services"]}
    assert "elasticmapreduce" not in pci_services  # EMR rows are ISO/SOC 2 only
    assert "elasticmapreduce" in iso_services
    assert "210987654321" not in pci["scope"]["accounts"]  # development is out of scope
    # The sample config declares Snowflake a third-party provider: its row is Snowflake's.
    assert {u["value"] for u in pci["unresolved"]} == {"Amazon Dynamo"}
    snowflake = next(p for p in pci["third_parties"] if p["name"] == "Snowflake")
    assert [r["value"] for r in snowflake["inventory_rows"]] == ["Snowflake Data Cloud"]
    dynamo = next(u for u in pci["unresolved"] if u["value"] == "Amazon Dynamo")
    assert dynamo["sheet"] == "AWS inventory" and dynamo["row"] > 4
    assert "Amazon DynamoDB" in dynamo["suggestions"]


def test_sample_overrides_have_provenance(sample_pack):
    pci = json.loads((sample_pack / "pci-dss" / "matrix.json").read_text())
    ec2 = next(s for s in pci["services"] if s["id"] == "ec2")
    os_layer = ec2["layers"]["operating-system"]
    assert os_layer["owner"] == "shared"  # MSP for the fleet, customer for the batch host
    assert os_layer["source"] == "resource"
    assert os_layer["overrides"] == [1, 2]
    patching = next(c for c in pci["controls"] if c["id"] == "6.3.3")
    ec2_cell = patching["services"]["ec2"]
    assert [p["name"] for p in ec2_cell["parties"]] == ["Customer", "Stackwise Managed Services"]
    assert "Stackwise Managed Services" in patching["responsibility"]["customer"]
    assert "Stackwise Managed Services" in pci["roles"]
    assert pci["party_counts"]["Stackwise Managed Services"] > 0


def test_not_applicable_conditions(sample_pack):
    pci = json.loads((sample_pack / "pci-dss" / "matrix.json").read_text())
    a1 = [c for c in pci["controls"] if c["id"].startswith("A1.")]
    assert a1 and all(c["owner"] == "not-applicable" for c in a1)
    soc2 = json.loads((sample_pack / "soc2" / "matrix.json").read_text())
    assert {c["category"] for c in soc2["controls"]} == {
        "security",
        "availability",
        "confidentiality",
    }


def test_validate_changes_nothing(project):
    before = sorted(p.name for p in project.iterdir())
    result = run("validate", "--config", str(project / "reportgen.yaml"), cwd=project)
    assert sorted(p.name for p in project.iterdir()) == before
    assert "5 resolved, 0 unresolved" in result.stdout


def test_validate_counts_a_declared_third_partys_rows_as_the_pack_does(sample_pack):
    """validate listed the sample's Snowflake row (a declared third party) as an unknown
    service, 2 unresolved, where build said 1 and the pack gives the row to Snowflake."""
    result = run("validate", "--config", ROOT / "inputs" / "reportgen.yaml", pdf=False)
    text = " ".join(result.stdout.split())
    matrix = json.loads((sample_pack / "pci-dss" / "matrix.json").read_text())
    unresolved, parties = matrix["scope"]["unresolved_rows"], matrix["scope"]["third_party_rows"]
    assert (unresolved, parties) == (1, 1)
    assert f"1 naming a declared third party, {unresolved} unresolved" in text
    assert "third party Snowflake: 1 row(s) (62)" in text
    assert "Unresolved inventory rows (1)" in text and "Snowflake Data" not in text


def test_build_from_another_directory_with_default_out(project, tmp_path):
    run(
        "-q",
        "build",
        "--config",
        str(project / "reportgen.yaml"),
        "--framework",
        "soc2",
        cwd=project,
    )
    assert (project / "output" / "test-co" / "soc2" / "matrix.json").is_file()
    assert not (project / "output" / "test-co" / "pci-dss").exists()


def test_strict_turns_unresolved_rows_into_an_error(project):
    write_csv(project / "inventory.csv", [["Service"], ["S3"], ["Snowflake"]])
    result = run(
        "build", "--config", str(project / "reportgen.yaml"), "--strict", cwd=project, check=2
    )
    assert "could not be resolved (--strict)" in result.stderr
    assert "row 3, column A (Service): 'Snowflake'" in result.stderr
    assert not (project / "output").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--config", "nope.yaml"], "nope.yaml: YAML file not found"),
        (["build", "--framework", "hipaa"], "--framework: unknown framework 'hipaa'"),
        (["build", "--inventory", "missing.xlsx"], "missing.xlsx: inventory file not found"),
        (["explain", "ec3"], "unknown service 'ec3'"),
        (["controls", "pci-dss", "zzzz-nothing"], "no pci-dss control matches"),
        (["explain", "ec2", "--framework", "pci-dss", "--control", "99.9"], "no control '99.9'"),
    ],
)
def test_errors_exit_2_with_one_message(project, args, message):
    result = run(*args, cwd=project, check=2)
    assert message in result.stderr
    assert result.stderr.startswith("error: ")


def test_config_errors_are_listed_together(project):
    path = write_config(
        project, "customer: {name: X, extra: 1}\nraci: {accountable: CISO}\n", "bad.yaml"
    )
    result = run("validate", "--config", str(path), cwd=project, check=2)
    assert "customer.extra: unknown key" in result.stderr


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ('customer: {name: X, "ok\\nerror: disk on fire": 1}\n', "ok\\nerror: disk on fire"),
        ('customer: {name: X}\nframeworks: ["pci\\terror: forged"]\n', "'pci\\terror: forged'"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_key_or_value_holding_a_line_break_stays_on_its_line(project, body, said, command):
    """Thirty-sixth pass (36a F2): a config key "ok\\nerror: disk on fire" printed a forged
    ``error:`` line in validate and build; a framework named so did the same."""
    path = write_config(project, body, "bad.yaml")
    result = run(command, "--config", str(path), cwd=project, check=2)
    assert said in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error")] == [
        result.stderr.splitlines()[0]
    ]


_FORGED = "x\nerror: disk on fire"
_SERVICE = {"id": "zzsvc", "name": "Z", "full_name": "Z svc", "category": "Database",
            "model": "container", "traits": [], "aliases": ["Zed"],
            "resource_types": ["AWS::Zz::Thing"]}  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [
        {**_SERVICE, _FORGED: 1},
        {**_SERVICE, "model": _FORGED},
        {**_SERVICE, "traits": [_FORGED]},
        {**_SERVICE, "resource_types": [_FORGED]},
        {
            **_SERVICE,
            "overrides": [
                {"layer": _FORGED, "owner": "shared", "reason": "x" * 20, "as_of": "2026-11-30"}
            ],
        },
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["explain", "ec2"]])
def test_a_service_catalog_value_holding_a_line_break_forges_no_line(project, entry, command):
    """Thirty-seventh pass (37a M3): five places of a --catalog service entry printed a
    forged ``error:`` line."""
    import yaml

    catalog = project / "services.yaml"
    catalog.write_text(yaml.safe_dump({"version": "2026.11.0", "services": [entry]}))
    result = run(*command, "--catalog", str(catalog), cwd=project, check=2)
    assert "x\\nerror: disk on fire" in result.stderr, result.stderr
    assert sum(line.startswith("error") for line in result.stderr.splitlines()) == 1


@pytest.mark.parametrize("where", ["config", "command line"])
def test_an_output_format_holding_a_line_break_forges_no_line(project, where):
    """Thirty-seventh pass (37a M2, M5): output.formats and --format printed the name raw."""
    if where == "config":
        path = write_config(project, 'customer: {name: X}\noutput: {formats: ["x\\nerror: y"]}\n')
        result = run("build", "--config", str(path), cwd=project, check=2)
    else:
        result = run("build", "--format", "x\nerror: y", cwd=project, check=2)
    assert "unknown output format 'x\\nerror: y'" in result.stderr, result.stderr
    assert sum(line.startswith("error") for line in result.stderr.splitlines()) == 1


def _one_error_line(stderr: str) -> None:
    assert sum(line.startswith("error") for line in stderr.splitlines()) == 1, stderr


def test_a_sheet_or_header_name_holding_a_line_break_forges_no_line(project):
    """Thirty-eighth pass (38a F1, F2): the location of an error (sheet 'x', column y)
    printed a sheet's and a header's name raw."""
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "PLACEHOLDER"
    book.active.append(["Service", "Account\nerror: forged header", "Region"])
    book.active.append(["Amazon EC2", 1.5, "eu-west-1"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(project / "inv.xlsx", "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"PLACEHOLDER", b"x&#10;error: forged sheet")
            out.writestr(info, data)
    columns = '{account: "Account\\nerror: forged header"}'
    config = f"customer: {{name: X}}\ninventory: {{path: inv.xlsx, columns: {columns}}}\n"
    result = run("validate", "--config", str(write_config(project, config)), cwd=project, check=2)
    assert "sheet 'x\\nerror: forged sheet'" in result.stderr, result.stderr
    assert "Account\\nerror: forged header" in result.stderr
    _one_error_line(result.stderr)


@pytest.mark.parametrize("field", ["name", "full_name", "category", "aliases"])
def test_a_service_catalogs_text_holding_a_line_break_is_refused(project, field):
    """Thirty-eighth pass (38a F3): explain printed a service's name raw on its output,
    a forged ``error:`` line among it."""
    import yaml

    value = ["Zed\nerror: forged"] if field == "aliases" else "Foo\nerror: forged"
    catalog = project / "services.yaml"
    entry = {**_SERVICE, field: value}
    catalog.write_text(yaml.safe_dump({"version": "2026.11.0", "services": [entry]}))
    result = run("explain", "--catalog", str(catalog), "zzsvc", cwd=project, check=2)
    assert "\\nerror: forged' holds a line break or a" in result.stderr
    assert not result.stdout
    _one_error_line(result.stderr)


@pytest.mark.parametrize("field", ["name", "version"])
def test_a_framework_catalogs_text_holding_a_line_break_is_refused(project, field):
    """Thirty-eighth pass (38a F4): controls printed a framework's name and version raw."""
    import yaml

    source = ROOT / "reportgen" / "catalogs" / "frameworks" / "soc2.yaml"
    framework = yaml.safe_load(source.read_text(encoding="utf-8"))
    framework[field] = "X\nerror: forged"
    catalog = project / "soc2.yaml"
    catalog.write_text(yaml.safe_dump(framework, allow_unicode=True), encoding="utf-8")
    result = run("controls", "soc2", "--framework-catalog", str(catalog), cwd=project, check=2)
    assert f"{field}: 'X\\nerror: forged' holds a line break" in result.stderr, result.stderr
    assert not result.stdout
    _one_error_line(result.stderr)


def test_a_partys_line_break_forges_no_line_on_explains_output(project):
    """Thirty-ninth pass (39a F1): an override's party "Stackwise\\nerror: disk on fire"
    printed a forged ``error:`` line on explain's output, exit 0."""
    shutil.copy(ROOT / "inputs" / "inventory.xlsx", project / "inv.xlsx")
    config = write_config(
        project,
        textwrap.dedent("""\
        customer: {name: Acme, short_name: acme}
        frameworks: [pci-dss]
        inventory: {path: inv.xlsx}
        raci: {roles: [Security], accountable: Security}
        overrides:
          - service: ec2
            layer: operating-system
            owner: third-party
            party: "Stackwise\\nerror: disk on fire"
            justification: Managed-service contract MSA-1 covers patching.
        """),
    )
    command = ("explain", "ec2", "--config", str(config), "--framework", "pci-dss")
    result = run(*command, "--control", "2.2.1", cwd=project)
    assert "Stackwise\\nerror: disk on fire" in result.stdout, result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("error")]


@pytest.mark.parametrize(
    "command", [["bundle", "pack"], ["inventory", "pull", "--source", "config"]]
)
def test_an_output_path_naming_a_folder_forges_no_line(project, command):
    """Thirty-ninth pass (39a F2): the usage error quoted the path with its line break."""
    result = run(*command, "--out", "x\nerror: disk on fire/", cwd=project, check=2)
    assert "'x\\nerror: disk on fire/' ends with '/'" in result.stderr, result.stderr
    _one_error_line(result.stderr.replace("Error:", "error:"))


@pytest.mark.parametrize(
    "command", [["verify", "pack"], ["diff", "old", "new"], ["services", "ec2"]]
)
@pytest.mark.parametrize("extra", ["x\nerror: disk on fire", "x\rerror: disk on fire\u2028"])
def test_an_unexpected_extra_argument_forges_no_line(project, command, extra):
    """Forty-second pass (42a F1): click's "Got unexpected extra argument (...)" quoted the
    argument as it was, a line break or a carriage return and all."""
    result = run(*command, extra, cwd=project, check=2)
    assert "unexpected extra argument (x\\" in result.stderr, result.stderr
    assert not [line for line in result.stderr.splitlines() if "error: disk" in line[:12]]
    assert "\r" not in result.stderr and "\u2028" not in result.stderr


def test_a_long_name_is_not_wrapped_into_a_line_of_its_own(project):
    """Fortieth pass (40a F2): a service name padded to the 80th column, then "error: disk
    on fire", was wrapped by rich into a line of its own on explain's output."""
    import yaml

    name = "Z" * 70 + " error: disk on fire"
    catalog = project / "services.yaml"
    entry = {**_SERVICE, "name": name}
    catalog.write_text(yaml.safe_dump({"version": "2026.11.0", "services": [entry]}))
    result = run("explain", "--catalog", str(catalog), "zzsvc", cwd=project, env={"COLUMNS": "80"})
    assert name in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("error")]


def test_a_padded_catalog_version_is_not_wrapped_into_a_line_of_its_own(project):
    """Forty-first pass (41a F1): the frameworks table's title quoted a user catalog's
    catalog_version uncut; padded to the edge, "error: ..." was wrapped onto a line alone."""
    import yaml

    source = ROOT / "reportgen" / "catalogs" / "frameworks" / "soc2.yaml"
    framework = yaml.safe_load(source.read_text(encoding="utf-8"))
    framework["id"] = "evilfw"
    framework["catalog_version"] = "v1" + " " * 120 + "error: forged by catalog version"
    catalog = project / "fw.yaml"
    catalog.write_text(yaml.safe_dump(framework, allow_unicode=True), encoding="utf-8")
    for columns in ("80", "200"):
        command = ("frameworks", "--framework-catalog", str(catalog))
        result = run(*command, cwd=project, env={"COLUMNS": columns})
        assert "evilfw" in result.stdout
        assert not [line for line in result.stdout.splitlines() if "error" in line]


def test_a_users_line_break_in_a_hint_is_escaped_whatever_follows_it():
    """Fortieth pass (40a F5): a hint holding a line break and six spaces was split there,
    and printed the rest as a line of its own."""
    from reportgen.core.errors import InputError

    text = str(InputError("bad", hint="framework 'x\n      error: disk on fire'"))
    assert not [line for line in text.splitlines() if line.strip().startswith("error")], text
    assert "x\\n      error: disk on fire" in text


@pytest.mark.parametrize(("flag", "env"), [(["--debug"], {}), ([], {"REPORTGEN_DEBUG": "1"})])
def test_debug_shows_the_traceback_and_keeps_the_exit_status(project, flag, env):
    """Fourteenth pass: --debug re-raised the error, so every status 2 (or 4) became 1, the
    one for a bug."""
    import os

    result = subprocess.run(
        [sys.executable, "-m", "reportgen", *flag, "explain", "ec3"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-2].startswith("error: unknown service 'ec3'")


def test_services_search_and_explain():
    listing = run("services", "dynamo").stdout
    assert "dynamodb" in listing
    explained = run("explain", "AWS::RDS::DBInstance").stdout
    assert "container" in explained
    assert "service catalog:" in explained  # RDS's server-side-encryption override
    control = run("explain", "ec2", "--framework", "pci-dss", "--control", "5.2.1").stdout
    assert "Customer" in control


def test_explain_with_config_shows_overrides():
    result = run("explain", "ec2", "--config", str(SAMPLE_CONFIG)).stdout
    assert "customer override #1" in result
    assert "Stackwise" in result


@pytest.mark.parametrize(
    "args",
    [
        ("explain", "{x}"),
        ("explain", "ec2", "--framework", "soc2", "--control", "{x}"),
        ("services", "{x}"),
        ("controls", "soc2", "{x}"),
        ("frameworks", "{x}"),  # click's own usage error quotes the extra argument
    ],
)
def test_a_huge_argument_is_not_echoed_whole(args):
    """Twelfth pass: an unknown 100,000-character name was quoted whole in the error."""
    long = "x" * 100_000
    result = run(*(a.replace("{x}", long) for a in args), check=2, pdf=False)
    said = result.stdout + result.stderr
    assert "x" * 50 in said and len(said) < 2_000, len(said)


def test_frameworks_and_controls():
    listing = run("frameworks").stdout
    for fid, count in (("pci-dss", "280"), ("iso-27001", "123"), ("soc2", "61")):
        assert fid in listing and count in listing
    found = run("controls", "iso-27001", "malware").stdout
    assert "A.8.7" in found


def test_init_writes_a_working_starter(tmp_path):
    run("init", str(tmp_path / "new"))
    assert (tmp_path / "new" / "reportgen.yaml").is_file()
    again = run("init", str(tmp_path / "new"), check=2)
    assert "refusing to overwrite" in again.stderr
    run(
        "-q",
        "build",
        "--config",
        str(tmp_path / "new" / "reportgen.yaml"),
        "--framework",
        "soc2",
        "--out",
        str(tmp_path / "o"),
    )
    matrix = json.loads((tmp_path / "o" / "soc2" / "matrix.json").read_text())
    assert {s["id"] for s in matrix["services"]} == {"ec2", "rds", "s3", "dynamodb", "sqs"}


def test_the_sample_pack_names_and_counts_its_third_party(sample_pack):
    """Stackwise patches the EC2 fleet (override #1): every output names it and counts it,
    and never folds it into 'shared' or 'customer' unseen."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    party = "Stackwise Managed Services"
    summary = (sample_pack / "summary.md").read_text(encoding="utf-8")
    header = next(
        line for line in summary.splitlines() if line.startswith("| Framework |") and party in line
    )
    columns = [c.strip() for c in header.strip("|").split("|")]
    for fid in ("pci-dss", "iso-27001", "soc2"):
        matrix = json.loads((sample_pack / fid / "matrix.json").read_text())
        count = matrix["party_counts"][party]
        assert count > 0, fid
        row = next(
            line
            for line in summary.splitlines()
            if line.startswith(f"| {matrix['framework']['name']} |")
            and line.count("|") == header.count("|")
        )
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[columns.index(party)] == str(count), fid
        book = load_workbook(next((sample_pack / fid).glob("*.xlsx")), read_only=True)
        summary_rows = [
            r for r in book["Summary"].iter_rows(values_only=True) if r and r[0] == party
        ]
        assert summary_rows and summary_rows[0][2] == count, fid
        raci_header = next(book["RACI"].iter_rows(max_row=1, values_only=True))
        assert party in raci_header
        pdf = PdfReader(next((sample_pack / fid).glob("*.pdf")))
        text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages[:8])
        assert f"{party}, a third party" in text and f"carries a duty in {count}" in text, fid


def test_an_error_message_is_printed_plain_when_rich_runs_out_of_memory(monkeypatch, capsys):
    """Under a memory limit rich's first print (it imports tables) raised MemoryError over
    the "ran out of memory" message (adversarial 4a #15): the text is then written plain,
    and the memory reserve is released on the error path."""
    from reportgen import cli
    from reportgen.core import reserve

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli.err, "print", no_memory)
    reserve.hold()
    with pytest.raises(SystemExit) as info:
        cli.main(["build", "--config", "does-not-exist.yaml"])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("error: does-not-exist.yaml")
    assert not reserve.held()


@pytest.mark.parametrize("command", ["verify", "diff"])
def test_running_out_of_memory_outside_rendering_is_exit_2_not_a_bug(
    command, capsys, monkeypatch, tmp_path
):
    """A MemoryError in a command's own work (reading a huge pack under a memory cap) is
    the machine's limit: one message and exit 2, never "internal error" and exit 1."""
    from reportgen import cli
    from reportgen.core import reserve

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli, "verify_pack", no_memory)
    monkeypatch.setattr(cli, "diff_packs", no_memory)
    reserve.hold()
    argv = [command, str(tmp_path)] + ([str(tmp_path)] if command == "diff" else [])
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    text = capsys.readouterr().err
    assert text.startswith("error: ran out of memory") and "internal error" not in text
    assert "raise the memory limit" in text
    assert not reserve.held()


def test_running_out_of_memory_reading_the_inventory_names_it(capsys, monkeypatch, tmp_path):
    """Pass 27a: a CSV too big for the memory cap was "ran out of memory", naming nothing
    (a workbook's sheet was named by the room check)."""
    from reportgen import cli
    from reportgen.inventory import load

    def no_memory(*args, **kwargs):
        raise MemoryError

    inventory = tmp_path / "estate.csv"
    inventory.write_text("Service\nAmazon S3\n")
    (tmp_path / "reportgen.yaml").write_text("customer:\n  name: Test Co\n")
    monkeypatch.setattr(load, "_read_inventory", no_memory)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        cli.main(["validate", "--inventory", str(inventory)])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: {inventory}: ran out of memory")


@pytest.mark.parametrize("limited", [True, False])
def test_libxml_failing_to_allocate_under_a_memory_limit_is_out_of_memory(monkeypatch, limited):
    """Pass 49d: lxml says libxml2's failed allocation as "unknown error (<string>, line
    0)": openpyxl's read of a workbook it could read with more memory was said to be a
    damaged workbook. Without a memory limit it stays the parser's error."""
    from reportgen.core import reserve

    class XMLSyntaxError(SyntaxError):  # lxml's, by name: lxml is openpyxl's choice
        pass

    monkeypatch.setattr(reserve, "address_space_limited", lambda: limited)
    failure = XMLSyntaxError("unknown error (<string>, line 0)")
    if limited:
        with pytest.raises(MemoryError):
            reserve.raise_if_out_of_memory(failure)
    else:
        reserve.raise_if_out_of_memory(failure)  # not raised: said as the parser's error
    reserve.raise_if_out_of_memory(XMLSyntaxError("EntityRef: expecting ';', line 3"))


@pytest.mark.parametrize("limit", [3000, 5000])
def test_init_past_a_file_size_limit_leaves_nothing_and_no_traceback(tmp_path, limit):
    """Fourteenth pass: on a full disk (or past ulimit -f) init printed zipfile's or lxml's
    traceback, named the folder, and left a 0-byte or cut inventory.xlsx that the next init
    refused to replace without --force. Now each file is whole or absent."""
    import resource

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    target = tmp_path / "project"
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "init", str(target)],
        capture_output=True, text=True, preexec_fn=capped, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {target}/inventory.xlsx: the file is too large")
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert not target.exists()
    again = subprocess.run([sys.executable, "-m", "reportgen", "init", str(target)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert {p.name for p in target.iterdir()} == {"reportgen.yaml", "inventory.xlsx"}


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_reportgen_debug_set_to_a_word_for_off_is_off(project, value):
    """Fifteenth pass: any value of REPORTGEN_DEBUG turned tracebacks on, 0 included."""
    import os

    result = subprocess.run([sys.executable, "-m", "reportgen", "explain", "ec3"], cwd=project,
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "REPORTGEN_DEBUG": value})  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_default_config_that_is_not_a_file_is_named_as_such(tmp_path, kind):
    """Fifteenth pass: a reportgen.yaml that is a folder or a FIFO was reported as absent."""
    import os

    if kind == "fifo":
        os.mkfifo(tmp_path / "reportgen.yaml")
    else:
        (tmp_path / "reportgen.yaml").mkdir()
    result = run("validate", cwd=tmp_path, check=2)
    assert "reportgen.yaml: YAML file is a" in result.stderr
    assert "no reportgen.yaml in the current folder" not in result.stderr


def _run_capped(folder, argv: list[str], kind: str, cap: int) -> subprocess.CompletedProcess:
    """The installed ``reportgen`` run with ``argv`` under a resource limit (RLIMIT_AS,
    RLIMIT_DATA) of ``cap`` bytes."""
    import resource
    from pathlib import Path

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists():
        pytest.skip("the installed reportgen command is not beside this Python")

    def limit() -> None:
        resource.setrlimit(getattr(resource, kind), (cap, cap))

    return subprocess.run([str(launcher), *argv], cwd=folder, capture_output=True, text=True,
                          timeout=120, preexec_fn=limit, check=False)  # fmt: skip


@pytest.mark.parametrize("cap_mb", [50, 56, 60, 68, 70, 80, 84, 127])
def test_an_address_space_too_small_to_start_in_is_said_not_a_traceback(tmp_path, cap_mb):
    """Sixteenth pass: under a cap of 40 to 82 MB the installed command printed a traceback,
    exit 1: a library that could not be mapped (ImportError: failed to map segment), or the
    reserve kept for saying that memory ran out, which did not fit itself. Nineteenth: at
    56 to 68 MB, some runs in three, a ValueError from the compiler (exit 1) or pydantic-core
    aborting with a Rust backtrace (status 134); a cap under 128 MB is now refused first."""
    result = _run_capped(tmp_path, ["services"], "RLIMIT_AS", cap_mb * 1024 * 1024)
    assert result.returncode == 2, result.stderr
    said = f"error: ran out of memory: the memory limit (ulimit -v) is {cap_mb * 1024:,} KiB "
    said += f"({cap_mb:.2f} MiB), and reportgen needs at least 131,072 KiB (128.00 MiB) to start"
    assert result.stderr.startswith(said), result.stderr
    assert "Traceback" not in result.stderr and "backtrace" not in result.stderr


def test_a_cap_the_libraries_load_in_runs_the_command(tmp_path):
    """The floor is not above what a command needs: under a 160 MB cap `services` runs."""
    result = _run_capped(tmp_path, ["services"], "RLIMIT_AS", 160 * 1024 * 1024)
    assert result.returncode == 0, result.stderr
    assert "ec2" in result.stdout.lower()


@pytest.mark.parametrize(("data_mb", "status"), [(60, 2), (64, 2), (100, 0)])
def test_a_data_size_limit_too_small_to_start_in_is_said(tmp_path, data_mb, status):
    """Twenty-seventh pass: under prlimit --data of 60 to 65 MB a Rust library panicked
    ('PyObject pointer is null'), or the process hung, SIGTERM ignored; exit 1 in others."""
    argv = ["validate", "--config", str(ROOT / "inputs" / "reportgen.yaml")]
    result = _run_capped(tmp_path, argv, "RLIMIT_DATA", data_mb * 1024 * 1024)
    assert result.returncode == status, result.stderr
    if status:
        said = f"error: ran out of memory: the data size limit (ulimit -d) is {data_mb * 1024:,}"
        assert result.stderr.startswith(said), result.stderr
        assert "needs at least 98,304 KiB (96.00 MiB) to start" in result.stderr


@pytest.mark.parametrize("stderr", ["closed", "full"])
def test_a_cap_too_small_to_start_in_is_exit_2_whatever_stderr_is(tmp_path, stderr):
    """Forty-first pass (41d D1): below the start-up memory floor, with standard error
    closed (2>&-) or full (2>/dev/full), the refusal's own write failed: exit 1, a bug's."""
    import os
    import resource
    from pathlib import Path

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists():
        pytest.skip("the installed reportgen command is not beside this Python")

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (90 * 2**20, resource.RLIM_INFINITY))
        if stderr == "closed":
            os.close(2)

    with open("/dev/full", "w") as full:
        result = subprocess.run([str(launcher), "validate"], cwd=tmp_path, close_fds=True,
                                stdout=subprocess.DEVNULL, timeout=120, preexec_fn=capped,
                                stderr=full if stderr == "full" else None)  # fmt: skip
    assert result.returncode == 2


@pytest.mark.parametrize("debug", [(), ("--debug",)])
def test_a_build_whose_warnings_meet_a_full_stderr_still_succeeds(tmp_path, debug):
    """Pass 46d: the sample's build warns (an inventory row it cannot resolve) and prints
    its table on standard error; on a full device that write failed and the build, whose
    pack was written, exited 2. A full stderr changes no exit status."""
    from packhelpers import REPORTGEN_WITHOUT_PDF

    out = tmp_path / "pack"
    argv = ["build", "--config", str(ROOT / "inputs" / "reportgen.yaml"), "--framework", "soc2"]
    with open("/dev/full", "w") as full:
        result = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv, "--format", "matrix", "-o",
                                 str(out), *debug], stderr=full, timeout=300)  # fmt: skip
    assert result.returncode == 0
    assert (out / "soc2" / "matrix.json").is_file()


def test_a_path_holding_a_newline_prints_no_line_of_its_own(tmp_path):
    """Sixteenth pass: a config in a folder named 'cf\\npack written to EVIL' made build's
    last line and validate's first print a forged line."""
    import shutil

    folder = tmp_path / "cf\npack written to EVIL"
    folder.mkdir()
    for name in ("reportgen.yaml", "inventory.xlsx"):
        shutil.copy(ROOT / "inputs" / name, folder / name)
    config = folder / "reportgen.yaml"
    built = run("build", "--config", config, "--format", "matrix", "--out", tmp_path / "p",
                pdf=False).stderr  # fmt: skip
    validated = run("validate", "--config", config, pdf=False).stdout
    for text in (built, validated):
        assert not any(line.startswith("pack written to EVIL") for line in text.splitlines())
    assert "cf\\npack written to EVIL/reportgen.yaml" in built


def test_validate_prints_each_warning_on_one_line(tmp_path):
    """Pass 33a: validate printed its warnings as they were (build escaped them): a resource
    override naming 'i-0\\nerror: fake line' printed a line of its own, and a long warning
    was wrapped at 80 columns into two."""
    import shutil

    shutil.copy(ROOT / "inputs" / "inventory.xlsx", tmp_path / "inventory.xlsx")
    text = (ROOT / "inputs" / "reportgen.yaml").read_text()
    forged = '"i-0a1b2\\nerror: fake line"'
    text = text.replace("  - resource: i-0a1b2c3d4e5f60003", f"  - resource: {forged}")
    (tmp_path / "reportgen.yaml").write_text(text)
    said = run("validate", "--config", tmp_path / "reportgen.yaml", pdf=False).stdout
    lines = said.splitlines()
    assert not [line for line in lines if line.startswith("error:")], said
    warnings = [line for line in lines if line.startswith("warning:")]
    assert any("'i-0a1b2\\nerror: fake line' is not in the inventory" in w for w in warnings)
    assert all(w.endswith("the override is ignored") for w in warnings), warnings


def test_a_pdf_variant_for_a_build_that_writes_no_pdf_is_said(tmp_path):
    """Sixteenth pass: --pdf-variant was ignored without a word under --format matrix."""
    said = run("build", "--config", ROOT / "inputs" / "reportgen.yaml", "--out", tmp_path / "p",
               "--format", "matrix", "--pdf-variant", "pdf/a-3u", pdf=False).stderr  # fmt: skip
    assert said.count("--pdf-variant pdf/a-3u has no effect: this build writes no PDF") == 1


def test_a_stop_signal_after_the_pack_is_written_ends_nothing(monkeypatch, capfd):
    """Eighteenth pass: Ctrl-C or SIGTERM just after 'pack written to' exited 130 or 143,
    the status of "the old pack intact", for a pack that was complete."""
    import signal

    from reportgen import cli
    from reportgen.core import stopping

    monkeypatch.setattr(signal, "pthread_sigmask", lambda *_: set())  # not in the test's worker
    monkeypatch.setattr(cli, "_stopping", [])
    monkeypatch.setattr(stopping, "_finished", ["the pack was written"])
    cli._on_stop_signal(signal.SIGTERM, None)  # returns: nothing is raised
    assert (
        "warning: SIGTERM came after the pack was written; it is complete" in capfd.readouterr().err
    )
    monkeypatch.setattr(cli, "_stopping", [])
    monkeypatch.setattr(stopping, "_finished", [])
    with pytest.raises(KeyboardInterrupt):  # before it is written, a stop stops
        cli._on_stop_signal(signal.SIGINT, None)


def test_a_build_with_nothing_in_scope_says_the_warnings_that_explain_it(tmp_path):
    """Pass 71a W4: a scope column matching two columns (`pci` and `pci` with a zero-width
    space) took the one out of scope; the run stopped with "no inventory row is in scope"
    and the warning naming both columns, printed when a run succeeds, was never shown."""
    rows = [["Service", "pci", "pci\u200b"], ["Amazon S3", "no", "yes"]]
    write_csv(tmp_path / "inventory.csv", rows)
    config = write_config(
        tmp_path,
        "customer: {name: Example}\ninventory: {path: inventory.csv, columns: {scope: pci}}\n",
    )
    for command in ("validate", "build"):
        result = run(command, "--config", config, "--framework", "pci-dss", cwd=tmp_path, check=2)
        said = " ".join(result.stderr.split())
        assert "no inventory row is in scope for pci-dss" in said, said
        assert "inventory.columns.scope 'pci' matches columns B (pci), C (pci\\u200b)" in said
    assert not (tmp_path / "output").exists()
