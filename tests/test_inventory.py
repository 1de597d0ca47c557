"""Reading inventories: header detection, aliases, CSV dialects and encodings, scope, errors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import SAMPLE_INVENTORY, write_csv, write_xlsx

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.load import InventoryOptions, read_inventory
from reportgen.inventory.scope import ScopeParser


@pytest.fixture
def read(catalogs):
    scopes = ScopeParser(
        {fid: [lf.framework.name, *lf.framework.aliases] for fid, lf in catalogs.frameworks.items()}
    )

    def _read(path, **options):
        return read_inventory(path, InventoryOptions(**options), catalogs.resolver, scopes)

    return _read


def test_header_found_below_title_rows(read, tmp_path):
    path = write_xlsx(
        tmp_path / "inv.xlsx",
        [
            ["ACME inventory"],
            ["exported by hand"],
            [],
            [None, "AWS Service", "Account ID", "Owner Team", "Audit Scope"],
            [None, "Amazon EC2", 123456789012, "Cloud Platform", "PCI DSS"],
            [None, "S3", "", "Security", ""],
        ],
    )
    inventory = read(path)
    assert inventory.header.row == 4
    assert inventory.header.describe("service") == "B (AWS Service)"
    assert [(r.row.row, r.service_id) for r in inventory.rows] == [(5, "ec2"), (6, "s3")]
    first = inventory.rows[0].row
    assert first.account == "123456789012"
    assert first.owner == "Cloud Platform"
    assert first.scope == frozenset({"pci-dss"})
    assert inventory.rows[1].row.scope is None


def test_sample_inventory(read):
    inventory = read(SAMPLE_INVENTORY)
    assert inventory.sheet == "AWS inventory"
    assert inventory.header.row == 4
    assert 40 <= inventory.total_rows <= 80
    assert {u.row.service_text for u in inventory.unresolved} == {
        "Snowflake Data Cloud",
        "Amazon Dynamo",
    }
    by = {r.matched_by for r in inventory.rows}
    assert by == {"name", "arn", "resource-type"}


def test_unresolved_rows_keep_sheet_row_and_suggestions(read, tmp_path):
    path = write_xlsx(
        tmp_path / "inv.xlsx", [["Service"], ["Amazon Dynamo"], ["EC2"]], sheet="Estate"
    )
    inventory = read(path)
    (item,) = inventory.unresolved
    assert (item.row.sheet, item.row.row, item.row.service_text) == ("Estate", 2, "Amazon Dynamo")
    assert "Amazon DynamoDB" in item.suggestions
    assert item.row.service_column == "A (Service)"


def test_csv_with_bom_and_semicolons(read, tmp_path):
    path = write_csv(
        tmp_path / "inv.csv",
        [
            ["service name", "region"],
            ["AWS Lambda", "eu-west-1"],
            ["arn:aws:sqs:us-east-1:111122223333:q", ""],
        ],
        delimiter=";",
        bom=True,
    )
    inventory = read(path)
    assert [r.service_id for r in inventory.rows] == ["lambda", "sqs"]
    assert inventory.rows[1].row.region == "us-east-1"
    assert inventory.rows[1].row.account == "111122223333"


def test_latin1_csv_is_read_with_a_warning(read, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes("Service,Notes\nAmazon S3,Données clés\n".encode("latin-1"))
    inventory = read(path)
    assert inventory.rows[0].row.notes == "Données clés"
    assert any("Windows-1252" in w for w in inventory.warnings)


def test_utf16_csv(read, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes("Service\tRegion\r\nAmazon S3\teu-west-1\r\n".encode("utf-16"))
    assert [r.service_id for r in read(path).rows] == ["s3"]


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        # a lone surrogate in the second row's resource id: was read as U+FFFD, silently
        ("Service,Resource\nAmazon S3,r1\nAmazon S3,XX\n".encode("utf-16-le").replace(
            "XX".encode("utf-16-le"), b"\x00\xd8a\x00"), 80),
        # an odd number of bytes: a phantom row of U+FFFD
        ("Service,Resource\nAmazon S3,r1\n".encode("utf-16-le") + b"x", 60),
    ],
)  # fmt: skip
def test_utf16_csv_without_a_bom_that_does_not_decode_is_refused(read, tmp_path, data, offset):
    """Thirteenth pass: the BOM-less file was decoded with replacement, changing its ids."""
    path = tmp_path / "inv.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read(path)
    assert (
        caught.value.message == f"CSV file is UTF-16 but cannot be decoded (byte offset {offset})"
    )


def test_resource_type_column_and_arn_column_identify_services(read, tmp_path):
    path = write_csv(
        tmp_path / "inv.csv",
        [
            ["Resource Type", "ARN"],
            ["AWS::RDS::DBInstance", ""],
            ["", "arn:aws:dynamodb:eu-west-1:111122223333:table/t"],
            ["", "plain-id-without-service"],
        ],
    )
    inventory = read(path)
    assert [r.service_id for r in inventory.rows] == ["rds", "dynamodb"]
    assert [(u.row.row, u.reason) for u in inventory.unresolved] == [(4, "no service given")]


def test_explicit_column_mapping(read, tmp_path):
    path = write_csv(tmp_path / "inv.csv", [["Svc", "Thing"], ["S3", "x"]])
    inventory = read(path, columns={"service": "Svc", "resource": "Thing"})
    assert inventory.rows[0].row.resource == "x"
    with pytest.raises(InputError, match="configured column"):
        read(path, columns={"service": "Svc", "owner": "Team"})


@pytest.mark.parametrize(
    ("named", "environment", "using"),
    [("tag:env", "prod", "using C, written exactly so"), ("TAG:Env", "dev", "using B, the first")],
)
def test_a_mapped_header_that_matches_two_columns_prefers_the_exact_one(
    read, tmp_path, named, environment, using
):
    """Twelfth pass: `tag:env` took the export's tag `ENV` (the first match ignoring case),
    silently, and the pack showed its values, never those of the tag the config named."""
    rows = [["Service", "tag:ENV", "tag:env"], ["S3", "dev", "prod"]]
    inventory = read(write_csv(tmp_path / "inv.csv", rows), columns={"environment": named})
    assert inventory.rows[0].row.environment == environment
    warning = next(w for w in inventory.warnings if "matches columns" in w)
    assert f"matches columns B (tag:ENV), C (tag:env); {using}" in warning


def test_two_columns_apart_by_an_invisible_character_are_named_apart(read, tmp_path):
    """Pass 70a: 'tag:pci' and 'tag:pci' with a zero-width space were listed alike."""
    rows = [["Service", "tag:pci\u200b", "tag:pci"], ["S3", "no", "yes"]]
    inventory = read(write_csv(tmp_path / "inv.csv", rows), columns={"scope": "tag:pci"})
    warning = next(w for w in inventory.warnings if "matches columns" in w)
    assert "matches columns B (tag:pci\\u200b), C (tag:pci); using C" in warning, warning


def test_a_header_row_without_a_service_column_is_quoted_itself(read, tmp_path):
    """Fourteenth pass: the message quoted the title in row 1, not the row the config named."""
    rows = [["ACME inventory"], ["Owner", "Region"], ["Team A", "eu-west-1"]]
    path = write_csv(tmp_path / "inv.csv", rows)
    with pytest.raises(InputError) as caught:
        read(path, header_row=2)
    assert "headers found (row 2): 'Owner', 'Region'" in caught.value.details


def test_duplicate_headers_use_the_first_with_a_warning(read, tmp_path):
    path = write_csv(tmp_path / "inv.csv", [["Service", "Notes", "No\u200btes"], ["S3", "a", "b"]])
    inventory = read(path)
    assert inventory.rows[0].row.notes == "a"
    # 61a: its invisible character spelt out, or it read as the same name as B's
    assert any(
        "column C (No\\u200btes) repeats the notes column B; using B" in w
        for w in inventory.warnings
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("PCI, SOC 2", {"pci-dss", "soc2"}),
        ("iso27001", {"iso-27001"}),
        ("ISO/IEC 27001", {"iso-27001"}),
        ("pci-dss; iso 27001 and soc2", {"pci-dss", "iso-27001", "soc2"}),
        ("PCI/SOC2", {"pci-dss", "soc2"}),
        ("none", set()),
        ("Out of scope", set()),
    ],
)
def test_scope_cells(read, tmp_path, cell, expected):
    path = write_csv(tmp_path / "inv.csv", [["Service", "Scope"], ["S3", cell]])
    assert read(path).rows[0].row.scope == frozenset(expected)


@pytest.mark.parametrize(
    "cell",
    ["ｎｏｎｅ", "нет", "—", "✗", "\u200b", "всё кроме PCI", "PCI以外", "PCI 除外",
     "P\u0336C\u0336I\u0336", "y\u0336e\u0336s\u0336", "PCI\u20e0"],
)  # fmt: skip
def test_a_scope_cell_of_no_letter_it_reads_is_refused(read, tmp_path, cell):
    """Pass 73a S1: a Scope cell holding no ASCII letter or digit lost every character to
    the key and was read as a blank cell, every framework: 'нет' put the row in every pack,
    without a word, while '-' read as none. 74a: 'всё кроме PCI' ("all but PCI") was read
    as PCI alone, its other words dropped. 75a: 'P̶C̶I̶', struck through by a combining mark
    on each letter, was read as PCI."""
    path = write_csv(tmp_path / "inv.csv", [["Service", "Scope"], ["S3", "none"], ["EC2", cell]])
    with pytest.raises(InputError) as caught:
        read(path)
    said = str(caught.value) + " ".join(caught.value.details)
    assert "row 3, column B (Scope)" in said and "is not a scope answer" in said, said
    assert (
        read(write_csv(tmp_path / "ok.csv", [["Service", "Scope"], ["S3", "*"]])).rows[0].row.scope
        is None
    )  # '*' and a blank cell stay every framework


@pytest.mark.parametrize(
    "value", [1.5, -5, 1e300, 1.2e29, True, dt.datetime(2026, 1, 2), 1234567890123]
)
def test_an_account_cell_holding_a_number_no_account_has_names_the_cell(read, tmp_path, value):
    """Twelfth pass: 1.5, -5, 1e300 and TRUE were listed as accounts in the pack's scope."""
    rows = [["Service", "Account"], ["EC2", 123456789012], ["S3", value]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    with pytest.raises(InputError) as caught:
        read(path)
    error = caught.value
    assert (error.sheet, error.row, error.column) == ("Inventory", 3, "B (Account)")
    assert "not an account id (12 digits)" in error.message


def test_account_ids_typed_as_numbers_or_names_as_text_are_kept(read, tmp_path):
    rows = [["Service", "Account"], ["EC2", 11122223333], ["S3", "prod-payments"], ["SQS", 0]]
    inventory = read(write_xlsx(tmp_path / "inv.xlsx", rows))
    accounts = [r.row.account for r in inventory.rows]
    assert accounts == ["011122223333", "prod-payments", "000000000000"]


@pytest.mark.parametrize("text", ["١٢٣٤", "²³", "１２３"])
def test_account_text_in_digits_of_another_script_is_kept_as_written(read, tmp_path, text):
    """Nineteenth pass: str.isdigit took these for digits, and they were padded with ASCII
    zeros into '00000000١٢٣٤'."""
    path = write_csv(tmp_path / "inv.csv", [["Service", "Account"], ["S3", text]])
    assert read(path).rows[0].row.account == text


@pytest.mark.parametrize("text", ["1.23457E+11", "1.2E+11", "9e11", " 1.23457e+11 ", "1,23457E+11"])
def test_an_account_id_saved_in_scientific_notation_names_the_cell(read, tmp_path, text):
    """Nineteenth pass (19b): Excel saves a 12-digit id in a General column to CSV as
    1.23457E+11; its last digits are gone, and it was listed as an account name."""
    rows = [["Service", "Account"], ["EC2", "123456789012"], ["S3", text]]
    with pytest.raises(InputError) as caught:
        read(write_csv(tmp_path / "inv.csv", rows))
    error = caught.value
    assert (error.row, error.column) == (3, "B (Account)")
    assert "scientific notation" in error.message and "Format the account column" in error.hint


def test_account_names_that_hold_an_e_are_kept(read, tmp_path):
    rows = [["Service", "Account"], ["EC2", "prod-eu"], ["S3", "1e"], ["SQS", "E2E"]]
    accounts = [r.row.account for r in read(write_csv(tmp_path / "inv.csv", rows)).rows]
    assert accounts == ["prod-eu", "1e", "E2E"]


def test_unknown_scope_names_the_cell(read, tmp_path):
    path = write_csv(tmp_path / "inv.csv", [["Service", "Scope"], ["S3", "HIPAA"]])
    with pytest.raises(InputError) as caught:
        read(path)
    error = caught.value
    assert (error.row, error.column) == (2, "B (Scope)")
    assert "HIPAA" in error.message


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["Owner", "Region"], ["x", "y"]], "no service column"),
        ([[], []], "empty"),
    ],
)
def test_sheet_errors(read, tmp_path, rows, message):
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    with pytest.raises(InputError, match=message) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_missing_service_column_lists_headers_and_accepted_names(read, tmp_path):
    path = write_csv(tmp_path / "inv.csv", [["Owner", "Region"], ["x", "y"]])
    with pytest.raises(InputError) as caught:
        read(path)
    text = str(caught.value)
    assert "'Owner', 'Region'" in text
    assert "'aws service'" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("inv.csv", b"", "empty"),
        ("inv.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "legacy"),
        ("inv.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "password"),
        ("inv.xlsx", b"PK\x03\x04 truncated", "truncated"),
        ("inv.csv", b"\x00\x01\x02\x03binary\x00\xff\xfe\x00", "binary"),
        ("inv.pdf", b"%PDF-1.7", "unsupported"),
    ],
)
def test_broken_files(read, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read(path)


def test_missing_file_and_directory(read, tmp_path):
    with pytest.raises(InputError, match="not found"):
        read(tmp_path / "nope.xlsx")
    with pytest.raises(InputError, match="directory"):
        read(tmp_path)


def test_headers_matched_by_their_words(read, tmp_path):
    path = write_csv(
        tmp_path / "inv.csv",
        [
            ["AWS Service (as billed)", "Resource ARN / ID", "Owning team (primary)", "Env."],
            ["S3", "arn:aws:s3:::b", "Security", "prod"],
        ],
    )
    inventory = read(path)
    row = inventory.rows[0].row
    assert (row.resource, row.owner, row.environment) == ("arn:aws:s3:::b", "Security", "prod")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_an_inventory_swapped_for_a_fifo_after_its_check_is_refused(tmp_path, monkeypatch, suffix):
    """Twenty-second pass: the inventory was checked once, then opened by path with a
    blocking open(); swapped for a FIFO in between, the build hung until killed."""
    import os

    from reportgen.inventory import readers

    path = tmp_path / f"inv{suffix}"
    if suffix == ".xlsx":
        write_xlsx(path, [["Service"], ["S3"]])
    else:
        path.write_text("Service\nS3\n" if suffix == ".csv" else '{"Resources": []}')
    checked = readers.check_inventory_file

    def check_then_swap(named):
        checked(named)
        named.unlink()
        os.mkfifo(named)

    monkeypatch.setattr(readers, "check_inventory_file", check_then_swap)
    with pytest.raises(InputError, match="is a FIFO"):
        readers.read_table(path, Limits())


def test_a_framework_scope_cell_with_letters_it_cannot_read_is_refused(tmp_path):
    """Pass 74a: 'CDE нет' ("CDE: no") in a PCI Scope column was read as CDE."""
    from packhelpers import run

    write_csv(tmp_path / "inv.csv", [["Service", "PCI Scope"], ["S3", "CDE нет"]])
    config = tmp_path / "reportgen.yaml"
    config.write_text("customer: {name: X}\ninventory: {path: inv.csv}\n", encoding="utf-8")
    said = " ".join(run("validate", "--config", config, check=2).stderr.split())
    assert "column B (PCI Scope): 'CDE нет' is not a scope answer" in said, said


def _validated(tmp_path, rows, status, config_extra=""):
    from packhelpers import run

    write_csv(tmp_path / "inv.csv", rows)
    config = tmp_path / "reportgen.yaml"
    config.write_text(
        f"customer: {{name: X}}\ninventory: {{path: inv.csv{config_extra}}}\n", encoding="utf-8"
    )
    done = run("validate", "--config", config, check=status)
    return " ".join((done.stdout + done.stderr).split())


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Out of PCI scope", "reads as saying what a row is out of"),
        ("Excluded frameworks", "reads as saying what a row is out of"),
        ("Not in PCI scope", "reads as saying what a row is out of"),
        ("Non-PCI scope", "reads as saying what a row is out of"),
        ("No PCI scope", "reads as saying what a row is out of"),  # 76a
        ("\uff2f\uff55\uff54 of PCI scope", "holds letters reportgen does not read"),
        ("\u041eut of PCI scope", "holds letters reportgen does not read"),
        ("Descoped frameworks", "holds words ('descoped') that are not a scope column's"),
        ("Removed from scope", "holds words ('from', 'removed') that are not a scope"),
        ("Scope notes", "holds words ('notes') that are not a scope column's"),
        ("SOC 1 Scope", "speaks of 'SOC 1 Scope', which is no one framework"),  # 82a
        ("SOC 2 Type 1 Scope", "speaks of 'SOC 2 Type 1 Scope', which is no one framework"),
        ("DSS scope", "speaks of 'DSS scope', which is no one framework"),
        ("Type 2 scope", "speaks of 'Type 2 scope', which is no one framework"),
    ],
)
def test_a_scope_header_saying_what_a_row_is_out_of_is_refused(tmp_path, header, why):
    """Pass 75a A2: 'Out of PCI scope' and 'Excluded frameworks' were found as the scope
    column by their word 'scope' or 'frameworks', and read backwards: the row marked out of
    scope was the only one in the PCI pack, exit 0. 76a: so were 'Ｏｕｔ of PCI scope' (its
    fullwidth 'Out' dropped, read as PCI's own column), 'No PCI scope', 'Descoped
    frameworks' and other negations a word list missed: a generic scope column reportgen
    finds by a word must hold no other word than a scope column's and the frameworks'."""
    said = _validated(tmp_path, [["Service", header], ["S3", "yes"], ["EC2", "no"]], 2)
    assert "row 1, column B: the header '" in said and why in said, said
    assert "inventory.columns.scope" in said


