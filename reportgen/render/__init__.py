"""Render stage: per-framework writers, run in parallel processes where it pays.

Each writer takes a :class:`FrameworkJob` and writes its files into the job's folder. The
pipeline runs the selected output formats (render/formats.py) for every framework;
frameworks render in separate processes (forked, so the inventory is shared rather than
pickled) when there is more than one.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.core import reserve
from reportgen.core.errors import InputError, environment_errors
from reportgen.core.terminal import say_nothing_of_unraisable
from reportgen.inventory.load import Inventory
from reportgen.matrix import dumps
from reportgen.pack.files import MAX_MATRIX_BYTES
from reportgen.render.workers import MEMORY_HINT, WorkerDied, death, run_forked


@dataclass(frozen=True)
class RenderOptions:
    templates: Path | None = None  # user template folder, searched before the shipped one
    # "default", or "pdf/a-3u": archival, with the inputs and matrix.json attached.
    # None on the command line means "as the config says" (pipeline.render_options).
    pdf_variant: str | None = None
    # Output formats to write (render.formats; None: all): the pipeline sets it from
    # --format / output.formats; tests that build hundreds of packs name a few.
    writers: tuple[str, ...] | None = None
    paper_size: str = "A4"  # "A4" or "Letter": PDF pages and workbook printing


@dataclass
class FrameworkJob:
    framework_id: str
    matrix: dict[str, Any]
    folder: Path
    slug: str
    inventory: Inventory
    options: RenderOptions
    inputs: dict[str, Path] = field(default_factory=dict)  # role -> path (config, inventory)


@dataclass
class WriterRun:
    writer: str
    seconds: float  # wall time
    files: list[Path]
    cpu: float = 0.0  # CPU time of the rendering process: steadier on a busy machine


Writer = Callable[[FrameworkJob], list[Path]]


def write_matrix_json(job: FrameworkJob) -> list[Path]:
    path = job.folder / "matrix.json"
    data = dumps(job.matrix).encode("utf-8")
    if len(data) > MAX_MATRIX_BYTES:
        # A pack whose matrix.json verify, diff and --previous refuse is no pack: one built
        # from a workbook of 200,000 added rows was called ALTERED (twelfth adversarial pass).
        raise InputError(
            f"matrix.json would be {len(data):,} bytes, over the {MAX_MATRIX_BYTES:,} that "
            "reportgen reads back (verify, diff, --previous); nothing was written",
            file=job.folder.name,
            hint="The evidence carried from the workbook is the likely cause: shorten its "
            "notes, or keep fewer rows of your own.",
        )
    with environment_errors(path):  # a full disk or a size limit: exit 2 naming the file
        path.write_bytes(data)
    return [path]


# What laying out one framework's PDF takes beyond a renderer's start: about 150 MB of
# address space for the sample's largest, measured under prlimit --as, and a margin.
PDF_BYTES = 64 * 2**20


def write_pdf(job: FrameworkJob) -> list[Path]:
    # Imported here: WeasyPrint takes a second to import and needs Pango, which only
    # rendering does; `reportgen services` and friends stay fast and work without it.
    from reportgen.core.syscheck import check_pdf_dependencies

    check_pdf_dependencies()
    # Under a memory limit, too little room for laying out a PDF is said before GLib,
    # Pango and Python meet it, each in its own way (a GLib abort, a segfault, "Fatal
    # Python error", dozens of "Exception ignored" lines: pass 28d).
    reserve.require_headroom(PDF_BYTES)
    from reportgen.render.pdf import write_pdf as render_pdf

    return render_pdf(job)


def render_framework(job: FrameworkJob) -> list[WriterRun]:
    """Run the job's framework formats (``options.writers``: their names; None: all). Each
    writer names the file it was writing when the machine refuses (a full disk, a size
    limit...); a refusal a writer did not catch names the framework's folder at least."""
    from reportgen.render.formats import select_formats  # the formats import this module

    # pack-level formats (summary.md) the pipeline writes after every framework
    formats = [fmt for fmt in select_formats(job.options.writers, "writers") if fmt.framework]
    if formats:  # `--format summary` alone made an empty folder a framework (pass 20b)
        with environment_errors(fallback=job.folder):
            job.folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for fmt in formats:
        started, cpu = time.perf_counter(), time.process_time()
        files = _write_format(fmt.framework, job)
        if files is None:  # raised here, out of the except block: see _write_format
            raise _stopped(job, "ran out of memory", MEMORY_HINT)
        wall = time.perf_counter() - started
        runs.append(WriterRun(fmt.name, wall, files, time.process_time() - cpu))
    return runs


