"""Inventories from exports: each fixture (modelled on the real format, quirks included)
builds a pack whose services, accounts and regions are the fixture's; hostile exports end
in exit 2 with the file and the JSON path or line, and nothing written."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, write_config
from packhelpers import REPORTGEN_WITHOUT_PDF, run

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import read_table
from reportgen.inventory.sources import detect, read_source
from reportgen.inventory.sources.cur import CostAndUsageReport

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
A, B, C = "111122223333", "444455556666", "777788889999"


def _arn_account_region(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]


def _config_expected() -> tuple[set[str], set[str]]:
    results = [
        json.loads(r)
        for r in json.loads((EXPORTS / "config-aggregator.json").read_text())["Results"]
    ]
    return {r["accountId"] for r in results}, {r["awsRegion"] for r in results}


def _tagging_expected() -> tuple[set[str], set[str]]:
    data = json.loads((EXPORTS / "tagging-get-resources.json").read_text())
    pairs = [_arn_account_region(m["ResourceARN"]) for m in data["ResourceTagMappingList"]]
    return {a for a, _ in pairs if a}, {r for _, r in pairs if r}


def _explorer_expected() -> tuple[set[str], set[str]]:
    data = json.loads((EXPORTS / "resource-explorer-search.json").read_text())
    return {r["OwningAccountId"] for r in data["Resources"]}, {
        r["Region"] for r in data["Resources"]
    }


# fixture -> (services, accounts, regions); accounts and regions read from the file itself
# where the format states them, so the fixture and the expectation cannot drift apart.
CASES = {
    "config-aggregator.json": (
        {"ec2", "s3", "rds", "lambda", "iam", "kms", "dynamodb", "sqs",
         "elasticloadbalancing", "cloudtrail"},
        *_config_expected(),
    ),
    "tagging-get-resources.json": (
        {"ec2", "s3", "sns", "lambda", "rds", "elasticloadbalancing", "secretsmanager"},
        *_tagging_expected(),
    ),
    "resource-explorer-search.json": (
        {"ec2", "s3", "iam", "dynamodb", "logs", "ecs"},
        *_explorer_expected(),
    ),
    "terraform-state.json": (
        {"ec2", "s3", "iam", "rds", "kms", "cloudwatch", "sns"}, {A}, {"eu-west-1"},
    ),
    "terraform-plan.json": ({"sqs", "ecs", "ec2", "sns"}, set(), {"us-east-1"}),
    "cur-legacy.csv.gz": (
        {"ec2", "rds", "s3", "kms", "sqs", "lambda", "cloudwatch"}, {A, B},
        {"eu-west-1", "eu-central-1"},
    ),
    "cur2.csv": ({"ec2", "dynamodb", "ecs", "guardduty"}, {A, B}, {"eu-west-1", "us-east-1"}),
}  # fmt: skip

CONFIG = """\
customer: {name: Harbourline Payments Ltd, short_name: harbourline}
frameworks: [pci-dss]
inventory:
  path: %s
  columns: %s