def test_a_scope_header_the_config_names_is_read_as_the_config_says(tmp_path):
    rows = [["Service", "Scope (not PCI if blank)"], ["S3", "all"]]
    said = _validated(tmp_path, rows, 0, ", columns: {scope: 'Scope (not PCI if blank)'}")
    assert "reads as saying" not in said, said
    said = _validated(tmp_path, [["Service", "PCI scope (yes/no)"], ["S3", "yes"]], 0)
    assert "B (PCI scope (yes/no))" in said or "scope:pci-dss" in said, said
    for header in ("Audit frameworks", "Compliance scope (PCI DSS, ISO 27001)"):
        said = _validated(tmp_path, [["Service", header], ["S3", "all"]], 0)
        assert "the header" not in said, said


def test_a_second_column_scoping_the_same_framework_is_named(tmp_path):
    """Pass 75a A3: with 'PCI Scope' and 'CDE' both present, the second was not read and
    nothing said so: rows it marked yes were left out of the PCI pack."""
    rows = [["Service", "PCI Scope", "CDE"], ["S3", "no", "yes"], ["EC2", "yes", "yes"]]
    said = _validated(tmp_path, rows, 0)
    assert "column C (CDE) scopes pci-dss as column B (PCI Scope) does; using B" in said, said


@pytest.mark.parametrize(
    "header",
    [
        "PCI Scope",
        "tag:PCI Scope",
        "tag:pci",
        "PCI DSS",
        "PCIScope",
        "tag:PCIScope",
        "InPCIScope",
        "tag:pci-compliance",
        "PCI compliance",
        "ScopePCI",
        "tag:PCIAudit",
    ],  # 83a: the last four
)
def test_a_scope_column_the_config_names_for_one_framework_scopes_it_alone(read, tmp_path, header):
    """Pass 80a A2: `scope: "tag:PCI Scope"`, as init --from proposes, was read as a generic
    scope column: a resource tagged no left the ISO and SOC 2 packs too, exit 0. Named or
    found by its header, a column naming one framework scopes that framework alone."""
    path = write_csv(tmp_path / "inv.csv", [["Service", header], ["S3", "no"], ["EC2", "yes"]])
    inventory = read(path, columns={"scope": header})
    assert (
        inventory.header.columns["scope:pci-dss"] == 1 and "scope" not in inventory.header.columns
    )
    s3, ec2 = (resolved.row for resolved in inventory.rows)
    assert not s3.in_scope("pci-dss") and s3.in_scope("iso-27001") and s3.in_scope("soc2")
    assert ec2.in_scope("pci-dss") and ec2.in_scope("iso-27001")


