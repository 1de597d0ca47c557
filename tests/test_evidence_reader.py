"""build --evidence reads an edited workbook as untrusted input: every bad cell named with its
sheet, row and column, another customer's or framework's workbook refused, the inventory's
archive guards applied, exit status 2, nothing written (issue 14)."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile_files as hf
import pytest
import yaml
from conftest import ROOT, SAMPLE_CONFIG, write_csv
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from packhelpers import run

FID = "soc2"
WORKBOOK = f"{FID}/harbourline-{FID}-raci.xlsx"


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "first"
    args = ("-q", "build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*args, pdf=False)
    return out


def _edited(pack: Path, folder: Path, change: Callable) -> Path:
    path = folder / "edited.xlsx"
    shutil.copy(pack / WORKBOOK, path)
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def _refused(folder: Path, *args: str | Path, framework: str = FID) -> str:
    """Build with these options; must exit 2 with one message, writing nothing."""
    out = folder / "out"
    command = ("build", "--config", "inputs/reportgen.yaml", "--framework", framework)
    result = run(*command, "--out", out, *args, check=2, pdf=False)
    assert not out.exists()
    return " ".join(result.stderr.split())


def _cell(book, sheet: str, header: str, row: int = 2):
    ws = book[sheet]
    column = [c.value for c in ws[1]].index(header) + 1
    return ws.cell(row, column)


def test_a_status_outside_the_drop_down_names_its_cell(pack, tmp_path):
    def change(book):
        _cell(book, "Evidence", "Status", 4).value = "Done!"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "sheet 'Evidence', row 4, column H: 'Done!' is not a status" in message
    assert "Not started, Requested, Collected, Accepted, Not applicable" in message


@pytest.mark.parametrize(("system", "day"), [("1900", "2023-03-15"), ("1904", "2027-03-16")])
def test_a_bare_date_number_is_read_in_the_workbook_s_date_system(pack, tmp_path, system, day):
    """Pass 62a: a number in a date cell of a 1904 workbook (a General cell) was read with
    the 1900 epoch, four years and a day before the date Excel shows for it."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    from reportgen.evidence.read import read_workbook
    from reportgen.inventory.limits import Limits

    def change(book):
        if system == "1904":
            book.epoch = CALENDAR_MAC_1904
        cell = _cell(book, "Evidence", "Due date", 3)
        cell.value, cell.number_format = 45_000, "General"

    edits = read_workbook(_edited(pack, tmp_path, change), Limits())
    item = next(item for item in edits.items if item.origin.row == 3)
    assert item.values["due_date"] == day, item.values


@pytest.mark.parametrize(("system", "serial"), [("1900", 2958465.999999999), ("1904", 2958000)])
def test_a_bare_date_number_past_the_last_date_is_refused_named(pack, tmp_path, system, serial):
    """Pass 82a A2: a serial rounding up to the year 10000, and one past it in a 1904
    workbook (checked against the 1900 system's range), were an internal error
    (OverflowError), exit 1."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def change(book):
        if system == "1904":
            book.epoch = CALENDAR_MAC_1904
        cell = _cell(book, "Evidence", "Due date", 3)
        cell.value, cell.number_format = serial, "General"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "sheet 'Evidence', row 3, column J:" in message and "is not a date" in message


@pytest.mark.parametrize(
    ("value", "number_format", "said"),
    [("0001-01-01", "@", "a date before 1900-01-01, the first a workbook shows"),
     ("1899-12-31", "@", "a date before 1900-01-01, the first a workbook shows"),
     (2958466, "yyyy-mm-dd", "the date cell holds a number past the last date a workbook")],
)  # fmt: skip
def test_a_date_outside_what_a_workbook_shows_is_refused_for_what_it_is(
    pack, tmp_path, value, number_format, said
):
    """Pass 83a A3: a date typed as text before 1900 was carried into the new pack as a
    serial Excel shows as #####, and the next build refused that pack. A4: a number past
    the last date in a date cell was "the workbook is damaged ... save it again"."""

    def change(book):
        cell = _cell(book, "Evidence", "Due date", 3)
        cell.value, cell.number_format = value, number_format

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "row 3, column J" in message and said in message, message
    assert "damaged" not in message


def test_a_team_column_whose_header_was_renamed_is_refused(pack, tmp_path):
    """Pass 41d D27: the Status header renamed 'State', every status recorded under it was
    dropped from the new pack without a word, exit 0."""

    def change(book):
        _cell(book, "Evidence", "Status", 4).value = "Accepted"
        _cell(book, "Evidence", "Status", 1).value = "State"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "sheet 'Evidence', row 1: the header row has no column 'Status'" in message, message
    assert "Give the column its header back" in message


def test_a_raci_role_column_whose_header_was_renamed_is_refused(pack, tmp_path):
    """A role's column renamed in the RACI sheet was passed over, and every letter the team
    changed under it dropped from the new pack without a word (pass 41d's rule, for the
    Evidence sheet's columns, had not reached the roles)."""

    def change(book):
        _cell(book, "RACI", "Security", 3).value = "A/R"
        _cell(book, "RACI", "Security", 1).value = "Security team"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    said = "sheet 'RACI', row 1: the header row has no column 'Security'"
    assert said in message and "Give the column its header back" in message, message


@pytest.mark.parametrize("far", [0, 80, 1001], ids=["next", "past-column-64", "past-max-columns"])
@pytest.mark.parametrize(("sheet", "header"), [("Evidence", "Status"), ("RACI", "Security")])
def test_a_column_the_team_fills_in_given_twice_is_refused(pack, tmp_path, sheet, header, far):
    """Pass 50a W27: a second 'Status' column added at the sheet's end was ignored, and what
    the team recorded in it dropped from the new pack, exit 0; 51a: past the columns read
    (64, and the roles'), it still was; 52a: past --max-columns (1,000), too."""

    def change(book):
        ws = book[sheet]
        at = far or ws.max_column + 1
        ws.cell(1, at).value = header.upper()
        ws.cell(3, at).value = "Accepted" if sheet == "Evidence" else "A/R"

    path = _edited(pack, tmp_path, change)
    last = load_workbook(path)[sheet].max_column
    message = _refused(tmp_path, "--evidence", path)
    said = f"sheet '{sheet}', row 1, column {get_column_letter(last)}: the header row names"
    assert said in message and f"the column '{header}' twice" in message, message
    assert "Keep one column of that name" in message


@pytest.mark.parametrize(
    ("sheet", "header", "value"), [("Evidence", "Status", "Accepted"), ("RACI", "Security", None)]
)
def test_columns_moved_past_column_64_are_read(pack, tmp_path, sheet, header, value):
    """Pass 52a F2: the team inserted columns, and those it fills in moved past the 64
    columns read: exit 2, "the header row has no column 'Status'", though every header was
    there. Now as many columns are read as reach them."""

    def change(book):
        ws = book[sheet]
        ws.insert_cols(3, 70)
        if value is not None:  # a RACI letter as it is: an edit must keep one A a row
            _cell(book, sheet, header, 5).value = value

    out = tmp_path / "out"
    command = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*command, "--evidence", _edited(pack, tmp_path, change), pdf=False)
    ws = load_workbook(out / WORKBOOK)[sheet]
    if value is not None:
        assert _cell(ws.parent, sheet, header, 5).value == value