"""


def _project(tmp_path: Path, inventory: Path, columns: str = "{}") -> Path:
    write_config(tmp_path, CONFIG % (json.dumps(str(inventory)), columns))
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_export_builds_a_pack_of_its_services_accounts_and_regions(tmp_path, name):
    services, accounts, regions = CASES[name]
    assert accounts or name == "terraform-plan.json"  # the expectations are not empty sets
    project = _project(tmp_path, EXPORTS / name)
    run("-q", "build", "--config", "reportgen.yaml", "--out", "pack", "--strict", cwd=project,
        pdf=False)  # fmt: skip
    matrix = json.loads((project / "pack" / "pci-dss" / "matrix.json").read_text())
    assert {s["id"] for s in matrix["services"]} == services
    assert set(matrix["scope"]["accounts"]) == accounts
    assert set(matrix["scope"]["regions"]) == regions
    assert matrix["unresolved"] == []


def _table(path: Path, limits: Limits | None = None) -> list[list[str]]:
    raw = read_source(path, limits or Limits())
    assert raw is not None
    return [cells for _, cells in raw.sheets[0].rows]


def test_config_results_are_strings_of_json_and_tags_become_columns():
    header, *rows = _table(EXPORTS / "config-aggregator.json")
    assert header[:4] == ["Resource Type", "Resource", "Account", "Region"]
    assert header[4:] == ["tag:Environment", "tag:Name", "tag:Owner", "tag:pci"]
    instance = rows[0]
    arn = f"arn:aws:ec2:eu-west-1:{A}:instance/i-0a1b2c3d4e5f60001"
    assert instance[:4] == ["AWS::EC2::Instance", arn, A, "eu-west-1"]
    assert instance[4:] == ["production", "web-1", "Cloud Platform", "yes"]
    assert len(rows) == 12


def test_terraform_reads_child_modules_to_any_depth_and_counts_what_it_skips():
    raw = read_source(EXPORTS / "terraform-state.json", Limits())
    header, *rows = [cells for _, cells in raw.sheets[0].rows]
    addresses = [row[header.index("Terraform Address")] for row in rows]
    assert "module.database.module.alarms.aws_sns_topic.alerts" in addresses
    assert "aws_subnet.private[1]" in addresses
    assert not any("data." in a or "random_" in a for a in addresses)
    assert raw.warnings == [
        f"{EXPORTS / 'terraform-state.json'}: skipped 2 data source(s), 1 resource(s) of "
        "provider 'random': they are not AWS resources in the estate"
    ]
    vpc = rows[addresses.index("aws_vpc.main")]
    # tags_all (with the provider's default tags) wins over tags
    assert vpc[header.index("tag:Environment")] == "production"


def test_a_plan_reads_planned_values_not_the_prior_state():
    header, *rows = _table(EXPORTS / "terraform-plan.json")
    resources = [row[header.index("Resource")] for row in rows]
    assert "arn:aws:s3:::to-be-deleted" not in resources
    # new resources have no ARN yet: their address stands for them
    assert "aws_sqs_queue.events" in resources


def test_cur_rows_are_distinct_resources_with_line_item_counts():
    raw = read_source(EXPORTS / "cur-legacy.csv.gz", Limits())
    header, *rows = [cells for _, cells in raw.sheets[0].rows]
    by_resource = {(r[0], r[1]): r for r in rows}
    instance = by_resource[("AmazonEC2", "i-0a1b2c3d4e5f60001")]
    assert instance[header.index("Line Items")] == "24"
    assert instance[header.index("tag:Environment")] == "production"
    kms = by_resource[("awskms", "")]
    assert kms[header.index("Notes")] == "6 line items without a resource ID"
    assert ("prod-4f7c0b3e2a1d9", "i-0a1b2c3d4e5f60001") not in by_resource  # Marketplace
    assert "aws:createdBy" in [h.removeprefix("tag:") for h in header]
    assert raw.warnings == [
        f"{EXPORTS / 'cur-legacy.csv.gz'}: of 78 line items, skipped 2 AWS Marketplace line "
        "items (third-party products), 1 Credit line items, 1 Tax line items, 2 line items "
        "of AWSDataTransfer (not a service)"
    ]


def test_line_item_types_the_file_names_are_listed_in_a_bounded_warning(tmp_path):
    """Pass 60a A4: each distinct line-item type was counted under its own text and all
    joined into the warning (a 300 MB report: 2.1 GB and a line of 307 MB)."""
    kinds = [f"Kind{i:05d}" + "x" * 1_000 for i in range(5_000)]
    rows = [CUR_HEADER] + [[A, kind, "AmazonEC2", "i-1", "eu-west-1", ""] for kind in kinds]
    rows.append([A, kinds[0], "AmazonEC2", "i-1", "eu-west-1", ""])
    rows.append([A, "Tax", "AmazonEC2", "", "eu-west-1", ""])
    raw = read_source(_write_cur(tmp_path / "cur.csv", rows, quote=False), Limits())
    [warning] = raw.warnings
    assert len(warning) < 3_000, len(warning)
    assert "of 5,002 line items, skipped 2 Kind00000xxx" in warning
    assert "4,981 line items of other kinds (past the first 20)" in warning
    assert "Tax" not in warning  # the 20 named kinds were taken by then: counted with them


def test_providers_the_state_names_are_listed_in_a_bounded_warning(tmp_path):
    """Pass 60a A5: each distinct provider was counted under its own name and all joined
    into the warning (a 229 MB state: 1.5 GB and a line of 207 MB)."""
    resources = [
        {"address": f"x{i}.r", "mode": "managed", "type": "x_r", "name": "r",
         "provider_name": f"example.com/p/prov{i:05d}" + "y" * 1_000, "values": {}}
        for i in range(3_000)
    ] + [{"address": "data.aws_region.here", "mode": "data", "type": "aws_region",
          "name": "here", "provider_name": "registry.terraform.io/hashicorp/aws"}]  # fmt: skip
    state = {"format_version": "1.0", "terraform_version": "1.9.5",
             "values": {"root_module": {"resources": resources}}}  # fmt: skip
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    [warning] = read_source(path, Limits()).warnings
    assert len(warning) < 3_000, len(warning)
    assert "1 data source(s)" in warning and "1 resource(s) of provider 'prov00000yyy" in warning
    assert "2,980 resources of other kinds (past the first 20)" in warning


def test_cur2_tags_come_from_the_resource_tags_map():
    header, *rows = _table(EXPORTS / "cur2.csv")
    instance = next(r for r in rows if r[1] == "i-0b2c3d4e5f6a70002")
    assert instance[header.index("tag:pci")] == "yes"
    assert instance[header.index("tag:environment")] == "production"


def _write_cur(path: Path, rows: list[list[str]], quote: bool) -> Path:
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL
    csv.writer(buffer, lineterminator="\n", quoting=quoting).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


CUR_HEADER = ["lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/ProductCode",
              "lineItem/ResourceId", "product/region", "resourceTags/user:team"]  # fmt: skip


def _cur_rows(count: int) -> list[list[str]]:
    return [CUR_HEADER] + [
        [A, "Usage", "AmazonEC2" if i % 3 else "AmazonS3", f"r-{i % 7}", "eu-west-1", f"t{i % 7}"]
        for i in range(count)
    ]


def test_cur_split_fast_path_and_csv_path_agree(tmp_path):
    rows = _cur_rows(5000)
    plain = _table(_write_cur(tmp_path / "plain.csv", rows, quote=False))
    quoted = _table(_write_cur(tmp_path / "quoted.csv", rows, quote=True))
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress((tmp_path / "plain.csv").read_bytes()))
    assert plain == quoted == _table(packed)
    assert sum(int(r[4]) for r in plain[1:]) == 5000
    assert len(plain) == 1 + 2 * 7  # r-0..r-6 under each of the two product codes


def test_a_short_cur_line_is_named_by_its_line(tmp_path):
    rows = _cur_rows(10)
    rows[6] = rows[6][:2]
    with pytest.raises(InputError) as caught:
        _table(_write_cur(tmp_path / "short.csv", rows, quote=False))
    assert caught.value.line == 7 and "2 fields; the header has 6" in caught.value.message


@pytest.mark.parametrize("quote", [False, True])
def test_a_long_cur_field_is_named_by_its_line_and_its_column_in_the_report(tmp_path, quote):
    """Fourth adversarial pass: a 40,000-character ResourceId (column D of this report) was
    reported as 'row 3, column B', a cell of the table reportgen builds from the report.
    A record over two lines comes first, so the line is the file's, not the record's count."""
    header = [*CUR_HEADER, "lineItem/LineItemDescription"]
    rows = [header] + [[*row, "plain"] for row in _cur_rows(9)[1:]]
    rows[2][-1] = "first 1,000\nrequests" if quote else "plain"
    rows[7][3] = "r" * 40_000
    rows[4][-1] = "d" * 40_000  # not a field reportgen reads: never refused
    with pytest.raises(InputError) as caught:
        _table(_write_cur(tmp_path / "long.csv", rows, quote=quote))
    error = caught.value
    assert (error.line, error.column) == (8 + quote, "D (lineItem/ResourceId)"), str(error)
    assert error.row is None and "--max-cell-chars" in error.hint
    assert error.message == "a field holds 40,000 characters, over the limit of 32,767"
    rows[7][3] = "r-7"
    assert len(_table(_write_cur(tmp_path / "fine.csv", rows, quote=quote))) == 1 + 8


@pytest.mark.parametrize("quote", [False, True])
@pytest.mark.parametrize(
    ("column", "bad", "said"),
    [
        (3, "bu\x00cket", "a NUL character: binary data, not text"),
        (5, "pr\x00d", "a NUL character: binary data, not text"),
        (3, "caf\udce9-bucket", "a byte that is not UTF-8 (0xe9)"),
    ],
)
def test_a_cur_value_that_is_not_text_is_named_by_its_line_and_column(
    tmp_path, quote, column, bad, said
):
    """Thirteenth pass: a NUL in a resource id or a tag was refused naming neither line nor
    column, and a byte that is not UTF-8 became U+FFFD in the pack's resource ids."""
    rows = _cur_rows(3000)
    rows[2500][column] = bad
    path = _write_cur(tmp_path / "bad.csv", [[c.replace("\udce9", "@") for c in r] for r in rows],
                      quote=quote)  # fmt: skip
    path.write_bytes(path.read_bytes().replace(b"@", b"\xe9"))
    packed = tmp_path / "bad.csv.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    for report in (path, packed):
        with pytest.raises(InputError) as caught:
            _table(report)
        error = caught.value
        assert (error.line, error.column) == (2501, f"{'DF'[column == 5]} ({CUR_HEADER[column]})")
        assert said in error.message