@pytest.mark.parametrize("header", ["PCIScope", "InPCIScope", "PCIDSSScope"])
def test_a_scope_header_run_together_is_found_as_the_frameworks(read, tmp_path, header):
    """Pass 81a: 'PCIScope', 'InPCIScope' were read as no scope column (no config), or as
    every framework's (the config naming it): its 'no' took rows out of every pack."""
    path = write_csv(tmp_path / "inv.csv", [["Service", header], ["S3", "no"]])
    (s3,) = read(path).rows
    assert not s3.row.in_scope("pci-dss") and s3.row.in_scope("soc2")


def test_a_named_scope_column_for_one_framework_wins_over_one_found_and_says_so(read, tmp_path):
    rows = [["Service", "In PCI scope", "tag:pci"], ["S3", "yes", "no"]]
    inventory = read(write_csv(tmp_path / "inv.csv", rows), columns={"scope": "tag:pci"})
    assert inventory.header.columns["scope:pci-dss"] == 2
    assert not inventory.rows[0].row.in_scope("pci-dss")
    said = " ".join(inventory.warnings)
    assert "column B (In PCI scope) scopes pci-dss as column C (tag:pci), which the config" in said


def test_a_named_scope_column_of_no_one_framework_is_read_generic_and_said(read, tmp_path):
    """Pass 82a: `scope: "tag:SOC1"` was read as every framework's without a word."""
    rows = [["Service", "tag:SOC1"], ["S3", "no"]]
    inventory = read(write_csv(tmp_path / "inv.csv", rows), columns={"scope": "tag:SOC1"})
    assert "scope" in inventory.header.columns
    said = " ".join(inventory.warnings)
    assert "whose header speaks of 'SOC1', which is no one framework; it is read as a" in said


