"""The Excel RACI workbook, opened back with openpyxl and checked against matrix.json."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT
from golden import assert_golden
from openpyxl.utils import get_column_letter, range_boundaries
from xlsx_support import (
    DATA_SHEETS,
    OUR_FORMULA,
    build_workbooks,
    cells,
    convert_to_pdf,
    rows,
    sheets_of,
    table,
)

from reportgen.core.owners import OWNER_LABELS, OWNER_ORDER
from reportgen.ownership.raci import RACI_VALUES
from reportgen.render.xlsx_style import ACROSS_SCALE, fits_one_page_wide

SAMPLE = Path("inputs") / "reportgen.yaml"  # relative, as a user types it: About shows it


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return build_workbooks(SAMPLE, out)


@pytest.fixture(scope="module")
def books(sample):
    return {fid: built.open() for fid, built in sample.items()}


FRAMEWORKS = ("pci-dss", "iso-27001", "soc2")


def test_one_workbook_per_framework_named_for_customer_and_framework(sample):
    assert set(sample) == set(FRAMEWORKS)
    for fid, built in sample.items():
        assert built.path == built.job.folder / f"harbourline-{fid}-raci.xlsx"
        assert built.path.parent.name == fid


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_sheets_in_order(books, fid):
    assert books[fid].sheetnames == sheets_of(fid)


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_raci_rows_match_the_matrix_with_one_accountable_each(sample, books, fid):
    matrix = sample[fid].matrix
    header, body = table(books[fid]["RACI"])
    roles = matrix["roles"]
    assert header[:5] == ["Control", "Group", "Title", "Owner", "Parties"]
    assert header[5 : 5 + len(roles)] == roles
    assert header[5 + len(roles) :] == [
        "Customer must",
        "AWS provides (inherited)",
        "Why (provenance)",
    ]
    assert [row[0] for row in body] == [c["id"] for c in matrix["controls"]]
    for row, control in zip(body, matrix["controls"], strict=True):
        marks = row[5 : 5 + len(roles)]
        assert Counter(m for m in marks if m in ("A", "A/R")).total() == 1, row[0]
        assert {m for m in marks if m} <= set(RACI_VALUES)
        assert dict(zip(roles, marks, strict=True)) == {
            role: control["raci"].get(role) for role in roles
        }
        assert row[3] == OWNER_LABELS[control["owner"]]
        names = [party["name"] for party in control["parties"]]
        assert all(name in (row[4] or "") for name in names), row[0]
        assert (row[4] or "").startswith("Split by service") == control["split_by_service"]
        assert row[2] == control["title"]
        said = control["responsibility"]
        assert (row[-3] or "", row[-2] or "") == (said["customer"], said["aws"]), row[0]
        assert row[-1].startswith(control["provenance"])


def _validation(ws, formula: str):
    found = [dv for dv in ws.data_validations.dataValidation if dv.formula1 == formula]
    assert len(found) == 1, [dv.formula1 for dv in ws.data_validations.dataValidation]
    return found[0]


def _covers(ranges, ref: str) -> bool:
    """Whether the multi-range ``ranges`` covers every cell of ``ref``."""
    want = range_boundaries(ref)
    return any(
        r.min_col <= want[0] and r.min_row <= want[1] and r.max_col >= want[2]
        and r.max_row >= want[3]
        for r in ranges.ranges
    )  # fmt: skip


def test_raci_drop_downs_cover_every_role_cell_and_the_owner_column(books, sample):
    ws = books["pci-dss"]["RACI"]
    roles = len(sample["pci-dss"].matrix["roles"])
    last_row = len(sample["pci-dss"].matrix["controls"]) + 1
    raci = _validation(ws, '"R,A,C,I,A/R"')
    assert raci.allow_blank and raci.showErrorMessage and raci.type == "list"
    last_col = chr(ord("F") + roles - 1)
    assert _covers(raci.sqref, f"F2:{last_col}{last_row}")
    owners = _validation(ws, '"' + ",".join(OWNER_LABELS[o] for o in OWNER_ORDER) + '"')
    assert _covers(owners.sqref, f"D2:D{last_row}")


def test_evidence_status_drop_down(books):
    ws = books["pci-dss"]["Evidence"]
    header, body = table(ws)
    status = _validation(ws, '"Not started,Requested,Collected,Accepted,Not applicable"')
    column = chr(ord("A") + header.index("Status"))
    # Rows the team adds below the table get the drop-down too.
    assert _covers(status.sqref, f"{column}2:{column}{len(body) + 100}")
    assert {row[header.index("Status")] for row in body} == {"Not started"}


def test_evidence_tracker_guards_reportgens_columns_and_checks_dates(books):
    ws = books["pci-dss"]["Evidence"]
    header, body = table(ws)
    team = [
        "Status", "Responsible person", "Due date", "Evidence link / location",
        "Collected on", "Reviewed by", "Notes",
    ]  # fmt: skip
    guard = _validation(ws, "FALSE")
    assert guard.type == "custom" and guard.errorStyle == "stop"
    last = len(body) + 1
    for index, name in enumerate(header):
        letter = chr(ord("A") + index)
        assert _covers(guard.sqref, f"{letter}2:{letter}{last}") == (name not in team), name
    dates = [dv for dv in ws.data_validations.dataValidation if dv.type == "date"]
    for name in ("Due date", "Collected on"):
        letter = chr(ord("A") + header.index(name))
        assert any(_covers(dv.sqref, f"{letter}2:{letter}{last + 100}") for dv in dates), name
    # No sheet protection: Excel cannot sort a protected range holding locked cells.
    assert not ws.protection.sheet
    fill = {name: ws.cell(2, index + 1).fill.fgColor.rgb for index, name in enumerate(header)}
    assert {fill[name] for name in team if name != "Status"} == {"00FFFBEA"}
    assert "00FFFBEA" not in {fill[name] for name in header if name not in team}


def _rules(ws) -> list:
    return [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]


def test_conditional_formats_colour_owners_and_raci_letters(books):
    wb = books["pci-dss"]
    raci = _rules(wb["RACI"])
    begins = {rule.text for _, rule in raci if rule.type == "beginsWith"}
    assert begins == {OWNER_LABELS[o] for o in OWNER_ORDER}
    letters = {rule.formula[0] for _, rule in raci if rule.type == "cellIs"}
    assert letters == {f'"{v}"' for v in RACI_VALUES}
    one_a = [rule for _, rule in raci if rule.type == "expression"]
    assert len(one_a) == 1 and 'COUNTIF($F2:$K2,"A")' in one_a[0].formula[0]
    for name in ("Controls x Services", "Services x Layers", "Evidence"):
        assert {r.text for _, r in _rules(wb[name]) if r.type == "beginsWith"} == begins


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_every_sheet_frozen_filtered_and_set_up_for_print(books, sample, fid):
    wb = books[fid]
    customer = sample[fid].matrix["customer"]["name"]
    for ws in wb.worksheets:
        # B6: the Statement of Applicability's table starts under the ISMS scope statement.
        assert ws.freeze_panes in ("A2", "B2", "A3", "B6"), ws.title
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert setup.paperSize == 9, ws.title  # A4 unless the config says Letter
        widths = [ws.column_dimensions[get_column_letter(i)].width for i in _columns(ws)]
        if fits_one_page_wide(widths, "A4"):
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        else:  # printed across pages at a legible scale, the key column on every page
            assert not ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert setup.scale == ACROSS_SCALE and setup.pageOrder == "overThenDown", ws.title
            if ws.freeze_panes == "B2":
                assert ws.print_title_cols == "$A:$A", ws.title
        assert customer in ws.oddHeader.left.text
        assert "Confidential" in ws.oddHeader.right.text
        assert ws.oddFooter.right.text == "Page &P of &N"
    for name in DATA_SHEETS:
        ws = wb[name]
        assert ws.auto_filter.ref == ws.dimensions, name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.freeze_panes in ("A2", "B2"), name


def _columns(ws) -> range:
    return range(1, ws.max_column + 1)


def test_wide_sheets_print_across_pages_not_at_four_points(books):
    wb = books["pci-dss"]
    for name in ("Controls x Services", "RACI"):
        assert not wb[name].sheet_properties.pageSetUpPr.fitToPage, name
        assert wb[name].page_setup.scale >= 70, name
    assert wb["Summary"].sheet_properties.pageSetUpPr.fitToPage  # it fits one page wide


def test_paper_size_follows_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = tmp_path / "reportgen.yaml"
    text = (
        (ROOT / SAMPLE)
        .read_text(encoding="utf-8")
        .replace(
            "  classification: Confidential", "  classification: Confidential\n  paper_size: Letter"
        )
    )
    config.write_text(
        text.replace("path: inventory.xlsx", f"path: {ROOT / 'inputs'}/inventory.xlsx")
    )
    built = build_workbooks(config, tmp_path / "out", ("soc2",))["soc2"]
    assert built.job.options.paper_size == "Letter"
    wb = built.open()
    assert {ws.page_setup.paperSize for ws in wb.worksheets} == {1}  # Letter


def _cached(path: Path) -> dict[str, dict[str, str]]:
    """sheet file -> cell reference -> the value saved beside each formula."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode()
                cells = re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f>[^<]*</f>(<v>[^<]*</v>|<v/>)', xml)
                if cells:
                    found[name] = dict(cells)
    return found


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_formulas_are_saved_with_their_values(sample, books, fid):
    """A preview that computes nothing still shows the counts: each formula keeps its value,
    and that value is what the formula gives (evaluated from the cells it names)."""
    [summary] = _cached(sample[fid].path).values()
    wb = books[fid]
    values = {}
    for ref, saved in summary.items():
        assert saved.startswith("<v>") and saved != "<v></v>", ref
        values[ref] = float(saved[3:-4])
    for ref, value in values.items():
        formula = wb["Summary"][ref].value
        if formula.startswith(("=COUNTIF(", "=COUNTIFS(")):
            assert _evaluate(formula, wb) == value, ref
    matrix = sample[fid].matrix
    applicable = sum(matrix["counts"].values()) - matrix["counts"]["not-applicable"]
    for row in rows(wb["Summary"]):
        if row[0] in {OWNER_LABELS[o] for o in OWNER_ORDER} and isinstance(row[3], str):
            ref = next(r for r, v in values.items() if wb["Summary"][r].value == row[3])
            count = matrix["counts"][next(o for o in OWNER_ORDER if OWNER_LABELS[o] == row[0])]
            assert values[ref] == pytest.approx(count / applicable)  # a share of applicable