@pytest.mark.parametrize(("sheet", "header"), [("Evidence", "Status"), ("RACI", "Security")])
def test_a_header_typed_as_a_formula_is_refused(pack, tmp_path, sheet, header):
    """Pass 53a A1: a second 'Status' typed as =H1 (Excel shows 'Status') was read as its
    formula, not seen as the column given twice, and what the team wrote under it dropped
    with exit 0."""

    def change(book):
        ws = book[sheet]
        at = [c.value for c in ws[1]].index(header) + 1
        ws.cell(1, ws.max_column + 1).value = f"={get_column_letter(at)}1"
        ws.cell(3, ws.max_column).value = "Accepted" if sheet == "Evidence" else "A/R"

    path = _edited(pack, tmp_path, change)
    last = get_column_letter(load_workbook(path)[sheet].max_column)
    message = _refused(tmp_path, "--evidence", path)
    said = f"sheet '{sheet}', row 1, column {last}: a header cell holds a formula (="
    assert said in message and "Type the header as text" in message, message


def _first_in_its_row(path: Path, sheet: str, reference: str) -> None:
    """Move the cell ``reference`` of ``path``'s sheet to the start of its row's XML."""
    with zipfile.ZipFile(path) as source:
        infos = [(info, source.read(info)) for info in source.infolist()]
        part = _sheet_part(source, sheet)
    row = re.sub(r"[A-Z]+", "", reference)
    with zipfile.ZipFile(path, "w") as out:
        for info, data in infos:
            if info.filename == part:
                text = data.decode()
                cell = re.search(rf'<c r="{reference}"[^>]*?(?:/>|>.*?</c>)', text).group()
                text = text.replace(cell, "", 1)
                opened = re.search(rf'<row [^>]*?r="{row}"[^>]*>', text).group()
                data = text.replace(opened, opened + cell, 1).encode()
            out.writestr(info, data)


@pytest.mark.parametrize(("sheet", "header"), [("Evidence", "Status"), ("RACI", "Security")])
def test_a_header_cell_written_first_in_its_row_is_read(pack, tmp_path, sheet, header):
    """Pass 53a A2: a header cell written before the row's others in the XML (a second
    'Status' in P1 first) was not seen: openpyxl cuts a row read without a width at its
    last cell written, and what the team wrote under it was dropped with exit 0."""

    def change(book):
        ws = book[sheet]
        ws.cell(1, 16).value = header
        ws.cell(3, 16).value = "Accepted" if sheet == "Evidence" else "A/R"

    path = _edited(pack, tmp_path, change)
    _first_in_its_row(path, sheet, "P1")
    message = _refused(tmp_path, "--evidence", path)
    said = f"sheet '{sheet}', row 1, column P: the header row names the column '{header}' twice"
    assert said in message, message


def test_a_moved_header_written_first_in_its_row_is_read(pack, tmp_path):
    """Pass 53a A2: 'Status' moved to P, its cell written first: "the header row has no
    column 'Status'", which was false. Now the row is read to its rightmost cell."""

    def change(book):
        ws = book["Evidence"]
        status = [c.value for c in ws[1]].index("Status") + 1
        ws.cell(1, status).value = "Old status"
        ws.cell(1, 16).value = "Status"
        for row in range(2, ws.max_row + 1):
            ws.cell(row, 16).value = ws.cell(row, status).value
        ws.cell(3, 16).value = "Accepted"

    path = _edited(pack, tmp_path, change)
    _first_in_its_row(path, "Evidence", "P1")
    out = tmp_path / "out"
    build = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*build, "--format", "xlsx", "--evidence", path, pdf=False)
    assert _cell(load_workbook(out / WORKBOOK), "Evidence", "Status", 3).value == "Accepted"


@pytest.mark.parametrize(
    "header",
    [
        "Sta\u00adtus",
        "Sta\u200btus",
        "\ufeffStatus",
        "Status\ufe0f",
        "Sta\u034ftus",
        "\uff33tatus",
        "Status\u2065",
        "Status\ufff0",
        "Sta_x0074_us",
        "Status_x000D_\n",
        "Status_x200B_",
        "Status\u2800",
        "Status_xDB40__xDC20_",
    ],
    ids=[
        "soft-hyphen",
        "zwsp",
        "bom",
        "variation-selector",
        "grapheme-joiner",
        "fullwidth",
        "unassigned-2065",
        "unassigned-fff0",
        "escaped-letter",
        "escaped-line-break",
        "escaped-zwsp",
        "braille-blank",
        "escaped-surrogates",
    ],
)
def test_a_header_differing_by_an_invisible_character_is_the_same_header(pack, tmp_path, header):
    """Pass 53a A13 (and 51a A6): 'Sta\u00adtus' shows as 'Status' but was read as another
    column, and what the team wrote under it was dropped with exit 0; 54a A1: a variation
    selector or a grapheme joiner, which show as nothing either (A2: a fullwidth letter);
    55a E1, E4: the file format's escapes (``_x0074_``, which Excel shows as 't'), and
    code points Unicode reserves to show as nothing (U+2065, U+FFF0); 56a A2, A16: the
    Braille blank, a character past U+FFFF escaped as its two surrogates."""

    def change(book):
        ws = book["Evidence"]
        ws.cell(1, ws.max_column + 1).value = header
        ws.cell(3, ws.max_column).value = "Accepted"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "the header row names the column 'Status' twice" in message, message


def test_a_header_given_as_a_number_is_refused(pack, tmp_path):
    """Pass 55a E6: a second 'Status' typed as 1 with the number format '"Status"' shows
    as Status; it was read as 1, and what the team wrote under it dropped with exit 0."""

    def change(book):
        ws = book["Evidence"]
        cell = ws.cell(1, ws.max_column + 1)
        cell.value, cell.number_format = 1, '"Status"'
        ws.cell(3, ws.max_column).value = "Accepted"

    path = _edited(pack, tmp_path, change)
    last = get_column_letter(load_workbook(path)["Evidence"].max_column)
    message = _refused(tmp_path, "--evidence", path)
    said = f"row 1, column {last}: a header cell holds a number or a date, not text (1)"
    assert said in message, message


def test_a_hidden_sheet_without_the_rules_letters_is_refused(pack, tmp_path):
    """Pass 55a H1: the hidden sheet kept its identity but lost its table of the rules'
    letters: every RACI edit was dropped with exit 0, none told from the rules."""

    def change(book):
        ws = book["reportgen"]
        first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Control")
        ws.delete_rows(first, ws.max_row)
        _cell(book, "RACI", "Security", 2).value = "C"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "hidden 'reportgen' sheet has lost its table of the letters the rules gave" in message


