"""The Excel RACI workbook of one framework: DIR/<framework>/<customer>-<framework>-raci.xlsx.

The whole workbook is written in openpyxl's write-only mode, so each sheet streams to disk
row by row and a 100,000-row inventory never sits in memory as cell objects. Saving pins
every timestamp to the build time: same inputs and SOURCE_DATE_EPOCH, same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook

from reportgen.core.clock import parse_iso
from reportgen.core.errors import environment_errors
from reportgen.render.scratch import scratch
from reportgen.render.xlsx_about import about_sheet
from reportgen.render.xlsx_artefacts import complementary_sheet, providers_sheet, soa_sheet
from reportgen.render.xlsx_cells import safe_plain
from reportgen.render.xlsx_evidence import data_sheet, evidence_sheet
from reportgen.render.xlsx_sheets import (
    controls_services_sheet,
    inventory_sheet,
    raci_sheet,
    services_layers_sheet,
    unresolved_sheet,
)
from reportgen.render.xlsx_style import CellMaker, PrintInfo
from reportgen.render.xlsx_summary import summary_sheet
from reportgen.render.zipfix import save_workbook

if TYPE_CHECKING:
    from reportgen.render import FrameworkJob


def workbook_path(job: FrameworkJob) -> Path:
    return job.folder / f"{job.slug}-{job.framework_id}-raci.xlsx"


def print_info(matrix: dict[str, Any], paper_size: str = "A4") -> PrintInfo:
    framework = matrix["framework"]
    return PrintInfo(
        customer=matrix["customer"]["name"],
        framework=f"{framework['name']} {framework['version']} RACI workbook",
        classification=matrix["classification"],
        document_id=matrix["document_id"],
        paper_size=paper_size,
    )


def _properties(wb: Workbook, matrix: dict[str, Any]) -> None:
    framework = matrix["framework"]
    props = wb.properties
    props.creator = f"reportgen {matrix['generator']['version']}"
    props.title = safe_plain(
        f"{matrix['customer']['name']}: {framework['name']} {framework['version']} RACI workbook"
    )[:255]
    props.subject = "AWS Shared Responsibility Model: responsibility matrix and RACI"
    props.identifier = matrix["document_id"]
    props.category = safe_plain(matrix["classification"])[:255]


def build_time(matrix: dict[str, Any]) -> dt.datetime:
    """matrix["generated_at"] carries the build time (SOURCE_DATE_EPOCH when set)."""
    return parse_iso(matrix["generated_at"])


def write_xlsx(job: FrameworkJob) -> list[Path]:
    """Write the workbook; a full disk or a size limit, met by openpyxl's sheet files (lxml
    reports it as ``SerialisationError: IO_ENOSPC``) or by the zip, is exit 2 naming it."""
    with environment_errors(workbook_path(job)), scratch(job.folder):  # openpyxl's temp files
        wb = Workbook(write_only=True)
        try:
            _fill(wb, job)
            path = workbook_path(job)
            save_workbook(wb, path, build_time(job.matrix))
        except BaseException:
            _abandon(wb)
            raise
        return [path]


def _abandon(wb: Workbook) -> None:
    """Close the sheets' open XML streams after a failure, quietly. Each write-only sheet
    streams through generators holding an lxml writer; left open, they are closed when
    collected, fail again on the same full disk, and Python prints each failure as an
    "Exception ignored" traceback (in a forked renderer too). The first error is the one
    that is reported."""
    for ws in wb.worksheets:
        streams = [getattr(ws, "_rows", None), getattr(getattr(ws, "_writer", None), "xf", None)]
        for stream in streams:  # rows first: they hold an element of the sheet's stream
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()


def _fill(wb: Workbook, job: FrameworkJob) -> None:
    matrix = job.matrix
    make = CellMaker()
    info = print_info(matrix, job.options.paper_size)
    summary_sheet(wb, make, info, matrix)
    raci_sheet(wb, make, info, matrix)
    soa_sheet(wb, make, info, matrix)  # ISO/IEC 27001 only
    complementary_sheet(wb, make, info, matrix)  # SOC 2 only
    controls_services_sheet(wb, make, info, matrix)
    services_layers_sheet(wb, make, info, matrix)
    evidence_sheet(wb, make, info, matrix)
    providers_sheet(wb, make, info, matrix)
    inventory_sheet(wb, make, info, job)
    unresolved_sheet(wb, make, info, matrix)
    about_sheet(wb, make, info, matrix)
    data_sheet(wb, make, info, matrix)
    _properties(wb, matrix)
