"""`reportgen init`: a starter config and an inventory template with example rows."""

from __future__ import annotations

import gc
import io
import sys
import traceback
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from reportgen.core.errors import InputError, environment_errors
from reportgen.core.outfiles import (
    make_parents,
    refuse_special,
    remove_made,
    replacing_modes,
    settle_moves,
    write_together,
)
from reportgen.core.pathtext import CONTROL_OR_NOT_UTF8, refuse_unwritable
from reportgen.core.terminal import say_nothing_of_unraisable

HERE = Path(__file__).resolve().parent

TEMPLATE_HEADERS = [
    "Service",
    "Resource ID",
    "Account",
    "Region",
    "Environment",
    "Owner",
    "Data Classification",
    "Scope",
    "Notes",
]

EXAMPLE_ROWS = [
    ["Amazon EC2", "i-0123456789abcdef0", "111122223333", "eu-west-1", "production",
     "Cloud Platform", "Confidential", "all", "Web tier"],
    ["Amazon RDS", "arn:aws:rds:eu-west-1:111122223333:db:orders", "111122223333", "eu-west-1",
     "production", "Application Owner", "Restricted", "PCI DSS, SOC 2", "Orders database"],
    ["S3", "arn:aws:s3:::example-statements", "111122223333", "eu-west-1", "production",
     "Application Owner", "Confidential", "all", "Customer statements"],
    ["AWS::DynamoDB::Table", "sessions", "111122223333", "eu-west-1", "production",
     "Application Owner", "Internal", "ISO 27001, SOC 2", "Resource types work too"],
    ["arn:aws:sqs:eu-west-1:111122223333:payments-events", "", "", "", "production",
     "Application Owner", "Internal", "all", "An ARN alone is enough"],
]  # fmt: skip


def refuse_unusable_folder(directory: Path) -> None:
    """A project folder whose path holds a control character or a byte that is not UTF-8:
    init wrote into it, but no build of that project could run, its output path refused and
    its workbook not opened (fourteenth adversarial pass). Refused before anything is
    written."""
    refuse_unwritable(
        str(directory.absolute()),
        str(directory),
        subject="the project folder's path",
        cannot="build cannot use in the names of the files it reads and writes",
        hint="Choose a folder whose path is plain text and run init again.",
        found=CONTROL_OR_NOT_UTF8,
    )


def write_starter(directory: Path, force: bool = False) -> list[Path]:
    """Write reportgen.yaml and inventory.xlsx into ``directory``; never overwrite silently."""
    refuse_unusable_folder(directory)
    config = directory / "reportgen.yaml"
    inventory = directory / "inventory.xlsx"
    for path in (config, inventory):
        refuse_special(path)  # a link, a FIFO, a device: never written through, --force or not
    settle_moves(directory)  # an init killed between its two moves left one file: undone
    existing = [p for p in (config, inventory) if p.exists()]
    if existing and not force:
        raise InputError(
            "refusing to overwrite existing file(s): " + ", ".join(map(str, existing)),
            hint="Use --force to overwrite them.",
        )
    if directory.exists() and not directory.is_dir():
        raise InputError("not a directory", file=directory)
    with environment_errors(inventory):  # openpyxl writes the sheet to a temporary file
        template = inventory_template()
    write_files({inventory: template, config: (HERE / "reportgen.yaml").read_bytes()}, force)
    return [config, inventory]


def write_files(files: dict[Path, bytes], force: bool) -> None:
    """The files written all or none (outfiles.write_together), and on a failure the
    folders this call made removed again. Written in place, a full disk left a 0-byte
    inventory.xlsx that the next init refused to replace without --force, after a traceback
    from zipfile (fourteenth adversarial pass)."""
    made = make_parents(next(iter(files)))
    try:
        write_together(
            [(path, lambda handle, d=data: handle.write(d)) for path, data in files.items()],
            lambda: _refuse_special(files, force),
            mode=replacing_modes(files),  # with --force, a private config stays so
            prefix=".reportgen-init-",
            locked=True,  # a killed init's temporary files are swept by the next one here
            replace=force,
        )
    except BaseException:
        remove_made(made)
        raise


def _refuse_special(paths: dict[Path, bytes], force: bool) -> None:
    for path in paths:  # a link, a FIFO, a device put there while the files were written
        refuse_special(path)
    # a file saved there meanwhile: it was replaced without --force (twenty-first pass)
    existing = [path for path in paths if not force and path.exists()]
    if existing:
        raise InputError(
            "refusing to overwrite file(s) written there while init ran: "
            + ", ".join(map(str, existing)),
            hint="Use --force to overwrite them.",
        )


def inventory_template() -> bytes:
    """The inventory template's bytes, made in memory: a small workbook, and a save that
    fails half-way into a file leaves a zip writer whose clean-up prints a traceback."""
    buffer = io.BytesIO()
    hook = sys.unraisablehook
    # openpyxl writes the sheet through a temporary file: when that fails (a file size
    # limit), its generator's clean-up raises again as it is collected, which Python prints
    # as "Exception ignored" with a traceback. The error itself is raised and reported.
    sys.unraisablehook = say_nothing_of_unraisable
    failed: BaseException | None = None
    try:
        write_inventory_template(buffer)
    except Exception as exc:
        traceback.clear_frames(exc.__traceback__)  # they hold the generator
        failed = exc.with_traceback(None)
    finally:
        gc.collect()
        sys.unraisablehook = hook
    if failed is not None:
        raise failed
    return buffer.getvalue()


def write_inventory_template(path: Path | IO[bytes]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Inventory"
    sheet.append(TEMPLATE_HEADERS)
    for row in EXAMPLE_ROWS:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="232F3E")
    widths = [28, 48, 16, 14, 14, 20, 20, 22, 30]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(65 + index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # account ids stay text, leading zeros included
            cell.number_format = "@"
    environments = DataValidation(
        type="list", formula1='"production,staging,development,shared"', allow_blank=True
    )
    sheet.add_data_validation(environments)
    environments.add("E2:E1000")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:I{len(EXAMPLE_ROWS) + 1}"
    workbook.save(path)