def test_a_hidden_sheet_whose_control_row_names_no_role_is_refused(pack, tmp_path):
    """Pass 56a A11: the letters' table kept, its 'Control' row's role names gone: every
    RACI edit was dropped with exit 0."""

    def change(book):
        ws = book["reportgen"]
        first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Control")
        for column in range(2, ws.max_column + 1):
            ws.cell(first, column).value = None
        _cell(book, "RACI", "Security", 2).value = "C"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "its 'Control' row naming the roles" in message, message


@pytest.mark.parametrize("role", ["Ops_x0041_", "=Ops"])
@pytest.mark.parametrize("saved", ["as-written", "with-shared-strings"])
def test_a_role_whose_name_looks_escaped_or_computed_reads_its_own_workbook(tmp_path, role, saved):
    """Pass 55a R2: a role named 'Ops_x0041_' was written escaped (as Excel shows it), and
    its own unedited workbook was refused: "the header row has no column 'Ops_x0041_'".
    56a A7: saved as Excel saves it (its strings shared), it was read as 'OpsA'; 56a A20:
    a role '=Ops', written as text, was refused as a header holding a formula."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["inventory"]["path"] = str(SAMPLE_CONFIG.parent / config["inventory"]["path"])
    config["raci"]["roles"] += [role]
    config["output"].pop("dir")
    (tmp_path / "escaped.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    build = ("-q", "build", "--config", tmp_path / "escaped.yaml", "--framework", FID)
    run(*build, "--out", tmp_path / "first", "--format", "xlsx", pdf=False)
    workbook = tmp_path / "first" / WORKBOOK
    if saved == "with-shared-strings":
        workbook = _strings_shared(workbook, tmp_path / "saved.xlsx")
    again = (*build, "--format", "matrix", "--evidence", workbook)
    run(*again, "--out", tmp_path / "second", pdf=False)
    assert (tmp_path / "second" / FID / "matrix.json").is_file()


_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_INLINE = re.compile(
    rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?) t="inlineStr"><is><t>([^<]*)</t></is>'
)


def _strings_shared(source: Path, target: Path) -> Path:
    """``source`` with every plain inline string moved to a shared-strings part, as Excel
    saves a workbook (the escape of a literal '_x0041_' is kept as written)."""
    strings: list[bytes] = []

    def shared(found: re.Match[bytes]) -> bytes:
        strings.append(found[2])
        return found[1] + b' t="s"><v>%d</v>' % (len(strings) - 1)

    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = _INLINE.sub(shared, parts[name])
    items = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
    parts["xl/sharedStrings.xml"] = b'<sst xmlns="%s">%s</sst>' % (_MAIN_NS, items)
    kind = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % kind
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", override)
    relation = (
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    rels = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", relation)
    parts["xl/_rels/workbook.xml.rels"] = rels
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert strings, "no inline string to share"
    return target


def test_a_team_header_of_text_starting_with_an_equals_sign_is_text(pack, tmp_path):
    """Pass 56a A20: a team's column headed '=> next step', a string, was refused as a
    header holding a formula."""

    def change(book):
        cell = book["Evidence"].cell(1, book["Evidence"].max_column + 1)
        cell.value, cell.data_type = "=> next step", "s"

    out = tmp_path / "out"
    command = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*command, "--evidence", _edited(pack, tmp_path, change), pdf=False)
    assert (out / FID / "matrix.json").is_file()


def test_every_bad_cell_is_reported_at_once(pack, tmp_path):
    def change(book):
        _cell(book, "Evidence", "Due date", 3).value = "next Friday"
        _cell(book, "Evidence", "Collected on", 5).value = True
        _cell(book, "Evidence", "Status", 6).value = '=IF(1,"Accepted")'  # a formula is text
        ws = book["RACI"]
        roles = [c.value for c in ws[1]]
        ws.cell(7, roles.index("Security") + 1).value = "X"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "4 cell(s) of the edited workbook cannot be read back" in message
    for expected in (
        "sheet 'Evidence', row 3, column J: 'next Friday' is not a date",
        "sheet 'Evidence', row 5, column L: 'TRUE' is not a date",
        "sheet 'Evidence', row 6, column H: '=IF(1,\"Accepted\")' is not a status",
        "sheet 'RACI', row 7, column H: 'X' is not a RACI letter",
    ):
        assert expected in message


def test_a_row_with_two_accountables_is_refused(pack, tmp_path):
    def change(book):
        ws = book["RACI"]
        roles = [c.value for c in ws[1]]
        ws.cell(3, roles.index("Compliance") + 1).value = "A"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "sheet RACI, row 3 (control CC1.2): 2 Accountable (Security, Compliance)" in message
    assert "exactly one A per row" in message


def test_aws_is_not_made_responsible_for_the_customers_part(pack, tmp_path):
    def change(book):
        ws = book["RACI"]
        roles = [c.value for c in ws[1]]
        assert ws.cell(2, 1).value == "CC1.1" and ws.cell(2, roles.index("AWS") + 1).value is None
        ws.cell(2, roles.index("AWS") + 1).value = "R"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "row 2 (control CC1.1): AWS is responsible only for the part it operates" in message


def test_another_customers_workbook_is_refused(pack, tmp_path):
    def change(book):
        ws = book["reportgen"]
        for row in ws.iter_rows():
            if row[0].value in ("Customer", "Customer id"):
                row[1].value = "Other Co" if row[0].value == "Customer" else "other-co"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "this is the workbook of 'Other Co', not of 'Harbourline Payments Ltd'" in message


def test_another_frameworks_workbook_is_refused(pack, tmp_path):
    message = _refused(tmp_path, "--evidence", pack / WORKBOOK, framework="pci-dss")
    assert "the RACI workbook of framework 'soc2', which this build does not make" in message


def test_an_edited_framework_id_is_spelt_out_and_not_offered_as_an_option(pack, tmp_path):
    """Pass 61a: the hidden sheet's framework 'soc2' with a zero-width space was said as
    "framework 'soc2', which this build does not make (it makes soc2)", and the hint offered
    --framework with an id no framework has."""

    def change(book):
        for row in book["reportgen"].iter_rows():
            if row[0].value == "Framework":
                row[1].value = "soc2\u200b"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "framework 'soc2\\u200b', which this build does not make" in message, message
    assert (
        "--framework soc2" not in message and "the hidden 'reportgen' sheet was edited" in message
    )


def test_two_workbooks_that_disagree_are_refused(pack, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _edited(
        pack, tmp_path / "a", lambda b: setattr(_cell(b, "Evidence", "Status"), "value", "Accepted")
    )
    second = _edited(
        pack,
        tmp_path / "b",
        lambda b: setattr(_cell(b, "Evidence", "Status"), "value", "Requested"),
    )
    message = _refused(tmp_path, "--evidence", first, "--evidence", second)
    assert "the evidence workbooks disagree" in message
    assert "Status: 'accepted'" in message and "but 'requested'" in message


def test_a_workbook_reportgen_did_not_build_is_refused(tmp_path):
    inventory = hf.write_rows(tmp_path / "inventory.xlsx", hf.BASE_ROWS)
    message = _refused(tmp_path, "--evidence", inventory)
    assert "the workbook has no 'reportgen' sheet" in message


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (hf.entity_bomb, "declares a DTD"),
        (hf.far_apart_cells, "over the limit of"),
        (hf.ole_file, "encrypted (password-protected) or in a legacy format"),
        (hf.zip_not_xlsx, "not an .xlsx workbook"),
        (lambda p: p.write_text("Control,Status\n1.1,Accepted\n") and p, "not an .xlsx workbook"),
    ],
    ids=["entity-bomb", "far-apart-cells", "ole", "zip-not-xlsx", "csv"],
)
def test_the_inventorys_guards_come_first(tmp_path, make, expected):
    path = make(tmp_path / "bomb.xlsx") or tmp_path / "bomb.xlsx"
    assert expected in _refused(tmp_path, "--evidence", path)


def test_the_limits_apply_to_the_workbook(pack, tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", [["Service"], ["Amazon S3"]])
    limited = ("--inventory", inventory, "--max-zip-members", "5")
    message = _refused(tmp_path, "--evidence", pack / WORKBOOK, *limited)
    assert f"{pack / WORKBOOK}: workbook has" in message and "over the limit of 5" in message
    truncated = hf.truncated(tmp_path / "cut.xlsx", pack / WORKBOOK)
    message = _refused(tmp_path, "--evidence", truncated)
    assert f"{truncated}: cannot read this workbook: it is truncated" in message


def test_a_cell_over_the_cell_limit_names_the_cell(pack, tmp_path):
    """Twenty-first pass: a 40,000-character 'Reviewed by' (written into the sheet's XML:
    openpyxl cuts what it writes at 32,767) was carried whole into matrix.json, and so was
    one over --max-cell-chars 1000, then cut in the next workbook."""

    def change(book):
        _cell(book, "Evidence", "Reviewed by", 4).value = "r" * 1_500

    edited = _edited(pack, tmp_path, change)
    message = _refused(tmp_path, "--evidence", edited, "--max-cell-chars", "1000")
    assert "edited.xlsx, sheet 'Evidence', row 4, column M: cell holds 1,500" in message
    assert "cell holds 1,500 characters, over the limit of 1,000" in message


def test_a_lowered_cell_limit_holds_the_teams_text_not_reportgens(pack, tmp_path):
    """Twenty-second pass: with --max-cell-chars 100 a workbook no one had edited was
    refused for a cell of reportgen's own hidden sheet."""
    inventory = write_csv(tmp_path / "inventory.csv", [["Service"], ["Amazon S3"]])
    out = tmp_path / "out"
    run("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out,
        "--inventory", inventory, "--evidence", pack / WORKBOOK, "--max-cell-chars", "100",
        pdf=False)  # fmt: skip
    assert (out / "manifest.json").exists()