def test_a_named_scope_column_saying_what_is_out_stays_as_the_config_says(read, tmp_path):
    rows = [["Service", "Out of PCI scope"], ["S3", "none"]]
    inventory = read(write_csv(tmp_path / "inv.csv", rows), columns={"scope": "Out of PCI scope"})
    assert "scope" in inventory.header.columns


def _formatted_xlsx(path, rows, formats):
    """``rows`` written, then each cell of ``formats`` (its reference: a number format)."""
    from openpyxl import load_workbook

    write_xlsx(path, rows)
    book = load_workbook(path)
    for reference, number_format in formats.items():
        book.active[reference].number_format = number_format
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("value", "number_format"),
    [("no", ';;;"yes"'), (0, '"yes"'), (0, "0;;"), ("S3", ';;;"Amazon EC2"'), (1, "\\y\\e\\s")],
)
def test_a_read_cell_shown_as_other_text_is_refused(read, tmp_path, value, number_format):
    """Pass 75a A1: a PCI Scope cell holding 'no' formatted ;;;"yes" (and 0 formatted
    "yes") showed yes in Excel and was read as no, exit 0: the PCI pack held one of the
    three rows its author saw in scope."""
    column = "A" if value == "S3" else "B"
    third = [value, "all", ""] if column == "A" else ["EC2", value, ""]
    rows = [["Service", "Scope", "Notes"], ["EC2", "all", ""], third]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {f"{column}3": number_format})
    with pytest.raises(InputError) as caught:
        read(path)
    error = caught.value
    assert (error.sheet, error.row, error.column[0]) == ("Inventory", 3, column), str(error)
    assert "makes Excel show other text than the cell holds" in str(error)


