"""The build pipeline: read -> resolve -> compute -> render -> write."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportgen.compute import compute_inputs
from reportgen.core.clock import build_time, day_of, iso
from reportgen.core.errors import InputError, check_output_path
from reportgen.core.slug import slugify
from reportgen.inputs import Inputs, RunOptions, load_inputs
from reportgen.matrix import RunInfo, build_matrix
from reportgen.ownership.engine import FrameworkResult
from reportgen.pack.diff import Pack, load_pack
from reportgen.pack.manifest import build_manifest, output_entries, write_manifest
from reportgen.pack.target import Read, Replace, plain_output_path
from reportgen.pack.write import atomic_pack, put_back_before_reading
from reportgen.render import FrameworkJob, RenderOptions, WriterRun, render_all
from reportgen.render.formats import OutputFormat, PackJob, select_formats

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    run: RunOptions
    out: Path | None = None
    overwrite: bool = False  # replace a pack at ``out`` even if files were added to it
    discard_edits: bool = False  # ... even if files it lists were changed since (lost)
    previous: Path | None = None  # an earlier pack: the summary lists what changed since
    render: RenderOptions = field(default_factory=RenderOptions)
    formats: tuple[str, ...] | None = None  # --format: output formats to write (None: config's)


@dataclass
class BuildResult:
    out_dir: Path
    inputs: Inputs
    matrices: dict[str, dict[str, Any]]
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    runs: dict[str, list[WriterRun]] = field(default_factory=dict)  # framework -> its writers


def customer_slug(inputs: Inputs) -> str:
    customer = inputs.config.config.customer
    return slugify(customer.short_name or customer.name)


def output_dir(options: BuildOptions, inputs: Inputs) -> Path:
    """Where the pack goes. One rule, as for every path: a path on the command line is
    relative to the current folder, a path in the config to the config file's folder. So
    --out DIR, else the config's output.dir, else output/<short_name>/ beside the config."""
    if options.out is not None:
        return options.out
    configured = inputs.config.config.output.dir
    return inputs.config.resolve(configured or f"output/{customer_slug(inputs)}")


def render_options(options: BuildOptions, inputs: Inputs) -> RenderOptions:
    """Command-line render options, else the config's; the template folder must exist."""
    output = inputs.config.config.output
    templates = options.render.templates
    if templates is None and output.templates:
        templates = inputs.config.resolve(output.templates)
    if templates is not None and not templates.is_dir():
        raise InputError(
            "the templates folder does not exist or is not a folder",
            file=templates,
            hint="Give --templates DIR or output.templates a folder of report templates.",
        )
    variant = options.render.pdf_variant or output.pdf_variant
    writers = options.render.writers or format_names(options, inputs)
    if options.render.pdf_variant and writers is not None and "pdf" not in writers:
        # Said, not dropped in silence (sixteenth adversarial pass).
        inputs.warnings.append(
            f"--pdf-variant {options.render.pdf_variant} has no effect: this build writes "
            "no PDF (--format or output.formats leaves it out)"
        )
    return RenderOptions(
        templates=templates, pdf_variant=variant, writers=writers, paper_size=output.paper_size
    )


def format_names(options: BuildOptions, inputs: Inputs) -> tuple[str, ...] | None:
    """The names of the formats chosen on the command line or in the config; None: all."""
    if not (options.formats or inputs.config.config.output.formats):
        return None
    return tuple(fmt.name for fmt in selected_formats(options, inputs))


def selected_formats(options: BuildOptions, inputs: Inputs) -> list[OutputFormat]:
    """The output formats to write: --format, else the config's output.formats, else all."""
    if options.formats:
        return select_formats(options.formats, "--format")
    return select_formats(inputs.config.config.output.formats, "output.formats")


def compute_all(inputs: Inputs, as_of: date | None = None) -> dict[str, FrameworkResult]:
    """Every framework's result; applicability follows the pack's date (``as_of``)."""
    return {fid: compute_inputs(inputs, f, as_of) for fid, f in inputs.frameworks.items()}


def _refuse_empty(results: dict[str, FrameworkResult], inputs: Inputs, options: RunOptions) -> None:
    """A framework with no in-scope service would read as 'nothing to do': exit 2, unless
    asked for (--allow-empty, or framework_options.<id>.allow_empty in the config)."""
    configured = inputs.config.config.framework_options
    empty = [
        fid
        for fid, result in results.items()
        if not result.services
        and not options.allow_empty
        and not (fid in configured and configured[fid].allow_empty)
    ]
    if not empty:
        for fid, result in results.items():
            if not result.services:
                inputs.warnings.append(f"{fid}: no inventory row is in scope; built as asked")
        return
    header = inputs.inventory.header
    scopes = [header.describe(f) for f in header.columns if f == "scope" or f.startswith("scope:")]
    warnings = inputs.warnings[:_WARNINGS_SHOWN]
    more = len(inputs.warnings) - len(warnings)
    raise InputError(
        f"no inventory row is in scope for {', '.join(empty)}",
        file=inputs.inventory.path,
        # the warnings so far, which a failed run never prints: one saying the scope
        # column matched two columns is the reason (71a W4)
        details=[
            f"scope column(s): {', '.join(scopes) or 'none'}",
            *(f"warning: {warning}" for warning in warnings),
            *([f"… and {more:,} more warning(s)"] if more else []),
        ],
        hint="Check the scope column(s), leave the framework out with --framework, or build "
        "it anyway with --allow-empty.",
    )


_WARNINGS_SHOWN = 5


_ROLES = {
    "config": "the config file",
    "inventory": "the inventory",
    "service-catalog": "a service catalog",
    "framework-catalog": "a framework catalog",
}