def test_charts_carry_their_values(sample):
    with zipfile.ZipFile(sample["pci-dss"].path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if "charts/chart" in n]
    assert len(charts) == 2
    for xml in charts:
        assert "<numCache>" in xml and "<strCache>" in xml
    counts = sample["pci-dss"].matrix["counts"]
    by_owner = re.findall(r"<pt idx=\"(\d+)\"><v>([^<]*)</v>", charts[0].split("<val>")[1])
    assert [int(float(v)) for _, v in by_owner] == [counts[o] for o in OWNER_ORDER]


def test_column_widths_fit_content_within_the_cap(books):
    ws = books["pci-dss"]["Inventory"]
    header, body = table(ws)
    for index, name in enumerate(header):
        letter = chr(ord("A") + index)
        longest = max(len(str(row[index] or "")) for row in [header, *body])
        width = ws.column_dimensions[letter].width
        cap = 90 if name == "Resource" else 60
        assert min(longest, cap) <= width <= max(longest + 3, 10), name


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_controls_by_services_gives_each_services_owner(sample, books, fid):
    matrix = sample[fid].matrix
    header, body = table(books[fid]["Controls x Services"])
    assert header[3] == "Estate-wide duties"
    assert header[4:] == [s["name"] for s in matrix["services"]]
    for row, control in zip(body, matrix["controls"], strict=True):
        assert row[0] == control["id"]
        estate = {
            p["name"] for d in control["duties"] if d["scope"] == "estate" for p in d["parties"]
        }
        assert all(name in (row[3] or "") for name in estate), row[0]
        for value, service in zip(row[4:], matrix["services"], strict=True):
            outcome = control["services"].get(service["id"])
            if outcome is None:
                assert value is None
            else:
                assert value.startswith(OWNER_LABELS[outcome["owner"]])


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_services_by_layers_gives_the_justification_of_every_override(sample, books, fid):
    """The sample hands EC2's guest OS to an MSP (override #1) except one host (#2), which
    is in scope of PCI DSS and SOC 2 only: there the layer is shared, and both
    justifications are given (the service override's was missing)."""
    matrix = sample[fid].matrix
    header, body = table(books[fid]["Services x Layers"])
    ec2 = next(row for row in body if row[0] == "Amazon EC2")
    column = 4 + [layer["id"] for layer in matrix["layers"]].index("operating-system")
    overrides = ec2[header.index("Customer overrides (*)")]
    assert "MSA-2024-17" in overrides  # override #1, the service's
    if fid == "iso-27001":
        assert ec2[column] == "Third party (Stackwise Managed Services) *"
        assert "override #1)" in overrides and "legacy batch host" not in overrides
    else:
        assert ec2[column] == "Shared *"
        assert "override #1, #2)" in overrides and "legacy batch host" in overrides


