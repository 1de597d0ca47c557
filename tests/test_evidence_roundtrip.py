"""The workbook comes back: a team edits a built workbook as a user would, the next build
reads it with --evidence, and every edit is found in matrix.json, the new workbook, the PDF
and summary.md (issue 14).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from packhelpers import run
from pypdf import PdfReader
from xlsx_support import convert_to_pdf, table

FID = "soc2"
WORKBOOK = f"{FID}/harbourline-{FID}-raci.xlsx"
PDF = f"{FID}/harbourline-{FID}-responsibility-matrix.pdf"
PACK_DATE = "2026-01-01"  # packhelpers.EPOCH

# What the team types, per (control, item number in the catalog): Evidence sheet columns.
EDITS = {
    ("CC1.1", 0): {
        "Status": "Accepted",
        "Reviewed by": "Ann Auditor",
        "Notes": '<b>kept as text</b> & "quoted" {{ 7*7 }}',
    },
    ("CC1.1", 1): {"Status": "accepted"},  # typed in lower case
    ("CC1.1", 2): {"Status": "Not applicable", "Notes": "=1+1"},  # a formula, as Excel keeps it
    ("CC2.1", 0): {
        "Status": "Requested",
        "Responsible person": "Bob Ops",
        "Due date": dt.date(2025, 12, 1),  # before the pack's date: overdue
    },
    ("CC3.1", 0): {
        "Status": "Collected",
        "Evidence link / location": "https://wiki.example/risk-register",
        "Collected on": dt.date(2025, 11, 20),
        "Due date": "2026-02-15",  # typed as text
        "Notes": "@SUM(A1)",
    },
}
AWS_CONTROL = "CC6.4"  # its last item is AWS's attestation
ADDED = ("CC1.2", "Board minutes of 12 May, signed", "Collected", "+cmd|' /C calc'!A0")
ORPHAN = ("CC99.9", "Evidence of a control the catalog dropped", "Accepted", "from last year")
RACI_EDIT = ("CC1.2", "Cloud Platform", "R")  # blank under the rules


def _build(out: Path, *extra: str | Path, pdf: bool = False) -> Path:
    args = ("-q", "build", "--config", "inputs/reportgen.yaml", "--framework", FID)
    run(*args, "--out", out, *extra, pdf=pdf)
    return out


def _items(matrix: dict) -> dict[str, list[dict]]:
    return {c["id"]: c["evidence_items"] for c in matrix["controls"]}


def _edit_as_a_user(path: Path, matrix: dict) -> dict[str, int]:
    """Sort both sheets backwards, fill in the team's columns, add two rows, change one RACI
    letter; save. Returns the RACI row the edited control ends up on."""
    book = load_workbook(path)
    evidence = book["Evidence"]
    header = [cell.value for cell in evidence[1]]
    column = {name: index + 1 for index, name in enumerate(header)}
    _reverse_rows(evidence)
    catalog = _items(matrix)
    for (control, number), values in EDITS.items():
        row = _find(evidence, control, catalog[control][number]["item"], column)
        for name, value in values.items():
            evidence.cell(row, column[name]).value = value
    aws_item = catalog[AWS_CONTROL][-1]
    assert aws_item["provided_by"] == "aws"
    aws_row = _find(evidence, AWS_CONTROL, aws_item["item"], column)
    evidence.cell(aws_row, column["Status"]).value = "Accepted"
    for control, item, status, notes in (ADDED, ORPHAN):
        row = evidence.max_row + 1
        evidence.cell(row, column["Control"]).value = control
        evidence.cell(row, column["Evidence item"]).value = item
        evidence.cell(row, column["Status"]).value = status
        evidence.cell(row, column["Notes"]).value = notes
    raci = book["RACI"]
    _reverse_rows(raci)
    roles = [cell.value for cell in raci[1]]
    control, role, letter = RACI_EDIT
    raci_row = next(r for r in range(2, raci.max_row + 1) if raci.cell(r, 1).value == control)
    assert raci.cell(raci_row, roles.index(role) + 1).value is None
    raci.cell(raci_row, roles.index(role) + 1).value = letter
    book.save(path)
    return {"raci_row": raci_row}


def _reverse_rows(ws) -> None:
    """What Sort Z to A does: the same rows, in another order."""
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
    for number, values in enumerate(reversed(rows), start=2):
        for index, value in enumerate(values, start=1):
            ws.cell(number, index).value = value


def _find(ws, control: str, item: str, column: dict[str, int]) -> int:
    return next(
        r
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, 1).value == control and ws.cell(r, column["Evidence item"]).value == item
    )


@pytest.fixture(scope="module")
def trip(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("trip")
    first = _build(work / "first")
    first_matrix = json.loads((first / FID / "matrix.json").read_text(encoding="utf-8"))
    where = _edit_as_a_user(first / WORKBOOK, first_matrix)
    second = _build(work / "second", "--evidence", first, "--previous", first, pdf=True)
    third = _build(work / "third", "--evidence", second / WORKBOOK)
    return {
        "first": first,
        "second": second,
        "third": third,
        "old": first_matrix,
        "matrix": json.loads((second / FID / "matrix.json").read_text(encoding="utf-8")),
        "again": json.loads((third / FID / "matrix.json").read_text(encoding="utf-8")),
        **where,
    }


def _expected(values: dict) -> dict:
    """The matrix.json fields an edit of the Evidence sheet becomes."""
    keys = {
        "Responsible person": "responsible_person",
        "Reviewed by": "reviewed_by",
        "Evidence link / location": "link",
        "Notes": "notes",
        "Due date": "due_date",
        "Collected on": "collected_on",
    }
    found = {"status": values["Status"].lower()}
    for name, value in values.items():
        if name in keys:
            found[keys[name]] = value.isoformat() if isinstance(value, dt.date) else value
    return found


def test_every_edit_is_in_matrix_json(trip):
    items = _items(trip["matrix"])
    source = f"edited in workbook {(trip['first'] / WORKBOOK).as_posix()}, sheet Evidence, row "
    for (control, number), values in EDITS.items():
        item = items[control][number]
        for key, value in _expected(values).items():
            assert item[key] == value, (control, number, key)
        assert item["read_from"].startswith(source)
    assert items[AWS_CONTROL][-1]["status"] == "accepted"
    untouched = items["CC1.3"][0]
    assert untouched["status"] == "not started" and "read_from" not in untouched


def test_dates_decide_what_is_overdue(trip):
    items = _items(trip["matrix"])
    assert items["CC2.1"][0]["overdue"]  # requested, due before the pack's date
    assert not items["CC3.1"][0]["overdue"]  # collected
    status = trip["matrix"]["evidence_status"]
    assert status["as_of"] == PACK_DATE and status["overdue"] == 1


def test_implementation_status_follows_the_items(trip):
    controls = {c["id"]: c for c in trip["matrix"]["controls"]}
    assert controls["CC1.1"]["implementation_status"] == "implemented"  # 2 accepted, 1 n/a
    assert controls["CC2.1"]["implementation_status"] == "in progress"
    assert controls["CC1.3"]["implementation_status"] == "not started"
    counts = trip["matrix"]["evidence_status"]["controls"]
    assert counts["implemented"] == 1 and sum(counts.values()) == len(controls)


def test_an_added_row_is_kept_with_its_control(trip):
    control, item, _, notes = ADDED
    added = [i for i in _items(trip["matrix"])[control] if i["source"] == "workbook"]
    assert len(added) == 1
    assert (added[0]["item"], added[0]["status"], added[0]["notes"]) == (item, "collected", notes)


def test_evidence_of_a_vanished_control_is_reported_not_dropped(trip):
    control, item, _, notes = ORPHAN
    [orphan] = trip["matrix"]["evidence_status"]["orphans"]
    assert (orphan["control"], orphan["item"], orphan["notes"]) == (control, item, notes)
    assert orphan["status"] == "accepted"
    assert any(control in w and "no longer has" in w for w in trip["matrix"]["warnings"])


def test_a_changed_raci_letter_comes_back_as_an_override(trip):
    control_id, role, letter = RACI_EDIT
    control = next(c for c in trip["matrix"]["controls"] if c["id"] == control_id)
    assert control["raci"][role] == letter
    [override] = control["raci_overrides"]
    source = (
        f"edited in workbook {(trip['first'] / WORKBOOK).as_posix()}, sheet RACI, "
        f"row {trip['raci_row']}"
    )
    assert override == {"role": role, "letter": letter, "computed": None, "source": source}
    assert trip["matrix"]["evidence_status"]["raci_overrides"] == 1
    accountable = [r for r, x in control["raci"].items() if x in ("A", "A/R")]
    assert len(accountable) == 1


def test_the_workbook_read_is_an_input_with_its_hash(trip):
    manifest = json.loads((trip["second"] / "manifest.json").read_text(encoding="utf-8"))
    [entry] = [i for i in manifest["inputs"] if i["role"] == "evidence"]
    workbook = trip["first"] / WORKBOOK
    assert entry["path"] == workbook.as_posix()
    assert entry["sha256"] == hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert trip["matrix"]["evidence_status"]["sources"] == [workbook.as_posix()]


def _rows(path: Path) -> tuple[list, list]:
    book = load_workbook(path)
    header = [cell.value for cell in book["Evidence"][1]]
    return header, [list(row) for row in book["Evidence"].iter_rows(min_row=2)]


def test_the_new_workbook_is_prefilled_with_text_never_formulas(trip):
    header, rows = _rows(trip["second"] / WORKBOOK)
    column = {name: index for index, name in enumerate(header)}
    by_key = {(row[0].value, row[column["Evidence item"]].value): row for row in rows}
    items = _items(trip["matrix"])
    for (control, number), values in EDITS.items():
        row = by_key[(control, items[control][number]["item"])]
        for name, value in values.items():
            cell = row[column[name]]
            if name in ("Due date", "Collected on"):
                assert (
                    cell.is_date
                    and cell.value.date().isoformat()
                    == _expected(values)[
                        {"Due date": "due_date", "Collected on": "collected_on"}[name]
                    ]
                )
            elif name == "Status":
                assert cell.value == values["Status"].capitalize()
            else:
                assert cell.value == value and cell.data_type == "s", (control, name)
                assert cell.quotePrefix == value.startswith(("=", "+", "-", "@"))
    added = by_key[(ADDED[0], ADDED[1])]
    assert added[column["Notes"]].value == ADDED[3] and added[column["Notes"]].quotePrefix
    orphan = by_key[(ORPHAN[0], ORPHAN[1])]
    assert rows.index(orphan) == len(rows) - 1  # listed last, its title says what to do
    assert "catalog any more" in orphan[column["Control title"]].value
    assert all(cell.data_type != "f" for row in rows for cell in row)


def test_the_new_workbook_keeps_the_letter_and_the_rules(trip):
    control, role, letter = RACI_EDIT
    book = load_workbook(trip["second"] / WORKBOOK)
    header, body = table(book["RACI"])
    row = next(r for r in body if r[0] == control)
    assert row[header.index(role)] == letter
    rules = [list(r) for r in book["reportgen"].iter_rows(values_only=True)]
    roles_at = next(i for i, r in enumerate(rules) if r[0] == "Control")
    rule = next(r for r in rules[roles_at:] if r[0] == control)
    assert rule[rules[roles_at].index(role)] is None  # what the config's rules give
    assert book["reportgen"].sheet_state == "hidden"


def test_the_sort_key_restores_the_standards_order(trip):
    header, rows = _rows(trip["second"] / WORKBOOK)
    key, control = header.index("Sort key"), header.index("Control")
    ordered = sorted(rows, key=lambda row: row[key].value)
    ids = list(dict.fromkeys(row[control].value for row in ordered))
    catalog = [c["id"] for c in trip["matrix"]["controls"] if c["evidence_items"]]
    assert ids == [*catalog, ORPHAN[0]]


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(path).pages))


def test_the_pdf_shows_statuses_notes_and_the_summary(trip):
    text = _pdf_text(trip["second"] / PDF)

    def has(phrase: str) -> bool:
        return re.sub(r"\s+", "", phrase) in text

    for values in EDITS.values():
        for name, value in values.items():
            if name in ("Notes", "Reviewed by", "Responsible person", "Evidence link / location"):
                assert has(value), value
    assert has("Implementation: implemented") and has("Implementation: in progress")
    assert has("Evidence status on 1 January 2026")
    assert has(f"Accepted {trip['matrix']['evidence_status']['items']['accepted']}")
    assert has("Overdue items") and has("Bob Ops") and has("2025-12-01")
    assert has("RACI letters changed in the workbook") and has(
        f"sheet RACI, row {trip['raci_row']}"
    )
    assert has(ORPHAN[0]) and has(ORPHAN[3]) and has(ADDED[1]) and has(ADDED[3])


def test_summary_md_counts_statuses_and_lists_overdue_items(trip):
    summary = (trip["second"] / "summary.md").read_text(encoding="utf-8")
    counts = trip["matrix"]["evidence_status"]["items"]
    row = "| SOC 2 | " + " | ".join(
        str(counts[s])
        for s in ("not started", "requested", "collected", "accepted", "not applicable")
    )
    assert f"{row} | 1 |" in summary
    assert "| `CC2.1` |" in summary and "| Bob Ops | 2025-12-01 |" in summary
    assert "1 RACI letter(s) changed by the team" in summary
    assert "`CC99.9`" in summary
    # --previous: the statuses that moved since the first pack
    assert "evidence item(s) changed status" in summary
    assert "| not started | accepted |" in summary


def test_diff_reports_evidence_status_changes(trip):
    diff = json.loads(run("diff", trip["first"], trip["second"], "--format", "json").stdout)
    [entry] = diff["frameworks"]
    changes = {(c["control"], c["new"]) for c in entry["evidence_changes"]}
    assert {("CC1.1", "accepted"), ("CC2.1", "requested"), ("CC3.1", "collected")} <= changes
    assert all(c["old"] == "not started" for c in entry["evidence_changes"])
    assert "evidence item(s) changed status" in run("diff", trip["first"], trip["second"]).stdout


def test_a_second_round_trip_keeps_everything(trip):
    """Rebuilt from the new workbook without edits: the same tracking, the same override."""

    def tracked(matrix: dict) -> list:
        rows = [
            (c["id"], {k: v for k, v in i.items() if k != "read_from"})
            for c in matrix["controls"]
            for i in c["evidence_items"]
        ]
        overrides = [(c["id"], o["role"], o["letter"]) for c in matrix["controls"]
                     for o in c.get("raci_overrides", ())]  # fmt: skip
        return [rows, overrides, matrix["evidence_status"]["orphans"][0]["notes"]]

    assert tracked(trip["again"]) == tracked(trip["matrix"])
    assert trip["again"]["evidence_status"]["items"] == trip["matrix"]["evidence_status"]["items"]


@pytest.mark.slow
def test_libreoffice_opens_the_edited_and_the_rebuilt_workbooks(trip, tmp_path):
    for pack in ("first", "second"):
        (tmp_path / pack).mkdir()
        pdf = convert_to_pdf(trip[pack] / WORKBOOK, tmp_path / pack)
        assert len(pdf.pages) > 3


def test_text_spelled_with_x_hhhh_comes_back_the_same_on_every_rebuild(tmp_path):
    """Seventeenth pass: the escape the writer gives a literal '_x000D_' was not read back,
    so a team's text grew by '_x005F' on every --evidence rebuild; and a carriage return,
    which Excel stores as '_x000D_', came back as those seven characters."""
    from openpyxl import load_workbook

    out = _build(tmp_path / "pack", "--format", "matrix", "--format", "xlsx")
    [book] = (out / FID).glob("*-raci.xlsx")
    wb = load_workbook(book)
    ws = wb["Evidence"]
    header = [cell.value for cell in ws[1]]
    row = 2
    ws.cell(row, header.index("Status") + 1, "Collected")
    # as Excel stores a typed '_x000D_', and a carriage return typed in a cell
    ws.cell(row, header.index("Responsible person") + 1, "bob_x005F_x000D_evil")
    ws.cell(row, header.index("Notes") + 1, "line one_x000D_line two")
    wb.save(book)
    seen = []
    for _ in range(3):
        _build(out, "--evidence", out, "--format", "matrix", "--format", "xlsx")
        matrix = json.loads((out / FID / "matrix.json").read_text(encoding="utf-8"))
        items = [i for c in matrix["controls"] for i in c["evidence_items"]]
        seen.append(
            {(i.get("responsible_person"), i.get("notes")) for i in items}
            - {(None, None), ("", "")}
        )
    assert seen[0] == seen[1] == seen[2] == {("bob_x000D_evil", "line one\rline two")}
