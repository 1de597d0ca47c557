"""The guard's part scanner, and the diagnoses that read a part after it, do work in
proportion to the part, whatever it holds.

Each case below took the scanner time in the square of a run's length (53d): the
checks are hang guards with a wide margin (the old code took 10 to 100 times the limit
given), not speed targets, which are in ``make bench``.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hang_guard import within

from reportgen.catalogs.resolve import name_parts
from reportgen.inventory.scope import _SPLIT, ScopeParser
from reportgen.inventory.xlsx_blanks import (
    _MAX_CARRY,
    NO_SAVED_VALUE,
    _causes,
    part_chunks,
)
from reportgen.inventory.xlsx_cells import scan_tags
from reportgen.inventory.xlsx_durations import _duration_styles
from reportgen.inventory.xlsx_scan import PartScanner, PartTooBig, specials_as_text

_BUDGET = 393_206  # the guard's cell budget at the default --max-cell-chars
_CHUNK = 1 << 20


def _scanned(part: bytes) -> PartScanner:
    scanner = PartScanner(_BUDGET, caps={})
    for at in range(0, len(part), _CHUNK):
        scanner.feed(part[at : at + _CHUNK])
    scanner.finish()
    return scanner


def test_runs_of_xmlns_in_text_are_scanned_in_one_pass() -> None:
    """Pass 53d D1: each 'xmlns' of a text run was searched back to its tag: 2,500 runs of
    390 KB (a 1.4 MB file) ran past 300 s."""
    part = b'<styleSheet xmlns="urn:s">' + (b"<x>" + b"xmlns" * 78_000 + b"</x>") * 200
    with within(15):
        scanner = _scanned(part + b"</styleSheet>")
    control = _scanned(part.replace(b"xmlns" * 10, b"abcde" * 10) + b"</styleSheet>")
    assert (scanner.elements, scanner.kept) == (control.elements, control.kept)


@pytest.mark.parametrize(
    ("head", "unit"), [(b"<r ", b'"<"'), (b"<r>", b'"<"xmlns')], ids=["root", "xmlns"]
)
def test_quoted_lt_runs_are_scanned_in_one_pass(head: bytes, unit: bytes) -> None:
    """Pass 66d: a start tag's quoted value ran past '<', so the search for the root (no
    root found) and each declaration's tag went from every '<' to the region's end: a
    192 KB docProps/app.xml of '"<"' (a 10 KB file) took 61 s, exit 0."""
    with within(15):
        scanner = _scanned(head + unit * 150_000)
    assert scanner.is_xml


def test_unfinished_comment_openers_are_scanned_in_one_pass() -> None:
    """Pass 53d D2: a regex searched from each unfinished '<!--' to the buffer's end:
    100,000 of them (a 10 KB file) took 204 s before the part was refused."""
    part = b"<styleSheet>" + b"<!--" * 100_000
    with within(15), pytest.raises(PartTooBig):
        _scanned(part)


@pytest.mark.parametrize("opener", [b"<a", b"<![CDATA[", b"<!--", b"<?"])
def test_a_run_of_unclosed_tags_is_placed_in_one_pass(opener: bytes) -> None:
    """Pass 54d D1: the exact cell scan searched for a tag from every '<' of a run of
    unclosed ones to the end: 6 KB held validate for 255 s."""
    cell = b'<worksheet><sheetData><row r="3"><c r="B3"><v>1</v></c>'
    with within(15):
        extent = scan_tags([cell + opener * (300_000 // len(opener))], _BUDGET)
    assert (extent.top, extent.left) == (2, 1)  # the one cell before the run


_OLD = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)


@pytest.mark.parametrize(
    "text",
    [
        b"<a><!-- x --><b/><![CDATA[<c>]]><?pi ?></a>",
        b"<a><!-- <?x?> --><?y <!-- ?>",
        b"<!---->< !-- <![CDATA[]]]]><?>?>",
        b"<a><!-- never closed <b/>",
        b"<a/><?pi never closed <!-- -->",
        b"no special at all",
    ],
)
def test_specials_are_made_text_as_before(text: bytes) -> None:
    """Up to the first unfinished one, exactly what the one regex made of them."""
    made, unfinished = specials_as_text(text)
    before = _OLD.sub(lambda found: b"_" * len(found.group()), text)
    assert len(made) == len(text)
    assert made[:unfinished] == before[:unfinished]
    assert made[unfinished:] == text[unfinished:]


_CELL_A3 = b'<c r="A3"><f>1+1</f></c>'


def test_a_comment_of_cell_openers_is_diagnosed_in_one_pass() -> None:
    """Pass 56d D1: the blank-cell diagnosis searched from each '<c ' of a comment to its
    end: 240 KB of them took 233 s."""
    row = b'<row r="3"><!--' + b"<c " * 80_000 + b"-->" + _CELL_A3 + b"</row>"
    with within(10):
        assert _causes(iter([row]), b"A", {3}) == {3: NO_SAVED_VALUE}


def test_cells_without_an_end_tag_are_each_diagnosed() -> None:
    """What a cell holds runs to the next cell when its end tag is missing, and no
    further: the next cell's saved value is not taken for its own."""
    rows = b'<row r="3"><c r="A3"><f>1</f></row><row r="4"><c r="A4"><v>x</v></c></row>'
    assert _causes(iter([rows]), b"A", {3, 4}) == {3: NO_SAVED_VALUE}