def test_a_cell_shown_as_other_text_reportgen_does_not_read_is_left_alone(read, tmp_path):
    rows = [["Service", "Account", "Cost"], ["EC2", 12345678901, 3], ["S3", 12345678901, 0]]
    formats = {"B2": "000000000000", "B3": "000000000000", "C2": '0" USD"', "C3": ';;;"x"'}
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, formats)
    inventory = read(path)
    assert [r.row.account for r in inventory.rows] == ["012345678901"] * 2


def test_a_header_cell_shown_as_other_text_is_refused(read, tmp_path):
    rows = [["Service", "Owner"], ["EC2", "Platform"]]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {"B1": ';;;"Scope"'})
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (1, "B (Owner)"), str(caught.value)


def test_a_scope_column_found_by_a_word_says_so_when_its_cells_are_refused(read, tmp_path):
    """Pass 75a W1: 'Scope notes' was read as the scope column by its word 'scope', and its
    notes refused as unknown frameworks without saying why the column was read so."""
    path = write_csv(tmp_path / "inv.csv", [["Service", "Scope notes"], ["S3", "reviewed"]])
    with pytest.raises(InputError) as caught:
        read(path)
    assert "inventory.columns.scope" in (caught.value.hint or ""), caught.value.hint
    path = write_csv(tmp_path / "ok.csv", [["Service", "Scope"], ["S3", "reviewed"]])
    with pytest.raises(InputError) as caught:
        read(path)
    assert not caught.value.hint or "word of its header" not in caught.value.hint


