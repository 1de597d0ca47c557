"""Building RACI workbooks for tests and reading them back as a user's spreadsheet app would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from pypdf import PdfReader

from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, jobs_for, prepare, render_options
from reportgen.render import FrameworkJob
from reportgen.render.xlsx import write_xlsx

EPOCH = "1790000000"  # 2026-09-21T14:13:20Z
SHEETS = [
    "Summary",
    "RACI",
    "Controls x Services",
    "Services x Layers",
    "Evidence",
    "Service providers",
    "Inventory",
    "Unresolved",
    "About",
    "reportgen",  # hidden: what build --evidence reads back (reportgen/render/xlsx_evidence.py)
]
DATA_SHEETS = SHEETS[1:-2]
# The artefact sheet of a framework, after the RACI sheet (catalogs/artefacts.yaml).
ARTEFACT_SHEETS = {
    "iso-27001": "Statement of Applicability",
    "soc2": "Complementary controls",
}


def sheets_of(framework_id: str) -> list[str]:
    extra = ARTEFACT_SHEETS.get(framework_id)
    return [*SHEETS[:2], extra, *SHEETS[2:]] if extra else list(SHEETS)


# The only formulas the writer may produce: counts over cell ranges on the Summary sheet.
_RACI_RANGE = r"RACI!\$[A-Z]+\$2:\$[A-Z]+\$\d+"
_GROUP = r'\$A\d+&IF\(\$B\d+="",""," "&\$B\d+\)'
OUR_FORMULA = re.compile(
    rf"^=(COUNTIF\({_RACI_RANGE},\$A\d+\)"
    rf"|SUMPRODUCT\(\({_RACI_RANGE}={_GROUP}\)\*\({_RACI_RANGE}=[A-Z]+\$\d+\)\)"
    r"|SUM\([A-Z]+\d+:[A-Z]+\d+\)"
    r"|C\d+-C\d+"
    r"|IF\(\$C\$\d+=0,0,(C\d+/\$C\$\d+|1)\))$"
)


@dataclass
class Built:
    job: FrameworkJob
    path: Path

    @property
    def matrix(self) -> dict[str, Any]:
        return self.job.matrix

    def open(self) -> Workbook:
        return load_workbook(self.path)


def build_workbooks(
    config: Path, out: Path, frameworks: tuple[str, ...] = (), epoch: str = EPOCH
) -> dict[str, Built]:
    """Read, compute and write the workbook of each framework (no other writer runs)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", epoch)
        inputs, matrices = prepare(RunOptions(config=config, frameworks=frameworks))
    options = render_options(BuildOptions(run=RunOptions(config=config)), inputs)
    built = {}
    for job in jobs_for(inputs, matrices, out, options):
        job.folder.mkdir(parents=True, exist_ok=True)
        [path] = write_xlsx(job)
        built[job.framework_id] = Built(job, path)
    return built


def rows(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def table(ws: Any) -> tuple[list[Any], list[list[Any]]]:
    """Header and data rows of a data sheet."""
    everything = rows(ws)
    return everything[0], everything[1:]


def cells(wb: Workbook) -> Iterator[tuple[str, Any]]:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.skip("LibreOffice (soffice) is not installed: workbook rendering not checked")
    return found


def convert_to_pdf(workbook: Path, out: Path) -> PdfReader:
    """Convert with LibreOffice headless, in a private profile; return the PDF read back."""
    profile = out / "lo-profile"
    process = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(out)},
    )
    pdf = out / (workbook.stem + ".pdf")
    assert process.returncode == 0 and pdf.is_file(), process.stderr + process.stdout
    return PdfReader(pdf)