def test_a_part_without_a_plain_row_end_is_read_in_bounded_pieces() -> None:
    """Pass 56d D3: a sheet whose tags all carry a prefix has no '</row>' nor '</c>' to cut
    at: it was held whole and searched again for each 1 MB read (128 MB: 77 s, 337 MB)."""
    part = (b"<x:row>" + b"\n" * 300_000 + b"<x:c/></x:row>") * 80  # 24 MB
    pieces = list(part_chunks(io.BytesIO(part)))
    assert b"".join(pieces) == part
    assert max(map(len, pieces)) <= _MAX_CARRY + (1 << 20)


def test_a_comment_of_cell_format_lists_is_read_in_one_pass() -> None:
    """Pass 56d D2: a lazy pattern searched from each '<cellXfs' of a comment to the
    part's end when the list's end tag held a blank: 320 KB took 86 s."""
    styles = (
        b"<styleSheet><!--" + b"<cellXfs" * 40_000 + b'--><numFmts count="0"/>'
        b'<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="46"/></cellXfs ></styleSheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/styles.xml", styles)
    with within(10), zipfile.ZipFile(buffer) as archive:
        assert _duration_styles(archive) == {1}


def test_a_run_of_blanks_in_a_scope_cell_is_split_in_one_pass() -> None:
    """A separator's blanks were searched for from each blank of a run with none after
    it: 40,000 blanks took 9 s."""
    parser = ScopeParser({"pci": ["PCI"], "iso": ["ISO"]})
    with within(10):
        assert parser.parse("PCI" + " " * 200_000 + "& ISO") == {"pci", "iso"}
        assert _SPLIT.split("PCI" + " " * 200_000 + "ISO") == ["PCI" + " " * 200_000 + "ISO"]


@pytest.mark.parametrize("text", ["a" + " " * 200_000 + "b", "a" + " " * 200_000 + "(b"])
def test_a_run_of_blanks_in_a_service_name_is_split_in_one_pass(text: str) -> None:
    """Pass 59d D2: the shorter names a service cell may stand for were searched from each
    blank of a run: 32,000 blanks took 15 s, and each distinct cell paid again."""
    with within(10):
        assert name_parts(text) == []
    assert name_parts("Amazon EC2 (EC2)") == ["Amazon EC2", "EC2"]
    assert name_parts("Amazon EC2   - Compute") == ["Amazon EC2"]


@pytest.mark.parametrize("text", ["s0 - " * 50_000 + "\nx", "a" + " -" * 100_000 + "\nx"])
def test_many_qualifiers_before_a_line_break_are_split_in_one_pass(text: str) -> None:
    """Pass 60d D1: each ' - ' was tried and the qualifier after it run to the line break,
    which it may not hold: 32,000 characters took 27 s. The last ' - ' holds the break."""
    with within(10):
        assert name_parts(text) == [text.removesuffix(" - \nx").removesuffix(" -\nx")]
    assert name_parts("Amazon EC2 -\n Compute") == ["Amazon EC2"]
    assert name_parts("EC2 - S3 - RDS\n") == ["EC2"]
    assert name_parts("EC2\n - RDS") == ["EC2", "RDS"]
    assert name_parts("EC2 - RDS\nx") == []


def test_a_cell_tag_of_many_shared_types_is_read_in_one_pass() -> None:
    """Pass 61d D1: the shared-string cell pattern ran from each ` t="s"` of a tag to its
    end: an empty cell whose tag repeated it (384 KB, a 2.5 KB file) took 188 s."""
    from reportgen.inventory.xlsx_strings import _not_a_number

    region = b'<c r="A1"' + b' t="s"' * 64_000 + b'/><c r="B2" t="s"><v>x</v></c>'
    with within(10):
        assert _not_a_number(region, 5) == ("B2", "x")
    assert _not_a_number(b'<c r="C3" t="s"> <v>4</v></c><c t="n"><v>x</v></c>', 5) is None


def test_a_run_of_unclosed_string_tables_is_read_in_one_pass() -> None:
    """Pass 62d: the declared count was searched for from each `<sst ` of a run of them with
    no '>', past every '<', to the end of the piece: 296 KB took 91 s."""
    from reportgen.inventory.xlsx_strings import SharedStringSizes

    sizes = SharedStringSizes()
    with within(10):
        sizes.region(b"<sst uniqueCount=x " * 40_000 + b"<si><t>a</t></si>")
    assert sizes.declared is None
    sizes.region(b'<!-- <sst uniqueCount="1"> --><x:sst a="b" uniqueCount="900">')
    assert sizes.declared == 900  # the largest any tag declares


@pytest.mark.parametrize("tag", [b'<c r="%c%d" s="1"/>', b"<x:c r='%c%d' s='1' />"])
def test_empty_cells_after_the_last_value_are_no_cell_left_open(tag: bytes) -> None:
    """Pass 63d D2: a formatted cell without a value (`<c r="A7" s="1"/>`, as Excel writes
    it) after a sheet's last `</c>` was taken for a cell left open; 4,000 rows of them were
    carried as one cell past the cell limit, and a genuine inventory was refused."""
    rows = b"".join(
        b'<row r="%d">' % row + b"".join(tag % (column, row) for column in b"ABCDEFGHI")
        + b"</row>"
        for row in range(7, 4_007)
    )  # fmt: skip
    part = (
        b'<worksheet xmlns="urn:s" xmlns:x="urn:s"><sheetData><row r="1"><c r="A1" t="s">'
        b"<v>0</v></c></row>" + rows + b"</sheetData></worksheet>"
    )
    _scanned(part)  # PartTooBig before
    _scanned(part.replace(b"</sheetData>", b'<c r="Z1"><v>1</v></c></sheetData>'))


def test_a_diagnosis_reads_no_part_past_the_whole_part_cap(tmp_path) -> None:
    """Pass 68d: the duration diagnosis read the styles part a relationship names, by any
    name, whole: 800 MB of text took 1.64 GB."""
    from reportgen.inventory.limits import WHOLE_PART_BYTES
    from reportgen.inventory.xlsx_parts import read_whole_part

    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.bin", b"a" * (WHOLE_PART_BYTES + 1))
        archive.writestr("xl/small.xml", b"<styleSheet/>")
    with zipfile.ZipFile(path) as archive:
        assert read_whole_part(archive, "xl/big.bin") == b""
        assert read_whole_part(archive, "xl/small.xml") == b"<styleSheet/>"