def _write_format(writer: Writer, job: FrameworkJob) -> list[Path] | None:
    """The files ``writer`` wrote; None when it ran out of memory (the machine's limit, not
    a bug: in a renderer or in-process). The memory reserve is released first thing, and
    the MemoryError's traceback, which holds the writer's frames (a laid-out PDF...), is
    gone once this returns: the clean-up and the message that follow have memory again."""
    try:
        with environment_errors(fallback=job.folder):
            return writer(job)
    except MemoryError:
        # As in a forked renderer (workers._child): objects collected now printed
        # "Exception ignored in: ..." by the dozen, in pieces without a line break, and the
        # error's own line after them (pass 38d; what no hook silences: cli.LineTracking).
        sys.unraisablehook = say_nothing_of_unraisable
        reserve.release()
    return None


def _stopped(job: FrameworkJob, what: str, hint: str) -> InputError:
    """Rendering ``job`` was stopped by the machine (exit 2): named by its framework, and
    by its folder in the staging directory, so that the message also says the staging
    directory is gone and what became of the old pack (pack/write.py)."""
    name = job.matrix.get("framework", {}).get("name", job.framework_id)
    return InputError(
        f"rendering {name} ({job.framework_id}) stopped: {what}", file=job.folder, hint=hint
    )


_JOBS: list[FrameworkJob] = []


def _render_index(index: int) -> list[WriterRun]:
    return render_framework(_JOBS[index])


def _pdf_under_a_limit(jobs: Sequence[FrameworkJob]) -> bool:
    """Whether a PDF is laid out under a memory limit: in a renderer of its own then, one
    framework too. Out of room, GLib aborts the process it runs in (creating a thread for
    Pango): the build itself ended with SIGTRAP, no message, under a 200 MiB limit (39d);
    a renderer's death the build says."""
    from reportgen.render.formats import select_formats  # the formats import this module

    if not jobs or not reserve.address_space_limited():
        return False
    return any(fmt.name == "pdf" for fmt in select_formats(jobs[0].options.writers, "writers"))


def render_all(
    jobs: Sequence[FrameworkJob], on_done: Callable[[str], None] | None = None
) -> dict[str, list[WriterRun]]:
    """Render every framework; in parallel processes when several frameworks and CPUs."""
    workers = min(len(jobs), os.cpu_count() or 1)
    alone = workers <= 1 and not _pdf_under_a_limit(jobs)
    if alone or "fork" not in multiprocessing.get_all_start_methods():
        results = {}
        for job in jobs:
            results[job.framework_id] = render_framework(job)
            if on_done:
                on_done(job.framework_id)
        return results
    _JOBS[:] = jobs
    # The forked renderers share the parent's pages until written. A garbage collection in
    # a renderer writes to every object it scans, copying the pages of the inventory and
    # the matrices into each renderer: frozen objects are left out of collections.
    gc.freeze()
    try:
        done = (lambda index: on_done(jobs[index].framework_id)) if on_done else None
        try:
            runs = run_forked(len(jobs), _render_index, workers, done)
        except WorkerDied as died:  # killed (the OOM killer, a signal), or aborted by a library
            if died.python_gave_up and reserve.address_space_limited():  # out of memory (29d)
                raise _stopped(jobs[died.index], "ran out of memory", MEMORY_HINT) from None
            what, hint = death(died.exitcode)
            raise _stopped(jobs[died.index], f"its renderer process {what}", hint) from None
        return {job.framework_id: run for job, run in zip(jobs, runs, strict=True)}
    finally:
        gc.unfreeze()
        _JOBS.clear()