def test_tag_columns_never_match_a_field_by_themselves(tmp_path):
    """The tagging fixture's Lambda carries a Service tag: the ARN still names the service."""
    project = _project(tmp_path, EXPORTS / "tagging-get-resources.json")
    process = run("validate", "--config", "reportgen.yaml", cwd=project, pdf=False)
    assert "service =" not in process.stdout and "7 resolved, 0 unresolved" in process.stdout


def test_a_tag_mapped_to_the_scope_column_scopes_resources(tmp_path):
    project = _project(tmp_path, EXPORTS / "config-aggregator.json", '{scope: "tag:pci"}')
    run("-q", "build", "--config", "reportgen.yaml", "--out", "pack", "--framework", "pci-dss",
        "--framework", "iso-27001", cwd=project, pdf=False)  # fmt: skip
    matrix = json.loads((project / "pack" / "pci-dss" / "matrix.json").read_text())
    assert "s3" not in {s["id"] for s in matrix["services"]}  # its pci tag says no
    iso = json.loads((project / "pack" / "iso-27001" / "matrix.json").read_text())
    assert "s3" in {s["id"] for s in iso["services"]}  # the pci tag scopes PCI DSS alone (80a)


def _hostile(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the message must say)."""
    files = {
        "deep": ('{"Results": [' + "[" * 5000 + "]" * 5000 + "]}",
                 "$.Results[0][0][0][0][0]…(", "nested more than 128 levels deep"),
        "huge": ('{"ResourceTagMappingList": [{"ResourceARN": "' + "a" * (5 << 20) + '"}]}',
                 "$.ResourceTagMappingList[0].ResourceARN", "longer than 4,194,304 bytes"),
        "number": (json.dumps({"Results": ['{"resourceType": "AWS::S3::Bucket"}', 42]}),
                   "$.Results[1]", "expected a string of JSON (one resource), found a number"),
        "not-a-list": (json.dumps({"ResourceTagMappingList": {"a": 1}}),
                       "$.ResourceTagMappingList", "expected a list, found an object"),
        "tag-object": (json.dumps({"Resources": [{"Arn": "arn:aws:s3:::b", "OwningAccountId": A,
                       "Properties": [{"Name": "tags", "Data": [{"Key": "k", "Value": []}]}]}],
                       "ViewArn": "v"}),
                       "$.Resources[0].Properties[0].Data[0].Value", "expected a string"),
        "inner-json": (json.dumps({"Results": ['{"resourceType": ']}),
                       "$.Results[0]", "the result is not valid JSON"),
        "truncated": ('{"format_version": "1.0", "values": {"root_module": {"resources": [{"ty',
                      "$.values.root_module.resources[0]", "not valid JSON"),
        "tf-module-type": (json.dumps({"format_version": "1.0", "values": {"root_module": {
                           "child_modules": [{"resources": "x"}]}}}),
                           "$.values.root_module.child_modules[0].resources", "expected a list"),
        "unknown": (json.dumps({"Items": []}), "top-level keys found: Items",
                    "not an export reportgen reads"),
    }  # fmt: skip
    result = {}
    for name, (text, *expected) in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        result[name] = (path, *expected)
    return result


@pytest.mark.parametrize(
    "name", ["deep", "huge", "number", "not-a-list", "tag-object", "inner-json", "truncated",
             "tf-module-type", "unknown"],
)  # fmt: skip
def test_hostile_json_exits_2_naming_file_and_json_path(tmp_path, name):
    path, *expected = _hostile(tmp_path)[name]
    project = _project(tmp_path, path)
    process = run("build", "--config", "reportgen.yaml", "--out", "pack", cwd=project,
                  check=2, pdf=False)  # fmt: skip
    message = process.stderr
    assert message.startswith(f"error: {path}: ") or message.startswith(f"error: {path}")
    for text in expected:
        assert text in message
    assert not (project / "pack").exists()


def test_a_gzip_that_unpacks_past_the_limit_stops_there(tmp_path):
    bomb = tmp_path / "bomb.csv.gz"
    line = ",".join(CUR_HEADER).encode() + b"\n"
    row = f"{A},Usage,AmazonEC2,i-1,eu-west-1,x\n".encode()
    bomb.write_bytes(gzip.compress(line + row * 200_000))  # 8 MB unpacked, 40 kB packed
    project = _project(tmp_path, bomb)
    process = run("validate", "--config", "reportgen.yaml", "--max-export-mb", "1", cwd=project,
                  check=2, pdf=False)  # fmt: skip
    assert f"{bomb}: the export holds more than 1 MB once unpacked" in process.stderr


def test_a_damaged_gzip_is_named(tmp_path):
    damaged = tmp_path / "cur.csv.gz"
    damaged.write_bytes((EXPORTS / "cur-legacy.csv.gz").read_bytes()[:400])
    with pytest.raises(InputError) as caught:
        read_source(damaged, Limits())
    assert caught.value.file == str(damaged)


def test_formats_are_detected_by_content_not_by_name(tmp_path):
    renamed = tmp_path / "inventory.csv"
    renamed.write_bytes((EXPORTS / "terraform-state.json").read_bytes())
    assert detect(renamed).name == "terraform"
    cur = tmp_path / "cur.txt"
    cur.write_bytes(gzip.decompress((EXPORTS / "cur-legacy.csv.gz").read_bytes()))
    assert isinstance(detect(cur), CostAndUsageReport)
    plain = tmp_path / "plain.csv"
    plain.write_text("Service,Region\nEC2,eu-west-1\n", encoding="utf-8")
    assert detect(plain) is None
    bracketed = tmp_path / "bracketed.csv"  # starts with '[' but is no JSON
    bracketed.write_text("[Service],[Region]\nEC2,eu-west-1\n", encoding="utf-8")
    assert detect(bracketed) is None


def _read_as(tmp_path: Path, source: Path, name: str) -> list[list[str]]:
    renamed = tmp_path / name
    renamed.write_bytes(source.read_bytes())
    return [cells for sheet in read_table(renamed, Limits()).sheets for _, cells in sheet.rows]


@pytest.mark.parametrize(
    ("export", "name"),
    [("tagging-get-resources.json", "tagging.xlsx"), ("config-aggregator.json", "config.xlsm"),
     ("cur-legacy.csv.gz", "cur.xlsx"), ("tagging-get-resources.json", "tagging.txt")],
)  # fmt: skip
def test_an_export_saved_under_a_workbook_s_name_is_read_as_the_export(tmp_path, export, name):
    """Fourth adversarial pass: a tagging export saved as x.xlsx was refused as 'a text file,
    probably a CSV: rename it to x.csv', though an export is known by its content."""
    assert _read_as(tmp_path, EXPORTS / export, name) == _table(EXPORTS / export)