def test_services_by_layers_flags_catalog_exceptions(sample, books):
    matrix = sample["iso-27001"].matrix
    header, body = table(books["iso-27001"]["Services x Layers"])
    rds = next(row for row in body if row[0] == "Amazon RDS")
    sse = 4 + [layer["id"] for layer in matrix["layers"]].index("server-side-encryption")
    assert rds[sse] == "Shared †"
    assert "encryption" in rds[header.index("Catalog exceptions (†)")]
    assert len(body) == len(matrix["services"])


def test_evidence_has_one_row_per_item_of_each_applicable_control(sample, books):
    matrix = sample["pci-dss"].matrix
    header, body = table(books["pci-dss"]["Evidence"])
    assert header == [
        "Control", "Control title", "Owner", "Provided by", "Evidence item",
        "Responsible role", "Accountable role", "Status", "Responsible person", "Due date",
        "Evidence link / location", "Collected on", "Reviewed by", "Notes", "Sort key",
    ]  # fmt: skip
    expected = [
        (c["id"], item)
        for c in matrix["controls"]
        if c["applicable"]
        for item in [*c["evidence"], *([c["aws_evidence"]] if c.get("aws_evidence") else [])]
    ]
    assert [(row[0], row[4]) for row in body] == expected
    by_id = {c["id"]: c for c in matrix["controls"]}
    for row in body:
        control = by_id[row[0]]
        if row[3] == "AWS":
            assert row[5] == "AWS"
            continue
        doers = {r for r, m in control["raci"].items() if m in ("R", "A/R") and r != "AWS"}
        assert set(row[5].split(", ")) == (doers or {matrix["raci_rules"]["accountable"]})
        assert row[6] == next(r for r, m in control["raci"].items() if m in ("A", "A/R"))
    items = [(c["id"], i["item"]) for c in matrix["controls"] for i in c["evidence_items"]]
    assert [(row[0], row[4]) for row in body] == items


