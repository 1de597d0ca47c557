"""The floors reportgen is held against, measured on a finished pack and its inventory.

    .venv/bin/python bench/floors.py --pack output/harbourline --inventory inputs/inventory.xlsx

- reading: python-calamine's bare read of the inventory (open, iterate every row of every
  sheet) against reportgen's read of the same file (guard, calamine, header, rows, services);
- PDF: WeasyPrint rendering one plain ``<table>`` with one row per control of the pack's
  control matrix, carrying that control's text (id, title, description, owner, who does
  what, provenance, attestation, evidence), in CPU ms per row; and a plain table of the
  whole report's text (every row, paragraph and heading it prints, markup gone);
- workbook: openpyxl write-only mode writing the cells of the pack's workbooks (read back
  from them, every sheet) with no styling at all.

Prints one JSON object (``--json``) or a short report. ``bench/run.py`` runs this in a fresh
process after each build.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import python_calamine
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SOURCE_DATE_EPOCH", "1764547200")


def cpu_and_wall(work: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """The best (CPU seconds, wall seconds) of ``repeat`` runs, and the last result."""
    best_cpu = best_wall = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall, result


# ---------------------------------------------------------------- reading


def calamine_read(path: Path) -> int:
    """The floor: open the workbook and iterate every row of every worksheet."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = 0
    for name in workbook.sheet_names:
        for _ in workbook.get_sheet_by_name(name).iter_rows():
            rows += 1
    return rows


def reportgen_read(path: Path) -> Callable[[], int]:
    """What the pipeline does with the inventory file: the guard, every row read, its service
    resolved. The catalogs are loaded once, outside the timed part."""
    from reportgen.inputs import load_catalogs
    from reportgen.inventory.load import InventoryOptions, read_inventory
    from reportgen.inventory.scope import ScopeParser

    catalogs = load_catalogs()
    aliases = {
        fid: [lf.framework.name, *lf.framework.aliases] for fid, lf in catalogs.frameworks.items()
    }

    def read() -> int:
        scopes = ScopeParser(aliases)
        resolver = type(catalogs.resolver)(catalogs.catalog)  # a cold cache, as in a build
        return read_inventory(path, InventoryOptions(), resolver, scopes).total_rows

    return read


def reading_floors(inventory: Path, repeat: int) -> dict[str, float]:
    ours = reportgen_read(inventory)
    floor_cpu, floor_wall, rows = cpu_and_wall(lambda: calamine_read(inventory), repeat)
    ours_cpu, ours_wall, _ = cpu_and_wall(ours, repeat)
    return {
        "rows": rows,
        "calamine_wall": floor_wall,
        "calamine_cpu": floor_cpu,
        "reportgen_wall": ours_wall,
        "reportgen_cpu": ours_cpu,
    }


# ---------------------------------------------------------------- PDF


def control_text(control: dict[str, Any]) -> tuple[str, ...]:
    """What one row of the control matrix says, as plain cells: the control, its owner,
    who does what (the customer's and AWS's statements), why, the attestation, evidence."""
    head = f"{control['id']} {control['title']} {control['description']}"
    if control.get("applicability"):
        head += f" Applies: {control['applicability']}"
    duties = " ".join(
        f"{who}: {text}"
        for who, text in (("Customer", control["responsibility"]["customer"]),
                          ("AWS", control["responsibility"]["aws"]))
        if text
    )  # fmt: skip
    why = f"{duties} Why: {control['provenance']}"
    if control.get("aws_evidence"):
        why += f" AWS attestation: {control['aws_evidence']}"
    return (head, control["owner"], why, " ".join(f"• {e}" for e in control["evidence"]))


def plain_document(rows: Iterable[Sequence[str]]) -> str:
    """One bare table of these rows of text: the least WeasyPrint can do with that text."""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"
        for cells in rows
    )
    return (
        "<html><head><style>@page { size: A4 landscape } table { border-collapse: collapse }"
        " td { border-bottom: 0.5pt solid #999; vertical-align: top; font-size: 7.5pt }"
        f"</style></head><body><table>{body}</table></body></html>"
    )


def render_plain(document: str) -> int:
    """Render and write a plain document; its page count."""
    from weasyprint import HTML

    rendered = HTML(string=document).render()
    rendered.write_pdf()
    return len(rendered.pages)


