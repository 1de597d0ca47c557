"""The data sheets of the RACI workbook, each built from matrix.json (and the inventory rows).

Every function writes one sheet through :func:`write_table`; the rows are plain values, and
every string among them is made safe by the cell maker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from reportgen.core.owners import OWNER_LABELS, OWNER_ORDER, owner_label
from reportgen.ownership.evidence_vocabulary import RACI_LEADING, RACI_TRAILING
from reportgen.ownership.raci import RACI_VALUES
from reportgen.render.xlsx_style import CellMaker, PrintInfo
from reportgen.render.xlsx_table import (
    Column,
    Table,
    Written,
    colour_owners,
    colour_raci,
    drop_down,
    flag_accountable,
    measure,
    write_table,
)

if TYPE_CHECKING:
    from reportgen.render import FrameworkJob

RACI_SHEET = "RACI"
# Where the Summary's live counts look: columns of the RACI sheet (0-based).
RACI_GROUP_COLUMN = 1
RACI_OWNER_COLUMN = 3
RACI_FIRST_ROLE_COLUMN = len(RACI_LEADING)
# The RACI vocabulary for the drop-down: single letters first, then "A/R".
RACI_CHOICES = sorted(RACI_VALUES, key=len)
CUSTOMER_OVERRIDE_MARK = "*"
CATALOG_EXCEPTION_MARK = "†"
_OVERRIDE_SOURCES = ("customer", "resource")

RACI_PROMPT = "R responsible, A accountable, A/R both, C consulted, I informed. One A per row."


def top_group(matrix: dict[str, Any], group_id: str) -> tuple[str, str]:
    """Id and title of the outermost group containing ``group_id``."""
    groups = {g["id"]: g for g in matrix["groups"]}
    group = groups.get(group_id)
    seen = set()
    while group and group.get("parent") in groups and group["id"] not in seen:
        seen.add(group["id"])
        group = groups[group["parent"]]
    return (group["id"], group["title"]) if group else (group_id, "")


def group_label(group: tuple[str, str]) -> str:
    """ "1 Build and run network security controls": what the RACI Group column shows."""
    group_id, title = group
    return f"{group_id} {title}" if title else group_id


def _why(control: dict[str, Any]) -> str:
    note = control.get("applicability")
    if note and control["applicable"]:
        return f"{control['provenance']}\nApplicability: {note}"
    if control.get("note") and control["applicable"]:
        return f"{control['provenance']}\n{control['note']}"
    return control["provenance"]


def parties_text(control: dict[str, Any]) -> str:
    """'Split by service: AWS, Customer, Stackwise Ltd' -- who carries a duty, by name."""
    names = ", ".join(party["name"] for party in control["parties"])
    if control["split_by_service"]:
        return f"{control['label']}: {names}"
    return names or control["label"]


def raci_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written:
    roles = list(matrix["roles"])
    control, group, title, owner, parties = RACI_LEADING
    must, provides, why = RACI_TRAILING
    columns = [
        Column(control, minimum=9),
        Column(group, "wrap", width=None, minimum=14),
        Column(title, "wrap", minimum=20),
        Column(owner, "owner", width=14),
        Column(parties, "wrap", minimum=14),
        *(Column(role, "raci", width=6.5, rotated=True) for role in roles),
        Column(must, "small", width=60),
        Column(provides, "small", width=50),
        Column(why, "small", width=60),
    ]
    rows = [
        [
            control["id"],
            group_label(top_group(matrix, control["group"])),
            control["title"],
            OWNER_LABELS[control["owner"]],
            parties_text(control),
            *(control["raci"].get(role, "") for role in roles),
            control["responsibility"]["customer"],
            control["responsibility"]["aws"],
            _why(control),
        ]
        for control in matrix["controls"]
    ]
    widths = measure(columns, rows)
    widths[1] = min(widths[1], 28)
    widths[2] = min(widths[2], 44)
    widths[4] = min(widths[4], 30)
    # Provenance can run to 1,500 characters: rows stop growing at eight small lines (the
    # cell keeps the whole text) so the matrix stays scannable.
    table = Table(RACI_SHEET, columns, rows, widths, freeze="B2", max_lines=8)
    written = write_table(wb, make, info, table)
    owner_ref = written.column_range(RACI_OWNER_COLUMN)
    last_role = RACI_FIRST_ROLE_COLUMN + len(roles) - 1
    roles_ref = written.block_range(RACI_FIRST_ROLE_COLUMN, last_role)
    colour_owners(written.ws, owner_ref)
    colour_raci(written.ws, roles_ref)
    first, last = get_column_letter(RACI_FIRST_ROLE_COLUMN + 1), get_column_letter(last_role + 1)
    flag_accountable(written.ws, written.column_range(0), f"{first}2:{last}2")
    labels = [OWNER_LABELS[o] for o in OWNER_ORDER]
    drop_down(written.ws, owner_ref, labels, "Owner", "Who operates this control overall.")
    drop_down(written.ws, roles_ref, RACI_CHOICES, "RACI", RACI_PROMPT)
    return written


def controls_services_sheet(
    wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict
) -> Written:
    services = matrix["services"]
    columns = [
        Column("Control", minimum=9),
        Column("Title", "wrap", minimum=20),
        Column("Owner", "owner", width=14),
        Column("Estate-wide duties", "wrap", minimum=12),
        *(Column(s["name"], "owner", width=12, rotated=True) for s in services),
    ]
    rows = []
    for control in matrix["controls"]:
        cells = [_cell_text(control["services"].get(service["id"])) for service in services]
        owner = OWNER_LABELS[control["owner"]]
        rows.append([control["id"], control["title"], owner, estate_text(control), *cells])
    widths = measure(columns, rows)
    widths[1] = min(widths[1], 44)
    widths[3] = min(widths[3], 24)

    def rules(written: Written) -> None:
        colour_owners(written.ws, written.column_range(2))
        colour_owners(written.ws, written.block_range(4, len(columns) - 1))

    # One cell per control and service: 61,000 of them for PCI DSS against 218 services.
    table = Table("Controls x Services", columns, rows, widths, "B2", streamed=True, rules=rules)
    return write_table(wb, make, info, table)


def _cell_text(cell: dict[str, Any] | None) -> str:
    """A service cell: its owner, naming a third party; blank where no duty is within it."""
    if cell is None:
        return ""
    names = [p["name"] for p in cell["parties"]]
    if cell["owner"] == "shared" and any(p["kind"] == "third-party" for p in cell["parties"]):
        return "Shared: " + ", ".join(names)
    return owner_label(cell["owner"], cell.get("party"))


def estate_text(control: dict[str, Any]) -> str:
    """Who carries the control's estate-wide duties: 'Customer; AWS (inherited)'."""
    holders = []
    for duty in control["duties"]:
        if duty["scope"] == "estate":
            holders += [p["name"] for p in duty["parties"]]
    names = list(dict.fromkeys(holders))
    return "; ".join(f"{n} (inherited)" if n == "AWS" else n for n in names)