def test_a_csv_saved_under_an_export_s_name_is_told_to_rename_it(tmp_path):
    """It was 'unsupported inventory file type .json', though .json is what exports are."""
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Service,Region\nEC2,eu-west-1\n", encoding="utf-8")
    for name in ("inventory.json", "inventory.gz"):
        with pytest.raises(InputError) as caught:
            _read_as(tmp_path, sheet, name)
        suffix = name.split(".")[1]
        assert caught.value.message.startswith(f"the name says '.{suffix}' but this is not an")
        assert caught.value.hint == (
            "It is a text file, probably a CSV: rename it to inventory.csv and run again."
        )
    plain = _read_as(tmp_path, sheet, "inventory.csv")
    assert plain == [["Service", "Region"], ["EC2", "eu-west-1"]]
    with pytest.raises(InputError, match=r"unsupported inventory file type '\.pdf'"):
        _read_as(tmp_path, tmp_path / "sheet.csv", "inventory.pdf")


def test_a_raw_tfstate_is_told_to_use_terraform_show(tmp_path):
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps({"version": 4, "terraform_version": "1.9.5", "serial": 4,
                                 "lineage": "x", "outputs": {}, "resources": []}))  # fmt: skip
    with pytest.raises(InputError) as caught:
        detect(state)
    assert "terraform show -json" in caught.value.hint


def test_init_from_an_export_maps_its_tags_and_validates(tmp_path):
    export = EXPORTS / "config-aggregator.json"
    run("init", str(tmp_path / "audit"), "--from", str(export), pdf=False)
    config = (tmp_path / "audit" / "reportgen.yaml").read_text()
    assert 'environment: "tag:Environment"' in config and 'owner: "tag:Owner"' in config
    assert '# scope: "tag:pci"' in config  # suggested, never mapped silently
    assert not (tmp_path / "audit" / "inventory.xlsx").exists()
    process = run("validate", "--config", str(tmp_path / "audit" / "reportgen.yaml"), pdf=False)
    assert "environment = E (tag:Environment)" in process.stdout


@pytest.mark.parametrize("name", ["~x.json", "~"])
def test_init_from_an_export_named_with_a_tilde_names_that_export(tmp_path, name):
    """Fifteenth pass: init wrote 'path: "~x.json"', which the config reads as the home of a
    user 'x.json' (an internal error), and 'path: "~"', which named the home folder."""
    export = tmp_path / name
    item = {"ResourceARN": "arn:aws:s3:::tilde-bucket", "Tags": [{"Key": "Env", "Value": "p"}]}
    export.write_text(json.dumps({"ResourceTagMappingList": [item]}), encoding="utf-8")
    run("init", ".", "--from", f"./{name}", cwd=tmp_path, pdf=False)
    config = tmp_path / "reportgen.yaml"
    assert f'path: "./{name}"' in config.read_text(encoding="utf-8")
    out = tmp_path / "out"
    run("build", "--config", config, "--out", out, "--format", "matrix", pdf=False)
    matrix = json.loads(next(out.rglob("matrix.json")).read_text(encoding="utf-8"))
    assert [i["path"] for i in matrix["inputs"] if i["role"] == "inventory"] == [str(export)]


def test_init_from_a_spreadsheet_is_refused(tmp_path):
    sheet = tmp_path / "inventory.csv"
    sheet.write_text("Service\nEC2\n", encoding="utf-8")
    process = run("init", str(tmp_path / "audit"), "--from", str(sheet), check=2, pdf=False)
    assert "not an export reportgen recognises" in process.stderr
    assert not (tmp_path / "audit").exists()


def _init_from(tmp_path: Path, export: Path | bytes) -> subprocess.CompletedProcess:
    """``init audit --from export`` in a process that is killed after 60 s: a FIFO was
    waited on for ever (eleventh adversarial pass)."""
    command = [*REPORTGEN_WITHOUT_PDF, "init", "audit", "--from", export]
    try:
        return subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"init --from {export!r} was still waiting after 60 s")


def _fifo_at(tmp_path: Path, name: str, link: str | None = None) -> Path:
    os.mkfifo(tmp_path / name)
    if link is None:
        return tmp_path / name
    (tmp_path / link).symlink_to(name)
    return tmp_path / link


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda d: _fifo_at(d, "estate.json"), "a FIFO (named pipe)"),
        (lambda d: _fifo_at(d, "estate.json", link="link.json"), "a FIFO (named pipe)"),
        (lambda d: _fifo_at(d, "cur.csv.gz"), "a FIFO (named pipe)"),
        (lambda _d: Path("/dev/zero"), "a character device"),
    ],
    ids=["fifo", "link-to-fifo", "fifo-named-gz", "dev-zero"],
)
def test_init_from_a_file_that_is_not_regular_is_refused_unopened(tmp_path, make, kind):
    export = make(tmp_path)
    process = _init_from(tmp_path, export)
    assert process.returncode == 2, process.stderr
    assert f"{export}: the inventory is {kind}, not a regular file".encode() in process.stderr
    assert b"Traceback" not in process.stderr
    assert not (tmp_path / "audit").exists()


def _loop_at(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).symlink_to("other.json")
    (tmp_path / "other.json").symlink_to(name)
    return tmp_path / name


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda d: _loop_at(d, "estate.json"),
            "inventory file cannot be reached: a symbolic link on its path loops",
        ),
        (
            lambda _d: Path("/proc/self/status"),
            "the inventory is a file of the kernel's proc file system",
        ),
        (lambda d: d / "missing.json", "inventory file not found"),
    ],
    ids=["link-loop", "procfs", "missing"],
)
def test_init_from_says_why_there_is_no_file_to_read(tmp_path, make, said):
    # thirteenth pass: click said a link loop "does not exist"; /proc files were "empty"
    export = make(tmp_path)
    process = _init_from(tmp_path, export)
    assert process.returncode == 2, process.stderr
    assert f"{export}: {said}".encode() in b" ".join(process.stderr.split())
    assert b"Traceback" not in process.stderr
    assert not (tmp_path / "audit").exists()


def test_init_from_a_name_that_is_not_utf8_is_refused_before_writing(tmp_path):
    # the config named it "\udcff\udcfe-tag.json", which YAML refuses: validate could not read it
    export = os.fsencode(tmp_path) + b"/\xff\xfe-tag.json"
    Path(os.fsdecode(export)).write_bytes((EXPORTS / "tagging-get-resources.json").read_bytes())
    process = _init_from(tmp_path, export)
    assert process.returncode == 2, process.stderr
    stderr = process.stderr.decode()
    assert "\\xff\\xfe-tag.json: the export's path holds \\xff, a byte that is not UTF-8" in stderr
    assert "Rename the export" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "audit").exists()