def report_text(matrix: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every text the report prints, as plain cells: a table row's cells, or one cell per
    paragraph, heading or list item outside tables (the report's own HTML, its markup gone)."""
    import lxml.html

    from reportgen.render import FrameworkJob, RenderOptions
    from reportgen.render.pdf import report_html

    job = FrameworkJob(matrix["framework"]["id"], matrix, ROOT, "x", None, RenderOptions())
    root = lxml.html.fromstring(report_html(job))
    rows: list[tuple[str, ...]] = []
    for element in root.iter("tr", "p", "li", "h1", "h2", "h3", "dt", "dd"):
        if element.tag != "tr" and any(a.tag in ("tr", "li") for a in element.iterancestors()):
            continue  # said by the row or item it is in
        if element.tag == "tr":
            cells = tuple(" ".join(c.text_content().split()) for c in element.iter("td", "th"))
        else:
            cells = (" ".join(element.text_content().split()),)
        if any(cells):
            rows.append(cells)
    return rows


def pdf_floors(pack: Path) -> dict[str, dict[str, float]]:
    """Two floors per framework: the control matrix's text (one row per control, what the
    row says), and the whole report's text (every table row, paragraph and heading)."""
    import weasyprint  # noqa: F401 (imported before timing: it takes a second)

    floors = {}
    for matrix_path in sorted(pack.glob("*/matrix.json")):
        matrix = json.loads(matrix_path.read_text(encoding="utf-8"))
        controls = matrix["controls"]
        cpu, wall, pages = cpu_and_wall(
            lambda c=controls: render_plain(plain_document(map(control_text, c)))
        )
        text = report_text(matrix)
        report_cpu, _, report_pages = cpu_and_wall(lambda t=text: render_plain(plain_document(t)))
        floors[matrix_path.parent.name] = {
            "rows": len(controls),
            "pages": pages,
            "cpu": cpu,
            "wall": wall,
            "report_cpu": report_cpu,
            "report_pages": report_pages,
            "report_rows": len(text),
        }
    return floors


# ---------------------------------------------------------------- workbook


def workbook_cells(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's values, as calamine reads them back."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return [(name, workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]


def bare_write(sheets: list[tuple[str, list[list[Any]]]], target: Path) -> int:
    """The floor: the same values, write-only openpyxl, no styles, no other settings."""
    workbook = Workbook(write_only=True)
    cells = 0
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([value if value != "" else None for value in row])
            cells += len(row)
    workbook.save(target)
    return cells


def workbook_floors(pack: Path, repeat: int) -> dict[str, dict[str, float]]:
    floors = {}
    with tempfile.TemporaryDirectory() as scratch:
        for path in sorted(pack.glob("*/*.xlsx")):
            sheets = workbook_cells(path)
            target = Path(scratch) / path.name
            cpu, wall, cells = cpu_and_wall(lambda s=sheets, t=target: bare_write(s, t), repeat)
            floors[path.parent.name] = {"cells": cells, "cpu": cpu, "wall": wall}
    return floors


# ---------------------------------------------------------------- command line


def measure(pack: Path, inventory: Path, repeat: int = 1) -> dict[str, Any]:
    return {
        "reading": reading_floors(inventory, repeat),
        "pdf": pdf_floors(pack),
        "workbook": workbook_floors(pack, repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, required=True, help="a built pack's folder")
    parser.add_argument("--inventory", type=Path, required=True, help="its inventory (.xlsx)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    floors = measure(args.pack, args.inventory, args.repeat)
    if args.json:
        print(json.dumps(floors))
        return
    reading = floors["reading"]
    print(
        f"reading {reading['rows']:,} rows: calamine {reading['calamine_wall']:.2f} s, "
        f"reportgen {reading['reportgen_wall']:.2f} s wall"
    )
    for fid, pdf in floors["pdf"].items():
        print(
            f"PDF floor {fid}: {pdf['rows']} rows, {pdf['pages']} pages, "
            f"{1000 * pdf['cpu'] / pdf['rows']:.1f} ms CPU per row; the report's text "
            f"{pdf['report_rows']} rows, {pdf['report_pages']} pages, {pdf['report_cpu']:.2f} s"
        )
    for fid, book in floors["workbook"].items():
        print(f"workbook floor {fid}: {book['cells']:,} cells, {book['cpu']:.2f} s CPU")


if __name__ == "__main__":
    main()