def _patched(path, member, change):
    """The workbook at ``path`` with its part ``member`` passed through ``change``."""
    import os
    import zipfile

    with zipfile.ZipFile(path) as old, zipfile.ZipFile(f"{path}.new", "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            new.writestr(item, change(data) if item.filename == member else data)
    os.replace(f"{path}.new", path)


_YES_STYLE = b'<numFmts count="1"><numFmt numFmtId="164" formatCode=";;;&quot;yes&quot;"/>'


def _style_zero_shows_yes(data: bytes) -> bytes:
    """Style 0 shows any text as 'yes', a General style 1 for every cell that names it."""
    data = data.replace(b'<numFmts count="0"/>', _YES_STYLE + b"</numFmts>")
    return data.replace(
        b'<cellXfs count="1"><xf numFmtId="0"',
        b'<cellXfs count="2"><xf numFmtId="164" applyNumberFormat="1" fontId="0" fillId="0" '
        b'borderId="0" xfId="0"/><xf numFmtId="0"',
    )


@pytest.mark.parametrize(
    "variation", ["no-style-attribute", "gt-in-an-attribute", "reference-of-8-digits", "dxf-id"]
)
def test_a_disguised_cell_the_format_scan_misread_is_refused(read, tmp_path, variation):
    """Pass 76a A1, A3-A5: a cell without an s (style 0), one whose tag held a '>' in an
    attribute, one referenced as B00000003, and a dxf's numFmt under the cell format's id:
    each showed 'no' as yes and was read as no, exit 0 (the text was searched, not parsed)."""
    rows = [["Service", "PCI Scope", "Notes"], ["EC2", "yes", "x"], ["S3", "no", "x"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    sheet = "xl/worksheets/sheet1.xml"
    if variation == "dxf-id":
        path = _formatted_xlsx(path, rows, {"B3": ';;;"yes"'})
        _patched(path, "xl/styles.xml", lambda d: d.replace(
            b"</styleSheet>", b'<dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="@"/>'
            b"</dxf></dxfs></styleSheet>"))  # fmt: skip
    elif variation == "no-style-attribute":
        _patched(path, "xl/styles.xml", _style_zero_shows_yes)
        _patched(path, sheet, lambda d: d.replace(b"<c r=", b'<c s="1" r=').replace(
            b'<c s="1" r="B3"', b'<c r="B3"'))  # fmt: skip
    else:
        path = _formatted_xlsx(path, rows, {"B3": ';;;"yes"'})
        if variation == "gt-in-an-attribute":
            _patched(path, sheet, lambda d: d.replace(b'<c r="B3"', b'<c note="a&gt;b" r="B3"')
                     .replace(b'note="a&gt;b"', b'note="a>b"'))  # fmt: skip
        else:  # after C3: read by the previous column, it was taken for D3
            _patched(path, sheet, _b3_after_c3)
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (PCI Scope)"), str(caught.value)


def _b3_after_c3(data: bytes) -> bytes:
    import re

    b3 = re.search(rb'<c r="B3".*?</c>', data)[0]
    c3 = re.search(rb'<c r="C3".*?</c>', data)[0]
    data = data.replace(b3, b"").replace(c3, c3 + b3)
    return data.replace(b'r="B3"', b'r="B00000003"')


def test_a_conditional_format_showing_other_text_is_refused(read, tmp_path):
    """Pass 76a A2: a conditional format always true on B2:B3, whose style's number format
    ;;;"yes" showed S3's 'no' as yes, was not looked at: exit 0."""
    from openpyxl import load_workbook
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    book = load_workbook(path)
    style = DifferentialStyle(numFmt=NumberFormat(numFmtId=164, formatCode=';;;"yes"'))
    book.active.conditional_formatting.add(
        "B2:B3", Rule(type="expression", formula=["TRUE"], dxf=style)
    )
    book.save(path)
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (2, "B (PCI Scope)"), str(caught.value)
    assert "a conditional format's number format" in str(caught.value)


def test_an_excel_2010_conditional_format_showing_other_text_is_refused(read, tmp_path):
    """The styles holding no such format, one kept in the sheet's extension list (as Excel
    2010 writes a conditional format's number format) is looked for too."""
    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    x14 = (
        b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" xmlns:x14="http://schemas'
        b'.microsoft.com/office/spreadsheetml/2009/9/main" xmlns:xm="http://schemas.microsoft'
        b'.com/office/excel/2006/main"><x14:conditionalFormattings><x14:conditionalFormatting>'
        b'<x14:cfRule type="expression" id="{1}"><xm:f>TRUE</xm:f><x14:dxf><numFmt '
        b'numFmtId="164" formatCode=";;;&quot;yes&quot;"/></x14:dxf></x14:cfRule><xm:sqref>'
        b"B3</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
    )
    _patched(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b"</worksheet>", x14 + b"</worksheet>"),
    )
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (PCI Scope)"), str(caught.value)


def test_a_disguising_style_named_through_a_character_reference_is_refused(read, tmp_path):
    """A sheet is parsed for its cells' styles only where a byte search finds a disguising
    style named (77d: every sheet whose styles held one was parsed); s="&#49;" is style 1."""
    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {"B3": ';;;"yes"'})
    _patched(
        path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b'r="B3" s="1"', b'r="B3" s="&#49;"')
    )
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (PCI Scope)"), str(caught.value)