def test_init_from_a_name_past_u_ffff_writes_a_config_validate_reads(tmp_path):
    # JSON writes U+1F4CA as a surrogate pair (\ud83d\udcca), which YAML refuses
    export = tmp_path / "\U0001f4ca estate.json"
    export.write_bytes((EXPORTS / "tagging-get-resources.json").read_bytes())
    assert _init_from(tmp_path, export).returncode == 0
    config = tmp_path / "audit" / "reportgen.yaml"
    assert 'path: "../\\U0001f4ca estate.json"' in config.read_text(encoding="utf-8")
    process = run("validate", "--config", config, pdf=False)
    assert "rows: 7 (7 resolved" in process.stdout


def test_a_quoted_line_break_across_blocks_stays_one_record(tmp_path, monkeypatch):
    rows = _cur_rows(300)
    header = [*rows[0], "lineItem/LineItemDescription"]
    rows = [header] + [[*row, "first 1,000\nrequests" if i % 50 == 0 else "plain"]
                       for i, row in enumerate(rows[1:])]  # fmt: skip
    path = _write_cur(tmp_path / "multi.csv", rows, quote=False)
    whole = _table(path)
    monkeypatch.setattr("reportgen.inventory.sources.cur._BLOCK", 97)  # blocks end mid-field
    assert _table(path) == whole
    assert sum(int(r[4]) for r in whole[1:]) == 300


def test_a_byte_order_mark_is_read_and_utf16_is_named(tmp_path):
    text = (EXPORTS / "tagging-get-resources.json").read_text(encoding="utf-8")
    marked = tmp_path / "bom.json"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert _table(marked) == _table(EXPORTS / "tagging-get-resources.json")
    wide = tmp_path / "wide.json"
    wide.write_bytes(text.encode("utf-16"))
    with pytest.raises(InputError) as caught:
        detect(wide)
    assert "UTF-16" in caught.value.message and "utf8" in caught.value.hint


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("packed", [False, True], ids=["csv", "gzip"])
def test_a_utf16_cost_and_usage_report_is_refused_not_read_as_a_spreadsheet(
    tmp_path, codec, packed
):
    """79a A2: a CUR saved as UTF-16 went unrecognised and was read as a plain CSV, exit 0:
    its fees became services, EC2 and an account were lost. A plain UTF-16 CSV still reads."""
    text = (EXPORTS / "cur2.csv").read_text(encoding="utf-8")
    report = tmp_path / ("cur.csv.gz" if packed else "cur.csv")
    data = text.encode(codec)
    report.write_bytes(gzip.compress(data) if packed else data)
    with pytest.raises(InputError) as caught:
        read_table(report, Limits())
    assert "Cost and Usage Report is UTF-16" in caught.value.message
    plain = tmp_path / "plain.csv"
    plain.write_bytes("Account,Service\n111122223333,Amazon S3\n".encode(codec))
    assert dict(read_table(plain, Limits()).sheets[0].rows)[2] == ["111122223333", "Amazon S3"]


LENIENT = {
    "NaN": ('{"n":NaN,', "the value NaN", "line 1, column 6"),
    "Infinity": ('{"n":\n-Infinity,', "the value -Infinity", "line 2, column 1"),
    "Infinity later": ('{"n":[1,\n Infinity],', "the value Infinity", "line 2, column 2"),
    "line comment": ("// exported by hand\n{", "a comment", "line 1, column 1"),
    "block comment": ("/* x */{", "a comment", "line 1, column 1"),
    "bare word": ('{"n": tru,', "expecting value", "line 1, column 7"),
    "comment after the brace": ('{\n  // by hand\n  "n": 1,', "a comment", "line 2, column 3"),
    "block comment after the brace": ("{ /* x */", "a comment", "line 1, column 3"),
    "single quotes": ("{'n': 1,", "expecting property name", "line 1, column 2"),
    "long number first": ('{"n": ' + "9" * 5_000 + ', "m": NaN,', "the value NaN", "column 5014"),
    "long number after": ('{"n": NaN, "m": ' + "9" * 5_000 + ",", "the value NaN", "column 7"),
}


