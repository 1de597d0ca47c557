"""The workbook's evidence tracker (the Evidence sheet) and the hidden sheet that lets
``build --evidence`` read the workbook back.

The Evidence sheet has one row per evidence item (matrix.json ``evidence_items``), already
filled in with what the team recorded in the previous workbook. reportgen's columns (control,
owner, item, roles, sort key) reject typing with a message; the team's columns (status,
people, dates, link, notes) are tinted, with drop-downs and date checks. Excel cannot sort a
range holding locked cells on a protected sheet, and sorting is what a tracker is for, so
the guard is validation, not sheet protection. Rows added below the table are read back too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reportgen.config.model import AWS_ROLE
from reportgen.core.openpyxl_private import WriteOnlyWorksheet
from reportgen.core.owners import OWNER_LABELS
from reportgen.ownership.evidence_vocabulary import (
    ACCOUNTABLE_ROLE,
    CONTROL,
    DATA_SHEET,
    EVIDENCE_SHEET,
    HEADERS,
    ITEM,
    OPEN_STATUSES,
    OWNER,
    PROVIDED_BY,
    PROVIDERS,
    RESPONSIBLE_ROLE,
    SORT_KEY,
    STATUS_LABELS,
    STATUSES,
    TEAM_FIELDS,
    TITLE,
    WORKBOOK_SCHEMA,
)
from reportgen.render.xlsx_style import ALERT_COLOURS, CellMaker, PrintInfo, print_setup, set_widths
from reportgen.render.xlsx_table import (
    Column,
    Table,
    Written,
    colour_owners,
    colour_status,
    drop_down,
    measure,
    write_table,
)

# Rows below the table that still get the drop-down and the date check, for added items.
ROOM_TO_ADD = 500
ITEMS_PER_CONTROL = 100  # sort key: control position x 100 + item number
_KINDS = {"status": "status", "text": "input", "link": "input", "date": "date"}
_TEAM_WIDTHS = {
    "status": 14,
    "responsible_person": 18,
    "due_date": 12,
    "link": 32,
    "collected_on": 12,
    "reviewed_by": 16,
    "notes": 40,
}
COMPUTED_PROMPT = (
    "reportgen fills in this column from the catalog and your config. Record your work in "
    "the tinted columns; add an item of your own as a new row below the table."
)


def columns() -> list[Column]:
    computed = {
        CONTROL: Column(CONTROL, minimum=9),
        TITLE: Column(TITLE, "wrap", minimum=20),
        OWNER: Column(OWNER, "owner", width=14),
        PROVIDED_BY: Column(PROVIDED_BY, "center", width=11),
        ITEM: Column(ITEM, "wrap", minimum=30),
        RESPONSIBLE_ROLE: Column(RESPONSIBLE_ROLE, "wrap", minimum=14),
        ACCOUNTABLE_ROLE: Column(ACCOUNTABLE_ROLE, "wrap", minimum=12),
        SORT_KEY: Column(SORT_KEY, "number", width=8),
    }
    team = {
        f.header: Column(f.header, _KINDS[f.kind], width=_TEAM_WIDTHS[f.key]) for f in TEAM_FIELDS
    }
    return [computed.get(header) or team[header] for header in HEADERS]


def _roles(control: dict[str, Any], matrix: dict[str, Any], provider: str) -> tuple[str, str]:
    """Who collects the item (its responsible roles) and who answers for it."""
    raci = control["raci"]
    accountable = ", ".join(r for r, letter in raci.items() if letter in ("A", "A/R"))
    if provider == "aws":
        return AWS_ROLE, accountable
    doers = [r for r in matrix["roles"] if r != AWS_ROLE and raci.get(r) in ("R", "A/R")]
    return ", ".join(doers) or matrix["raci_rules"]["accountable"], accountable


def _team(item: dict[str, Any]) -> list[Any]:
    values = []
    for spec in TEAM_FIELDS:
        value = item.get(spec.key)
        if spec.kind == "status":
            values.append(STATUS_LABELS[item["status"]])
        elif spec.kind == "date" and value:
            values.append(dt.date.fromisoformat(value))
        else:
            values.append(value or None)
    return values


def evidence_rows(matrix: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per evidence item of every control (matrix.json evidence_items), then the
    items of controls the catalog no longer has."""
    controls = matrix["controls"]
    for position, control in enumerate(controls, start=1):
        owner = OWNER_LABELS[control["owner"]]
        for number, item in enumerate(control["evidence_items"], start=1):
            responsible, accountable = _roles(control, matrix, item["provided_by"])
            yield [
                control["id"],
                control["title"],
                owner,
                PROVIDERS[item["provided_by"]],
                item["item"],
                responsible,
                accountable,
                *_team(item),
                position * ITEMS_PER_CONTROL + number,
            ]
    orphan_title = (
        f"Not in the {matrix['framework']['name']} catalog any more: move these notes to a "
        "current control, or delete the row"
    )
    for number, item in enumerate(matrix["evidence_status"]["orphans"], start=1):
        yield [
            item["control"],
            orphan_title,
            None,
            PROVIDERS[item["provided_by"]],
            item["item"],
            None,
            None,
            *_team(item),
            (len(controls) + 1) * ITEMS_PER_CONTROL + number,
        ]