def _layer_cell(decision: dict[str, Any]) -> str:
    label = owner_label(decision["owner"], decision.get("party"))
    if decision["source"] in _OVERRIDE_SOURCES:
        return f"{label} {CUSTOMER_OVERRIDE_MARK}"
    if decision["source"] == "catalog":
        return f"{label} {CATALOG_EXCEPTION_MARK}"
    return label


def _exceptions(
    service: dict,
    layer_names: dict[str, str],
    sources: Sequence[str],
    justifications: dict[int, str] | None = None,
) -> str:
    """One line per layer whose owner comes from ``sources``: owner, override numbers, and
    the reason with the justification of every override it applies (a resource override
    over a service override gives both)."""
    lines = []
    for layer, decision in service["layers"].items():
        if decision["source"] not in sources:
            continue
        numbers = decision.get("overrides")
        ref = f" (override {', '.join(f'#{n}' for n in numbers)})" if numbers else ""
        label = owner_label(decision["owner"], decision.get("party"))
        reason = _with_justifications(decision.get("reason", ""), numbers, justifications or {})
        lines.append(f"{layer_names.get(layer, layer)}: {label}{ref}. {reason}".strip())
    return "\n".join(lines)


def _with_justifications(reason: str, numbers: Sequence[int] | None, texts: dict[int, str]) -> str:
    """``reason`` and the justification of each numbered override it does not already hold."""
    missing = [f"#{n}: {texts[n]}" for n in numbers or () if n in texts and texts[n] not in reason]
    return " ".join([reason, *missing]).strip()


