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
from openpyxl.chart.data_source import AxDataSource, NumData, NumVal, StrData, StrRef, StrVal
from openpyxl.chart.series import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.pagebreak import Break

from reportgen.core.openpyxl_private import WriteOnlyWorksheet
from reportgen.core.owners import (
    NOT_APPLICABLE,
    OWNER_COLOURS,
    OWNER_LABELS,
    OWNER_MEANINGS,
    OWNER_ORDER,
)
from reportgen.render.xlsx_layout import Layout
from reportgen.render.xlsx_sheets import (
    RACI_GROUP_COLUMN,
    RACI_OWNER_COLUMN,
    RACI_SHEET,
    top_group,
)
from reportgen.render.xlsx_stream import write_cached_values
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
    """Owner | meaning | live count | share of the applicable controls | count at
    generation, then the total and the applicable controls; returns the owners' first/last
    rows. Shares are of the applicable controls, as in the PDF (not applicable has none)."""
    controls = len(matrix["controls"])
    counts = {owner: matrix["counts"].get(owner, 0) for owner in OWNER_ORDER}
    total, applicable = sum(counts.values()), sum(counts.values()) - counts[NOT_APPLICABLE]
    layout.add(
        ("Owner", "header"),
        ("What it means", "header"),
        ("Controls", "header"),
        ("Share of applicable", "header"),
        ("At generation", "header"),
    )
    first = layout.next_row
    total_row, applicable_row = first + len(OWNER_ORDER), first + len(OWNER_ORDER) + 1
    owners = _raci_range(RACI_OWNER_COLUMN, controls)
    for owner in OWNER_ORDER:
        row = layout.next_row
        share: Any = ""
        if owner != NOT_APPLICABLE:
            cached = counts[owner] / applicable if applicable else 0
            share = Formula(f"=IF($C${applicable_row}=0,0,C{row}/$C${applicable_row})", cached)
        layout.add(
            (OWNER_LABELS[owner], f"owner:{owner}"),
            (OWNER_MEANINGS[owner], "wrap"),
            (Formula(f"=COUNTIF({owners},$A{row})", counts[owner]), "number"),
            (share, "percent"),
            (counts[owner], "number"),
        )
    layout.add(
        ("Total", "bold"),
        ("", "bold"),
        (Formula(f"=SUM(C{first}:C{total_row - 1})", total), "bold_number"),
        ("", "percent"),
        (total, "bold_number"),
    )
    na_row = first + OWNER_ORDER.index(NOT_APPLICABLE)
    layout.add(
        ("Applicable", "bold"),
        ("Every control but those that do not apply: the base of the shares", "wrap"),
        (Formula(f"=C{total_row}-C{na_row}", applicable), "bold_number"),
        (Formula(f"=IF($C${applicable_row}=0,0,1)", 1 if applicable else 0), "percent"),
        (applicable, "bold_number"),
    )
    return first, total_row - 1


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


def _group_counts(matrix: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Controls per (top-level group id, owner), the values the COUNTIFS formulas give."""
    counts: dict[tuple[str, str], int] = {}
    for control in matrix["controls"]:
        key = (top_group(matrix, control["group"])[0], control["owner"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def _group_table(layout: Layout, matrix: dict[str, Any]) -> tuple[int, int, int]:
    """Group id | title | one live count per owner | total; returns header/first/last rows."""
    controls = len(matrix["controls"])
    cached = _group_counts(matrix)
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
            # An equality in SUMPRODUCT, not a COUNTIFS criterion: a criterion over 255
            # characters is #VALUE! and its * ? ~ are wildcards, and a user catalog's group
            # title may be long or hold them (fifteenth adversarial pass).
            label = f'$A{row}&IF($B{row}="",""," "&$B{row})'
            value = cached.get((group_id, OWNER_ORDER[index]), 0)
            formula = f"=SUMPRODUCT(({group_range}={label})*({owners}={owner_cell}))"
            counts.append((Formula(formula, value), "number"))
        end = get_column_letter(2 + len(OWNER_ORDER))
        total = sum(cached.get((group_id, owner), 0) for owner in OWNER_ORDER)
        layout.add(
            (group_id, "bold"),
            (title, "wrap"),
            *counts,
            (Formula(f"=SUM(C{row}:{end}{row})", total), "bold_number"),
        )
    return header, first, first + len(groups) - 1


def _ordered_groups(matrix: dict[str, Any]) -> list[tuple[str, str]]:
    """Top-level groups in the order their controls appear."""
    seen: dict[str, str] = {}
    for control in matrix["controls"]:
        group_id, title = top_group(matrix, control["group"])
        seen.setdefault(group_id, title)
    return list(seen.items())


def _cell(layout: Layout, row: int, column: int) -> Any:
    """A laid-out cell's value at generation (a formula's cached value)."""
    cells = layout.rows[row - 1]
    value = cells[column - 1][0] if column <= len(cells) else None
    return value.cached if isinstance(value, Formula) else value


def _cache_series(chart: BarChart, layout: Layout, first: int, last: int) -> None:
    """Give every series its values, categories and title as they are at generation, so a
    viewer that draws charts from the file alone (a preview) draws them, not empty axes."""
    labels = [str(_cell(layout, row, 1)) for row in range(first, last + 1)]
    for series in chart.series:
        column = column_index_from_string(series.val.numRef.f.split("$")[-2])
        values = [_cell(layout, row, column) or 0 for row in range(first, last + 1)]
        series.val.numRef.numCache = NumData(
            ptCount=len(values), pt=[NumVal(idx=i, v=v) for i, v in enumerate(values)]
        )
        series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f, strCache=_strings(labels)))
        if series.tx is not None and series.tx.strRef is not None:
            title = str(_cell(layout, first - 1, column))
            series.tx.strRef.strCache = _strings([title])


def _strings(values: list[str]) -> StrData:
    return StrData(ptCount=len(values), pt=[StrVal(idx=i, v=v) for i, v in enumerate(values)])


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
    owner_chart = _owner_chart(owners_first, owners_last, ws)
    _cache_series(owner_chart, layout, owners_first, owners_last)
    _cache_series(group_chart, layout, groups_first, groups_last)
    ws.add_chart(owner_chart, f"C{facts_top}")
    ws.add_chart(group_chart, f"A{chart_row}")
    ws.close()  # written now, so that the formulas' values can be saved beside them
    write_cached_values(ws, _cached_values(layout))


def _cached_values(layout: Layout) -> dict[str, int | float]:
    """Cell reference -> value at generation, for every formula of the layout."""
    values = {}
    for number, cells in enumerate(layout.rows, start=1):
        for index, (value, _style) in enumerate(cells, start=1):
            if isinstance(value, Formula) and value.cached is not None:
                values[f"{get_column_letter(index)}{number}"] = value.cached
    return values