def evidence_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written:
    spec = columns()
    rows = list(evidence_rows(matrix))
    widths = measure(spec, rows)
    for index, cap in ((1, 36), (4, 60), (5, 26), (6, 20)):
        widths[index] = min(widths[index], cap)
    written = write_table(wb, make, info, Table(EVIDENCE_SHEET, spec, rows, widths, freeze="B2"))
    colour_owners(written.ws, written.column_range(HEADERS.index(OWNER)))
    _team_rules(written)
    _guard_computed(written)
    return written


def _letter(header: str) -> str:
    return get_column_letter(HEADERS.index(header) + 1)


def _team_rules(written: Written) -> None:
    ws, last = written.ws, written.last_row + ROOM_TO_ADD
    status = _letter("Status")
    ref = f"{status}2:{status}{last}"
    colour_status(ws, ref)
    labels = [STATUS_LABELS[s] for s in STATUSES]
    drop_down(ws, ref, labels, "Status", "Where collecting this evidence stands.")
    for spec in TEAM_FIELDS:
        if spec.kind == "date":
            column = _letter(spec.header)
            _date_check(ws, f"{column}2:{column}{last}", spec.header)
    due = _letter("Due date")
    open_labels = ",".join(f'${status}2="{STATUS_LABELS[s]}"' for s in OPEN_STATUSES)
    overdue = FormulaRule(
        formula=[f'AND(ISNUMBER(${due}2),${due}2<TODAY(),OR({open_labels},${status}2=""))'],
        font=Font(color=ALERT_COLOURS[1], bold=True),
        fill=PatternFill(
            start_color=ALERT_COLOURS[0], end_color=ALERT_COLOURS[0], fill_type="solid"
        ),
    )
    ws.conditional_formatting.add(f"{due}2:{due}{last}", overdue)


def _date_check(ws: WriteOnlyWorksheet, ref: str, title: str) -> None:
    validation = DataValidation(
        type="date",
        operator="between",
        formula1="36526",  # 2000-01-01
        formula2="2958465",  # 9999-12-31
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=title,
        error="Enter a date, for example 2026-03-31.",
        showInputMessage=True,
        promptTitle=title,
        prompt="A date, for example 2026-03-31.",
    )
    validation.add(ref)
    ws.data_validations.append(validation)


def _guard_computed(written: Written) -> None:
    """Typing over reportgen's columns is refused with a message (see the module doc)."""
    team = {f.header for f in TEAM_FIELDS}
    refs = [
        written.column_range(index) for index, header in enumerate(HEADERS) if header not in team
    ]
    validation = DataValidation(
        type="custom",
        formula1="FALSE",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Filled in by reportgen",
        error=COMPUTED_PROMPT,
    )
    for ref in refs:
        validation.add(ref)
    written.ws.data_validations.append(validation)


# ---------------------------------------------------------------- the hidden sheet


def rules_letters(control: dict[str, Any]) -> dict[str, str]:
    """The RACI letters the config's rules give, before the team's overrides."""
    letters = dict(control["raci"])
    for override in control.get("raci_overrides", ()):
        if override["computed"]:
            letters[override["role"]] = override["computed"]
        else:
            letters.pop(override["role"], None)
    return letters


def identity(matrix: dict[str, Any]) -> list[tuple[str, str]]:
    framework = matrix["framework"]
    return [
        ("Schema", WORKBOOK_SCHEMA),
        ("Framework", framework["id"]),
        ("Framework name", f"{framework['name']} {framework['version']}"),
        ("Customer", matrix["customer"]["name"]),
        ("Customer id", matrix["customer"]["slug"]),
        ("Document id", matrix["document_id"]),
        ("Generated", matrix["generated_at"]),
        (
            "Purpose",
            "reportgen build --evidence reads this sheet to know which pack the workbook "
            "belongs to, and which RACI letters its rules gave, so that the letters you "
            "changed in the RACI sheet are carried into the next pack. Leave it as it is.",
        ),
    ]


def data_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> None:
    """Hidden: the workbook's identity, then the RACI letters the rules gave per control."""
    ws = wb.create_sheet(DATA_SHEET)
    ws.sheet_state = "hidden"
    roles = matrix["roles"]
    set_widths(ws, [16, 60, *([12] * max(0, len(roles) - 1))])
    ws.freeze_panes = "A2"
    print_setup(ws, info)
    ws.append([make(ws, "Key", "header"), make(ws, "Value", "header")])
    for key, value in identity(matrix):
        ws.append([make(ws, key, "label"), make(ws, value, "value")])
    ws.append([])
    ws.append([make(ws, CONTROL, "header"), *(make(ws, role, "header") for role in roles)])
    for control in matrix["controls"]:
        letters = rules_letters(control)
        ws.append([make(ws, control["id"]), *(make(ws, letters.get(r)) for r in roles)])
