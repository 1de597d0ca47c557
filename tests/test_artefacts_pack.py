"""The auditors' artefacts read back from the packs, as an auditor's tools read them: the
PDFs (pypdf), the workbooks (openpyxl) and summary.md, compared with matrix.json."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from conftest import SAMPLE_CONFIG, SAMPLE_INVENTORY, write_config, write_csv
from openpyxl import load_workbook
from packhelpers import run
from pypdf import PdfReader

from reportgen.render import FrameworkJob, RenderOptions
from reportgen.render.pdf import report_html

FRAMEWORKS = ("pci-dss", "iso-27001", "soc2")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def pack(sample_pack):
    """Per framework: matrix, PDF pages' text, workbook (read once per run)."""

    @cache
    def load(fid: str):
        folder = sample_pack / fid
        matrix = json.loads((folder / "matrix.json").read_text(encoding="utf-8"))
        reader = PdfReader(folder / f"harbourline-{fid}-responsibility-matrix.pdf")
        pages = [page.extract_text() for page in reader.pages]
        workbook = load_workbook(folder / f"harbourline-{fid}-raci.xlsx")
        return matrix, pages, workbook

    return load


def chapter_pages(pages: list[str], title: str) -> list[str]:
    """Pages whose running footer names the chapter (the last line of each page)."""
    return [p for p in pages if title in p.strip().split("\n")[-1]]