def reads(options: BuildOptions, inputs: Inputs, templates: Path | None) -> tuple[Read, ...]:
    """Every file and folder the build reads: replacing the pack must not delete one."""
    found = [Read(_ROLES[f.role], Path(f.path)) for f in inputs.files if f.role in _ROLES]
    if templates is not None:
        found.append(Read("the templates folder", templates))
    found += [Read("--evidence", path, of_the_pack=True) for path in options.run.evidence]
    if options.previous is not None:
        found.append(Read("--previous", options.previous, of_the_pack=True))
    return tuple(found)


def run_info(inputs: Inputs, previous: Pack | None = None) -> RunInfo:
    config = inputs.config.config
    return RunInfo(
        customer=config.customer.name,
        slug=customer_slug(inputs),
        classification=config.output.classification,
        generated_at=iso(build_time()),
        inputs=tuple(inputs.files),
        previous=previous.matrices if previous else {},
    )


def prepare(
    options: RunOptions, timings: dict[str, float] | None = None, previous: Pack | None = None
) -> tuple[Inputs, dict]:
    """Read and compute: the matrices of every selected framework, nothing written."""
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    inputs = load_inputs(options)
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    run = run_info(inputs, previous)
    results = compute_all(inputs, as_of=day_of(run.generated_at))
    _refuse_empty(results, inputs, options)
    matrices = {fid: build_matrix(result, inputs, run) for fid, result in results.items()}
    timings["compute"] = time.perf_counter() - started
    return inputs, matrices


def jobs_for(
    inputs: Inputs, matrices: dict[str, dict[str, Any]], staging: Path, options: RenderOptions
) -> list[FrameworkJob]:
    paths = {
        item.role: Path(item.path) for item in inputs.files if item.role in ("config", "inventory")
    }
    return [
        FrameworkJob(
            framework_id=fid,
            matrix=matrix,
            folder=staging / fid,
            slug=customer_slug(inputs),
            inventory=inputs.inventory,
            options=options,
            inputs=paths,
        )
        for fid, matrix in matrices.items()
    ]


def render_stage(
    jobs: list[FrameworkJob], timings: dict[str, float], say: Progress
) -> dict[str, list[WriterRun]]:
    pending = [job.framework_id for job in jobs]
    say(f"rendering {', '.join(pending)}")

    def done(framework_id: str) -> None:
        pending.remove(framework_id)
        say(f"{framework_id} done")
        if pending:
            say(f"rendering {', '.join(pending)}")

    started = time.perf_counter()
    runs = render_all(jobs, done)
    timings["render"] = time.perf_counter() - started
    for framework_runs in runs.values():
        for run in framework_runs:
            timings[run.writer] = timings.get(run.writer, 0.0) + run.seconds
    return runs


def write_pack_level(
    staging: Path,
    matrices: dict[str, dict[str, Any]],
    previous: Pack | None,
    formats: list[OutputFormat] | None = None,
) -> None:
    """Pack-level files, after every framework's: the pack formats (summary.md), then
    manifest.json (which lists them and every other file, never itself)."""
    for fmt in formats if formats is not None else select_formats(None):
        if fmt.pack is not None:
            fmt.pack(PackJob(staging, matrices, output_entries(staging), previous))
    write_manifest(
        staging,
        build_manifest(matrices, output_entries(staging), previous and previous.as_previous()),
    )


# Called with a stage's name ("render", then "pack") when it is done, while the pack is
# still in its staging directory. Nothing in reportgen registers one: it is the seam the
# atomicity tests use to stop a build at a known point (tests/reportgen_without_pdf.py).
STAGE_HOOKS: list[Callable[[str], None]] = []


def _checkpoint(stage: str) -> None:
    for hook in STAGE_HOOKS:
        hook(stage)


def _packs_read(options: BuildOptions) -> list[Path]:
    """The paths --previous and --evidence read, which may be a pack's (its own target's)."""
    return [*([options.previous] if options.previous else []), *options.run.evidence]


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the whole pack into its output directory, atomically."""
    say = progress or (lambda _message: None)
    say("reading inputs")
    timings: dict[str, float] = {}
    put_back: list[str] = []
    put_back_before_reading(_packs_read(options), put_back)
    try:
        # The previous pack first: document control continues its version and history.
        previous = load_pack(options.previous) if options.previous else None
        inputs, matrices = prepare(options.run, timings, previous)
    except InputError as exc:
        exc.details.extend(put_back)
        raise
    inputs.warnings[:0] = put_back
    target = output_dir(options, inputs)
    check_output_path(target)  # named as given, before the render
    target = plain_output_path(target)  # 'sub/..' is the folder it names, or refused
    rendering = render_options(options, inputs)
    result = BuildResult(out_dir=target, inputs=inputs, matrices=matrices, timings=timings)
    # A workbook read with --evidence may be the pack's own, which the team edited: what they
    # recorded in it is in ``inputs`` by now, read before the old pack is touched.
    carried = frozenset(item.sha256 for item in inputs.files if item.role == "evidence")
    read = reads(options, inputs, rendering.templates)  # none of them inside the target
    replace = Replace(options.overwrite, options.discard_edits, carried, read)
    # What the swap kept or could not delete beside the pack is said with the warnings.
    with atomic_pack(target, replace, inputs.warnings) as staging:
        result.runs = render_stage(jobs_for(inputs, matrices, staging, rendering), timings, say)
        _checkpoint("render")
        started = time.perf_counter()
        write_pack_level(staging, matrices, previous, selected_formats(options, inputs))
        timings["pack"] = time.perf_counter() - started
        _checkpoint("pack")
        result.files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
    return result