@pytest.mark.parametrize("case", LENIENT)
@pytest.mark.parametrize("name", ["config.json", "config.xlsx", "config.csv"])
def test_json_that_is_not_strict_json_is_named_so_not_called_a_csv(tmp_path, case, name):
    """79a A3: an AWS Config export holding NaN, Infinity or a comment was said to be "a text
    file, probably a CSV: rename it", which led to another refusal. The fault is named,
    with its line and column, whatever the file is called."""
    start, what, where = LENIENT[case]
    export = tmp_path / name
    body = (EXPORTS / "config-aggregator.json").read_text(encoding="utf-8")
    export.write_text(start + body.lstrip().removeprefix("{"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(export, Limits())
    message = caught.value.message
    assert "not valid JSON" in message and what in message and where in message
    assert "CSV" not in str(caught.value.hint)


def test_a_list_starting_with_nan_and_utf32_json_are_named_so(tmp_path):
    """80a A1: '[NaN, ...' and an export saved as UTF-32 were called "probably a CSV"."""
    listed = tmp_path / "list.json"
    listed.write_text('[NaN, {"a": 1}]', encoding="utf-8")
    with pytest.raises(InputError, match="the value NaN, which JSON does not allow, at line 1"):
        read_table(listed, Limits())
    wide = tmp_path / "wide.json"
    for codec in ("utf-32", "utf-32-le", "utf-32-be"):
        wide.write_bytes((EXPORTS / "tagging-get-resources.json").read_text().encode(codec))
        with pytest.raises(InputError, match="this JSON file is UTF-32; reportgen reads UTF-8"):
            read_table(wide, Limits())
    report = tmp_path / "cur.csv.gz"
    report.write_bytes(gzip.compress((EXPORTS / "cur2.csv").read_text().encode("utf-32")))
    with pytest.raises(InputError, match="this Cost and Usage Report is UTF-32"):
        read_table(report, Limits())


def test_a_csv_header_in_brackets_is_still_a_csv(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("[Account],[Service]\n111122223333,Amazon S3\n", encoding="utf-8")
    assert dict(read_table(plain, Limits()).sheets[0].rows)[2] == ["111122223333", "Amazon S3"]


BIG = {"2**63": "9223372036854775808", "-2**63-1": "-9223372036854775809",
       "3,999 digits": "7" * 3_999, "1e999": "1e999", "-1e99999": "-1e99999",
       "1e-999": "1e-999"}  # fmt: skip


@pytest.mark.parametrize("number", BIG)
def test_a_number_of_any_size_in_a_skipped_field_is_walked_past(tmp_path, number):
    """Fifth adversarial pass: 2**63 anywhere in an export, even in a field reportgen skips,
    was exit 2 'not valid JSON (integer overflow)': yajl's own integers stop at 2**63 and
    its floats at 1e308. Valid JSON is read."""
    export = tmp_path / "tags.json"
    item = f'{{"ResourceARN": "arn:aws:s3:::b", "Size": {BIG[number]}, "Tags": []}}'
    export.write_text(f'{{"ResourceTagMappingList": [{item}], "x": [{BIG[number]}]}}')
    assert _table(export) == [["Resource"], ["arn:aws:s3:::b"]]


def test_a_number_in_a_field_read_is_its_digits_or_refused_as_too_large(tmp_path):
    """An integer of any size (to the 4,000 digits the byte guard allows) is read as its
    digits; a number past the range of a float is refused, naming it, as too large."""
    export = tmp_path / "tags.json"
    tags = [{"Key": "cc", "Value": 2**64}, {"Key": "big", "Value": int("9" * 3_999)},
            {"Key": "rate", "Value": 0.25}, {"Key": "tiny", "Value": 1e-300}]  # fmt: skip
    export.write_text(json.dumps({"ResourceTagMappingList": [
        {"ResourceARN": "arn:aws:s3:::b", "Tags": tags}]}))  # fmt: skip
    header, row = _table(export)
    values = dict(zip(header, row, strict=True))
    assert values["tag:cc"] == str(2**64) and values["tag:big"] == "9" * 3_999
    assert values["tag:rate"] == "0.25" and values["tag:tiny"] == "1e-300"
    export.write_text(export.read_text().replace("1e-300", "1e999"))
    with pytest.raises(InputError) as caught:
        _table(export)
    assert caught.value.message == (
        "$.ResourceTagMappingList[0].Tags[3].Value: a number too large to read (past 1.8e308, "
        "the largest a floating-point number holds)"
    )


@pytest.mark.parametrize(
    ("number", "said"),
    [("1e999", "a number too large to read"), ("NaN", "a number that is NaN")],
)
def test_a_config_results_number_no_float_holds_is_refused(tmp_path, number, said):
    """A result is a string of JSON read by json.loads, which makes 1e999 infinity (once
    shown as the text 'inf') and accepts NaN (sixth pass: reported as too large)."""
    result = '{"resourceType": "AWS::S3::Bucket", "arn": "arn:aws:s3:::b", "awsRegion": @}'
    export = tmp_path / "config.json"
    export.write_text(json.dumps({"Results": [result.replace("@", number)]}))
    with pytest.raises(InputError) as caught:
        _table(export)
    assert caught.value.message.startswith(f"$.Results[0].awsRegion: {said}")


@pytest.mark.parametrize("earlier", [None, 10**6])
def test_a_cur_quote_left_open_names_the_cell_limit_whatever_csv_s_limit_is(tmp_path, earlier):
    """Fifth adversarial pass: a quote left open to the end of the file was 'longer than
    131,071 characters' (csv's own limit, process-wide, raised by any earlier read) with the
    hint to raise --max-cell-chars, whose default is 32,767."""
    head = "identity/LineItemId,lineItem/UsageAccountId,lineItem/ProductCode,lineItem/ResourceId"
    path = tmp_path / "cur.csv"
    # closed at last (a quote open to the end of the file is refused as such: ninth pass)
    path.write_text(f'{head}\na,{A},AmazonS3,"' + "x\n" * 300_000 + '"\n')
    before = csv.field_size_limit()
    try:
        if earlier is not None:
            csv.field_size_limit(earlier)
        with pytest.raises(InputError) as caught:
            _table(path, Limits(max_cell_chars=20_000))
    finally:
        csv.field_size_limit(before)
    error = caught.value
    assert error.line == 2 and "Raise --max-cell-chars" in error.hint
    assert error.message in (  # csv's limit, or the key field's check past it
        "a field of the record starting here is longer than 20,000 characters (--max-cell-chars)",
        "a field holds 600,000 characters, over the limit of 20,000",
    )


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\u0085", "\u2028"])
def test_a_tag_key_cannot_write_lines_into_the_starter_config(tmp_path, brk):
    """Ninth pass: a tag key holding a line break ended the comment listing it, and a
    crafted one set attach.jira.url in the config init --from wrote."""
    key = f"x{brk}attach:{brk}  jira:{brk}    url: https://evil.example{brk}#"
    tags = [{"Key": key, "Value": "v"}, {"Key": "pci\nscope", "Value": "yes"}]
    item = {"ResourceARN": "arn:aws:s3:::b", "Tags": tags}
    export = tmp_path / "tagging.json"
    export.write_text(json.dumps({"ResourceTagMappingList": [item]}), encoding="utf-8")
    run("init", str(tmp_path / "audit"), "--from", str(export), pdf=False)
    text = (tmp_path / "audit" / "reportgen.yaml").read_text(encoding="utf-8")
    assert "evil" not in yaml.safe_load(text).get("attach", {}).get("jira", {}).get("url", "")
    block = text[text.index("inventory:") :].split("\n\n", 1)[0].splitlines()
    assert all(line.startswith("  ") for line in block[1:]), block
    assert sum("tag columns found" in line for line in block) == 1
    assert text.isascii() or brk == "\n"
    run("validate", "--config", str(tmp_path / "audit" / "reportgen.yaml"), pdf=False)


def test_init_from_an_export_past_a_limit_points_at_build_s_flag(tmp_path):
    """Sixteenth pass: init --from told the user to raise --max-columns, which init lacks."""
    import json

    from packhelpers import run

    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(1100)]
    export = tmp_path / "e.json"
    export.write_text(json.dumps({"ResourceTagMappingList": [
        {"ResourceARN": "arn:aws:s3:::b", "Tags": tags}]}))  # fmt: skip
    said = " ".join(
        run("init", tmp_path / "p", "--from", export, check=2, pdf=False).stderr.split()
    )
    assert "init reads an export within the default limits" in said
    assert "Raise --max-columns" not in said


def test_a_resource_explorer_entry_giving_its_tags_twice_is_refused(tmp_path):
    """Pass 62a: the first 'tags' property was read and the second neither read nor
    checked, so a scope tag of the second was lost without a word."""
    data = json.loads((EXPORTS / "resource-explorer-search.json").read_text())
    properties = data["Resources"][0]["Properties"]
    properties.append({"Name": "Tags", "Data": [{"Key": "pci", "Value": "no"}]})
    path = tmp_path / "explorer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _table(path)
    said = str(caught.value)
    assert "a second 'tags' property" in said and "Resources[0].Properties[1]" in said, said


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (["line_item_usage_account_id", "line_item_line_item_type", "line_item_product_code",
          "line_item_resource_id", "product_region_code", "resource_tags"],
         ['{"user_pci": "PCI DSS", "pci": "none"}']),
        (["lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/ProductCode",
          "lineItem/ResourceId", "product/region", "resourceTags/user:pci", "resourceTags/pci"],
         ["PCI DSS", "none"]),
    ],
    ids=["cur2", "legacy"],
)  # fmt: skip
def test_a_cost_report_giving_a_tag_twice_is_refused(tmp_path, header, tags):
    """Pass 65a: `user_pci` and `pci` in resource_tags (read without `user_`), or two tag
    columns naming one tag, kept the last value without a word, and it decided the scope."""
    rows = [header, [A, "Usage", "AmazonS3", "bucket-1", "eu-west-1", *tags]]
    path = _write_cur(tmp_path / "cur.csv", rows, quote=True)
    with pytest.raises(InputError) as caught:
        _table(path)
    assert "gives the tag 'pci' twice, as 'PCI DSS' and 'none'" in caught.value.message
    rows[1][5:] = [tags[0].replace('"none"', '"PCI DSS"')] if len(tags) == 1 else ["x", "x"]
    _table(_write_cur(tmp_path / "same.csv", rows, quote=True))  # one value twice: read


