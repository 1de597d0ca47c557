"""Workbooks crafted to slip past the .xlsx guard, through the real command line.

The guard (reportgen/inventory/xlsx_guard.py) must measure every part calamine parses,
whatever its name, root element, prolog, encoding or namespace prefix, before calamine sees
the file: calamine aborts the whole process (SIGABRT, exit 134) on a sheet whose cells lie
far apart, and holds a huge string several times over. Each workbook here is a small,
valid-looking .xlsx that hides the two cells A1 and XFD1048576 (or a 40 MB string, or a
DTD) from a guard that decides by names or by a window of the first bytes. Each runs
``reportgen validate`` in its own process under a 3 GB address-space cap: an abort, a
traceback or a guard that let calamine read the file fails the test (exit status, the
guard's own message naming the file and part, peak RSS).
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import hostile_files as hf
import pytest
from measured import Outcome, measured, measured_all

from reportgen.inventory.limits import Limits

RSS_LIMIT_MB = 200  # a refused run peaks at 60-80 MB; calamine holding a bomb, far more
FAR = '<row r="1048576">' + hf.inline("XFD1048576", "far") + "</row>"
BODY = hf.rows_xml(hf.BASE_ROWS)
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
ROOT = f'<worksheet xmlns="{hf.MAIN}">'
RANGE = "cells from A1 to XFD1048576: a range of 17,179,869,184 cells"
TOO_BIG = f"holds a cell or text of more than {Limits().max_cell_xml_bytes:,} bytes"
DTD = "declares a DTD (<!DOCTYPE>)"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRING_MB = 40  # calamine holds a string several times over: 40 MB would pass 200 MB RSS

SVG_WITH_DTD = (
    '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>'
)

Part = str | bytes | Iterable[bytes]


def sheet(body: str = BODY + FAR, *, prolog: str = DECLARATION, root: str = ROOT) -> str:
    prefix = root[1:].split(" ")[0].split(":")[0] + ":" if ":worksheet" in root else ""
    return f"{prolog}{root}<{prefix}sheetData>{body}</{prefix}sheetData></{root[1:].split(' ')[0]}>"


def package(
    path: Path,
    sheets: dict[str, str] | None = None,
    parts: dict[str, Part] | None = None,
) -> Path:
    """A workbook whose sheets (name -> part path) point at ``parts`` by relationship, with
    content types listing each part; parts default to one sheet and empty shared strings."""
    sheets = sheets or {"Inventory": "xl/worksheets/sheet1.xml"}
    given = parts or {}
    named = any(name.casefold() == "xl/sharedstrings.xml" for name in given)
    parts = {**({} if named else {"xl/sharedStrings.xml": hf.EMPTY_SST}), **given}
    entries = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(sheets, start=1)
    )
    relationships = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="/{target}"/>'
        for i, target in enumerate(sheets.values(), start=1)
    )
    overrides = "".join(
        f'<Override PartName="/{target}" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/>'
        for target in set(sheets.values())
    )
    defaults: dict[str, Part] = {
        "[Content_Types].xml": hf.CONTENT_TYPES.replace("</Types>", overrides + "</Types>"),
        "_rels/.rels": hf.ROOT_RELS,
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{hf.MAIN}" '
        f'xmlns:r="{_REL}"><sheets>{entries}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{_PKG}/'
        f'relationships">{relationships}<Relationship Id="rIdS" Type="{_REL}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**defaults, **parts}.items():
            hf._write_part(archive, name, data)
    return path


def one_sheet(data: Part, name: str = "xl/worksheets/sheet1.xml") -> Callable[[Path], Path]:
    return lambda path: package(path, {"Inventory": name}, {name: data})


def big_text(head: str, unit: bytes, tail: str, size: int = STRING_MB * hf.MB) -> Iterable[bytes]:
    """``head``, ``unit`` repeated to ``size`` bytes, ``tail``: written in 1 MB chunks."""
    return hf._repeat(head, unit, size, tail)


SHARED = "worksheet part 'xl/worksheets/sheet1.xml' refers to shared strings of"
# No writer puts an entity, CDATA or a sign in an index: refused first (pass 43d).
NO_STRING_NUMBER = "is a shared-string cell whose value"
LONG_STRING = 32_000


def shared_refs(
    value: str, rows: int, before: str = "", prefix: str = "", sheets: int = 1
) -> Callable[[Path], Path]:
    """A workbook whose shared strings hold one 32,000-character string (after ``before``)
    and 'Amazon S3', and whose sheet(s) have ``rows`` rows naming them: column A the
    service, column B a cell of type s holding ``value``."""
    head = hf.inline("A1", "Service") + hf.inline("B1", "Notes")
    body = (
        '<row r="1">'
        + head
        + "</row>"
        + "".join(
            f'<row r="{r}"><c r="A{r}" t="s"><v>1</v></c><c r="B{r}" t="s">{value}</c></row>'
            for r in range(2, rows + 2)
        )
    )
    if before:  # the index of 'Amazon S3' moves with the long string
        body = body.replace("<v>1</v></c><c", "<v>2</v></c><c")
    si, t = f"{prefix}si", f"{prefix}t"
    strings = f"<{si}><{t}>{'a' * LONG_STRING}</{t}></{si}><{si}><{t}>Amazon S3</{t}></{si}>"
    xmlns = f'xmlns:{prefix[:-1]}="{hf.MAIN}"' if prefix else f'xmlns="{hf.MAIN}"'
    sst = f"<{prefix}sst {xmlns}>{before}{strings}</{prefix}sst>"
    names = {f"Inventory{n or ''}": f"xl/worksheets/sheet{n + 1}.xml" for n in range(sheets)}
    root = f'<worksheet xmlns="{hf.MAIN}" xmlns:x="{hf.MAIN}">'
    parts = {"xl/sharedStrings.xml": sst}
    parts.update({name: sheet(body, root=root) for name in names.values()})
    return lambda path: package(path, names, parts)


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    expect: list[str] = field(default_factory=list)  # fragments of stderr
    status: int = 2
    args: list[str] = field(default_factory=list)  # extra CLI arguments


CASES = [
    # --- the root element is not where a 4 KB window looks for it (#11, #12)
    Case(
        "comment-before-root",
        one_sheet(sheet(prolog=DECLARATION + "<!-- <x> -->")),
        [f"inv.xlsx: worksheet part 'xl/worksheets/sheet1.xml' has {RANGE}"],
    ),
    Case(
        "5kb-comment-before-root",
        one_sheet(sheet(prolog=DECLARATION + "<!--" + "c" * 5000 + "-->")),
        [RANGE],
    ),
    Case(
        "bom-pi-and-comments-before-root",
        one_sheet(
            b"\xef\xbb\xbf"
            + sheet(prolog=DECLARATION + "\n<?mso x?>\n<!-- a -->" + " " * 5000).encode()
        ),
        [RANGE],
    ),
    Case(
        "utf16-worksheet", one_sheet(sheet().replace("UTF-8", "UTF-16").encode("utf-16")), [RANGE]
    ),
    # ninth pass: calamine picks the format by trying each where the name is not .xlsx, and
    # read an OpenDocument sheet beside a decoy xl/workbook.xml as .ods, past every check
    Case(
        "ods-parts-beside-a-workbook",
        lambda path: package(
            path,
            parts={
                "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": "<office:document-content/>",
            },
        ),
        ["holds 'mimetype', a part of a .ods spreadsheet; reportgen reads .xlsx workbooks only"],
    ),
    Case(
        "xlsb-part-beside-a-workbook",
        lambda path: package(path, parts={"xl/workbook.bin": "\0"}),
        ["holds 'xl/workbook.bin', a part of a .xlsb spreadsheet"],
    ),
    # calamine reads a sheet in UTF-16 as empty: "no header row" was the error (pass 7)
    Case(
        "utf16-worksheet-in-range",
        one_sheet(sheet(BODY).replace("UTF-8", "UTF-16").encode("utf-16")),
        ["part 'xl/worksheets/sheet1.xml' is XML in UTF-16; the spreadsheet reader reads"],
    ),
    # --- the worksheet is not where a name filter looks (#13)
    Case(
        "worksheet-named-dat",
        one_sheet(sheet(), "xl/worksheets/sheet1.dat"),
        [RANGE, "'xl/worksheets/sheet1.dat'"],
    ),
    Case(
        "worksheet-named-dat-not-xml-first",
        one_sheet(b"junk" + sheet().encode(), "xl/worksheets/sheet1.dat"),
        ["part 'xl/worksheets/sheet1.dat' is not XML"],
    ),
    Case("worksheet-in-subfolder", one_sheet(sheet(), "xl/worksheets/a/b/deep.xml"), [RANGE]),
    Case(
        "worksheet-referenced-twice",
        lambda path: package(
            path,
            {"One": "xl/worksheets/shared.xml", "Two": "xl/worksheets/shared.xml"},
            {"xl/worksheets/shared.xml": sheet()},
        ),
        [RANGE, "'xl/worksheets/shared.xml'"],
    ),
    Case("root-not-worksheet", one_sheet(sheet(root=f'<chartsheet xmlns="{hf.MAIN}">')), [RANGE]),
    # --- the cells are not written the way a fast scan expects
    Case(
        "namespace-prefix",
        one_sheet(
            sheet(
                (BODY + FAR)
                .replace("<row", "<x:row")
                .replace("</row", "</x:row")
                .replace("<c ", "<x:c ")
                .replace("</c>", "</x:c>"),
                root=f'<x:worksheet xmlns:x="{hf.MAIN}">',
            )
        ),
        [RANGE],
    ),
    Case(
        "empty-prefix",
        one_sheet(sheet(BODY + FAR.replace("<c ", "<:c ").replace("</c>", "</:c>"))),
        [RANGE],
    ),
    Case(
        "lower-case-reference",
        one_sheet(sheet(BODY + FAR.replace("XFD1048576", "xfd1048576"))),
        [RANGE],
    ),
    Case(
        "seven-letter-column",
        one_sheet(sheet(BODY + '<row r="4">' + hf.inline("AAAAAAA4", "x") + '</row><x r="A1"/>')),
        ["has cells from A1 to AAAAAAA4"],
    ),
    Case(
        "second-r-after-a-tab",
        one_sheet(sheet(BODY + '<row r="4"><c r="A4"\tr="XFD1048576"><v>1</v></c></row>')),
        ["has cells from A1 to XFD1048576"],
    ),
    Case(
        "gt-inside-an-attribute",
        one_sheet(
            sheet(BODY + '<row r="5"><c x="a>" r="XFD1048576"><v>1</v></c><c><v>1</v></c></row>')
        ),
        ["has cells from A1 to XFE1048576"],
    ),
    Case(
        "row-ends-without-positions",
        one_sheet(
            sheet(BODY + "</row>" * 1_100_000 + "<row>" + "<c><v>1</v></c>" * 16_384 + "</row>")
        ),
        ["over the limit of 10,000,000"],
    ),
    Case(
        "cdata-hides-sheet-end",
        one_sheet(sheet(BODY + "<row><c><v>1</v></c><![CDATA[</sheetData>]]></row>" + FAR)),
        [RANGE],
    ),
    # --- a 40 MB string that calamine would hold several times over (#14)
    Case(
        "rich-string-after-comment",
        one_sheet(
            big_text(
                DECLARATION
                + "<!-- <x> -->"
                + ROOT
                + "<sheetData>"
                + BODY
                + '<row r="4"><c r="B4" t="inlineStr"><is>',
                b"<r><t>" + b"A" * 1000 + b"</t></r>",
                "</is></c></row></sheetData></worksheet>",
            )
        ),
        [f"workbook part 'xl/worksheets/sheet1.xml' {TOO_BIG}"],
    ),
    Case(
        "string-split-by-comments",
        one_sheet(
            big_text(
                DECLARATION
                + ROOT
                + "<sheetData>"
                + BODY
                + '<row r="4"><c r="B4" t="inlineStr"><is><t>',
                b"A" * 1000 + b"<!---->",
                "</t></is></c></row></sheetData></worksheet>",
            )
        ),
        [TOO_BIG],
    ),
    Case(
        "shared-string-after-bom-and-comment",
        lambda path: package(
            path,
            parts={
                "xl/worksheets/sheet1.xml": sheet(
                    BODY + '<row r="4"><c r="B4" t="s"><v>0</v></c></row>'
                ),
                "xl/sharedStrings.xml": big_text(
                    "\ufeff"
                    + DECLARATION
                    + "<!--"
                    + "c" * 5000
                    + f'--><x:sst xmlns:x="{hf.MAIN}"><x:si><x:t>',
                    b"S" * 1024,
                    "</x:t></x:si></x:sst>",
                ),
            },
        ),
        [f"workbook part 'xl/sharedStrings.xml' {TOO_BIG}"],
    ),
    Case(
        "defined-name",
        lambda path: package(
            path,
            parts={
                "xl/worksheets/sheet1.xml": sheet(BODY),
                "xl/workbook.xml": big_text(
                    f'<workbook xmlns="{hf.MAIN}"><definedNames><definedName name="n">',
                    b"<x>" + b"A" * 1000 + b"</x>",
                    "</definedName></definedNames></workbook>",
                ),
            },
        ),
        [TOO_BIG],
    ),
    Case(
        "lt-inside-an-attribute",
        one_sheet(sheet(BODY.replace('<row r="1">', '<row r="1" x="a<b">'))),
        ["part 'xl/worksheets/sheet1.xml' has a '<' inside an attribute value"],
    ),
    # --- merged ranges: calamine keeps every one a sheet declares, about 18 bytes each
    Case(
        "merged-ranges",
        one_sheet(
            big_text(
                ROOT + "<sheetData>" + BODY + "</sheetData><mergeCells>",
                b'<mergeCell ref="A1:B2"/>',
                "</mergeCells></worksheet>",
                size=3 * hf.MB,
            )
        ),
        ["part 'xl/worksheets/sheet1.xml' declares 131,07", "more than a sheet of 100,000 cells"],
        args=["--max-cells", "100000"],
    ),
    # --- a DTD out of the first 4 KB (#15)
    Case(
        "dtd-after-5kb-comment",
        one_sheet(
            sheet(
                BODY,
                prolog=DECLARATION
                + "<!--"
                + "c" * 5000
                + '--><!DOCTYPE worksheet [<!ENTITY e "x">]>',
            )
        ),
        [f"part 'xl/worksheets/sheet1.xml' {DTD}"],
    ),
    Case("dtd-after-root", one_sheet(sheet(BODY) + "<!doctype x>"), [DTD]),
    Case(
        "dtd-in-shared-strings-named-oddly-case",
        lambda path: package(
            path,
            parts={
                "xl/worksheets/sheet1.xml": sheet(BODY),
                "XL/SharedStrings.XML": "<!DOCTYPE sst><sst/>",
            },
        ),
        ["part 'XL/SharedStrings.XML' declares a DTD"],
    ),
    # --- one shared string copied into every cell that names it (report 2, row 18): an
    # 82 KB workbook whose 10,000 cells name one 32,000-character string is 320 MB to calamine
    Case("shared-string-in-every-cell", shared_refs("<v>0</v>", 10_000), [SHARED]),
    Case("shared-string-in-two-sheets", shared_refs("<v>0</v>", 1_500, sheets=2), [], 0),
    Case("shared-string-by-entity", shared_refs("<v>&#48;</v>", 10_000), [NO_STRING_NUMBER]),
    Case("shared-string-second-value", shared_refs("<v>1</v><v>0</v>", 10_000), [SHARED]),
    Case("shared-string-prefixed-value", shared_refs("<x:v>0</x:v>", 10_000), [SHARED]),
    Case("shared-string-in-cdata", shared_refs("<v><![CDATA[0]]></v>", 10_000), [NO_STRING_NUMBER]),
    Case("shared-string-plus-sign", shared_refs("<v>+0</v>", 10_000), [NO_STRING_NUMBER]),
    # calamine keeps no string for an <si> without text: the indexes after it shift
    Case("shared-string-after-empty-si", shared_refs("<v>0</v>", 10_000, "<si></si>"), [SHARED]),
    Case(
        "shared-string-prefixed-sst",
        shared_refs("<v>0</v>", 10_000, prefix="x:"),  # as the Open XML SDK writes it
        [SHARED],
    ),
    Case("shared-string-under-the-limit", shared_refs("<v>0</v>", 1_000), [], 0),
    Case(
        "shared-string-limit-follows-max-cells",
        shared_refs("<v>0</v>", 1_000),
        [SHARED, "over the limit of 8,000,000 (8 bytes a cell of --max-cells)"],
        2,
        ["--max-cells", "1000000"],
    ),
    # --- what must still be read
    Case(
        "comment-and-pi-in-a-table",
        one_sheet(sheet(BODY.replace("</row>", "<!-- x --><?pi y?></row>"))),
        [],
        0,
    ),
    Case(
        "prefixed-table",
        one_sheet(
            sheet(
                BODY.replace("<row", "<x:row")
                .replace("</row", "</x:row")
                .replace("<c ", "<x:c ")
                .replace("</c>", "</x:c>")
                .replace("<is>", "<x:is>")
                .replace("</is>", "</x:is>")
                .replace("<t ", "<x:t ")
                .replace("</t>", "</x:t>"),
                root=f'<x:worksheet xmlns:x="{hf.MAIN}">',
            )
        ),
        [],
        0,
    ),
    Case(
        "svg-image-with-a-dtd",
        lambda path: package(
            path,
            parts={
                "xl/worksheets/sheet1.xml": sheet(BODY),
                "xl/media/image1.svg": SVG_WITH_DTD,
                "xl/media/image2.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4000,
            },
        ),
        [],
        0,
    ),
]


def _many_sheets(path: Path, count: int = 30) -> Path:
    """``count`` sheets without a header, each a range just under ``--max-cells 1000000``
    (A1 to ALL990: 990,000 cells, 32 MB in calamine's grid), then the inventory's sheet."""
    junk = sheet(f'<row r="1">{hf.inline("A1", "junk")}</row>'
                 f'<row r="990">{hf.inline("ALL990", "x")}</row>')  # fmt: skip
    names = {f"Junk{n}": f"xl/worksheets/sheet{n}.xml" for n in range(1, count + 1)}
    names["Inventory"] = f"xl/worksheets/sheet{count + 1}.xml"
    parts = {target: junk for target in list(names.values())[:-1]}
    parts[names["Inventory"]] = sheet(BODY)
    return package(path, names, parts)


# Thirteenth pass: the bound is a worksheet's, but every sheet searched for the header was
# held at once: 21 sheets of an 8 KB workbook, each just under the default, aborted at
# 5.7 GB. Here 30 sheets of 32 MB held at once would pass 900 MB; one at a time, well
# under the RSS bound.
CASES.append(Case("many-sheets-each-under-the-cell-bound", _many_sheets, [], 0,
                  ["--max-cells", "1000000"]))  # fmt: skip


def _run(case: Case, folder: Path) -> Outcome:
    folder.mkdir(parents=True)
    config = folder / "reportgen.yaml"
    config.write_text("customer:\n  name: Test Co\n", encoding="utf-8")
    inventory = case.make(folder / "inv.xlsx")
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", str(config)]
    return measured([*argv, "--inventory", str(inventory), *case.args], folder, timeout=300)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    return measured_all(CASES, _run, tmp_path_factory.mktemp("xlsx-guard"), workers=4)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_crafted_workbook(case: Case, outcomes: dict[str, Outcome]) -> None:
    result = outcomes[case.name]
    report = f"exit {result.status}, {result.rss_mb:.0f} MB\n{result.stderr}{result.stdout}"
    assert result.status == case.status, report  # never 134: calamine did not abort
    assert "Traceback" not in report and "internal error" not in report, report
    assert result.rss_mb < RSS_LIMIT_MB, report
    for fragment in case.expect:
        assert fragment in result.text, f"{fragment!r} not in:\n{report}"
    if case.status == 2:
        assert result.stderr.startswith(f"error: {result.folder / 'inv.xlsx'}: "), report
        # The guard's own words: calamine's reading never began (its errors name a sheet).
        assert "cannot read sheet" not in result.text and "cell holds" not in result.text


def test_the_crafted_workbooks_are_small(tmp_path: Path) -> None:
    """Small on disk, as a tester would send them: the bombs are in their compression."""
    for case in CASES:
        path = case.make(tmp_path / f"{case.name}.xlsx")
        assert path.stat().st_size < 1_000_000, case.name
        path.unlink()
