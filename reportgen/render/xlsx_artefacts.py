"""The workbook sheets of the auditors' artefacts: the ISO/IEC 27001 Statement of
Applicability, the SOC 2 complementary controls, and the third-party service providers.

Each is built from matrix.json. The Statement of Applicability opens with the ISMS scope
statement above its table, as an SoA does; its Included and Status columns keep their
vocabulary with drop-down lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from reportgen.artefacts.soa import SOA_STATUSES, status_label
from reportgen.core.owners import OWNER_LABELS
from reportgen.render.xlsx_sheets import group_label, top_group
from reportgen.render.xlsx_style import (
    CellMaker,
    PrintInfo,
    print_setup,
    row_height,
    set_widths,
)
from reportgen.render.xlsx_table import (
    Column,
    Table,
    Written,
    colour_owners,
    drop_down,
    measure,
    write_table,
)

SOA_SHEET = "Statement of Applicability"
COMPLEMENTARY_SHEET = "Complementary controls"
PROVIDERS_SHEET = "Service providers"
STATUS_CHOICES = tuple(status_label(s) for s in SOA_STATUSES)
INCLUDED = ("Yes", "No")
_PREAMBLE = 4  # title, scope, counts, blank: the table's header is the next row

SOA_COLUMNS = [
    Column("Control", minimum=8),
    Column("Theme", "wrap", minimum=12),
    Column("Title", "wrap", minimum=20),
    Column("Included", "center", width=10),
    Column("Justification", "wrap", width=48),
    Column("Owner", "wrap", minimum=14),
    Column("Implementation status", "center", width=16),
    Column("Carried by", "owner", width=14),
    Column("Customer must", "small", width=50),
    Column("AWS provides (inherited)", "small", width=44),
]


def soa_rows(matrix: dict[str, Any]) -> list[list[Any]]:
    soa = matrix["artefacts"]["statement_of_applicability"]
    controls = {c["id"]: c for c in matrix["controls"]}
    rows = []
    for row in soa["controls"]:
        control = controls[row["id"]]
        rows.append(
            [
                row["id"],
                group_label(top_group(matrix, control["group"])),
                control["title"],
                "Yes" if row["included"] else "No",
                row["justification"],
                row["owner"],
                status_label(row["status"]),
                OWNER_LABELS[control["owner"]],
                control["responsibility"]["customer"],
                control["responsibility"]["aws"],
            ]
        )
    return rows


def soa_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written | None:
    """The 93 Annex A controls under the ISMS scope statement; then clauses 4-10 apart."""
    soa = matrix["artefacts"].get("statement_of_applicability")
    if not soa:
        return None
    rows = soa_rows(matrix)
    widths = measure(SOA_COLUMNS, rows)
    widths[1] = min(widths[1], 24)
    widths[2] = min(widths[2], 40)
    widths[5] = min(widths[5], 26)
    ws = wb.create_sheet(SOA_SHEET)
    set_widths(ws, widths)
    header = _PREAMBLE + 1
    ws.freeze_panes = f"B{header + 1}"
    print_setup(ws, info, title_rows=f"{header}:{header}", widths=widths, title_columns="$A:$A")
    last = get_column_letter(len(SOA_COLUMNS))
    included = sum(1 for row in soa["controls"] if row["included"])
    scope = soa["isms_scope"] or (
        "Not stated: write the ISMS scope (clause 4.3) under framework_options.iso-27001."
        "isms_scope in the reportgen config."
    )
    span = sum(widths[1:])
    ws.append([make(ws, f"Statement of Applicability · {matrix['customer']['name']}", "title")])
    ws.row_dimensions[2].height = row_height([(scope, "value", span)])
    ws.append([make(ws, "ISMS scope", "label"), make(ws, scope, "value")])
    ws.merged_cells.add(f"B2:{last}2")
    counts = (
        f"{len(soa['controls'])} Annex A controls: {included} included, "
        f"{len(soa['controls']) - included} excluded. Clauses 4 to 10 are requirements of the "
        "ISMS, listed below the controls and not counted among them. Document version "
        f"{matrix['document']['version']}."
    )
    ws.append([make(ws, "", None), make(ws, counts, "note")])
    ws.merged_cells.add(f"B3:{last}3")
    ws.append([])
    ws.row_dimensions[header].height = row_height(
        [(c.header, "header", w) for c, w in zip(SOA_COLUMNS, widths, strict=True)]
    )
    ws.append([make(ws, c.header, "header") for c in SOA_COLUMNS])
    styles = ["center" if c.kind == "owner" else c.kind for c in SOA_COLUMNS]
    for number, row in enumerate(rows, start=header + 1):
        cells = list(zip(row, styles, widths, strict=True))
        ws.row_dimensions[number].height = row_height(cells, 8)
        ws.append([make(ws, value, style) for value, style, _ in cells])
    end = header + len(rows)
    ws.auto_filter.ref = f"A{header}:{last}{end}"
    first = header + 1
    drop_down(ws, f"D{first}:D{end}", INCLUDED, "Included", "Is the control in the ISMS?")
    drop_down(ws, f"G{first}:G{end}", STATUS_CHOICES, "Status", "How far it is implemented.")
    colour_owners(ws, f"H{first}:H{end}")
    _requirements(ws, make, matrix, soa["requirements"])
    return Written(ws, len(rows))


def _requirements(
    ws: Any, make: CellMaker, matrix: dict[str, Any], requirements: Sequence[dict[str, Any]]
) -> None:
    titles = {c["id"]: c["title"] for c in matrix["controls"]}
    ws.append([])
    ws.append([make(ws, "ISMS requirements (clauses 4 to 10): not Annex A controls", "section")])
    ws.append([make(ws, h, "header") for h in ("Clause", "", "Requirement", "", "", "", "Status")])
    for item in requirements:
        ws.append(
            [
                make(ws, item["id"], "text"),
                None,
                make(ws, titles[item["id"]], "wrap"),
                None,
                None,
                None,
                make(ws, status_label(item["status"]), "center"),
            ]
        )


def complementary_sheet(
    wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict
) -> Written | None:
    """SOC 2: what AWS is expected to operate, how it is monitored, what user entities do."""
    block = matrix["artefacts"].get("complementary_controls")
    if not block:
        return None
    names = {s["id"]: s["name"] for s in matrix["services"]}
    rows: list[list[Any]] = []
    for item in block["subservice_controls"]:
        where = ", ".join(item["services"]) or "AWS's own estate (data centres, hardware, network)"
        if len(item["services"]) == len(names):
            where = "Every in-scope service"
        rows.append(
            [
                item["id"],
                "Subservice organisation (CSOC)",
                "AWS",
                item["text"],
                ", ".join(item["criteria"]),
                where,
            ]
        )
    rows.append(
        ["MON-01", "Monitoring of AWS", matrix["customer"]["name"], block["monitoring"], "", ""]
    )
    for item in block["user_entity_controls"]:
        rows.append(
            [item["id"], "User entity (CUEC)", "User entities", item["text"],
             ", ".join(item["criteria"]), ""]
        )  # fmt: skip
    columns = [
        Column("Id", minimum=8),
        Column("Kind", minimum=12),
        Column("Expected of", minimum=10),
        Column("Control", "wrap", width=60),
        Column("Criteria", "wrap", minimum=10),
        Column("Where", "small", width=50),
    ]
    widths = measure(columns, rows)
    widths[4] = min(widths[4], 22)
    return write_table(wb, make, info, Table(COMPLEMENTARY_SHEET, columns, rows, widths, "B2"))


def providers_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written:
    """Every third-party service provider, AWS first (PCI DSS 12.8.1, ISO A.5.19, SOC 2
    CC9.2), with what each is responsible for."""
    attestation = matrix["framework"]["attestation"]
    relied = matrix["aws_attestation"]["relied_on"]
    coverage = matrix["aws_attestation"]["coverage"]
    outside = (coverage["not_covered"] + coverage["not_listed"]) if coverage else []
    evidence = attestation["name"]
    if relied:
        details = [relied.get("version"), relied.get("date"), relied.get("assessor")]
        evidence += " (" + ", ".join(d for d in details if d) + ")"
    else:
        evidence += f": not recorded; obtain the current one from {attestation['source']}"
    names = {s["id"]: s["name"] for s in matrix["services"]}
    aws_note = f"{len(matrix['services'])} in-scope AWS services"
    if outside:
        listed = ", ".join(sorted(names.get(s, s) for s in outside))
        aws_note += f"; not on the list of services its attestation covers: {listed}"
    rows: list[list[Any]] = [
        [
            "Amazon Web Services (AWS)",
            f"Cloud infrastructure: {aws_note}",
            "Hosts the systems in scope; could affect their security",
            evidence,
            "Its part of each control: the RACI sheet (AWS column) and the PDF",
            "",
            "",
        ]
    ]
    for party in matrix["third_parties"]:
        operates = "; ".join(
            f"Operates the {o['layer'].lower()} of {o['service']} (override #{o['override']})"
            for o in party["operates"]
        )
        rows.append(
            [
                party["name"],
                "; ".join(t for t in (party["service"], operates) if t),
                ", ".join(party["account_data"]) or "none declared",
                party["compliance"] or "Not recorded",
                party["responsibilities"] or "",
                ", ".join(party["controls"]),
                "; ".join(
                    f"{r['sheet']} row {r['row']}: {r['value']}" if r["sheet"] else r["value"]
                    for r in party["inventory_rows"]
                ),
            ]
        )
    columns = [
        Column("Provider", "wrap", minimum=16),
        Column("Service provided", "wrap", width=44),
        Column("Account data / impact", "wrap", width=22),
        Column("Compliance evidence", "wrap", width=34),
        Column("Responsibilities", "wrap", width=44),
        Column("Carries duties in", "small", width=30),
        Column("Inventory rows", "small", width=26),
    ]
    widths = measure(columns, rows)
    widths[0] = min(widths[0], 28)
    return write_table(wb, make, info, Table(PROVIDERS_SHEET, columns, rows, widths, "B2"))