def test_a_folder_that_is_not_a_pack_is_refused(tmp_path):
    assert "not a reportgen pack" in _refused(tmp_path, "--evidence", tmp_path)


def test_a_missing_file_is_named(tmp_path):
    assert "evidence workbook not found" in _refused(tmp_path, "--evidence", tmp_path / "x.xlsx")


def test_a_fifo_named_like_a_workbook_is_said_to_be_a_fifo(tmp_path):
    """Nineteenth pass (19b, W3): the message said only "expected a RACI workbook"."""
    import os

    os.mkfifo(tmp_path / "ff.xlsx")
    message = _refused(tmp_path, "--evidence", tmp_path / "ff.xlsx")
    assert "this is a FIFO (named pipe)" in message


@pytest.mark.parametrize(
    "given, said",
    [
        # /proc/kmsg blocks its reader: "internal error: BlockingIOError", exit 1 (pass 36a)
        ("/proc/kmsg", "the evidence workbook is a file of the kernel's proc file system"),
        ("/proc/self/status", "the evidence workbook is a file of the kernel's proc file system"),
        ("empty.xlsx", "the evidence workbook is empty (0 bytes)"),
    ],
)
def test_a_workbook_that_is_no_file_on_disk_is_said_to_be_so(tmp_path, given, said):
    (tmp_path / "empty.xlsx").touch()
    path = given if given.startswith("/") else tmp_path / given
    if not Path(path).exists():
        pytest.skip(f"{path} is not on this machine")
    assert said in _refused(tmp_path, "--evidence", path)


def test_an_empty_workbook_in_a_pack_is_named_as_in_the_pack(pack, tmp_path):
    """Pass 37a E11: it was named by its private copy, /tmp/reportgen-evidence-*/1-1.xlsx."""
    given = tmp_path / "given"
    shutil.copytree(pack, given)
    (given / WORKBOOK).write_bytes(b"")
    said = _refused(tmp_path, "--evidence", given)
    assert f"{given / WORKBOOK}: the evidence workbook is empty (0 bytes)" in said
    assert "reportgen-evidence-" not in said


def test_a_symbolic_link_loop_is_named_as_one(tmp_path):
    # thirteenth pass: resolve() raised RuntimeError, an internal error (exit 1)
    (tmp_path / "a.xlsx").symlink_to("b.xlsx")
    (tmp_path / "b.xlsx").symlink_to("a.xlsx")
    message = _refused(tmp_path, "--evidence", tmp_path / "a.xlsx")
    assert f"{tmp_path / 'a.xlsx'}: evidence workbook cannot be reached: a symbolic link" in message
    assert "loops (too many levels of symbolic links)" in message


def test_validate_reads_the_evidence_too(pack, tmp_path):
    def change(book):
        _cell(book, "Evidence", "Status", 4).value = "Done!"

    path = _edited(pack, tmp_path, change)
    result = run("validate", "--config", "inputs/reportgen.yaml", "--evidence", path, check=2)
    assert "'Done!' is not a status" in result.stderr


def test_hostile_text_in_the_teams_columns_stays_text(pack, tmp_path, monkeypatch):
    """Every hostile value typed into Notes and Evidence link comes back exactly as the
    spreadsheet saved it, and goes into the next workbook as text, never a formula."""
    from hostile import XML_SAFE_VALUES

    from reportgen.core.terminal import INVISIBLE_CONTROLS
    from reportgen.inputs import RunOptions
    from reportgen.pipeline import jobs_for, prepare
    from reportgen.render import RenderOptions
    from reportgen.render.xlsx import write_xlsx

    def change(book):
        for row, value in enumerate(XML_SAFE_VALUES, start=2):
            _cell(book, "Evidence", "Notes", row).value = value
            _cell(book, "Evidence", "Evidence link / location", row).value = value

    path = _edited(pack, tmp_path, change)
    saved = load_workbook(path)["Evidence"]  # what the user's file holds, as any app reads it
    typed = {
        (saved.cell(r, 1).value, saved.cell(r, 5).value): saved.cell(r, 14).value
        for r in range(2, 2 + len(XML_SAFE_VALUES))
    }
    monkeypatch.chdir(ROOT)
    options = RunOptions(config=Path("inputs/reportgen.yaml"), frameworks=(FID,), evidence=(path,))
    inputs, matrices = prepare(options)
    items = {
        (c["id"], i["item"]): i for c in matrices[FID]["controls"] for i in c["evidence_items"]
    }
    for key, value in typed.items():
        assert items[key]["notes"] == value and items[key]["link"] == value, key
    [job] = jobs_for(inputs, matrices, tmp_path / "new", RenderOptions())
    job.folder.mkdir(parents=True)
    [written] = write_xlsx(job)
    rows = load_workbook(written)["Evidence"]
    # The workbook removes what the terminal and the PDF show as escapes (DEL, C1 controls,
    # bidi marks: fourteenth pass), as it removes C0 controls; the rest stays as typed.
    invisible = re.compile(f"[{INVISIBLE_CONTROLS}]")
    for r in range(2, rows.max_row + 1):
        key = (rows.cell(r, 1).value, rows.cell(r, 5).value)
        if key in typed:
            cell = rows.cell(r, 14)
            assert cell.value == invisible.sub("", typed[key]) and cell.data_type == "s", key


