"""The PDF responsibility matrix, read back the way an auditor's tools read it (pypdf)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_EPOCH
from golden import assert_golden
from pypdf import PdfReader

from reportgen.render import FrameworkJob, RenderOptions
from reportgen.render.pdf import render_document, render_pdf, report_html
from reportgen.render.pdf_layout import layout_defects

FRAMEWORKS = ("pci-dss", "iso-27001", "soc2")
CHAPTERS = (
    "1 Document control",
    "2 Executive summary",
    "3 The shared responsibility model for this estate",
    "4 Service matrix",
    "5 Control matrix",
    "6 Evidence checklist",
    "A Unresolved inventory rows",
    "B Customer overrides",
    "C Method",
    "D Glossary",
)


def chapters_of(fid: str) -> tuple[str, ...]:
    """SOC 2 says criteria: its matrix chapter is the criteria matrix."""
    matrix = "5 Criteria matrix" if fid == "soc2" else "5 Control matrix"
    return tuple(matrix if c == "5 Control matrix" else c for c in CHAPTERS)


def pdf_path(pack: Path, fid: str) -> Path:
    return pack / fid / f"harbourline-{fid}-responsibility-matrix.pdf"


def squash(text: str) -> str:
    """Text without whitespace: table cells wrap long values over several lines."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def sample(sample_pack):
    """Per framework: the matrix, the PDF reader and the text of every page (read once)."""

    @cache
    def load(fid: str) -> tuple[dict, PdfReader, list[str]]:
        matrix = json.loads((sample_pack / fid / "matrix.json").read_text(encoding="utf-8"))
        reader = PdfReader(pdf_path(sample_pack, fid))
        return matrix, reader, [page.extract_text() for page in reader.pages]

    return load


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_every_control_id_appears(sample, fid):
    matrix, _, pages = sample(fid)
    text = "\n".join(pages)
    missing = [c["id"] for c in matrix["controls"] if c["id"] not in text]
    assert not missing


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_page_count_is_sane(sample, fid):
    matrix, reader, _ = sample(fid)
    controls = len(matrix["controls"])
    # Cover, contents and ten chapters at least; the control matrix and checklist grow with
    # the number of controls (never with resources), a few rows per page.
    # Plus the framework's own chapters after the checklist (tests/test_artefacts_pack.py
    # bounds each): a few pages, or for PCI DSS's responsibility summary a row per control.
    assert 12 <= len(reader.pages) <= 28 + controls // 2