def services_layers_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written:
    layers = matrix["layers"]
    names = {layer["id"]: layer["name"] for layer in layers}
    models = {m["id"]: m["name"] for m in matrix["models"]}
    justifications = {o["number"]: o["justification"] for o in matrix["overrides"]}
    columns = [
        Column("Service", minimum=12),
        Column("Model", minimum=10),
        Column("Resources", "number", width=6, rotated=True),
        Column("Teams", "wrap", minimum=8),
        *(Column(layer["name"], "owner", width=12, rotated=True) for layer in layers),
        Column(f"Customer overrides ({CUSTOMER_OVERRIDE_MARK})", "wrap", minimum=24),
        Column(f"Catalog exceptions ({CATALOG_EXCEPTION_MARK})", "wrap", minimum=24),
    ]
    rows = [
        [
            service["name"],
            models.get(service["model"], service["model"]),
            service["resources"],
            ", ".join(service["teams"]),
            *(_layer_cell(service["layers"][layer["id"]]) for layer in layers),
            _exceptions(service, names, _OVERRIDE_SOURCES, justifications),
            _exceptions(service, names, ("catalog",)),
        ]
        for service in matrix["services"]
    ]
    widths = measure(columns, rows)
    widths[3] = min(widths[3], 26)
    written = write_table(
        wb, make, info, Table("Services x Layers", columns, rows, widths, freeze="B2")
    )
    colour_owners(written.ws, written.block_range(4, 3 + len(layers)))
    return written


INVENTORY_COLUMNS = [
    Column("Sheet", minimum=6),
    Column("Row", "number", minimum=5),
    Column("Service (as written)", minimum=12),
    Column("Service id", minimum=8),
    Column("Service", minimum=10),
    Column("Model", minimum=8),
    # ARNs run to 90 characters and are read whole: wider than free text before wrapping.
    Column("Resource", minimum=10, cap=90),
    Column("Account", minimum=9),
    Column("Region", minimum=8),
    Column("Environment", minimum=8),
    Column("Owner", minimum=8),
    Column("Classification", minimum=8),
    Column("Scope", minimum=8),
    Column("Notes", minimum=10),
    Column("Matched by", minimum=8),
]


def inventory_rows(job: FrameworkJob) -> Iterator[tuple[Any, ...]]:
    """Every resolved inventory row in this framework's scope, as written in the sheet."""
    services = {s["id"]: s for s in job.matrix["services"]}
    framework_id = job.framework_id
    for resolved in job.inventory.rows:
        row = resolved.row
        if not row.in_scope(framework_id):
            continue
        service = services.get(resolved.service_id, {})
        yield (
            row.sheet or None,  # None, not "": an empty cell rather than an empty string
            row.row,
            row.service_text or None,
            resolved.service_id,
            service.get("name"),
            service.get("model"),
            row.resource or None,
            row.account or None,
            row.region or None,
            row.environment or None,
            row.owner or None,
            row.classification or None,
            "all" if row.scope is None else ", ".join(sorted(row.scope)),
            row.notes or None,
            resolved.matched_by,
        )


def inventory_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, job: FrameworkJob) -> Written:
    """Streamed: a 100,000-row inventory is measured in one pass and written in a second."""
    widths = measure(INVENTORY_COLUMNS, inventory_rows(job))
    table = Table("Inventory", INVENTORY_COLUMNS, inventory_rows(job), widths, dense=True)
    return write_table(wb, make, info, table)


def unresolved_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> Written:
    columns = [
        Column("Sheet", minimum=6),
        Column("Row", "number", minimum=5),
        Column("Column", minimum=8),
        Column("Value", minimum=10),
        Column("Reason", minimum=10),
        Column("Suggestions", "wrap", minimum=14),
    ]
    rows = [
        [
            item["sheet"] or "",
            item["row"],
            item["column"],
            item["value"],
            item["reason"],
            ", ".join(item["suggestions"]),
        ]
        for item in matrix["unresolved"]
    ]
    return write_table(wb, make, info, Table("Unresolved", columns, rows))