@pytest.mark.parametrize(
    ("fid", "before", "after"), [("pci-dss", "12.9.1", "12.10.1"), ("iso-27001", "A.5.2", "A.5.10")]
)
def test_the_sort_key_orders_ids_as_the_standard_does(books, fid, before, after):
    header, body = table(books[fid]["Evidence"])
    key, control = header.index("Sort key"), header.index("Control")
    assert after < before  # as text, 12.10 sorts before 12.9 and A.5.10 before A.5.2
    ids = [row[control] for row in sorted(body, key=lambda row: row[key])]
    assert ids.index(before) < ids.index(after)
    assert len({row[key] for row in body}) == len(body)


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_inventory_lists_every_row_in_the_frameworks_scope(sample, books, fid):
    job = sample[fid].job
    header, body = table(books[fid]["Inventory"])
    assert header[:6] == ["Sheet", "Row", "Service (as written)", "Service id", "Service", "Model"]
    expected = [r for r in job.inventory.rows if r.row.in_scope(fid)]
    assert [(row[0], row[1]) for row in body] == [(r.row.sheet, r.row.row) for r in expected]
    for row, resolved in zip(body, expected, strict=True):
        assert row[2] == resolved.row.service_text
        assert row[3] == resolved.service_id
        assert row[header.index("Account")] == (resolved.row.account or None)
    out_of_scope = [r for r in job.inventory.rows if not r.row.in_scope(fid)]
    assert out_of_scope, "the sample has rows outside every scope"
    assert not {r.row.row for r in out_of_scope} & {row[1] for row in body}