_CUR2 = ["line_item_usage_account_id", "line_item_line_item_type", "line_item_product_code",
         "line_item_resource_id", "product_region_code", "resource_tags"]  # fmt: skip


@pytest.mark.parametrize(
    ("tags", "said"),
    [('{"user_pci": "PCI DSS", "pci": "none"}', "gives the tag 'pci' twice, as 'PCI DSS'"),
     ('{"user_pci": "ye\\u0000s"}', "gives the tag 'pci' a NUL character or a lone"),
     ('{"user_pci\\udc80": "yes"}', "gives the tag 'pci\\udc80' a NUL character or a lone")],
    ids=["twice", "nul", "surrogate"],
)  # fmt: skip
def test_a_cost_report_tag_map_problem_names_its_line_and_column(tmp_path, tags, said):
    """Pass 71a: a NUL or a lone surrogate a resource_tags map spells as a JSON escape, and
    a tag the map gives twice, were found only once the report was folded into resources:
    refused naming no line, and the surrogate key spelt 'pci\\\\x80', a byte the file does
    not hold."""
    good = [A, "Usage", "AmazonS3", "bucket-1", "eu-west-1", '{"user_env": "prod"}']
    rows = [_CUR2, *([good] * 3), [A, "Usage", "AmazonS3", "bad", "eu-west-1", tags]]
    path = _write_cur(tmp_path / "cur.csv", rows, quote=True)
    with pytest.raises(InputError) as caught:
        _table(path)
    message = str(caught.value)
    assert f"{path}:5, column F (resource_tags): a resource_tags value {said}" in message
    assert "\\\\" not in message and "\\x80" not in message, message


def test_a_cost_report_tag_given_in_two_columns_names_the_resource(tmp_path):
    """Pass 71a W1: two legacy tag columns naming one tag are found once the line items are
    folded: the message names the resource, which a search of the report finds."""
    header = ["lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/ProductCode",
              "lineItem/ResourceId", "product/region", "resourceTags/user:pci",
              "resourceTags/pci"]  # fmt: skip
    rows = [header, [A, "Usage", "AmazonS3", "arn:aws:s3:::cards", "eu-west-1", "yes", "no"]]
    with pytest.raises(InputError) as caught:
        _table(_write_cur(tmp_path / "cur.csv", rows, quote=True))
    assert "a line item of resource 'arn:aws:s3:::cards' gives the tag 'pci' twice" in str(
        caught.value
    )


def _repeat_first(data: dict, key: str) -> None:
    """Append a copy of the first item of ``data[key]``, its pci tag changed to 'no'."""
    first = data[key][0]
    text = first if isinstance(first, str) else json.dumps(first)
    again = text.replace('"yes"', '"no"')
    assert again != text
    data[key].append(again if isinstance(first, str) else json.loads(again))


@pytest.mark.parametrize(
    ("name", "key"),
    [("tagging-get-resources.json", "ResourceTagMappingList"),
     ("config-aggregator.json", "Results"),
     ("resource-explorer-search.json", "Resources")],
    ids=["tagging", "config", "explorer"],
)  # fmt: skip
def test_a_resource_an_export_lists_twice_is_read_once_as_first_listed(tmp_path, name, key):
    """Pass 66a: a Tagging API export holding a bucket twice, out of scope and then in it,
    made two rows and put it in the PCI pack, while `inventory pull` of the same answer
    wrote it once, as first sent, with a warning."""
    data = json.loads((EXPORTS / name).read_text())
    count = len(data[key])
    _repeat_first(data, key)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    raw = read_source(path, Limits())
    assert raw is not None
    header, *rows = [cells for _, cells in raw.sheets[0].rows]
    assert rows == _table(EXPORTS / name)[1:] and len(rows) == count
    assert "no" not in rows[0][header.index("tag:pci")]
    assert raw.warnings == [
        f"{path}: 1 item(s) name a resource an earlier item names (the first at "
        f"$.{key}[{count}]); each resource is read once, as first listed, as "
        "`inventory pull` writes it"
    ]


def test_items_naming_no_resource_are_one_only_when_alike(tmp_path):
    """An AWS Config result naming no resource (no ARN, no id) is named by its text, as
    the pull names it: two alike are one resource, two that differ are two."""
    item = {"resourceType": "AWS::S3::Bucket", "accountId": A, "awsRegion": "eu-west-1"}
    tagged = [{**item, "tags": [{"key": "pci", "value": value}]} for value in ("yes", "no")]
    path = tmp_path / "config.json"
    results = [json.dumps(tagged[0]), json.dumps(tagged[0], indent=1), json.dumps(tagged[1])]
    path.write_text(json.dumps({"Results": results}), encoding="utf-8")
    raw = read_source(path, Limits())
    assert raw is not None
    rows = [cells for _, cells in raw.sheets[0].rows][1:]
    assert [row[-1] for row in rows] == ["yes", "no"], rows
    assert "(the first at $.Results[1])" in raw.warnings[0]


@pytest.mark.parametrize("second", ["pci ", " pci", "\tpci"])
def test_a_terraform_tag_given_twice_with_other_spacing_is_refused(tmp_path, second):
    """Pass 66a: Terraform's tags map took 'pci' and 'pci ' for two tags, two columns the
    header warning showed alike, and neither was refused (the other readers strip keys)."""
    data = json.loads((EXPORTS / "terraform-state.json").read_text())
    resources = data["values"]["root_module"]["resources"]
    resource = next(r for r in resources if r["mode"] == "managed" and "tags" in r["values"])
    resource["values"]["tags"] = {"pci": "none", second: "PCI DSS"}
    resource["values"].pop("tags_all", None)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _table(path)
    assert "the tag 'pci' is given twice, with the values 'none' and 'PCI DSS'" in str(caught.value)
    resource["values"]["tags"] = {"pci": "none", second: "none"}
    path.write_text(json.dumps(data), encoding="utf-8")
    header = _table(path)[0]
    assert header.count("tag:pci") == 1, header