def test_more_controls_make_more_pages(sample):
    assert len(sample("pci-dss")[1].pages) > len(sample("soc2")[1].pages)


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_contents_page_numbers_point_at_the_chapters(sample, fid):
    _, _, pages = sample(fid)
    contents = pages[1]
    assert "Contents" in contents
    for chapter in chapters_of(fid):
        match = re.search(re.escape(chapter) + r"[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert match, f"{chapter} is not in the contents with a page number"
        page = pages[int(match[1]) - 1]
        assert chapter in page, f"{chapter} is not on page {match[1]}"


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_outline_has_chapters_and_control_groups(sample, fid):
    matrix, reader, _ = sample(fid)
    outline = reader.outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    for chapter in chapters_of(fid):
        assert chapter in titles
    matrix_chapter = chapters_of(fid)[4]
    titled = (getattr(item, "title", "") for item in outline)
    where = next(i for i, title in enumerate(titled) if title == matrix_chapter)
    children = outline[where + 1]
    assert isinstance(children, list)
    parents = {g["id"]: g.get("parent") for g in matrix["groups"]}

    def top(group: str) -> str:
        while parents.get(group):
            group = parents[group]
        return group

    used = {top(c["group"]) for c in matrix["controls"]}
    child_titles = [c.title for c in children if not isinstance(c, list)]
    assert len(child_titles) == len(used)
    assert all(any(t.startswith(gid + " ") for t in child_titles) for gid in used)


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_metadata_and_language(sample, fid):
    matrix, reader, _ = sample(fid)
    info = reader.metadata
    assert info.title.startswith("Harbourline Payments Ltd: ")
    assert matrix["framework"]["name"] in info.title
    assert info.author == "Harbourline Payments Ltd"
    assert info.subject and "AWS" in info.subject
    assert matrix["document_id"] in info["/Keywords"]
    assert info["/Creator"].startswith("reportgen ")
    # Dates come from SOURCE_DATE_EPOCH (2025-12-01), never from the clock.
    assert info["/CreationDate"].startswith("D:20251201000000")
    assert info["/ModDate"] == info["/CreationDate"]
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_fonts_are_the_shipped_ones_and_embedded(sample, fid):
    _, reader, _ = sample(fid)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            fonts[str(font["/BaseFont"])] = descendant["/FontDescriptor"]
    assert fonts
    for name, descriptor in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+RG-(Sans|Mono)[-\w]*", name), name
        assert "/FontFile2" in descriptor, f"{name} is not embedded"


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_running_header_and_footer(sample, fid):
    matrix, _, pages = sample(fid)
    total = len(pages)
    assert "CONFIDENTIAL" not in pages[0].split("\n")[0]  # the cover has no running header
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text
        assert "CONFIDENTIAL" in text
        assert "Harbourline Payments Ltd" in text
        assert matrix["document_id"] in text


def test_control_table_headers_repeat_on_every_page(sample):
    _, _, pages = sample("pci-dss")
    matrix_pages = [p for p in pages if "5 Control matrix" in p.split("\n")[-1]]
    assert len(matrix_pages) > 10
    for text in matrix_pages:
        assert "Control" in text and "Owner" in text and "Who does what" in text


def test_shared_controls_show_their_per_service_split(sample):
    _, _, pages = sample("pci-dss")
    text = "\n".join(pages)
    assert "of 33 services" in text  # the breakdown under a non-uniform owner
    assert "AWS attestation:" in text


def test_summary_counts_match_the_matrix(sample):
    matrix, _, pages = sample("pci-dss")
    summary = next(p for p in pages if p.startswith("2 Executive summary"))
    counts = matrix["counts"]
    applicable = sum(counts.values()) - counts["not-applicable"]
    many = squash(matrix["framework"]["terms"]["many"])  # PCI DSS: requirements
    assert f"{applicable}applicable{many}" in squash(summary)
    flat = " ".join(summary.split())
    shared = round(100 * counts["shared"] / applicable)
    assert f"{counts['shared']} ({shared}%) by more than one party" in flat
    assert f"{matrix['split_by_service']} of them split by service" in flat
    if counts["aws"]:
        assert f"{counts['aws']} (" in flat and "by AWS alone (inherited)" in flat
    else:
        one = matrix["framework"]["terms"]["one"]  # PCI DSS: requirement
        assert f"No {one} is carried by AWS alone" in flat
    for name, count in matrix["party_counts"].items():
        if name not in ("AWS", "Customer"):  # a third party is named and counted
            assert f"{name}, a third party" in flat and f"carries a duty in {count}" in flat


def test_method_appendix_is_docs_methodology(sample):
    _, _, pages = sample("soc2")
    text = squash("\n".join(pages))
    doc = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", doc, re.MULTILINE)
    assert len(headings) >= 5
    for heading in headings:
        assert squash(heading) in text
    for line in doc.splitlines():  # every row of the layer table, first cell and text
        if line.startswith("| ") and not line.startswith(("| layer", "|---")):
            first = line.split("|")[1].strip().replace("`", "")
            assert squash(first) in text


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_report_html_golden(sample_pack, fid):
    matrix = json.loads((sample_pack / fid / "matrix.json").read_text(encoding="utf-8"))
    assert matrix["generated_at"] == "2025-12-01T00:00:00Z", SAMPLE_EPOCH
    job = FrameworkJob(fid, matrix, sample_pack / fid, "harbourline", None, RenderOptions())
    assert_golden(f"pdf/{fid}.html", report_html(job))


def test_same_inputs_give_the_same_bytes(sample_pack, tmp_path):
    """Render soc2 again in this process and compare with the CLI's file, byte for byte."""
    matrix = json.loads((sample_pack / "soc2" / "matrix.json").read_text(encoding="utf-8"))
    job = FrameworkJob("soc2", matrix, tmp_path, "harbourline", None, RenderOptions())
    again = render_pdf(job, report_html(job))
    assert again == pdf_path(sample_pack, "soc2").read_bytes()


# ------------------------------------------------------------------ layout and accessibility


@pytest.fixture(scope="session")
def documents(sample_pack):
    """Per framework: the sample's report laid out again (WeasyPrint's pages and boxes)."""

    @cache
    def load(fid: str):
        matrix = json.loads((sample_pack / fid / "matrix.json").read_text(encoding="utf-8"))
        job = FrameworkJob(fid, matrix, sample_pack / fid, "harbourline", None, RenderOptions())
        return render_document(job, report_html(job))

    return load


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_no_layout_defects(documents, fid):
    """No heading alone at a page's foot, no header broken inside a word, no chapter spilled
    onto a blank page, no legend naming what its chapter lacks, no cover saying it twice."""
    assert [str(d) for d in layout_defects(documents(fid))] == []


def test_the_layout_check_finds_the_defects_it_names(sample_pack, tmp_path):
    """The same report with the old mistakes put back: the check reports each of them."""
    folder = tmp_path / "templates"
    (folder / "partials").mkdir(parents=True)
    (folder / "report.html").write_text(
        '{% extends "default:report.html" %}{% block head %}<style>'
        "table.svc-matrix th.layer { hyphens: auto; font-size: 8pt; font-weight: bold }"
        "h2 + p, h2, tr.group { break-after: auto }"
        "</style>{% endblock %}",
        encoding="utf-8",
    )
    legend = "{{ m.legend(owners) }}"  # every owner, present or not
    srm = (ROOT / "templates" / "partials" / "srm.html").read_text(encoding="utf-8")
    (folder / "partials" / "srm.html").write_text(
        srm.replace("{{ m.legend(srm_legend) }}", legend), encoding="utf-8"
    )
    cover = (ROOT / "templates" / "partials" / "cover.html").read_text(encoding="utf-8")
    (folder / "partials" / "cover.html").write_text(
        cover.replace(
            "{{ cover.subtitle }}", "{{ framework.full_name }}, {{ framework.full_name }}"
        ),
        encoding="utf-8",
    )
    matrix = json.loads((sample_pack / "pci-dss" / "matrix.json").read_text(encoding="utf-8"))
    job = FrameworkJob("pci-dss", matrix, tmp_path, "x", None, RenderOptions(templates=folder))
    kinds = {d.kind for d in layout_defects(render_document(job, report_html(job)))}
    assert {
        "header broken inside a word",
        "heading at the foot of the page",
        "legend names a value its chapter never shows",
        "the cover repeats itself",
    } <= kinds


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_tagged_for_accessibility(sample, fid):
    """PDF/UA-1: a structure tree of headings, tables with header cells, the chart's text
    alternative; the language, the title shown, the identification in the metadata."""
    _, reader, _ = sample(fid)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    roles: dict[str, list] = {}

    def walk(node) -> None:
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            roles.setdefault(str(node["/S"]), []).append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and hasattr(kid, "get_object"):
                walk(kid)

    walk(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/Link"} <= set(roles)
    for figure in roles.get("/Figure", []):
        assert figure.get("/Alt"), "a figure without its text alternative"

    def cells(table, role: str) -> int:
        found = 0
        for kid in table.get("/K") or []:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(kid, "get"):
                found += (kid.get("/S") == role) + cells(kid, role)
        return found

    for table in roles["/Table"]:
        assert cells(table, "/TH"), "every table names its columns or rows"


def test_letter_paper(sample_pack, tmp_path):
    matrix = json.loads((sample_pack / "soc2" / "matrix.json").read_text(encoding="utf-8"))
    job = FrameworkJob("soc2", matrix, tmp_path, "x", None, RenderOptions(paper_size="Letter"))
    document = render_document(job, report_html(job))
    sizes = {(round(p.width * 0.75), round(p.height * 0.75)) for p in document.pages}
    assert sizes == {(612, 792), (792, 612)}  # portrait and landscape Letter, in points
    assert layout_defects(document) == []