def test_unresolved_rows_with_suggestions(sample, books):
    matrix = sample["pci-dss"].matrix
    header, body = table(books["pci-dss"]["Unresolved"])
    assert header == ["Sheet", "Row", "Column", "Value", "Reason", "Suggestions"]
    expected = [(u["row"], u["value"]) for u in matrix["unresolved"]]
    assert [(row[1], row[3]) for row in body] == expected
    dynamo = next(row for row in body if row[3] == "Amazon Dynamo")
    assert "Amazon DynamoDB" in dynamo[5]


def _evaluate(formula: str, wb) -> float:
    """The value of one of the Summary's count formulas, computed from the cells it names."""
    summary = wb["Summary"]

    def column(ref: str) -> list:
        sheet, cells_ref = ref.split("!")
        return [c[0].value for c in wb[sheet][cells_ref.replace("$", "")]]

    def cell(ref: str):
        return summary[ref.replace("$", "")].value

    if match := re.fullmatch(r"=COUNTIF\((\S+?),(\$A\d+)\)", formula):
        return column(match[1]).count(cell(match[2]))
    if match := re.fullmatch(
        r'=SUMPRODUCT\(\((\S+?)=(\$A\d+)&IF\(\$B\d+="",""," "&(\$B\d+)\)\)\*\((\S+?)=(\S+)\)\)',
        formula,
    ):
        group = f"{cell(match[2])} {cell(match[3])}".strip()
        pairs = zip(column(match[1]), column(match[4]), strict=True)
        return sum(1 for g, o in pairs if g == group and o == cell(match[5]))
    raise AssertionError(f"unexpected formula {formula}")


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_summary_counts_are_live_formulas_that_add_up_to_the_matrix(sample, books, fid):
    matrix = sample[fid].matrix
    wb = books[fid]
    body = rows(wb["Summary"])
    first = next(i for i, row in enumerate(body) if row[0] == OWNER_LABELS[OWNER_ORDER[0]])
    owner_rows = body[first : first + len(OWNER_ORDER)]
    assert [row[0] for row in owner_rows] == [OWNER_LABELS[o] for o in OWNER_ORDER]
    for row, owner in zip(owner_rows, OWNER_ORDER, strict=True):
        assert row[4] == matrix["counts"][owner]  # "At generation"
        assert _evaluate(row[2], wb) == matrix["counts"][owner]
    start = next(i for i, row in enumerate(body) if row[:2] == ["Group", "Title"])
    group_rows = [row for row in body[start + 1 :] if row[0]]
    totals = Counter()
    for row in group_rows:
        for owner, formula in zip(OWNER_ORDER, row[2:7], strict=True):
            totals[owner] += _evaluate(formula, wb)
    assert dict(totals) == matrix["counts"]


def test_summary_charts_read_the_count_cells(books):
    ws = books["pci-dss"]["Summary"]
    assert len(ws._charts) == 2
    by_owner, by_group = ws._charts
    assert by_owner.series[0].val.numRef.f.startswith("'Summary'!$C$")
    assert len(by_group.series) == len(OWNER_ORDER)
    labels = [ws[ref.split("!")[1].replace("$", "")].value for ref in
              (s.tx.strRef.f for s in by_group.series)]  # fmt: skip
    assert labels == [OWNER_LABELS[o] for o in OWNER_ORDER]