@pytest.mark.parametrize("text", ["a & b", "a \x1b b", "a &#27; b"])
def test_a_sheet_that_is_not_well_formed_xml_is_named(pack, tmp_path, text):
    """openpyxl parses a sheet as it reads it: a bare '&' or a control character was an
    internal error (exit 1, ParseError) in the eighth adversarial pass."""
    cell = f'<row r="9999"><c r="A9999" t="inlineStr"><is><t>{text}</t></is></c></row>'
    # as Excel saves it: openpyxl then stops at the dimension when it opens the workbook,
    # and parses the rest only as the rows are read
    dimension = ("</sheetPr>", '</sheetPr><dimension ref="A1:Z9999"/>')
    path = _with_row(pack, tmp_path, "Evidence", cell, dimension)
    message = _refused(tmp_path, "--evidence", path)
    assert f"{path}: sheet 'Evidence' is damaged: its XML is not well-formed" in message
    assert "internal error" not in message


def test_the_letters_of_every_role_are_read_back(tmp_path):
    """Twelfth pass: the hidden sheet was read 202 columns wide, so a letter edited under
    the 250th role was dropped without a word. Every role is read, up to --max-columns,
    and a workbook with more is refused rather than cut."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["inventory"]["path"] = str(SAMPLE_CONFIG.parent / config["inventory"]["path"])
    config["raci"]["roles"] += [f"R{n:03}" for n in range(300)]
    config["output"].pop("dir")
    (tmp_path / "many.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    build = ("-q", "build", "--config", tmp_path / "many.yaml", "--framework", FID)
    run(*build, "--out", tmp_path / "first", "--format", "xlsx", pdf=False)
    book = load_workbook(tmp_path / "first" / WORKBOOK)
    header = [c.value for c in book["RACI"][1]]
    assert book["RACI"].cell(2, 1).value == "CC1.1"
    for role in ("R010", "R250", "R299"):
        assert book["RACI"].cell(2, header.index(role) + 1).value is None
        book["RACI"].cell(2, header.index(role) + 1).value = "C"
    book.save(tmp_path / "edited.xlsx")
    again = (*build, "--format", "matrix", "--evidence", tmp_path / "edited.xlsx")
    run(*again, "--out", tmp_path / "second", pdf=False)
    matrix = json.loads((tmp_path / "second" / FID / "matrix.json").read_text(encoding="utf-8"))
    raci = next(c["raci"] for c in matrix["controls"] if c["id"] == "CC1.1")
    assert {role: raci.get(role) for role in ("R010", "R250", "R299")} == dict.fromkeys(
        ("R010", "R250", "R299"), "C"
    )
    hidden = len(matrix["roles"]) + 1  # the control's column, then one a role
    result = run(*again, "--out", tmp_path / "third", "--max-columns", hidden - 1, check=2)
    assert f"its hidden 'reportgen' sheet goes past column {hidden - 1}" in result.stderr
    result = run(*again, "--out", tmp_path / "third", "--max-columns", hidden, check=2)
    said = " ".join(result.stderr.split())
    assert "sheet 'RACI', row 1, column " in said, said  # 53a W9: the column and row named
    assert re.search(r"the header row puts the column '[^']+' in [A-Z]+, past", said), said
    assert f"past the {hidden:,} columns read" in said
    assert "raise --max-columns" in said and not (tmp_path / "third").exists()


def _with_row(pack: Path, folder: Path, sheet: str, row: str, *also: tuple[str, str]) -> Path:
    """The pack's workbook with one row of raw XML added at the end of a sheet (and each
    (old, new) of ``also`` replaced, once, in that sheet's XML)."""
    path = folder / "damaged.xlsx"
    with zipfile.ZipFile(pack / WORKBOOK) as source, zipfile.ZipFile(path, "w") as out:
        part = _sheet_part(source, sheet)
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                for old, new in (("</sheetData>", row + "</sheetData>"), *also):
                    data = data.replace(old.encode(), new.encode(), 1)
            out.writestr(info, data)
    return path


_DAMAGED_CELLS = {  # a cell of row 9999 whose value its type does not take -> openpyxl's words
    "number": ('<c r="J9999" t="n"><v>abc</v></c>', "J", "invalid literal for int()"),
    "nan": ('<c r="J9999"><v>nan</v></c>', "J", "invalid literal for int() with base 10: 'nan'"),
    "date": ('<c r="J9999" t="d"><v>notadate</v></c>', "J", "Invalid datetime value notadate"),
    "boolean": ('<c r="I9999" t="b"><v>x</v></c>', "I", "with base 10: 'x'"),
    "style": ('<c r="I9999" s="abc"><v>1</v></c>', "I", "with base 10: 'abc'"),
    "column-never-read": ('<c r="CZ9999"><v>oops</v></c>', "CZ", "base 10: 'oops'"),
    "bidi": ('<c r="J9999"><v>1\u202e2</v></c>', "J", "base 10: '1\\u202e2'"),
    "long": (f'<c r="J9999"><v>{"x" * 5000}</v></c>', "J", "base 10: 'xxxxx"),
}


@pytest.mark.parametrize(
    ("case", "sheet"),
    [*((case, "Evidence") for case in _DAMAGED_CELLS), ("number", "RACI"), ("nan", "reportgen")],
)
def test_a_cell_openpyxl_cannot_parse_is_named(pack, tmp_path, case, sheet):
    """Twelfth pass: a value its cell's type does not take, in any column of any sheet read,
    was an internal error (exit 1, ValueError or IndexError from openpyxl's parser)."""
    cell, column, reason = _DAMAGED_CELLS[case]
    path = _with_row(pack, tmp_path, sheet, f'<row r="9999">{cell}</row>')
    message = _refused(tmp_path, "--evidence", path)
    where = f"{path}, sheet '{sheet}', row 9999, column {column}"
    assert f"{where}: the workbook is damaged: this cell cannot be read (" in message, message
    assert reason in message and "internal error" not in message
    assert "\u202e" not in message and len(message) < 600


