"""The output formats a pack can hold, in one registry (docs/contributing.md).

A format writes files into the pack: per framework (into ``<framework>/``, from the job's
matrix) or once per pack (beside manifest.json, from every framework's matrix). A build
writes every format unless ``output.formats`` in the config or ``--format`` on the command
line names some; manifest.json is not a format, it always lists what the others wrote.
Formats run in registry order; none reads another's files, so any subset works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.core.plugins import FORMATS_GROUP, Registry
from reportgen.render import FrameworkJob, write_matrix_json, write_pdf
from reportgen.render.oscal import write_oscal
from reportgen.render.xlsx import write_xlsx

if TYPE_CHECKING:
    from reportgen.pack.diff import Pack


@dataclass(frozen=True)
class PackJob:
    """What a pack-level format writes from: the staging folder and every matrix."""

    folder: Path
    matrices: dict[str, dict[str, Any]]
    entries: list[dict[str, Any]]  # the framework files written so far (manifest entries)
    previous: Pack | None = None  # the earlier pack of --previous


@dataclass(frozen=True)
class OutputFormat:
    """One output format. Exactly one of ``framework`` and ``pack`` is set."""

    name: str  # as output.formats and --format name it
    description: str  # what it writes, for --help and the unknown-format message
    framework: Callable[[FrameworkJob], list[Path]] | None = None
    pack: Callable[[PackJob], list[Path]] | None = None

    def __post_init__(self) -> None:
        if (self.framework is None) == (self.pack is None):
            raise ValueError(f"output format '{self.name}': give one of framework= or pack=")


def _write_summary(job: PackJob) -> list[Path]:
    from reportgen.render.summary import write_summary  # summary -> diff_report (rich): on use only

    return [write_summary(job.folder, job.matrices, job.entries, job.previous)]


FORMATS: Registry[OutputFormat] = Registry(
    "output format",
    FORMATS_GROUP,
    OutputFormat,
    (
        OutputFormat("matrix", "matrix.json per framework", framework=write_matrix_json),
        OutputFormat("xlsx", "the RACI workbook per framework", framework=write_xlsx),
        OutputFormat("oscal", "OSCAL SSP, profile, catalog per framework", framework=write_oscal),
        OutputFormat("pdf", "the PDF responsibility matrix per framework", framework=write_pdf),
        OutputFormat("summary", "summary.md for the pack", pack=_write_summary),
    ),
)


def select_formats(names: Sequence[str] | None, where: str = "--format") -> list[OutputFormat]:
    """The formats named (in registry order, each once), or every format for None."""
    if names is None:
        return FORMATS.all()
    wanted = {FORMATS.get(name, where).name for name in names}
    return [fmt for fmt in FORMATS.all() if fmt.name in wanted]