def test_about_names_versions_inputs_and_rules(sample, books):
    matrix = sample["soc2"].matrix
    text = "\n".join(str(v) for row in rows(books["soc2"]["About"]) for v in row if v)
    for item in matrix["inputs"]:
        assert item["sha256"] in text and item["path"] in text
    assert f"reportgen {matrix['generator']['version']}" in text
    assert matrix["catalogs"]["srm"] in text and matrix["catalogs"]["framework"] in text
    assert matrix["document_id"] in text
    assert "Otherwise Security is accountable" in text
    for label in OWNER_LABELS.values():
        assert label in text


def test_only_our_count_formulas_anywhere(books):
    for wb in books.values():
        formulas = [(sheet, c.value) for sheet, c in cells(wb) if c.data_type == "f"]
        assert formulas, "the Summary counts are formulas"
        for sheet, formula in formulas:
            assert sheet == "Summary" and OUR_FORMULA.match(formula), formula


def test_same_inputs_give_the_same_bytes(tmp_path, sample, monkeypatch):
    monkeypatch.chdir(ROOT)
    again = build_workbooks(SAMPLE, tmp_path / "again", ("soc2",))["soc2"]
    assert again.path.read_bytes() == sample["soc2"].path.read_bytes()
    with zipfile.ZipFile(again.path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 9, 21, 14, 13, 20)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-09-21T14:13:20Z") == 2  # created and modified
    later = build_workbooks(SAMPLE, tmp_path / "later", ("soc2",), epoch="1790086400")
    assert later["soc2"].path.read_bytes() != again.path.read_bytes()


def test_the_build_writes_the_workbook_next_to_matrix_json(tmp_path, monkeypatch):
    from reportgen.inputs import RunOptions
    from reportgen.pipeline import BuildOptions, build
    from reportgen.render import RenderOptions

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    run = RunOptions(config=ROOT / SAMPLE, frameworks=("soc2",))
    options = BuildOptions(run, tmp_path, render=RenderOptions(writers=("matrix", "xlsx")))
    result = build(options)
    assert Path("soc2/harbourline-soc2-raci.xlsx") in result.files
    assert result.timings["xlsx"] > 0


def _dump(wb) -> str:
    """sheet -> rows of values, one row per line so a change shows as a small diff."""
    lines = ["{"]
    for index, ws in enumerate(wb.worksheets):
        lines.append(f"  {json.dumps(ws.title)}: [")
        body = [json.dumps(row, ensure_ascii=False, default=str) for row in rows(ws)]
        lines.append(",\n".join(f"    {row}" for row in body))
        lines.append("  ]" + ("," if index < len(wb.worksheets) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def test_golden_soc2_workbook_contents(books):
    dump = _dump(books["soc2"])
    json.loads(dump)  # still JSON
    assert_golden("xlsx/harbourline-soc2-raci.json", dump)


@pytest.mark.slow
def test_libreoffice_opens_and_prints_the_sample(sample, tmp_path):
    pdf = convert_to_pdf(sample["pci-dss"].path, tmp_path)
    assert len(pdf.pages) > 10
    first = pdf.pages[0].extract_text()
    assert "Harbourline Payments Ltd" in first and "Controls by owner" in first
    # The Summary sheet prints over its first pages (each running footer names the sheet).
    summary = "\n".join(t for p in pdf.pages[:6] if "Summary" in (t := p.extract_text()))
    # LibreOffice computed the live counts: the owner table shows the matrix's totals.
    counts = sample["pci-dss"].matrix["counts"]
    applicable = sum(counts.values()) - counts["not-applicable"]
    assert re.search(rf"Total\s+{sum(counts.values())}", summary), summary
    assert re.search(rf"Applicable.*?{applicable}\s+100%", summary, re.S), summary
