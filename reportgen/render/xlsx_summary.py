"""The Summary sheet: scope at a glance, controls by owner and by group, two native charts.

The counts are COUNTIF(S) formulas over the RACI sheet's Group and Owner columns, so the
tables and charts follow a team's edits; "At generation" keeps the computed figure beside
them. Every formula is built here from constants and cell references: no text from the
inventory or config is ever part of one.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.pagebreak import Break

from reportgen.owners import OWNER_COLOURS, OWNER_LABELS, OWNER_MEANINGS, OWNER_ORDER
from reportgen.render.xlsx_layout import Layout
from reportgen.render.xlsx_sheets import (
    RACI_GROUP_COLUMN,
    RACI_OWNER_COLUMN,
    RACI_SHEET,
    top_group,
)
from reportgen.render.xlsx_style import CellMaker, Formula, PrintInfo, print_setup

SUMMARY_SHEET = "Summary"
_WIDTHS = (30, 44, 11, 11, 11, 11, 11, 11)
_SPAN = len(_WIDTHS)
# Up to this many groups, the group table and its chart share a printed page (measured
# with LibreOffice on A4 and Letter landscape).
_GROUPS_PER_PAGE = 14
SUBTITLE = (
    "Responsibility matrix and RACI workbook, from the AWS Shared Responsibility Model and "
    "the service inventory"
)


def _raci_range(column: int, controls: int) -> str:
    letter = get_column_letter(column + 1)
    return f"{RACI_SHEET}!${letter}$2:${letter}${max(controls + 1, 2)}"


def _facts(matrix: dict[str, Any]) -> list[tuple[str, Any]]:
    framework, scope = matrix["framework"], matrix["scope"]
    facts: list[tuple[str, Any]] = [
        ("Customer", matrix["customer"]["name"]),
        ("Framework", f"{framework['name']} {framework['version']}: {framework['full_name']}"),
        ("Publisher", framework["publisher"]),
        ("Document", matrix["document_id"]),
        ("Generated", matrix["generated_at"]),
        ("Classification", matrix["classification"]),
        ("Controls", len(matrix["controls"])),
        ("Services in scope", scope["services"]),
        ("Resources in scope", scope["resources"]),
        ("Accounts", ", ".join(scope["accounts"])),
        ("Regions", ", ".join(scope["regions"])),
        ("Environments", ", ".join(scope["environments"])),
        (
            "Inventory",
            f"{scope['inventory_rows']} rows read; {scope['unresolved_rows']} could not be "
            "resolved (sheet Unresolved)",
        ),
    ]
    categories = [c["name"] for c in framework["categories"] if c["selected"]]
    if categories:
        facts.append(("Categories", ", ".join(categories)))
    answered = [c for c in framework["conditions"] if c["answer"] is not None]
    if answered:
        answers = (f"{c['id']}: {'yes' if c['answer'] else 'no'}" for c in answered)
        facts.append(("Conditions", "; ".join(answers)))
    attestation = framework["attestation"]
    facts.append(("Inherited through", f"{attestation['name']} ({attestation['source']})"))
    return facts


def _owner_table(layout: Layout, matrix: dict[str, Any]) -> tuple[int, int]:
    """Owner | meaning | live count | share | count at generation; returns first/last rows."""
    controls = len(matrix["controls"])
    layout.add(
        ("Owner", "header"),
        ("What it means", "header"),
        ("Controls", "header"),
        ("Share", "header"),
        ("At generation", "header"),
    )
    first = layout.next_row
    total = first + len(OWNER_ORDER)
    owners = _raci_range(RACI_OWNER_COLUMN, controls)
    for owner in OWNER_ORDER:
        row = layout.next_row
        layout.add(
            (OWNER_LABELS[owner], f"owner:{owner}"),
            (OWNER_MEANINGS[owner], "wrap"),
            (Formula(f"=COUNTIF({owners},$A{row})"), "number"),
            (Formula(f"=IF($C${total}=0,0,C{row}/$C${total})"), "percent"),
            (matrix["counts"][owner], "number"),
        )
    layout.add(
        ("Total", "bold"),
        ("", "bold"),
        (Formula(f"=SUM(C{first}:C{total - 1})"), "bold_number"),
        (Formula(f"=IF($C${total}=0,0,1)"), "percent"),
        (sum(matrix["counts"].values()), "bold_number"),
    )
    return first, total - 1


def _party_table(layout: Layout, matrix: dict[str, Any]) -> None:
    """Party | controls in which it carries a duty: third parties by name, never hidden."""
    layout.add(("Party", "header"), ("Carries a duty in", "header"), ("Controls", "header"))
    applicable = sum(1 for c in matrix["controls"] if c["applicable"])
    for name, count in matrix["party_counts"].items():
        meaning = (
            "AWS's part is inherited: evidenced by its attestation"
            if name == "AWS"
            else "Your own duties"
            if name == "Customer"
            else "A third party you named in an override"
        )
        layout.add((name, "bold"), (meaning, "wrap"), (count, "number"))
    layout.add(
        ("Split by service", "bold"),
        ("Controls whose owner differs from one service to another", "wrap"),
        (matrix["split_by_service"], "number"),
    )
    layout.add(("Applicable controls", "bold"), ("", "wrap"), (applicable, "bold_number"))


def _group_table(layout: Layout, matrix: dict[str, Any]) -> tuple[int, int, int]:
    """Group id | title | one live count per owner | total; returns header/first/last rows."""
    controls = len(matrix["controls"])
    header = layout.add(
        ("Group", "header"),
        ("Title", "header"),
        *((OWNER_LABELS[o], "header") for o in OWNER_ORDER),
        ("Total", "header"),
    )
    groups = _ordered_groups(matrix)
    first = layout.next_row
    group_range = _raci_range(RACI_GROUP_COLUMN, controls)
    owners = _raci_range(RACI_OWNER_COLUMN, controls)
    for group_id, title in groups:
        row = layout.next_row
        counts = []
        for index in range(len(OWNER_ORDER)):
            owner_cell = f"{get_column_letter(3 + index)}${header}"
            # "=" makes the criterion a plain comparison whatever the group text starts with.
            criterion = f'"="&$A{row}&IF($B{row}="",""," "&$B{row})'
            counts.append(
                (Formula(f"=COUNTIFS({group_range},{criterion},{owners},{owner_cell})"), "number")
            )
        end = get_column_letter(2 + len(OWNER_ORDER))
        layout.add(
            (group_id, "bold"),
            (title, "wrap"),
            *counts,
            (Formula(f"=SUM(C{row}:{end}{row})"), "bold_number"),
        )
    return header, first, first + len(groups) - 1


def _ordered_groups(matrix: dict[str, Any]) -> list[tuple[str, str]]:
    """Top-level groups in the order their controls appear."""
    seen: dict[str, str] = {}
    for control in matrix["controls"]:
        group_id, title = top_group(matrix, control["group"])
        seen.setdefault(group_id, title)
    return list(seen.items())


def _owner_chart(first: int, last: int, ws: WriteOnlyWorksheet) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "Controls by owner"
    chart.legend = None
    chart.y_axis.title = "Controls"
    chart.y_axis.majorGridlines = None
    data = Reference(ws, min_col=3, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # first owner on top, as in the table
    series = chart.series[0]
    for index, owner in enumerate(OWNER_ORDER):
        point = DataPoint(idx=index)
        point.graphicalProperties = _bar(*OWNER_COLOURS[owner])
        series.dPt.append(point)
    chart.gapWidth = 40
    chart.width, chart.height = 13.5, 7.5
    return chart


def _group_chart(header: int, first: int, last: int, ws: WriteOnlyWorksheet) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Controls by group and owner"
    chart.y_axis.title = "Controls"
    chart.x_axis.scaling.orientation = "maxMin"
    data = Reference(ws, min_col=3, max_col=2 + len(OWNER_ORDER), min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    for series, owner in zip(chart.series, OWNER_ORDER, strict=True):
        series.graphicalProperties = _bar(*OWNER_COLOURS[owner])
    chart.gapWidth = 50
    chart.legend.position = "b"
    chart.width = 25
    chart.height = max(6.5, 0.55 * (last - first + 1) + 3)
    chart.x_axis.tickLblSkip = 1  # every group named, however short the bars
    return chart


def _bar(fill: str, line: str) -> GraphicalProperties:
    properties = GraphicalProperties(solidFill=fill)
    properties.line.solidFill = line
    return properties


def summary_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> None:
    ws = wb.create_sheet(SUMMARY_SHEET)
    framework = matrix["framework"]
    layout = Layout(_WIDTHS)
    title = f"{matrix['customer']['name']}: {framework['name']} {framework['version']}"
    layout.add((title, "title"), height=26)
    layout.add((SUBTITLE, "subtitle"))
    layout.blank()
    layout.section("At a glance", 2)
    facts_top = layout.next_row
    for label, value in _facts(matrix):
        layout.add((label, "label"), (value, "value"))
    layout.blank()
    layout.section("Controls by owner", 5)
    owners_first, owners_last = _owner_table(layout, matrix)
    layout.blank()
    layout.section("Who carries the duties", 3)
    _party_table(layout, matrix)
    layout.blank()
    ws.row_breaks.append(Break(id=layout.next_row - 1))  # the group table starts a page
    layout.section("Controls by group and owner", _SPAN)
    header, groups_first, groups_last = _group_table(layout, matrix)
    layout.blank()
    chart_row = layout.next_row
    group_chart = _group_chart(header, groups_first, groups_last, ws)
    if groups_last - groups_first + 1 > _GROUPS_PER_PAGE:
        ws.row_breaks.append(Break(id=chart_row - 1))  # table and chart would not fit a page
    print_setup(ws, info, title_rows=None)  # before any row: write-only sheets
    layout.write(ws, make, freeze="A3")
    ws.add_chart(_owner_chart(owners_first, owners_last, ws), f"C{facts_top}")
    ws.add_chart(group_chart, f"A{chart_row}")