def test_a_plain_workbook_is_not_parsed_again(read, tmp_path, monkeypatch):
    """The second read, an XML parse for the cells' styles, only where the styles hold a
    format showing other text, or the sheet a conditional format, an error value or a
    formula: a large sheet took 3.5 times as long to read (77d)."""
    from reportgen.inventory import xlsx_formats

    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {"B2": "@"})
    parsed = []
    monkeypatch.setattr(xlsx_formats, "_read", lambda *args: parsed.append(1))
    assert len(read(path).rows) == 2 and parsed == []


_PART_VARIATIONS = {
    # a commented-out sheet of the same name, before the real one
    "comment": ("xl/workbook.xml", b"<sheets>", b'<sheets><!-- <sheet name="Inventory" '
                b'sheetId="9" r:id="rId9"/> -->'),
    # another attribute named id, of another namespace, before r:id
    "other-id": ("xl/workbook.xml", b'sheetId="1"', b'sheetId="1" xmlns:x="urn:x" x:id="rId9"'),
    # the styles part named with another case, and with a percent-escape
    "case": ("xl/_rels/workbook.xml.rels", b'Target="styles.xml"', b'Target="Styles.xml"'),
    "escape": ("xl/_rels/workbook.xml.rels", b'Target="styles.xml"', b'Target="st%79les.xml"'),
}  # fmt: skip


@pytest.mark.parametrize("variation", sorted(_PART_VARIATIONS))
def test_a_disguise_is_found_however_the_parts_are_named(read, tmp_path, variation):
    """Pass 77a: the sheet and styles parts were found by a search of the workbook's and its
    relationships' text: a commented-out <sheet>, another *:id before r:id, or the styles
    part named Styles.xml or st%79les.xml, and no number format was read (exit 0)."""
    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {"B3": ';;;"yes"'})
    member, old, new = _PART_VARIATIONS[variation]
    _patched(path, member, lambda data: data.replace(old, new))
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (PCI Scope)"), str(caught.value)