@pytest.mark.parametrize("value", ["1.5", "999999"])
def test_a_shared_string_cell_holding_no_number_is_refused_by_the_guard(pack, tmp_path, value):
    """A shared-string cell whose value is no string's number: refused before openpyxl
    reads it (the inventory's guard: calamine read `abc` as string 0, thirty-ninth pass);
    one past the strings too (openpyxl: "list index out of range", 41d)."""
    cell = f'<row r="9999"><c r="I9999" t="s"><v>{value}</v></c></row>'
    message = _refused(tmp_path, "--evidence", _with_row(pack, tmp_path, "Evidence", cell))
    said = f"cell I9999 is a shared-string cell whose value '{value}' is not the number of a"
    assert said in message and "internal error" not in message


def _date_style(workbook: Path) -> int:
    """The index of the workbook's cell format that shows a date (the Evidence sheet's
    'Last reviewed' column): openpyxl reads a number in that style as a date."""
    with zipfile.ZipFile(workbook) as archive:
        styles = archive.read("xl/styles.xml").decode()
    formats = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    cell_formats = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    ids = re.findall(r'<xf [^>]*numFmtId="(\d+)"', cell_formats)
    return next(i for i, f in enumerate(ids) if "yy" in formats.get(f, ""))


@pytest.mark.parametrize("serial", ["1e400", "99999999999"])
def test_a_date_serial_out_of_range_is_a_damaged_cell_not_a_warning(pack, tmp_path, serial):
    """Twelfth pass: openpyxl printed its own UserWarning (naming its source file) and read
    the cell as '#VALUE!', which the message then quoted as if the team had typed it."""
    style = _date_style(pack / WORKBOOK)
    cell = f'<c r="J9999" s="{style}" t="n"><v>{serial}</v></c>'
    path = _with_row(pack, tmp_path, "Evidence", f'<row r="9999">{cell}</row>')
    message = _refused(tmp_path, "--evidence", path)
    where = f"{path}, sheet 'Evidence', row 9999, column J"
    # 83a: not "damaged ... save it again", which fixes nothing
    assert f"{where}: the date cell holds a number past the last date" in message, message
    assert (
        "UserWarning" not in message and "#VALUE!" not in message and "site-packages" not in message
    )


@pytest.mark.parametrize("sheet", ["Evidence", "reportgen"])
@pytest.mark.parametrize("number", ["abc", "2x", "1.5"])
def test_a_row_number_openpyxl_cannot_parse_is_named(pack, tmp_path, sheet, number):
    path = _with_row(pack, tmp_path, sheet, f'<row r="{number}"><c><v>1</v></c></row>')
    message = _refused(tmp_path, "--evidence", path)
    assert f"{path}, sheet '{sheet}': the workbook is damaged: a cell or row after row" in message
    assert number in message and "internal error" not in message


@pytest.mark.parametrize("sheet", ["RACI", "Evidence"])
@pytest.mark.parametrize(("number", "args", "bound"), [
    ("3000000000", (), "1,000,000"), ("200", ("--max-rows", "150"), "150")
])  # fmt: skip
def test_blank_rows_count_against_the_row_bound(pack, tmp_path, sheet, number, args, bound):
    """Pass 45d: one empty ``<row r="3000000000"/>`` held the read for hours (openpyxl
    makes a blank row for every number skipped, and blank rows were not counted)."""
    path = _with_row(pack, tmp_path, sheet, f'<row r="{number}"/>')
    message = _refused(tmp_path, "--evidence", path, *args)
    last = int(bound.replace(",", "")) + 11
    where = f"{path}, sheet '{sheet}', row {last}"
    assert f"{where}: more than {bound} rows below the header, blank ones too" in message, message


def _last_row(pack: Path, sheet: str) -> int:
    """The number of the last ``<row>`` in the XML of the pack's workbook's sheet."""
    with zipfile.ZipFile(pack / WORKBOOK) as archive:
        data = archive.read(_sheet_part(archive, sheet)).decode()
    return int(re.findall(r'<row [^>]*?r="(\d+)"', data)[-1])


_LOST = '<c t="inlineStr"><is><t>lost</t></is></c>'
_DROPPED_ROWS = {  # a row openpyxl's read-only reader passes over -> what the message says
    "out-of-order": ('<row r="2">{cell}</row>', "row 2 comes after row {last} in the sheet's"),
    "prefixed": (
        f'<x:row xmlns:x="{hf.MAIN}" r="&#50;">{{cell}}</x:row>',
        "row 2 comes after row {last} in the sheet's XML (rows out of order",
    ),
    "repeated": ('<row r="{last}">{cell}</row>', "row {last} comes twice in the sheet's XML"),
    "zero": ('<row r="0">{cell}</row>', "a row is numbered 0, below 1"),
    "negative": ('<row r="-3">{cell}</row>', "a row is numbered -3, below 1"),
}


@pytest.mark.parametrize(
    ("case", "sheet"),
    [*((case, "Evidence") for case in _DROPPED_ROWS), ("out-of-order", "RACI"),
     ("zero", "RACI"), ("negative", "reportgen"), ("repeated", "reportgen")],
)  # fmt: skip
def test_a_row_openpyxl_would_drop_is_refused(pack, tmp_path, case, sheet):
    """Pass 46d: openpyxl's read-only reader gives a row only when its number is above the
    last one's, so a row written after a higher one (or twice, or numbered 0 or below) was
    dropped, the team's edit in it with it, and the build exited 0."""
    row, said = _DROPPED_ROWS[case]
    last = _last_row(pack, sheet)
    path = _with_row(pack, tmp_path, sheet, row.format(cell=_LOST, last=last))
    message = _refused(tmp_path, "--evidence", path)
    assert f"{path}, sheet '{sheet}': {said.format(last=last)}" in message, message
    assert "save it again: they write each row and cell once, in order" in message


_TWICE = {  # a row whose cells give one column twice: openpyxl keeps the last (pass 48d)
    "same-reference": '<c r="N{n}" t="inlineStr"><is><t>lost</t></is></c><c r="N{n}"/>',
    "unreferenced-next": ('<c r="N{n}" t="inlineStr"><is><t>lost</t></is></c><c r="M{n}"/><c/>'),
    "prefixed": (
        f'<c r="N{{n}}" t="inlineStr"><is><t>lost</t></is></c><x:c xmlns:x="{hf.MAIN}" '
        'r="&#78;{n}"/>'
    ),
}


@pytest.mark.parametrize("case", _TWICE)
def test_a_cell_given_twice_in_a_row_is_refused(pack, tmp_path, case):
    """Pass 48d: the team's edit in the first of two cells of one column was dropped by
    openpyxl, which keeps the last, and the build exited 0."""
    number = _last_row(pack, "Evidence") + 1
    row = f'<row r="{number}">{_TWICE[case].format(n=number)}</row>'
    path = _with_row(pack, tmp_path, "Evidence", row)
    message = _refused(tmp_path, "--evidence", path)
    where = f"{path}, sheet 'Evidence', row {number}, column N"
    assert f"{where}: row {number} gives column N twice in the sheet's XML" in message, message


