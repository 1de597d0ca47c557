"""Workbooks whose parts hold too many tiny entries, through the real command line.

calamine and openpyxl keep one object per shared string, defined name or style record,
whatever its size: 60 million empty ``<si>`` in a 2.5 MB file took 3.35 GB and aborted the
process. The guard (reportgen/inventory/xlsx_entries.py) counts them before either reader
sees the file. Each workbook here is just over one cap (just at it for the control case),
run by ``validate`` or ``build --evidence`` in its own process under a 3 GiB address-space
cap: exit status, the guard's message naming file, part and count, no traceback, peak RSS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hostile_files as hf
import pytest
import xlsx_entry_bombs as bombs
from measured import Outcome, measured, measured_all

from reportgen.inventory.limits import MB, WHOLE_PART_BYTES
from reportgen.inventory.xlsx_entries import (
    KEPT_OBJECTS,
    ROW_OBJECTS,
    STYLE_ENTRIES,
    WORKBOOK_ENTRIES,
)

RSS_LIMIT_MB = 200
MAX_CELLS = 80_000  # --max-cells given to the shared-strings cases: a cap of 10,000 strings
STRINGS_CAP = MAX_CELLS // 8
SST = "xl/sharedStrings.xml"
STYLES = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{hf.MAIN}"></styleSheet>'
KEPT = KEPT_OBJECTS  # each bomb passes it by its other parts' few elements
X_PREFIXED_XF = b'<x:xf numFmtId="0" fontId="0"/>'
TEXT_MB = b"a" * MB
THEME_TAIL = "</a:t></a:theme>"
TEXT_RUNS_MB = (b"a" * (256 * 1024) + b"</a:t><a:t>") * 4  # runs a cell may hold
THEME = (
    f'<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:t>{THEME_TAIL}'
)
# Pass 65d: attributes cost openpyxl about as much as elements; 100 on each element
AT_100 = bombs.with_attributes("x", 100)
AT_100_OTHER = bombs.with_attributes("row", 100, "o")  # a 'row' of another namespace
OVER_BY_ATTRIBUTES = KEPT // 100  # 101 objects each: over the cap, as elements 1% of it
# The largest style sheet Excel writes: 64,000 formats of every attribute, and alignments
EXCEL_XF = (
    b'<xf numFmtId="164" fontId="1" fillId="2" borderId="1" xfId="0" applyNumberFormat="1" '
    b'applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1" applyProtection="1">'
    b'<alignment horizontal="left" vertical="top" wrapText="1"/><protection locked="0"/></xf>'
)
EXCEL_RICH_STRING = (
    b'<si><r><rPr><b/><sz val="11"/><color theme="1"/><rFont val="Calibri"/><family val="2"/>'
    b'<scheme val="minor"/></rPr><t xml:space="preserve">env=prod </t></r>'
    b'<r><t xml:space="preserve">a="b"</t></r></si>'
)


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    expect: list[str]
    status: int = 2
    args: list[str] = field(default_factory=lambda: ["--max-cells", str(MAX_CELLS)])
    evidence: bool = False  # the workbook goes to build --evidence, a plain one to --inventory


def prefixed_styles(count: int) -> list[bytes]:
    head = f'<?xml version="1.0"?><x:styleSheet xmlns:x="{hf.MAIN}"><x:cellXfs>'
    return list(bombs.entries(head, X_PREFIXED_XF, count, "</x:cellXfs></x:styleSheet>"))


def _evidence_rows_under(name: str, row_tag: str) -> Case:
    """An evidence sheet of rows opened with ``row_tag``, past the kept-element limit."""
    return Case(
        name,
        lambda path: bombs.bomb(
            path,
            bombs.SHEET,
            bombs.wrapped_in_rows(
                hf.sheet(hf.rows_xml(hf.BASE_ROWS)),
                "</sheetData></worksheet>",
                25,
                ROW_OBJECTS - 10,
                row_tag,
            ),
        ),
        [f"workbook part '{bombs.SHEET}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    )


CASES = [
    Case(
        "shared-strings-over-the-cap",
        lambda path: bombs.bomb(path, SST, bombs.shared_strings(STRINGS_CAP + 1)),
        [
            f"workbook part '{SST}' holds at least {STRINGS_CAP + 1:,} shared strings (<si>)",
            f"over the limit of {STRINGS_CAP:,} (an eighth of --max-cells",
            "Raise --max-cells",
        ],
    ),
    Case(
        "shared-strings-at-the-cap",
        lambda path: bombs.bomb(path, SST, bombs.shared_strings(STRINGS_CAP)),
        [],
        status=0,
    ),
    Case(
        "shared-strings-default-cap",  # 1,250,001 strings: 21 MB of XML, 80 KB on disk
        lambda path: bombs.bomb(path, SST, bombs.shared_strings(10_000_000 // 8 + 1)),
        ["shared strings (<si>), over the limit of 1,250,000"],
        args=[],
    ),
    Case(
        "defined-names",
        lambda path: bombs.bomb(path, "xl/workbook.xml", bombs.defined_names(WORKBOOK_ENTRIES + 1)),
        [
            "workbook part 'xl/workbook.xml' holds at least",
            f"defined names (<definedName>), over the limit of {WORKBOOK_ENTRIES:,}",
        ],
    ),
    Case(
        "number-formats",
        lambda path: bombs.bomb(path, "xl/styles.xml", bombs.number_formats(STYLE_ENTRIES + 1)),
        [
            "workbook part 'xl/styles.xml' holds at least",
            f"number formats (<numFmt>), over the limit of {STYLE_ENTRIES:,}",
            "Excel itself allows 64,000 cell formats",
        ],
    ),
    Case(
        "prefixed-cell-formats",
        lambda path: bombs.bomb(path, "xl/styles.xml", prefixed_styles(STYLE_ENTRIES + 1)),
        [f"cell formats (<xf>), over the limit of {STYLE_ENTRIES:,}"],
    ),
    Case(
        "styles-at-the-cap",
        lambda path: bombs.bomb(path, "xl/styles.xml", bombs.number_formats(STYLE_ENTRIES)),
        [],
        status=0,
    ),
    Case(
        # openpyxl takes the shared strings from whatever part [Content_Types].xml names;
        # calamine never parses this one, so only its entries are counted
        "evidence-shared-strings-in-a-bin-part",
        lambda path: bombs.bomb(
            path,
            "xl/strings.bin",
            bombs.shared_strings(STRINGS_CAP + 1),
            hf.CONTENT_TYPES.replace("/xl/sharedStrings.xml", "/xl/strings.bin"),
        ),
        [f"workbook part 'xl/strings.bin' holds at least {STRINGS_CAP + 1:,} shared strings"],
        evidence=True,
    ),
    Case(
        "custom-properties",  # calamine never reads docProps/custom.xml; openpyxl does
        lambda path: bombs.bomb(
            path, bombs.CUSTOM_PROPERTIES, bombs.custom_properties(WORKBOOK_ENTRIES + 1)
        ),
        [
            f"workbook part '{bombs.CUSTOM_PROPERTIES}' holds at least {WORKBOOK_ENTRIES + 1:,}",
            f"custom document properties (<property>), over the limit of {WORKBOOK_ENTRIES:,}",
        ],
    ),
    Case(
        "custom-properties-at-the-cap",
        lambda path: bombs.bomb(
            path, bombs.CUSTOM_PROPERTIES, bombs.custom_properties(WORKBOOK_ENTRIES)
        ),
        [],
        status=0,
    ),
    Case(
        # pass 46d: 400,000 properties in a 2.2 MB workbook took openpyxl 790 MB and 22 s
        "evidence-prefixed-custom-properties",
        lambda path: bombs.bomb(
            path, bombs.CUSTOM_PROPERTIES, bombs.custom_properties(WORKBOOK_ENTRIES + 1, "op")
        ),
        [f"custom document properties (<property>), over the limit of {WORKBOOK_ENTRIES:,}"],
        evidence=True,
    ),
    # Pass 48d: elements of names no list holds, in parts openpyxl parses whole (a 151 KB
    # workbook of 20 million <x/> in styles.xml took 2.65 GB and 132 s, exit 0)
    Case(
        "evidence-styles-padded",
        lambda path: bombs.bomb(path, "xl/styles.xml", bombs.padded_styles(KEPT)),
        [
            "workbook part 'xl/styles.xml' brings the workbook's elements and attributes "
            "outside rows and shared strings to 2,000,",
            f", over the limit of {KEPT:,} (the spreadsheet reader keeps each",
            "Copy the data into a new workbook",
        ],
        evidence=True,
    ),
    Case(
        "styles-padded-below-the-cap",  # with the other parts' elements, just under it
        lambda path: bombs.bomb(path, "xl/styles.xml", bombs.padded_styles(KEPT - 100)),
        [],
        status=0,
    ),
    Case(
        "evidence-content-types-padded",  # pass 48d: 1,000,000 <Override> took 1.05 GB
        lambda path: bombs.bomb(path, "[Content_Types].xml", bombs.padded_content_types(KEPT)),
        [
            "workbook part '[Content_Types].xml' brings the workbook's elements",
            f"limit of {KEPT:,}",
        ],
        evidence=True,
    ),
    Case(
        "evidence-shared-strings-padded",  # openpyxl lets go of each <si>, not of an <x/>
        lambda path: bombs.bomb(path, SST, bombs.padded_shared_strings(KEPT)),
        [f"workbook part '{SST}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    Case(  # pass 51d: each <si> with no element inside gave back two, hiding an <x/>
        "shared-strings-without-elements-padded",  # an inventory's cap on strings is higher
        lambda path: bombs.bomb(
            path, SST, bombs.padded_shared_strings(1_050_000, b"<si>a</si><x/><x/>")
        ),
        [f"workbook part '{SST}' brings the workbook's elements", f"limit of {KEPT:,}"],
        args=[],  # the default --max-cells: 1,250,000 strings
    ),
    Case(
        "evidence-sheet-padded-between-rows",  # openpyxl lets go of a row's, not of these
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.padded_sheet(KEPT)),
        [f"workbook part '{bombs.SHEET}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    Case(
        "evidence-sheet-cell-tags-between-rows",
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.padded_sheet(KEPT, b"<v/>")),
        [f"workbook part '{bombs.SHEET}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    Case(
        "rows-holding-more-than-the-cap-in-all",  # let go of, row by row: taken
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.full_rows(25, ROW_OBJECTS - 1)),
        [],
        status=0,
    ),
    Case(
        "evidence-a-row-over-its-cap",  # 2 million in one row took openpyxl 650 MB
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.full_rows(1, ROW_OBJECTS + 1)),
        [
            f"workbook part '{bombs.SHEET}' holds a row of more than {ROW_OBJECTS:,} elements and "
            "attributes",
            "Copy the data into a new workbook",
        ],
        evidence=True,
    ),
    Case(
        "evidence-styles-wrapped-in-rows",  # openpyxl lets go of rows of sheets only
        lambda path: bombs.bomb(
            path,
            "xl/styles.xml",
            bombs.wrapped_in_rows(STYLES, "</styleSheet>", 25, ROW_OBJECTS - 10),
        ),
        ["workbook part 'xl/styles.xml' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    _evidence_rows_under("evidence-sheet-rows-of-another-namespace", '<row xmlns="urn:x">'),
    Case(
        "evidence-sheet-without-the-main-namespace",  # pass 50d: 5 million took 506 MB
        lambda path: bombs.bomb(
            path,
            bombs.SHEET,
            bombs.wrapped_in_rows(
                hf.sheet(hf.rows_xml(hf.BASE_ROWS)).replace(f' xmlns="{hf.MAIN}"', ""),
                "</sheetData></worksheet>",
                25,
                ROW_OBJECTS - 10,
            ),
        ),
        [f"workbook part '{bombs.SHEET}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    Case(
        "evidence-sheet-main-namespace-on-one-row-only",  # it holds inside that row alone
        lambda path: bombs.bomb(
            path,
            bombs.SHEET,
            bombs.wrapped_in_rows(
                hf.sheet(hf.rows_xml(hf.BASE_ROWS) + f'<row xmlns="{hf.MAIN}"/>').replace(
                    f'<worksheet xmlns="{hf.MAIN}">', "<worksheet>"
                ),
                "</sheetData></worksheet>",
                25,
                ROW_OBJECTS - 10,
            ),
        ),
        [f"workbook part '{bombs.SHEET}' brings the workbook's elements", f"limit of {KEPT:,}"],
        evidence=True,
    ),
    *(
        Case(  # pass 51d: an xmlns inside a value, or ending a name, was taken as declared
            f"evidence-sheet-root-{name}",
            lambda path, root=root, row=row: bombs.bomb(
                path,
                bombs.SHEET,
                bombs.wrapped_in_rows(
                    hf.sheet(hf.rows_xml(hf.BASE_ROWS)).replace(
                        f'<worksheet xmlns="{hf.MAIN}">', root
                    ),
                    "</sheetData></worksheet>",
                    25,
                    ROW_OBJECTS - 10,
                    f"<{row}>",
                    f"</{row}>",
                ),
            ),
            [f"workbook part '{bombs.SHEET}' brings the workbook's elements"],
            evidence=True,
        )
        for name, root, row in [
            (
                "rebinding-hidden-by-a-quote",
                f'<worksheet xmlns="{hf.MAIN}" a=\'xmlns:z="\' xmlns:p="urn:other" '
                f'b=\'" xmlns:p="{hf.MAIN}"\'>',
                "p:row",
            ),
            ("main-inside-a-value", f"<worksheet a='xmlns=\"{hf.MAIN}\"'>", "row"),
            ("main-ending-a-name", f'<worksheet dataxmlns="{hf.MAIN}">', "row"),
        ]
    ),
    # pass 52d: a '>' in a value ahead of the row's xmlns hid it
    _evidence_rows_under(
        "evidence-rows-declaring-another-namespace-after-a-quoted-gt",
        '<row b=">" xmlns="urn:o">',
    ),
    Case(
        "rows-of-a-prefixed-main-namespace",  # let go of, row by row: taken
        lambda path: bombs.bomb(
            path,
            bombs.SHEET,
            bombs.wrapped_in_rows(
                hf.sheet(hf.rows_xml(hf.BASE_ROWS)).replace(
                    "<worksheet ", f'<worksheet xmlns:m="{hf.MAIN}" '
                ),
                "</sheetData></worksheet>",
                25,
                ROW_OBJECTS - 10,
                "<m:row>",
                "</m:row>",
            ),
        ),
        [],
        status=0,
    ),
    Case(
        "evidence-rows-nested-in-a-row",
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.nested_rows(3, ROW_OBJECTS // 2)),
        [
            f"workbook part '{bombs.SHEET}' holds a row of more than {ROW_OBJECTS:,} elements and "
            "attributes"
        ],
        evidence=True,
    ),
    Case(
        "evidence-workbook-relationships",  # pass 48d: 1,200,000 took openpyxl 1.5 GB
        lambda path: bombs.bomb(
            path, "xl/_rels/workbook.xml.rels", bombs.relationships(WORKBOOK_ENTRIES + 1)
        ),
        [
            "workbook part 'xl/_rels/workbook.xml.rels' holds at least",
            f"relationships (<Relationship>), over the limit of {WORKBOOK_ENTRIES:,}",
        ],
        evidence=True,
    ),
    Case(
        "evidence-shared-strings",
        lambda path: bombs.bomb(path, SST, bombs.shared_strings(STRINGS_CAP + 1)),
        [f"holds at least {STRINGS_CAP + 1:,} shared strings (<si>)"],
        evidence=True,
    ),
    *(
        Case(  # pass 68d: 800 MB of text in either (an 800 KB file) took 1.64 GB
            f"text-past-the-whole-part-cap-in-{part.rsplit('/', 1)[-1]}",
            lambda path, part=part, head=head, tail=tail: bombs.bomb(
                path, part, bombs.padded(head, TEXT_MB, WHOLE_PART_BYTES // MB + 1, tail)
            ),
            [
                f"workbook part '{part}' expands to {(WHOLE_PART_BYTES + MB) // 1000:,},",
                f"over the limit of {WHOLE_PART_BYTES:,} for a part the spreadsheet readers "
                "hold whole",
            ],
        )
        for part, head, tail in [
            ("xl/styles.xml", STYLES.replace("</", "<x></x></", 1), "</x></styleSheet>"),
            (
                "xl/workbook.xml",
                hf.WORKBOOK.replace("</workbook>", "<x></x></workbook>"),
                "</x></workbook>",
            ),
        ]
    ),
    *(
        Case(  # pass 69d: openpyxl holds these whole too (800 MB took 1.7 GB)
            f"evidence-text-past-the-whole-part-cap-in-{name.rsplit('/', 1)[-1]}",
            lambda path, name=name: bombs.bomb(
                path,
                name,
                bombs.padded(THEME, TEXT_RUNS_MB, WHOLE_PART_BYTES // MB + 1, THEME_TAIL),
            ),
            [
                f"workbook part '{name}' expands to 68,",
                "for a part the spreadsheet reader holds whole",
            ],
            evidence=True,
        )
        for name in ("xl/theme/theme1.xml", "xl/book2.xml")
    ),
    *(
        Case(  # pass 71d: a UTF-16 mark then a blank was taken for no XML (944 MB: 1.9 GB)
            f"evidence-utf-16-theme-past-the-whole-part-cap-{label}",
            lambda path, lead=lead, encoding=encoding: bombs.bomb(
                path,
                "xl/theme/theme1.xml",
                _encoded(
                    bombs.padded(THEME, TEXT_RUNS_MB, WHOLE_PART_BYTES // MB // 2 + 1, THEME_TAIL),
                    lead,
                    encoding,
                ),
            ),
            ["workbook part 'xl/theme/theme1.xml' expands to 6", "holds whole"],
            evidence=True,
        )
        for label, lead, encoding in [
            ("le-space", b"\xff\xfe \x00", "utf-16-le"),
            ("be-space", b"\xfe\xff\x00 ", "utf-16-be"),
            ("le-line-break", b"\xff\xfe\r\x00\n\x00", "utf-16-le"),
        ]
    ),
    Case(  # calamine reads no theme: an inventory's is not held
        "theme-past-the-whole-part-cap",
        lambda path: bombs.bomb(
            path,
            "xl/theme/theme1.xml",
            bombs.padded(THEME, TEXT_RUNS_MB, WHOLE_PART_BYTES // MB + 1, THEME_TAIL),
        ),
        [],
        status=0,
    ),
    Case(
        "evidence-sheet-attributes-between-rows",  # pass 65d: 1.44 GB for 150,000 of them
        lambda path: bombs.bomb(
            path, bombs.SHEET, bombs.padded_sheet(OVER_BY_ATTRIBUTES, AT_100_OTHER)
        ),
        [
            f"workbook part '{bombs.SHEET}' brings the workbook's elements and attributes",
            f"limit of {KEPT:,}",
        ],
        evidence=True,
    ),
    Case(
        "evidence-styles-attributes",
        lambda path: bombs.bomb(
            path,
            "xl/styles.xml",
            bombs.padded(STYLES, AT_100, OVER_BY_ATTRIBUTES, "</styleSheet>"),
        ),
        ["workbook part 'xl/styles.xml' brings the workbook's elements and attributes"],
        evidence=True,
    ),
    Case(
        "evidence-shared-strings-attributes-between-strings",
        lambda path: bombs.bomb(path, SST, bombs.padded_shared_strings(OVER_BY_ATTRIBUTES, AT_100)),
        [f"workbook part '{SST}' brings the workbook's elements and attributes"],
        evidence=True,
    ),
    Case(
        "evidence-a-row-of-attributes-over-its-cap",
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.full_rows(1, ROW_OBJECTS // 100, AT_100)),
        [f"holds a row of more than {ROW_OBJECTS:,} elements and attributes"],
        evidence=True,
    ),
    Case(
        "rows-of-attributes-under-the-cap",  # let go of, row by row: taken
        lambda path: bombs.bomb(path, bombs.SHEET, bombs.full_rows(20, ROW_OBJECTS // 102, AT_100)),
        [],
        status=0,
    ),
    Case(
        "evidence-largest-style-sheet-excel-writes",  # about 1,100,000: under the cap
        lambda path: bombs.bomb(path, "xl/styles.xml", bombs.styles(64_000, EXCEL_XF)),
        [],
        status=0,
    ),
    Case(
        # each string's attributes are let go of with it, and '=' in text is none: the
        # count is its elements past <si> and text, 10 a string (1,500,000)
        "rich-shared-strings-under-the-cap",
        lambda path: bombs.bomb(path, SST, bombs.strings_of(150_000, EXCEL_RICH_STRING)),
        [],
        status=0,
        args=[],
    ),
]


def _run(case: Case, folder: Path) -> Outcome:
    folder.mkdir(parents=True)
    config = folder / "reportgen.yaml"
    config.write_text("customer:\n  name: Test Co\n", encoding="utf-8")
    workbook = case.make(folder / "inv.xlsx")
    argv = [sys.executable, "-m", "reportgen"]
    if case.evidence:
        plain = hf.write_rows(folder / "plain.xlsx", hf.BASE_ROWS)
        argv += ["build", "--config", str(config), "--inventory", str(plain)]
        argv += ["--evidence", str(workbook), "--out", str(folder / "pack")]
    else:
        argv += ["validate", "--config", str(config), "--inventory", str(workbook)]
    return measured([*argv, *case.args], folder, timeout=300)


def _encoded(chunks: Iterable[bytes], lead: bytes, encoding: str) -> Iterator[bytes]:
    """A UTF-8 part's chunks in another encoding, ``lead`` (its mark and a blank) first."""
    yield lead
    for chunk in chunks:
        yield chunk.decode("utf-8").encode(encoding)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    return measured_all(CASES, _run, tmp_path_factory.mktemp("xlsx-entries"), workers=2)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_entry_count_bomb(case: Case, outcomes: dict[str, Outcome]) -> None:
    result = outcomes[case.name]
    report = f"exit {result.status}, {result.rss_mb:.0f} MB\n{result.stderr}{result.stdout}"
    assert result.status == case.status, report
    assert "Traceback" not in report and "internal error" not in report, report
    assert result.rss_mb < RSS_LIMIT_MB, report
    for fragment in case.expect:
        assert fragment in result.text, f"{fragment!r} not in:\n{report}"
    if case.status == 2:
        assert result.stderr.startswith(f"error: {result.folder / 'inv.xlsx'}: "), report
        assert not (result.folder / "pack").exists(), report


def test_the_bombs_are_small(tmp_path: Path) -> None:
    for case in CASES:
        path = case.make(tmp_path / f"{case.name}.xlsx")
        assert path.stat().st_size < 200_000, case.name
        path.unlink()