@pytest.mark.parametrize("written", [b'" 1 "', b'"+1"', b'"&#32;1"'])
def test_a_style_number_written_as_xml_reads_one_is_read(read, tmp_path, written):
    """Pass 78a A2: s=" 1 ", "+1" or "&#32;1", style 1 as an XML reader reads an unsigned
    number, had the cell's ;;;"yes" unread: exit 0."""
    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = _formatted_xlsx(tmp_path / "inv.xlsx", rows, {"B3": ';;;"yes"'})
    _patched(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b'r="B3" s="1"', b'r="B3" s=' + written),
    )
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (PCI Scope)"), str(caught.value)


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        (b'<c r="B3" t="e"><v>#N/A</v></c>', "an error value"),
        (b'<c r="B3"><f>VLOOKUP(A3,Other!A:B,2,0)</f></c>', "a formula with no saved value"),
        (b'<c r="B3" t="str"><f>"none"</f><v></v></c>', "a formula with no saved value"),  # 79a
        (b'<c r="B3"><f>"none"</f><v/></c>', "a formula with no saved value"),
    ],
)
def test_a_scope_cell_read_as_empty_that_shows_something_is_refused(read, tmp_path, cell, said):
    """Pass 78a A3: a scope cell holding #N/A (a failed VLOOKUP) or a formula saved without
    its value was read as empty, every framework: a row marked 'none' went into every pack."""
    import re

    rows = [["Service", "Scope"], ["EC2", "all"], ["S3", "none"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    _patched(path, "xl/worksheets/sheet1.xml", lambda d: re.sub(rb'<c r="B3".*?</c>', cell, d))
    with pytest.raises(InputError) as caught:
        read(path)
    assert (caught.value.row, caught.value.column) == (3, "B (Scope)"), str(caught.value)
    assert f"the cell holds {said}" in caught.value.message


def test_a_conditional_format_of_many_rules_and_ranges_keeps_one_format_per_range(tmp_path):
    """Pass 79d D1: every format of a conditional format was paired with every one of its
    ranges: 2,000 rules by 20,000 ranges, a 57 KB workbook, took 5.8 GB. One is kept."""
    from reportgen.inventory import xlsx_formats

    rules = "".join(
        f'<cfRule type="expression" dxfId="0" priority="{n}"><formula>TRUE</formula></cfRule>'
        for n in range(1, 201)
    )
    ranges = " ".join(f"B{n}" for n in range(2, 2002))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData/><conditionalFormatting sqref="{ranges}">{rules}</conditionalFormatting>'
        "</worksheet>"
    ).encode()
    import io

    wanted = xlsx_formats.Wanted(frozenset({0, 1, 2}), 5)
    found = xlsx_formats._read(io.BytesIO(sheet), {}, {}, {0: ';;;"yes"'}, wanted)
    assert found.conditional == {1: (5, ';;;"yes"')} and found.ranges_read == 2000


def test_ranges_given_as_sqref_elements_are_counted_as_they_are_read():
    """Pass 81d D1: ranges given as <sqref> children were joined, then split, before the
    bound was checked: 900 children of 100,000 ranges took 5.8 GB. The parse stops at the
    child that passes it, the rest of the sheet unread."""
    import io

    from reportgen.inventory import xlsx_formats

    child = "<sqref>" + " ".join(["Z1"] * 60_000) + "</sqref>"
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData/><conditionalFormatting><cfRule type="expression" dxfId="0" priority="1">'
        f"<formula>TRUE</formula></cfRule>{child * 4}</conditionalFormatting></worksheet>"
    ).encode()
    stream = io.BytesIO(sheet)
    wanted = xlsx_formats.Wanted(frozenset({0, 1}), 1)
    with pytest.raises(xlsx_formats._TooManyRanges):
        xlsx_formats._read(stream, {}, {}, {0: ';;;"yes"'}, wanted)
    assert stream.tell() < len(sheet) * 3 // 4, (stream.tell(), len(sheet))


def test_conditional_formats_of_very_many_ranges_are_refused_not_kept(read, tmp_path):
    """Pass 80d D2: each range of a conditional format showing cells otherwise was kept,
    in element after element: 190,000 ranges an element, a 33 KB workbook, took 1 GB and
    51 s. Only where they reach the columns read is kept, and past 100,000 ranges in all the
    sheet is refused, naming it."""
    from openpyxl import load_workbook
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    from reportgen.inventory import xlsx_formats

    rows = [["Service", "PCI Scope"], ["EC2", "yes"], ["S3", "no"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    book = load_workbook(path)
    style = DifferentialStyle(numFmt=NumberFormat(numFmtId=164, formatCode=';;;"yes"'))
    book.active.conditional_formatting.add(
        "Z1", Rule(type="expression", formula=["TRUE"], dxf=style)
    )
    book.save(path)
    block = re.compile(rb'<conditionalFormatting sqref="Z1">.*?</conditionalFormatting>')
    many = " ".join(["Z1"] * 60_000).encode()

    def many_twice(data: bytes) -> bytes:
        found = block.search(data)[0]
        return data.replace(found, found.replace(b'"Z1"', b'"' + many + b'"') * 2)

    _patched(path, "xl/worksheets/sheet1.xml", many_twice)
    assert xlsx_formats.MAX_RANGES < 120_000
    with pytest.raises(InputError) as caught:
        read(path)
    assert "cover more than 100,000 ranges" in caught.value.message
    assert caught.value.sheet and caught.value.row is None, str(caught.value)
    _patched(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(many + b'"', b'Z1"', 1))
    read(path)  # 60,001 ranges, none in a column read: read
