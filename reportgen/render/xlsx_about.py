"""The About sheet: where the workbook came from, how to read it, the rules it keeps."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from reportgen.core.owners import OWNER_LABELS, OWNER_MEANINGS, OWNER_ORDER
from reportgen.render.xlsx_cells import MAX_CELL_CHARS, TRUNCATION_MARKER
from reportgen.render.xlsx_layout import Layout
from reportgen.render.xlsx_sheets import CATALOG_EXCEPTION_MARK, CUSTOMER_OVERRIDE_MARK
from reportgen.render.xlsx_style import CellMaker, PrintInfo, print_setup

ABOUT_SHEET = "About"
_WIDTHS = (38, 70, 68, 12)

SHEET_GUIDE = (
    (
        "Summary",
        "Scope, and the controls by owner and by group. The counts are formulas over "
        "the RACI sheet, so they and the charts follow your edits; 'At generation' keeps the "
        "figure reportgen computed.",
    ),
    (
        "RACI",
        "One row per control: its overall owner, then one column per role with R, A, C, "
        "I or A/R (drop-down lists keep the vocabulary). 'Why' says which services and layers "
        "made the owner what it is.",
    ),
    ("Controls x Services", "The owner of every control for every in-scope service."),
    (
        "Services x Layers",
        f"The Shared Responsibility Model for your estate: the owner of each "
        f"layer of each service. {CUSTOMER_OVERRIDE_MARK} marks a layer your config overrides, "
        f"{CATALOG_EXCEPTION_MARK} a catalog exception to the service model; both columns at "
        "the right give the justification.",
    ),
    (
        "Evidence",
        "The evidence tracker: one row per evidence item of every applicable control, with "
        "the roles that collect it and answer for it. Your team fills in the tinted columns "
        "(Status, Responsible person, Due date, Evidence link / location, Collected on, "
        "Reviewed by, Notes) and may add items as new rows below the table; the other "
        "columns are reportgen's. Sort key restores the standard's order. Rows 'Provided by "
        "AWS' come from AWS's attestation. 'reportgen build --evidence <this workbook>' "
        "carries all of it, and the RACI letters you changed, into the next pack.",
    ),
    (
        "Inventory",
        "Every inventory row in this framework's scope, as written in your file "
        "(sheet and row), with the service it resolved to and its service model.",
    ),
    (
        "Unresolved",
        "Inventory rows that name no known AWS service, with the closest catalog "
        "names. They are not in any count until fixed.",
    ),
    (
        "reportgen (hidden)",
        "Which pack this workbook belongs to, and the RACI letters the rules gave: what "
        "'build --evidence' compares your edits with. Leave it as it is.",
    ),
)

RACI_LEGEND = (
    ("R", "Responsible: does the work."),
    ("A", "Accountable: answers for it. Exactly one per row."),
    ("A/R", "Accountable and responsible."),
    ("C", "Consulted before decisions."),
    ("I", "Informed of outcomes."),
)


def _header(layout: Layout, *titles: str) -> None:
    layout.add(*((title, "header") for title in titles))


def _provenance(layout: Layout, matrix: dict[str, Any]) -> None:
    framework = matrix["framework"]
    generator = matrix["generator"]
    layout.section("Document", 2)
    for label, value in (
        ("Document id", matrix["document_id"]),
        ("Generated", matrix["generated_at"]),
        ("Tool", f"{generator['name']} {generator['version']}"),
        ("Matrix schema", matrix["schema"]),
        ("SRM catalog", matrix["catalogs"]["srm"]),
        ("Framework catalog", f"{framework['id']} {matrix['catalogs']['framework']}"),
        (
            "Framework",
            f"{framework['full_name']} {framework['version']} ({framework['publisher']})",
        ),
        ("Classification", matrix["classification"]),
    ):
        layout.add((label, "label"), (value, "value"))
    layout.blank()
    layout.section("Inputs", 4)
    _header(layout, "Role", "File", "SHA-256", "Bytes")
    for item in matrix["inputs"]:
        layout.add(
            (item["role"], "text"),
            (item["path"], "wrap"),
            (item["sha256"], "text"),
            (item["size"], "number"),
        )


ARTEFACT_GUIDE = (
    (
        "statement_of_applicability",
        "Statement of Applicability",
        "ISO/IEC 27001: the ISMS scope, then every Annex A control, included or excluded, "
        "with its justification, owner and implementation status (drop-downs); clauses 4 to "
        "10 below as ISMS requirements, not controls.",
    ),
    (
        "complementary_controls",
        "Complementary controls",
        "SOC 2: the controls expected of AWS as a carved-out subservice organisation "
        "(CSOC), how it is monitored, and those expected of your user entities (CUEC).",
    ),
)
PROVIDERS_GUIDE = (
    "Service providers",
    "Every third-party service provider, AWS first: the service, how it touches your data, "
    "the evidence of its compliance and what it is responsible for.",
)
ACTIONS = {"prepared": "Prepared by", "reviewed": "Reviewed by", "approved": "Approved by"}


def _document_control(layout: Layout, matrix: dict[str, Any]) -> None:
    """Version, owner, review, distribution, approvals and revision history (as the PDF)."""
    document = matrix["document"]
    layout.section("Document control", 4)
    for label, value in (
        ("Version", document["version"]),
        ("Previous version", document["previous_version"] or "none: first version"),
        ("Document owner", document["owner"] or "not named (document_control.owner)"),
        (
            "Next review",
            f"{document['next_review']} (every {document['review_interval_months']} months)",
        ),
        ("Distribution", ", ".join(document["distribution"]) or "not set"),
    ):
        layout.add((label, "label"), (value, "value"))
    layout.blank()
    _header(layout, "Approval", "Name", "Role", "Date")
    approvers = document["approvers"] or [
        {"action": action, "name": "", "role": "", "date": ""} for action in ACTIONS
    ]
    for item in approvers:
        layout.add(
            (ACTIONS[item["action"]], "text"),
            (item["name"], "text"),
            (item["role"], "text"),
            (item["date"] or "", "text"),
        )
    layout.blank()
    _header(layout, "Version", "Summary of changes", "Document id", "Date")
    for line in reversed(document["revisions"]):
        layout.add(
            (line["version"], "text"),
            (line["summary"], "wrap"),
            (line["document_id"], "text"),
            (line["date"], "text"),
        )


def _attestation(layout: Layout, matrix: dict[str, Any]) -> None:
    framework = matrix["framework"]
    block = matrix["aws_attestation"]
    relied = block["relied_on"]
    coverage = block["coverage"]
    layout.section("AWS attestation relied on", 2)
    layout.add(("Attestation", "label"), (framework["attestation"]["name"], "value"))
    if relied:
        for key in ("version", "date", "assessor"):
            layout.add((key.capitalize(), "label"), (relied[key] or "not recorded", "value"))
    else:
        layout.add(
            ("Not recorded", "label"),
            (
                f"Obtain the current one from {framework['attestation']['source']} and record "
                f"its date, version and assessor under framework_options.{framework['id']}."
                "attestation.",
                "value",
            ),
        )
    if coverage:
        names = {s["id"]: s["name"] for s in matrix["services"]}
        outside = [names.get(s, s) for s in coverage["not_covered"] + coverage["not_listed"]]
        layout.add(
            ("Services it covers", "label"),
            (
                f"{len(coverage['covered'])} of {len(matrix['services'])} in-scope services are "
                f"on the list of the {coverage['name']} (as of {coverage['as_of']}"
                + (f", checked {coverage['checked']}" if coverage["checked"] else "")
                + ")."
                + (f" Not on it: {', '.join(sorted(outside))}." if outside else ""),
                "value",
            ),
        )


def _guide(layout: Layout, matrix: dict[str, Any]) -> None:
    layout.section("How to read this workbook", 2)
    artefacts = matrix.get("artefacts", {})
    extra = [(sheet, text) for key, sheet, text in ARTEFACT_GUIDE if artefacts.get(key)]
    # In the order of the sheets: the artefact sheet after RACI, providers after Evidence.
    guide: list[tuple[str, str]] = []
    for sheet, text in SHEET_GUIDE:
        guide.append((sheet, text))
        if sheet == "RACI":
            guide += extra
        elif sheet == "Evidence":
            guide.append(PROVIDERS_GUIDE)
    for sheet, text in guide:
        layout.add((sheet, "label"), (text, "value"))
    layout.blank()
    layout.section("Owners", 2)
    for owner in OWNER_ORDER:
        layout.add((OWNER_LABELS[owner], f"owner:{owner}"), (OWNER_MEANINGS[owner], "value"))
    layout.blank()
    layout.section("RACI letters", 2)
    for letter, meaning in RACI_LEGEND:
        layout.add((letter, f"raci:{letter}"), (meaning, "value"))


def _rules(layout: Layout, matrix: dict[str, Any]) -> None:
    rules = matrix["raci_rules"]
    names = {layer["id"]: layer["name"] for layer in matrix["layers"]}
    layout.section("RACI rules (from your config)", 2)
    for text in (
        "AWS is responsible and accountable for controls AWS owns.",
        f"Otherwise {rules['accountable']} is accountable; the roles below are responsible for "
        "your work within their layers and for your estate-wide work on their topics (policies, "
        "people, suppliers, incidents), AWS where it runs a layer, and a third party you named "
        "for its part. AWS never collects your evidence.",
        "A team named in the inventory's owner column that is one of your roles is responsible "
        "for that service's layers (see 'Teams per service').",
        "Every row has exactly one A. If an edit breaks this, the control id in the RACI sheet "
        "turns red.",
    ):
        layout.add(("", None), (text, "value"))
    layout.add(("Accountable role", "label"), (rules["accountable"], "value"))
    layout.add(("Consulted", "label"), (", ".join(rules["consulted"]) or "none", "value"))
    layout.add(("Informed", "label"), (", ".join(rules["informed"]) or "none", "value"))
    layout.blank()
    _header(layout, "Layer", "Responsible role")
    for layer, role in rules["responsible"].items():
        layout.add((names.get(layer, layer), "text"), (role, "text"))
    layout.blank()
    _header(layout, "Topic (estate-wide work)", "Responsible role")
    for topic, role in rules["topics"].items():
        layout.add((topic.replace("-", " ").capitalize(), "text"), (role, "text"))
    if rules["service_roles"]:
        layout.blank()
        _header(layout, "Teams per service", "Responsible roles (from the inventory)")
        services = {s["id"]: s["name"] for s in matrix["services"]}
        for service, roles in rules["service_roles"].items():
            layout.add((services.get(service, service), "text"), (", ".join(roles), "text"))


def _safety(layout: Layout) -> None:
    layout.section("Text from your files", 2)
    for label, text in (
        (
            "Formulas",
            "Nothing from your inventory or config is ever a formula. Text that "
            "starts with = + - @, a tab or a carriage return is stored as text with Excel's "
            "quote prefix (as if typed after an apostrophe): shown as written, never run.",
        ),
        (
            "Limits",
            f"Characters Excel forbids in a cell are removed; text over "
            f"{MAX_CELL_CHARS:,} characters is cut and ends with '{TRUNCATION_MARKER.strip()}'.",
        ),
        (
            "Formulas we write",
            "Only the counts on the Summary sheet, built from cell "
            "references, never from your text.",
        ),
    ):
        layout.add((label, "label"), (text, "value"))


def about_sheet(wb: Workbook, make: CellMaker, info: PrintInfo, matrix: dict) -> None:
    ws = wb.create_sheet(ABOUT_SHEET)
    layout = Layout(_WIDTHS)
    layout.add(("About this workbook", "title"), height=26)
    layout.add(
        (
            f"{matrix['customer']['name']} · {matrix['framework']['name']} "
            f"{matrix['framework']['version']}",
            "subtitle",
        )
    )
    layout.blank()
    _provenance(layout, matrix)
    layout.blank()
    _document_control(layout, matrix)
    layout.blank()
    _attestation(layout, matrix)
    layout.blank()
    _guide(layout, matrix)
    layout.blank()
    _rules(layout, matrix)
    layout.blank()
    _safety(layout)
    print_setup(ws, info, title_rows=None)  # before any row: write-only sheets
    layout.write(ws, make, freeze="A3")