def table(ws, header_row: int = 1, last: int | None = None) -> list[dict]:
    rows = list(ws.iter_rows(min_row=header_row, max_row=last, values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(row)]


# --------------------------------------------------------------------------- statements


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_every_control_has_the_statements_its_parties_need(pack, fid):
    matrix, _, workbook = pack(fid)
    rows = {r["Control"]: r for r in table(workbook["RACI"])}
    for control in matrix["controls"]:
        kinds = {p["kind"] for p in control["parties"]}
        statements = control["responsibility"]
        assert bool(statements["customer"]) == ("customer" in kinds or "third-party" in kinds), (
            control["id"]
        )
        assert bool(statements["aws"]) == ("aws" in kinds), control["id"]
        row = rows[control["id"]]
        assert (row["Customer must"] or "") == statements["customer"]
        assert (row["AWS provides (inherited)"] or "") == statements["aws"]


@pytest.mark.parametrize(
    ("fid", "chapter", "most"),
    [
        ("pci-dss", "7 PCI DSS scope, AOC and service providers", 4),
        ("iso-27001", "7 Statement of Applicability", 12),
        ("soc2", "7 System description (skeleton)", 3),
        ("soc2", "8 Complementary controls", 3),
    ],
)
def test_the_artefact_chapters_stay_short(pack, fid, chapter, most):
    _, pages, _ = pack(fid)
    assert 1 <= len(chapter_pages(pages, chapter)) <= most


def test_the_pci_responsibility_summary_gives_every_requirement_its_statements(pack):
    matrix, pages, _ = pack("pci-dss")
    chapter = chapter_pages(pages, "8 PCI DSS responsibility summary")
    assert 10 <= len(chapter) <= 40
    text = squash("\n".join(chapter))
    for control in matrix["controls"]:
        assert squash(control["id"] + control["title"])[:30] in text, control["id"]
        if control["applicable"]:
            for side in ("customer", "aws"):
                statement = squash(control["responsibility"][side])
                assert statement[:60] in text, (control["id"], side)


# --------------------------------------------------------------------------- PCI DSS


def test_the_pci_scope_chapter_names_the_aoc_providers_and_whats_outside(pack):
    matrix, pages, workbook = pack("pci-dss")
    text = " ".join(" ".join(chapter_pages(pages, "7 PCI DSS scope, AOC")).split())
    assert "Not recorded: obtain the current AWS PCI DSS Attestation of Compliance" in text
    assert "33 of the 33 in-scope AWS services are on the list" in text
    assert "The CDE runs in account 111122223333 only" in text
    assert "Third-party service providers (12.8.1, 12.8.5)" in text
    for name in ("Amazon Web Services (AWS)", "Stackwise Managed Services", "Snowflake"):
        assert name in text
    stackwise = next(p for p in matrix["third_parties"] if p["name"].startswith("Stackwise"))
    assert f"Carries duties in {len(stackwise['controls'])} requirements" in text
    assert "1 inventory row names a third-party provider the configuration declares" in text
    cover = " ".join(pages[0].split())
    assert "Outside this matrix 1 inventory row naming no known AWS service; 1 row of" in cover
    providers = table(workbook["Service providers"])
    assert [p["Provider"] for p in providers] == [
        "Amazon Web Services (AWS)",
        *(p["name"] for p in matrix["third_parties"]),
    ]
    snowflake = providers[-1]
    assert snowflake["Inventory rows"] == "AWS inventory row 62: Snowflake Data Cloud"


def test_summary_md_counts_what_is_outside_and_the_attestations(sample_pack):
    text = (sample_pack / "summary.md").read_text(encoding="utf-8")
    assert "1 inventory row(s) could not be matched to an AWS service; they are outside" in text
    assert "1 inventory row(s) name a declared third-party provider" in text
    assert "| PCI DSS | 1 | 2026-12-01 | not recorded: obtain the current one" in text
    assert "Stackwise Managed Services, Snowflake" in text


# --------------------------------------------------------------------------- ISO/IEC 27001


def test_the_soa_sheet_lists_93_annex_a_controls_each_justified(pack):
    matrix, _, workbook = pack("iso-27001")
    ws = workbook["Statement of Applicability"]
    assert ws["A2"].value == "ISMS scope"
    assert ws["B2"].value == matrix["artefacts"]["statement_of_applicability"]["isms_scope"]
    rows = table(ws, header_row=5, last=5 + 93)
    assert len(rows) == 93
    assert [r["Control"] for r in rows] == [
        c["id"] for c in matrix["controls"] if c["id"].startswith("A.")
    ]
    for row in rows:
        assert row["Included"] in ("Yes", "No")
        assert len(row["Justification"]) > 20, row["Control"]
        assert row["Owner"] and row["Implementation status"] == "Not started"
    assert ws.auto_filter.ref == "A5:J98"
    assert ws["A100"].value.startswith("ISMS requirements (clauses 4 to 10)")
    clauses = [row[0] for row in ws.iter_rows(min_row=102, values_only=True)]
    assert clauses == [c["id"] for c in matrix["controls"] if not c["id"].startswith("A.")]


def test_the_soa_chapter_keeps_clauses_apart(pack):
    matrix, pages, _ = pack("iso-27001")
    chapter = chapter_pages(pages, "7 Statement of Applicability")
    text = " ".join(" ".join(chapter).split())
    assert "The 93 controls of Annex A" in text and "Included: 93; excluded: 0" in text
    assert "ISMS requirements (clauses 4 to 10)" in text
    assert squash("operation of its card payment processing platform on AWS") in squash(text)
    for control in matrix["controls"]:
        assert control["id"] in text
    summary = " ".join(chapter_pages(pages, "2 Executive summary")[0].split())
    assert "123 ISO/IEC 27001:2022 requirements and controls in this report" in summary


# --------------------------------------------------------------------------- SOC 2


def test_the_soc2_pdf_has_the_complementary_controls_and_the_system_description(pack):
    matrix, pages, workbook = pack("soc2")
    block = matrix["artefacts"]["complementary_controls"]
    text = " ".join(" ".join(chapter_pages(pages, "8 Complementary controls")).split())
    assert "Complementary subservice organisation controls (AWS)" in text
    assert "Complementary user entity controls" in text
    assert "Monitoring of AWS" in text
    for item in block["subservice_controls"] + block["user_entity_controls"]:
        assert item["id"] in text
    description = " ".join(" ".join(chapter_pages(pages, "7 System description")).split())
    assert "Harbourline Payments Platform" in description
    assert "carve-out" in description and "To be completed" in description
    assert "5 Criteria matrix" in " ".join(pages[1].split())  # SOC 2 says criteria
    rows = table(workbook["Complementary controls"])
    assert [r["Id"] for r in rows] == [
        *(c["id"] for c in block["subservice_controls"]),
        "MON-01",
        *(c["id"] for c in block["user_entity_controls"]),
    ]


# --------------------------------------------------------------------------- document control


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_document_control_has_version_history_approvers_and_next_review(pack, fid):
    matrix, pages, workbook = pack(fid)
    text = " ".join(" ".join(chapter_pages(pages, "1 Document control")).split())
    assert "Version 1" in text and "Revision history" in text
    for cell in ("1 December 2025", matrix["document_id"], "First version."):  # the revision
        assert squash(cell) in squash(text)
    for name, role in (("Amira Okafor", "GRC Analyst"), ("Dana Whitfield", "Head of Security")):
        assert name in text and role in text
    assert "Next review 1 December 2026 (every 12 months" in text
    assert "Distribution Security, Cloud Platform, Internal Audit, QSA (on request)" in text
    about = [row for row in workbook["About"].iter_rows(values_only=True)]
    assert ("Version", "1", None, None) in about
    assert ("Approved by", "Dana Whitfield", "Head of Security", None) in about
    assert ("Next review", "2026-12-01 (every 12 months)", None, None) in about


def test_a_pack_built_with_previous_has_the_next_version_and_says_what_changed(tmp_path):
    """Two builds, the second with --previous and one override fewer: version 2, and a
    revision line naming the controls whose owner changed."""
    shutil.copy(SAMPLE_INVENTORY, tmp_path / "inventory.xlsx")
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    config = write_config(tmp_path, text)
    run("build", "--config", config, "--out", tmp_path / "v1", "--framework", "pci-dss",
        pdf=False)  # fmt: skip
    start = text.index("overrides:")
    end = text.index("third_parties:")
    write_config(tmp_path, text[:start] + text[end:])
    run("build", "--config", config, "--out", tmp_path / "v2", "--framework", "pci-dss",
        "--previous", tmp_path / "v1", pdf=False)  # fmt: skip
    matrix = json.loads((tmp_path / "v2" / "pci-dss" / "matrix.json").read_text())
    document = matrix["document"]
    assert document["version"] == "2" and document["previous_version"] == "1"
    line = document["revisions"][-1]["summary"]
    # The MSP's override is gone: the controls it carried changed owner.
    assert re.match(r"\d+ owner changes: 2\.2\.1 Shared → Split by service, ", line), line
    assert "changed inputs: config" in line
    about = list(load_workbook(next((tmp_path / "v2" / "pci-dss").glob("*.xlsx")))["About"]
                 .iter_rows(values_only=True))  # fmt: skip
    assert ("Version", "2", None, None) in about
    assert any(row[0] == "2" and row[1] == line for row in about)
    html = report_html(_job(matrix, tmp_path))
    assert "previous version 1" in html and re.sub(r"\s+", " ", line) in html.replace("&gt;", ">")
    assert "The version follows the configuration" in html


def _job(matrix: dict, folder: Path) -> FrameworkJob:
    return FrameworkJob(matrix["framework"]["id"], matrix, folder, "x", None, RenderOptions())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- coverage, CDE


def test_services_outside_the_attestation_are_flagged_in_summary_and_pdf(tmp_path):
    write_csv(
        tmp_path / "inventory.csv",
        [
            ["Service", "Account", "PCI Scope"],
            ["EC2", "111111111111", "CDE"],
            ["Lightsail", "222222222222", "connected"],
            ["Bedrock", "222222222222", "connected"],
        ],
    )
    config = write_config(
        tmp_path,
        "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
        "framework_options:\n  pci-dss:\n    conditions: {uses-segmentation: true}\n",
    )
    process = run("build", "--config", config, "--out", tmp_path / "out", "--framework",
                  "pci-dss", pdf=False)  # fmt: skip
    assert "segmentation is used (uses-segmentation: yes) but not described" in process.stderr
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| PCI DSS | 1 | " in summary and "Amazon Bedrock, Amazon Lightsail |" in summary
    matrix = json.loads((tmp_path / "out" / "pci-dss" / "matrix.json").read_text())
    html = " ".join(report_html(_job(matrix, tmp_path)).split())
    assert "2 in-scope services are not on AWS's list of services in scope of the AWS PCI" in html
    assert "<td>Amazon Lightsail</td><td>Not in its scope</td>" in html
    assert "<td>Amazon Bedrock</td><td>Not on the dated list</td>" in html
    assert "<td><strong>Cardholder data environment" in html or "CDE" in html
    cde = matrix["scope"]["categories"]
    assert cde["cde"]["accounts"] == ["111111111111"]
    assert '<td class="mono">222222222222</td>' in html
    assert "but the configuration does not describe it" in html  # the blank to fill


def test_a_misplaced_artefact_setting_is_exit_2_naming_the_key(tmp_path):
    write_csv(tmp_path / "inventory.csv", [["Service"], ["EC2"]])
    config = write_config(
        tmp_path,
        "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
        "framework_options:\n  soc2:\n    isms_scope: The whole company and its offices.\n",
    )
    process = run("validate", "--config", config, check=2)
    assert "framework_options.soc2.isms_scope: only for a framework whose pack has" in (
        process.stderr
    )


def test_hostile_config_text_stays_text_in_the_artefacts(tmp_path):
    """Names and statements from the config reach the new chapters and sheets as inert text:
    never an element in the report, never a formula in the workbook."""
    import yaml
    from hostile import FORMULAS, MARKUP, check_pack

    values = [*MARKUP, *FORMULAS]
    write_csv(tmp_path / "inventory.csv", [["Service"], ["EC2"], ["S3"], [MARKUP[0]]])
    config = {
        "customer": {"name": "Test Co"},
        "inventory": {"path": "inventory.csv"},
        "third_parties": [
            {"name": value, "service": value, "inventory": [MARKUP[0]] if i == 0 else []}
            for i, value in enumerate(values)
        ],
        "document_control": {
            "owner": MARKUP[2],
            "approvers": [{"name": v, "role": v} for v in values[:4]],
            "distribution": values,
            "change_note": MARKUP[1],
        },
        "framework_options": {
            "pci-dss": {"conditions": {"uses-segmentation": True}, "segmentation": MARKUP[3]},
            "iso-27001": {"isms_scope": MARKUP[4], "justifications": {"A.5.1": FORMULAS[1]}},
            "soc2": {
                "system": {"name": MARKUP[5], "description": FORMULAS[0]},
                "user_entity_controls": [{"text": v} for v in values if len(v) >= 10],
            },
        },
    }
    path = tmp_path / "reportgen.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run("build", "--config", path, "--out", tmp_path / "out", pdf=False)
    matrices = check_pack(tmp_path / "out", list(FRAMEWORKS))
    for fid, matrix in matrices.items():
        html = report_html(_job(matrix, tmp_path))
        for tag in ("<script", "<img src=x", "<h1>injected", "<svg onload", "<iframe"):
            assert tag not in html, (fid, tag)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        book = load_workbook(next((tmp_path / "out" / fid).glob("*.xlsx")))
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        assert ws.title == "Summary", (ws.title, cell.coordinate, cell.value)
    providers = table(
        load_workbook(next((tmp_path / "out" / "pci-dss").glob("*.xlsx")))["Service providers"]
    )
    assert {p["Provider"] for p in providers} >= set(values)


def test_the_soa_takes_the_status_the_evidence_tracker_brings_back(tmp_path):
    """A team accepts every evidence item of A.5.1 in the workbook; the next build, with
    --evidence and --previous, shows A.5.1 implemented in the Statement of Applicability."""
    args = ("-q", "build", "--config", "inputs/reportgen.yaml", "--framework", "iso-27001")
    run(*args, "--out", tmp_path / "first", pdf=False)
    workbook = tmp_path / "first" / "iso-27001" / "harbourline-iso-27001-raci.xlsx"
    book = load_workbook(workbook)
    sheet = book["Evidence"]
    header = [cell.value for cell in sheet[1]]
    status = header.index("Status") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value == "A.5.1":
            sheet.cell(row, status).value = "Accepted"
    book.save(workbook)
    run(*args, "--out", tmp_path / "second", "--evidence", workbook, "--previous",
        tmp_path / "first", pdf=False)  # fmt: skip
    folder = tmp_path / "second" / "iso-27001"
    matrix = json.loads((folder / "matrix.json").read_text(encoding="utf-8"))
    soa = {r["id"]: r for r in matrix["artefacts"]["statement_of_applicability"]["controls"]}
    assert soa["A.5.1"]["status"] == "implemented"
    assert soa["A.5.2"]["status"] == "not started"
    assert matrix["document"]["version"] == "2"
    rows = table(load_workbook(next(folder.glob("*.xlsx")))["Statement of Applicability"], 5, 98)
    status_of = {r["Control"]: r["Implementation status"] for r in rows}
    assert status_of["A.5.1"] == "Implemented" and status_of["A.5.2"] == "Not started"