@pytest.mark.parametrize(
    ("header", "tags"),
    [(["resource_tags"], ['{"user_pci": "none", "user_pci ": "PCI DSS"}']),
     (["resource_tags"], ['{"user_pci": "none", "user_ pci": "PCI DSS"}']),
     (["resourceTags/user:pci", "resourceTags/user: pci"], ["none", "PCI DSS"])],
    ids=["cur2-after", "cur2-after-the-prefix", "legacy-after-the-prefix"],
)  # fmt: skip
def test_a_cost_report_tag_given_twice_with_other_spacing_is_refused(tmp_path, header, tags):
    """Pass 66a: CUR 2.0's resource_tags took 'user_pci' and 'user_pci ' for two tags;
    68a: so were 'user_ pci' and a legacy column 'resourceTags/user: pci' (a blank after
    the prefix, which was taken off first)."""
    if header == ["resource_tags"]:
        header = ["line_item_usage_account_id", "line_item_line_item_type",
                  "line_item_product_code", "line_item_resource_id", "product_region_code",
                  *header]  # fmt: skip
    else:
        header = ["lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/ProductCode",
                  "lineItem/ResourceId", "product/region", *header]  # fmt: skip
    rows = [header, [A, "Usage", "AmazonS3", "bucket-1", "eu-west-1", *tags]]
    with pytest.raises(InputError) as caught:
        _table(_write_cur(tmp_path / "cur.csv", rows, quote=True))
    assert "gives the tag 'pci' twice, as 'none' and 'PCI DSS'" in caught.value.message


@pytest.mark.parametrize("left_out", ["arn", "accountId"])
def test_a_config_result_giving_a_resource_again_with_less_is_read_once(tmp_path, left_out):
    """Pass 67a: a bucket given again without its ARN (named by its id) or without its
    account (named by its ARN) was two rows, and the second's pci tag put it in scope."""
    bucket = {"resourceType": "AWS::S3::Bucket", "resourceId": "card-data", "accountId": A,
              "awsRegion": "eu-west-1", "arn": "arn:aws:s3:::card-data",
              "tags": [{"key": "pci", "value": "no"}]}  # fmt: skip
    again = {key: value for key, value in bucket.items() if key != left_out}
    again["tags"] = [{"key": "pci", "value": "yes"}]
    other = {**bucket, "resourceId": "logs", "arn": "arn:aws:s3:::logs"}
    path = tmp_path / "config.json"
    results = [json.dumps(item) for item in (bucket, again, other)]
    path.write_text(json.dumps({"Results": results}), encoding="utf-8")
    raw = read_source(path, Limits())
    assert raw is not None
    rows = [cells for _, cells in raw.sheets[0].rows][1:]
    assert [(row[1], row[-1]) for row in rows] == [
        ("arn:aws:s3:::card-data", "no"),
        ("arn:aws:s3:::logs", "no"),
    ], rows
    assert "(the first at $.Results[1])" in raw.warnings[0]


def test_an_aws_config_result_is_let_go_of_before_the_next_is_parsed(tmp_path, monkeypatch):
    """Pass 71d W: the one-result cache that lets a result's row and names share its parse
    held it until the next result was parsed, so two were held at once (crafted results
    peaked at 293 MB where one takes 182 MB)."""
    import gc
    import weakref

    from reportgen.inventory.sources import awsconfig

    held: list[weakref.ref] = []
    alive_while_parsing: list[bool] = []
    parse = awsconfig.loads_unique

    def watched(text: str):
        gc.collect()
        alive_while_parsing.append(any(ref() is not None for ref in held))
        value = _Watched(parse(text))  # a dict of its own: a plain one takes no weakref
        held.append(weakref.ref(value))
        return value

    monkeypatch.setattr(awsconfig, "loads_unique", watched)
    results = [
        json.dumps({"resourceType": "AWS::S3::Bucket", "resourceId": f"b{n}", "accountId": A,
                    "awsRegion": "eu-west-1", "arn": f"arn:aws:s3:::b{n}"})
        for n in range(3)
    ]  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"Results": results}), encoding="utf-8")
    raw = read_source(path, Limits())
    assert raw is not None and len(list(raw.sheets[0].rows)) == 4  # a header, each result once
    assert alive_while_parsing == [False, False, False]


class _Watched(dict):
    pass


def test_an_export_of_no_aws_resource_says_so_and_what_was_left_out(tmp_path):
    """Pass 80d W1: a Terraform state of only non-AWS resources was "row 1: the inventory has
    a header row but no data rows" (an export has neither), the reader's warning naming
    what it skipped dropped."""
    state = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"mode": "managed", "type": "google_x", "address": "a",
         "provider_name": "registry.terraform.io/hashicorp/google", "values": {}}]}}}  # fmt: skip
    export = tmp_path / "state.json"
    export.write_text(json.dumps(state))
    project = _project(tmp_path, export)
    said = run("validate", "--config", "reportgen.yaml", cwd=project, pdf=False, check=2).stderr
    said = " ".join(said.split())
    assert "state.json: the export holds no AWS resource" in said, said
    assert "of provider 'google': they are not AWS resources" in said
    assert "header row" not in said


def test_an_item_holding_more_text_than_a_resource_does_is_refused(tmp_path, monkeypatch):
    """Pass 81d D3: a Resource Explorer item's properties are kept until their name says
    which holds the tags: one resource of 600 MB of values took 671 MB. The text an item
    builds is bounded (16 MB; 1,000 characters here)."""
    from reportgen.inventory.sources import jsonstream

    monkeypatch.setattr(jsonstream, "MAX_ITEM_CHARS", 1000)
    properties = [{"Name": f"p{n}", "Data": {"Key": "k", "Value": "x" * 400}} for n in range(3)]
    item = {"Arn": "arn:aws:s3:::b", "OwningAccountId": A, "Region": "eu-west-1",
            "ResourceType": "s3:bucket", "Properties": properties}  # fmt: skip
    export = tmp_path / "explorer.json"
    export.write_text(json.dumps({"Resources": [item], "ViewArn": "v"}))
    with pytest.raises(InputError) as caught:
        read_source(export, Limits())
    assert "$.Resources[0].Properties[2].Data.Value" in caught.value.message
    assert "more than 1,000 characters of text in the fields reportgen" in caught.value.message
    properties.pop()
    export.write_text(json.dumps({"Resources": [item], "ViewArn": "v"}))
    assert _table(export)[1][0] == "arn:aws:s3:::b"