def test_cells_out_of_order_but_each_once_are_read(pack, tmp_path):
    """Out of order, each column once: openpyxl places each by its reference, nothing lost."""
    number = _last_row(pack, "Evidence") + 1
    path = _with_row(
        pack, tmp_path, "Evidence", f'<row r="{number}"><c r="B{number}"/><c r="A{number}"/></row>'
    )
    out = tmp_path / "out"
    build = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*build, "--format", "matrix", "--evidence", path, pdf=False)
    assert (out / FID / "matrix.json").is_file()


def test_a_row_tag_in_a_comment_is_no_row(pack, tmp_path):
    """openpyxl's parser skips comments, and the order check skips the tags inside them."""
    path = _with_row(pack, tmp_path, "Evidence", '<!-- <row r="1"/> -->')
    out = tmp_path / "out"
    build = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*build, "--format", "matrix", "--evidence", path, pdf=False)
    assert (out / FID / "matrix.json").is_file()


def _sheet_part(archive: zipfile.ZipFile, name: str) -> str:
    """The part holding the sheet of this name, by the workbook's relationships."""
    book = archive.read("xl/workbook.xml").decode()
    rid = re.search(rf'<sheet [^>]*name="{name}"[^>]*r:id="([^"]+)"', book).group(1)
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
    target = target or re.search(rf'Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + target.group(1).removeprefix("/xl/")


def _in_process(monkeypatch, capsys, *args: str | Path) -> tuple[int, str]:
    """A build through reportgen.cli.main in this process, so a bound can be lowered."""
    from reportgen.cli import main

    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    try:
        main(["build", "--config", "inputs/reportgen.yaml", "--framework", FID,
              "--format", "matrix", *map(str, args)])  # fmt: skip
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, " ".join(capsys.readouterr().err.split())


def test_evidence_rows_past_the_bound_are_refused_by_sheet_and_row(
    pack, tmp_path, monkeypatch, capsys
):
    """Twelfth pass: 200,000 rows of the team's own took 100 s and 712 MB, and made a
    matrix.json over what verify, diff and --previous read back."""
    import reportgen.evidence.read as evidence_read

    def add_rows(book) -> None:
        ws = book["Evidence"]
        first = ws.max_row + 1
        for row in range(first, first + 30):
            ws.cell(row, 1).value = "CC6.1"
            ws.cell(row, 5).value = f"own item {row}"

    edited = _edited(pack, tmp_path, add_rows)
    rows = load_workbook(edited)["Evidence"].max_row
    monkeypatch.setattr(evidence_read, "MAX_EVIDENCE_ROWS", rows - 20)
    status, said = _in_process(monkeypatch, capsys, "--evidence", edited, "--out", tmp_path / "o")
    assert status == 2, said
    assert f"sheet 'Evidence', row {rows - 18}: more than {rows - 20:,} evidence rows" in said
    assert not (tmp_path / "o").exists()


def test_a_matrix_json_over_what_reportgen_reads_back_is_never_written(
    tmp_path, monkeypatch, capsys
):
    import reportgen.render as render

    monkeypatch.setattr(render, "MAX_MATRIX_BYTES", 10_000)
    status, said = _in_process(monkeypatch, capsys, "--out", tmp_path / "o")
    assert status == 2, said
    assert "matrix.json would be" in said and "over the 10,000 that reportgen reads back" in said
    assert not (tmp_path / "o").exists()


def test_a_header_whose_number_format_shows_other_text_is_refused(pack, tmp_path):
    """Pass 57a A2: a team's column headed 'Team column', formatted ;;;"Status" (Excel
    shows it as Status), was not refused: what was written under it was dropped."""

    def change(book):
        ws = book["Evidence"]
        cell = ws.cell(1, ws.max_column + 1)
        cell.value, cell.number_format = "Team column", ';;;"Status"'
        ws.cell(3, ws.max_column).value = "Accepted"

    path = _edited(pack, tmp_path, change)
    message = _refused(tmp_path, "--evidence", path)
    assert "a header cell holds 'Team column' with a number format" in message, message


@pytest.mark.parametrize(
    ("sheet", "header", "value", "number_format"),
    [
        ("Evidence", "Status", "Requested", ';;;"Accepted"'),
        ("Evidence", "Collected on", "2020-01-01", ';;;"2026-03-31"'),
        ("Evidence", "Reviewed by", "Mallory", '"Alice"@'),
        ("Evidence", "Control", "CC6.1", ';;;"CC1.1"'),
        ("RACI", "Security", "I", ';;;"R"'),
    ],
)
def test_a_data_cell_whose_number_format_shows_other_text_is_refused(
    pack, tmp_path, sheet, header, value, number_format
):
    """Pass 70a W: a Status cell holding 'Requested', formatted ;;;"Accepted" (Excel shows
    Accepted), was read as Requested without a word: the team and reportgen read two
    things. Now every cell reportgen reads from the team's rows is held to what its
    header is held to."""

    def change(book):
        cell = _cell(book, sheet, header, 4)
        cell.value, cell.number_format = value, number_format

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    column = _cell(load_workbook(pack / WORKBOOK), sheet, header).column_letter
    assert f"sheet '{sheet}', row 4, column {column}: '{value}' with a number format" in message
    assert "reportgen reads a cell as it is written, not as it is shown" in message


_X14_RULE = (
    '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    "<x14:conditionalFormattings><x14:conditionalFormatting "
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:cfRule type="expression" priority="1" id="{11111111-2222-3333-4444-555555555555}">'
    "<xm:f>TRUE</xm:f><x14:dxf>{dxf}</x14:dxf></x14:cfRule><xm:sqref>H4</xm:sqref>"
    "</x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
)


def _with_x14_rule(path: Path, dxf: str) -> Path:
    """``path`` with an Excel 2010 conditional format on every sheet, its dxf in the
    sheet's extension list (openpyxl drops it unread)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    edited = path.with_name("x14.xlsx")
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name.startswith("xl/worksheets/sheet"):
                rule = _X14_RULE.replace("{dxf}", dxf)
                data = data.replace(b"</worksheet>", rule.encode() + b"</worksheet>")
            archive.writestr(name, data)
    return edited


@pytest.mark.parametrize(
    ("dxf", "refused"),
    [
        ('<numFmt numFmtId="200" formatCode=";;;&quot;Accepted&quot;"/>', True),
        ('<numFmt numFmtId="201" formatCode="@"/>', False),
        ('<fill><patternFill><bgColor rgb="FFFF0000"/></patternFill></fill>', False),
    ],
    ids=["shows-other-text", "text-as-is", "a-fill"],
)
def test_an_excel_2010_conditional_format_showing_other_text_is_refused(
    pack, tmp_path, dxf, refused
):
    """Pass 72a A1: an Excel 2010 conditional format keeps its number format in the sheet,
    which openpyxl drops unread: a Status holding 'Requested' shown as Accepted was read
    as Requested with exit 0, and openpyxl's own warning printed over ours."""

    def change(book):
        _cell(book, "Evidence", "Status", 4).value = "Requested"

    path = _with_x14_rule(_edited(pack, tmp_path, change), dxf)
    if refused:
        message = _refused(tmp_path, "--evidence", path)
        assert 'gives cells the number format ;;;"Accepted"' in message, message
        return
    out = tmp_path / "out"
    command = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    result = run(*command, "--evidence", path, pdf=False)
    assert "extension is not supported" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("value", "number_format", "said"),
    [
        ("Customer", ';;;"AWS"', "'Customer' with a number format (;;;\"AWS\") showing"),
        ("AWS\u200b", "General", "'AWS\\u200b' is not who provides it (AWS, Customer)"),
        ("AW\u017f", "General", "is not who provides it (AWS, Customer)"),  # 75a: a long s
    ],
    ids=["disguised", "invisible-character", "look-alike"],
)
def test_a_provided_by_cell_reportgen_cannot_read_as_shown_is_refused(
    pack, tmp_path, value, number_format, said
):
    """Pass 72a A2/A3: in a row the team added, 'Customer' formatted ;;;"AWS", and 'AWS'
    with a zero-width space, were both read as the customer's without a word."""

    def change(book):
        ws = book["Evidence"]
        headers = [c.value for c in ws[1]]
        row = ws.max_row + 1
        for header, text in (("Control", "CC6.1"), ("Evidence item", "Our own log review"),
                             ("Status", "Accepted")):  # fmt: skip
            ws.cell(row, headers.index(header) + 1).value = text
        cell = ws.cell(row, headers.index("Provided by") + 1)
        cell.value, cell.number_format = value, number_format

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert said in message, message


def test_a_data_cell_formatted_as_text_is_read(pack, tmp_path):
    """The control of the test above: '@', a colour and a padding show the text as it is."""

    def change(book):
        for row, number_format in ((3, "@"), (4, "[Blue]@"), (5, "_(@_)")):
            cell = _cell(book, "Evidence", "Status", row)
            cell.value, cell.number_format = "Collected", number_format

    out = tmp_path / "out"
    command = ("build", "--config", "inputs/reportgen.yaml", "--framework", FID, "--out", out)
    run(*command, "--evidence", _edited(pack, tmp_path, change), pdf=False)
    rows = list(load_workbook(out / WORKBOOK)["Evidence"].iter_rows(values_only=True))
    at = rows[0].index("Status")
    assert sum(row[at] == "Collected" for row in rows[1:]) >= 3


@pytest.mark.parametrize(
    ("number_format", "as_is"),
    [
        ("General", True),
        ("@", True),
        ("0.00", True),
        ("[Red]@", True),
        ("0;-0;0;@", True),
        ('"a;"0;0;0;@', True),
        (';;;"Status"', False),
        (";;;", False),
        ('"x"@', False),
        ('0;0;0;"a;b"@', False),
        ("0;0;0;\\S@", False),
        ("@_)", True),  # 58a: a padding, as in the Accounting formats, shows no text
        ('_(* #,##0_);_(* (#,##0);_(* "-"_);_(@_)', True),
        ("[$Sta-409]@", False),  # 59a: a currency symbol shows its text
        ("[$-409]@", True),
    ],
)
def test_which_number_formats_show_text_as_it_is(number_format, as_is):
    from reportgen.evidence.raw_book import shows_text_as_is

    assert shows_text_as_is(number_format) is as_is


def test_a_negative_serial_in_a_date_formatted_cell_is_refused(pack, tmp_path):
    """Pass 71a W2: a due date typed as -5 in the column's yyyy-mm-dd format (Excel shows
    #####) came back from openpyxl as 1899-12-25 and was carried into the new pack; the
    same -5 as a bare number was refused."""

    def change(book):
        cell = _cell(book, "Evidence", "Due date", 4)
        cell.value, cell.number_format = -5, "yyyy-mm-dd"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    column = _cell(load_workbook(pack / WORKBOOK), "Evidence", "Due date").column_letter
    assert f"row 4, column {column}: a date before 1900-01-01, the first a workbook" in message


def test_a_refused_status_shows_its_invisible_characters(pack, tmp_path):
    """Pass 57a W1: a status holding a zero-width space was refused as "'Accepted' is not
    a status", which reads as false."""

    def change(book):
        _cell(book, "Evidence", "Status", 3).value = "Accepted\u200b"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "'Accepted\\u200b' is not a status" in message, message


def test_a_conditional_format_that_shows_other_text_is_refused(pack, tmp_path):
    """Pass 58a A2: a conditional format's number format (;;;"Status") made a second
    column's header 'Remarks' show as Status; what was written under it was dropped."""
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    def change(book):
        ws = book["Evidence"]
        column = ws.max_column + 1
        ws.cell(1, column).value, ws.cell(3, column).value = "Remarks", "Accepted"
        shown = NumberFormat(numFmtId=200, formatCode=';;;"Status"')
        rule = Rule(type="expression", formula=["TRUE"], dxf=DifferentialStyle(numFmt=shown))
        ws.conditional_formatting.add(f"{get_column_letter(column)}1", rule)

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert 'a conditional format of the workbook gives cells the number format ;;;"Status"' in (
        message
    ), message


def test_a_status_or_raci_letter_in_look_alike_letters_is_refused(pack, tmp_path):
    """Pass 75a A4: 'Requeſted' (a long s) was read as Requested and a RACI 'ı' (a dotless
    i) as I: casefold() and upper() make them the letters they look like."""

    def change(book):
        _cell(book, "Evidence", "Status", 3).value = "Reque\u017fted"
        ws = book["RACI"]
        roles = [c.value for c in ws[1]]
        ws.cell(7, roles.index("Security") + 1).value = "\u0131"

    message = _refused(tmp_path, "--evidence", _edited(pack, tmp_path, change))
    assert "2 cell(s) of the edited workbook cannot be read back" in message, message
    assert "row 3, column H: 'Reque" in message and "is not a status" in message
    assert "sheet 'RACI', row 7, column H:" in message and "is not a RACI letter" in message


def test_row_numbers_a_sheet_skips_cost_no_cell_by_cell_work(pack, tmp_path, monkeypatch):
    """Pass 82d D1: one empty <row r="1000000"/> in the hidden sheet made validate --evidence
    45 times slower: each row number skipped became --max-columns cells, each typed and
    looked at. openpyxl gives them as one tuple, known once."""
    from reportgen.evidence import read as reader
    from reportgen.evidence.read import read_workbook
    from reportgen.inventory.limits import Limits

    typed: list[int] = []
    real = reader.typed_values
    monkeypatch.setattr(reader, "typed_values", lambda cells: typed.append(1) or real(cells))
    read_workbook(pack / WORKBOOK, Limits())
    plain = len(typed)
    typed.clear()
    read_workbook(_with_row(pack, tmp_path, "reportgen", '<row r="20000"/>'), Limits())
    assert len(typed) < plain + 10, (plain, len(typed))
