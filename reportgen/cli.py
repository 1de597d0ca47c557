"""The command line: parses options and calls the pipeline; nothing else lives here."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
import typing
from collections.abc import Iterator
from pathlib import Path

import click
from rich.text import Text

from reportgen import __version__
from reportgen.catalogs import listing
from reportgen.catalogs.search import (
    filter_by_condition,
    find_framework,
    search_controls,
    search_services,
)
from reportgen.config.model import PdfVariant
from reportgen.config.starter import write_starter
from reportgen.config.ticket_systems import TICKET_SYSTEMS
from reportgen.core import reserve
from reportgen.core.errors import (
    InputError,
    SystemDependencyError,
    environment_errors,
    shown_file,
)
from reportgen.core.markdown import shorten
from reportgen.core.stopping import STOP_SIGNALS, finished, forget_finished
from reportgen.core.terminal import (
    STANDARD_OUTPUT,
    LineTracking,
    line_start,
    one_line,
    print_out,
    safe_text,
    silence,
    stop_on_broken_pipe,
    visible,
    visible_console,
    visible_json,
)
from reportgen.core.validation import shown
from reportgen.evidence.carry import evidence_lines
from reportgen.explain import explain_service
from reportgen.inputs import RunOptions, load_catalogs
from reportgen.inventory.limits import MB, Limits
from reportgen.pack import views as pack_views
from reportgen.pack.bundle import bundle_pack
from reportgen.pack.diff import diff_packs
from reportgen.pack.files import check_pack_dir, moved_aside
from reportgen.pack.target import check_replaceable
from reportgen.pack.verify import verify_pack
from reportgen.pipeline import BuildOptions, Progress, build, prepare
from reportgen.render import RenderOptions
from reportgen.render import terminal as views
from reportgen.render.diff_report import FORMATS, diff_json, diff_markdown, diff_renderables
from reportgen.render.formats import select_formats
from reportgen.render.workers import MEMORY_HINT

# markup=False: catalog, config and inventory text is printed as is, never as rich markup.
# Both consoles show control characters from inputs and packs as escapes (core/terminal.py);
# messages pass through visible() before rich too, which would drop BEL, BS, VT, FF and CR
# without a trace.
out = visible_console(file=STANDARD_OUTPUT, highlight=False, soft_wrap=False, markup=False)
err = visible_console(stderr=True, highlight=False, markup=False)
# REPORTGEN_DEBUG=0 (or false, no, off) is off: any value turned it on (fifteenth pass).
_OFF = ("", "0", "false", "no", "off")
_state = {
    "debug": os.environ.get("REPORTGEN_DEBUG", "").strip().lower() not in _OFF,
    "quiet": False,
}

# Without --config: reportgen.yaml in the current folder, and nowhere else, so that a build
# never picks up a config (a sample's customer and overrides) the user did not mean.
DEFAULT_CONFIG = Path("reportgen.yaml")
SAMPLE_CONFIG = Path("inputs/reportgen.yaml")
MAX_CLICK_MESSAGE = 300  # characters of a usage error, which quotes the argument it refused


def _default_config() -> Path:
    if DEFAULT_CONFIG.is_file() or os.path.lexists(DEFAULT_CONFIG):
        return DEFAULT_CONFIG  # one that is not a file is named as such by the config reader
    sample = f"; the sample's is {SAMPLE_CONFIG}" if SAMPLE_CONFIG.is_file() else ""
    raise InputError(
        f"no --config given and no {DEFAULT_CONFIG} in the current folder",
        hint=f"Pass --config FILE, or write a starter with 'reportgen init DIR'{sample}.",
    )


def _say(message: str) -> None:
    """A note for the user on stderr (progress, what was written), one line: a path holding
    a newline printed a fake line of its own ("pack written to EVIL": sixteenth pass);
    silent with --quiet."""
    if not _state["quiet"]:
        err.print(one_line(message), soft_wrap=True)


def _warn(message: str) -> None:
    """A warning on stderr, one line (a header or name holding a line break must not print
    a line of its own: pass 32a); silent with --quiet, which prints errors only."""
    if not _state["quiet"]:
        err.print(Text.assemble(("warning: ", "yellow"), one_line(message)), soft_wrap=True)


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    """A spinner naming the current step, on an interactive terminal only.

    CI logs, pipes and --quiet get nothing. Each framework that finishes leaves a line.
    """
    if not err.is_terminal or _state["quiet"]:
        yield lambda _message: None
        return
    started = time.perf_counter()
    with err.status("starting", spinner="dots") as status:

        def update(message: str) -> None:
            if message.endswith(" done"):
                elapsed = time.perf_counter() - started
                name = message.removesuffix(" done")
                err.print(f"[green]✓[/] {name} rendered ({elapsed:.1f} s)", markup=True)
            else:
                status.update(message)

        yield update


def _path(**kwargs: object) -> click.Path:
    return click.Path(path_type=Path, **kwargs)  # type: ignore[arg-type]


class _FilePath(click.Path):
    """A file to write: 'x.zip/' names a folder, though Path('x.zip/') drops the slash and
    a file x.zip was written (twelfth adversarial pass)."""

    def convert(self, value: typing.Any, param: typing.Any, ctx: typing.Any) -> typing.Any:
        if isinstance(value, str) and value.endswith(("/", os.sep)):
            self.fail(f"'{one_line(value[:200])}' ends with '/', naming a folder; give a file")
        return super().convert(value, param, ctx)


def _file_path() -> click.Path:
    return _FilePath(path_type=Path, dir_okay=False)


class _PackFolder(click.Path):
    """A pack's folder: where click refuses what is at it (a file) and a build killed while
    replacing a pack there moved it aside, the pack layer's own refusal (``check``) names
    where it went; click said only "is a file" (pass 48b F2)."""

    def __init__(self, check: typing.Callable[[Path], None]) -> None:
        super().__init__(path_type=Path, file_okay=False)
        self.check = check

    def convert(self, value: typing.Any, param: typing.Any, ctx: typing.Any) -> typing.Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if moved_aside(Path(value)):
                self.check(Path(value))
            raise


def _build_target(path: Path) -> None:
    check_replaceable(path, contents=False)


service_catalog_option = click.option(
    "--catalog",
    "service_files",
    multiple=True,
    type=_path(),
    help="Extra service catalog YAML that adds or overrides services (repeatable).",
)
framework_catalog_option = click.option(
    "--framework-catalog",
    "framework_files",
    multiple=True,
    type=_path(),
    help="Extra framework catalog YAML; one with a packaged id replaces it (repeatable).",
)
catalog_options = [service_catalog_option, framework_catalog_option]
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(listing.FORMATS),
    default="table",
    show_default=True,
    help="table for the terminal; json (a list of objects) or csv for scripts and spreadsheets.",
)
FRAMEWORK_NAMES = "pci-dss, iso-27001, soc2, or as written: PCI, ISO 27001, SOC 2"

run_options = [
    click.option(
        "--config",
        "config",
        type=_path(),
        help="Config file [reportgen.yaml in the current folder; no other is looked for].",
    ),
    click.option(
        "--inventory",
        type=_path(),
        help="Inventory .xlsx, .csv or an export (AWS Config, Terraform, CUR...) "
        "[the config's inventory.path].",
    ),
    click.option(
        "--framework",
        "frameworks",
        metavar="NAME",
        multiple=True,
        help=f"Framework: {FRAMEWORK_NAMES} (repeatable) [the config's frameworks, else all].",
    ),
    click.option("--strict", is_flag=True, help="Unresolved inventory rows are an error."),
    click.option(
        "--allow-empty",
        is_flag=True,
        help="Build a framework even when no inventory row is in its scope.",
    ),
    click.option(
        "--evidence",
        "evidence",
        multiple=True,
        type=_path(),
        help="An earlier pack's RACI workbook, or the pack's folder: the evidence tracking "
        "and RACI letters your team recorded in it carry into this build (repeatable).",
    ),
    *catalog_options,
]


# Each limit keeps a hostile or broken input from exhausting memory (see SECURITY.md):
# (flag, Limits field, unit, ceiling, help). The ceiling keeps a raised limit a number the
# guards can use (csv takes a C long; a depth past 1,000 is Python's recursion limit).
LIMIT_FLAGS = [
    ("--max-rows", "max_rows", 1, 10**9, "Most rows below the inventory header, blank ones too."),
    ("--max-columns", "max_columns", 1, 10**6, "Most columns a data row may reach."),
    ("--max-cell-chars", "max_cell_chars", 1, 10**9, "Most characters in one inventory cell."),
    (
        "--max-cells",
        "max_sheet_cells",
        1,
        10**12,
        "Largest cell range (rows x columns) of a sheet.",
    ),
    ("--max-zip-members", "max_zip_members", 1, 10**7, "Most parts in an .xlsx archive."),
    ("--max-uncompressed-mb", "max_uncompressed_bytes", MB, 10**7, "Largest unpacked .xlsx, MB."),
    ("--max-csv-mb", "max_csv_bytes", MB, 10**7, "Largest CSV inventory, MB."),
    ("--max-yaml-mb", "max_yaml_bytes", MB, 10**4, "Largest config or catalog file, MB."),
    ("--max-export-mb", "max_export_bytes", MB, 10**7, "Largest export (JSON, CUR), unpacked, MB."),
    ("--max-json-depth", "max_json_depth", 1, 1000, "Deepest nesting in a JSON export."),
]
limit_options = [
    click.option(
        flag,
        field,
        type=click.IntRange(min=1, max=ceiling),
        default=getattr(Limits, field) // unit,
        show_default=True,
        help=text,
    )
    for flag, field, unit, ceiling, text in LIMIT_FLAGS
]


# What a pull's snapshot must stay within for build to read it back with the same flags.
PULL_LIMITS = ("max_rows", "max_columns", "max_cell_chars")
pull_limit_options = [
    option
    for option, (_, field, _, _, _) in zip(limit_options, LIMIT_FLAGS, strict=True)
    if field in PULL_LIMITS
]


# Every command that reads a config or a catalog the user gives takes --max-yaml-mb: the
# limit's message says to raise it (a browse command lacked it: thirteenth pass).
yaml_limit_option = next(
    option
    for option, (flag, _, _, _, _) in zip(limit_options, LIMIT_FLAGS, strict=True)
    if flag == "--max-yaml-mb"
)


def _apply(options: list) -> object:
    def decorate(func: object) -> object:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _run_options(kwargs: dict) -> RunOptions:
    return RunOptions(
        config=kwargs["config"] or _default_config(),
        inventory=kwargs["inventory"],
        frameworks=tuple(kwargs["frameworks"]),
        strict=kwargs["strict"],
        allow_empty=kwargs["allow_empty"],
        evidence=tuple(kwargs["evidence"]),
        service_files=tuple(kwargs["service_files"]),
        framework_files=tuple(kwargs["framework_files"]),
        limits=_limits(kwargs),
    )


def _limits(kwargs: dict) -> Limits:
    return Limits(**{field: kwargs[field] * unit for _, field, unit, _, _ in LIMIT_FLAGS})


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        print_out(ctx.get_help() + "\n")
        ctx.exit()


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        print_out(f"reportgen, version {__version__}\n")
        ctx.exit()


class _HelpOnStandardOutput:
    """--help written as every command's output is: click's own echo exited 1, a bug's
    status, when the reader had gone (`reportgen --help | true`), and a full disk was an
    "internal error" (nineteenth adversarial pass)."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.callback = _show_help
        return option


class _Command(_HelpOnStandardOutput, click.Command):
    pass


class _Commands(_HelpOnStandardOutput, click.Group):
    """The command group; a disk that is full, read-only or refuses permission, wherever a
    command meets it (a forked renderer included), is the user's environment: exit 2 with
    the file, not "internal error" (errors.ENVIRONMENT_ERRORS)."""

    command_class = _Command
    group_class = type  # a group's groups are of this class too

    def invoke(self, ctx: click.Context) -> object:
        with environment_errors():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In the order of a first run (init, validate, build), then the rest."""
        known = [name for name in COMMAND_ORDER if name in self.commands]
        return known + sorted(set(self.commands) - set(known))


COMMAND_ORDER = (
    "init", "validate", "build", "explain", "services", "frameworks", "controls",
    "verify", "diff", "bundle", "attach", "inventory", "schema",
)  # fmt: skip


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")  # fmt: skip
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--quiet", "-q", is_flag=True, help="Only print errors.")
def cli(debug: bool, quiet: bool) -> None:
    """Audit packs from the AWS Shared Responsibility Model and your service inventory."""
    _state["debug"] = _state["debug"] or debug
    _state["quiet"] = quiet
    # a build waiting for another's lock; a signal that waited for files to be moved in;
    # resources a pull was sent twice
    for name in ("reportgen.pack", "reportgen.files", "reportgen.pull"):
        said = logging.getLogger(name)
        if not said.handlers:
            said.addHandler(_SayHandler())
            said.propagate = False


@cli.command(name="build")
@_apply(run_options)
@click.option(
    "-o",
    "--out",
    type=_PackFolder(_build_target),
    help="Pack folder [the config's output.dir, else output/<short_name>/ beside the config].",
)
@click.option(
    "--previous",
    type=_PackFolder(check_pack_dir),
    help="An earlier pack: summary.md lists the controls that changed owner, and the "
    "evidence that changed status, since.",
)
@click.option(
    "--templates",
    type=_path(file_okay=False, exists=True),
    help="Folder of report templates searched before the shipped ones [config output.templates].",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(typing.get_args(PdfVariant)),
    help="pdf/a-3u: archival PDF with inventory, config and matrix.json attached "
    "[config output.pdf_variant, else default].",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the pack at --out even if files were added to it (they are deleted). "
    "A directory that is not a reportgen pack is never replaced.",
)
@click.option(
    "--discard-edits",
    is_flag=True,
    help="Replace the pack at --out even if files it lists were changed since reportgen "
    "wrote them (the changes are lost). Without it such a pack is refused, unless the "
    "changed file is a RACI workbook given with --evidence, whose edits carry on.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="NAME",
    help="Write only this output format; repeat for several (matrix, xlsx, oscal, pdf, "
    "summary, and any plugin's) [config output.formats, else all].",
)
@_apply(limit_options)
def build_command(
    out: Path | None,
    previous: Path | None,
    templates: Path | None,
    pdf_variant: str | None,
    overwrite: bool,
    discard_edits: bool,
    formats: tuple[str, ...],
    **kwargs: object,
) -> None:
    """Build the audit pack: one folder per framework, manifest.json and summary.md.

    Paths given here are relative to the current folder; paths in the config file
    (inventory.path, output.dir, output.templates, catalogs) to the config file's folder.
    """
    options = BuildOptions(
        run=_run_options(kwargs),
        out=out,
        overwrite=overwrite,
        discard_edits=discard_edits,
        previous=previous,
        render=RenderOptions(templates=templates, pdf_variant=pdf_variant),
        formats=tuple(f.name for f in select_formats(formats, "--format")) if formats else None,
    )
    with _progress() as progress:
        result = build(options, progress=progress)
    # A framework's own warnings (RACI edits for a role it no longer has) after the run's.
    own = [w for m in result.matrices.values() for w in m["warnings"]]
    own = [w for w in dict.fromkeys(own) if w not in result.inputs.warnings]
    for warning in [*result.inputs.warnings, *own]:
        _warn(warning)
    # Rows naming a provider the config declares are that provider's (third_parties).
    unresolved = max((m["scope"]["unresolved_rows"] for m in result.matrices.values()), default=0)
    if unresolved:
        _warn(
            f"{unresolved} inventory row(s) could not be resolved; they are listed in the pack "
            "('reportgen validate' shows them with suggestions; --strict makes this an error)"
        )
    if not _state["quiet"]:
        err.print(views.matrix_summary(result.matrices))
        config = result.inputs.config.path
        found = "" if kwargs["config"] else " (found in the current folder: no --config given)"
        _say(f"pack written to {result.out_dir} ({len(result.files)} files) from {config}{found}")


@cli.command()
@_apply(run_options)
@_apply(limit_options)
def validate(**kwargs: object) -> None:
    """Check config, catalogs and inventory; show what was found. Writes nothing.

    Every problem is reported in one run, with its line in the config or its sheet, row and
    column in the inventory. With --quiet nothing is printed unless there is an error.
    """
    inputs, matrices = prepare(_run_options(kwargs))
    if _state["quiet"]:
        return
    # one_line and no wrapping: a name holding a newline printed a line of its own
    # (sixteenth pass), a warning too (thirty-third: build's were escaped, validate's not)
    lines = [
        f"config: {inputs.config.path} (customer: {inputs.config.config.customer.name})",
        f"catalog: {len(inputs.catalog.services)} services, version {inputs.catalog.version}",
        *views.inventory_summary(inputs),
        *evidence_lines(matrices),
        *(f"warning: {warning}" for warning in inputs.warnings),
    ]
    for line in lines:
        out.print(one_line(line), soft_wrap=True)
    table = views.unresolved_table(inputs)
    if table is not None:
        out.print(table)
    out.print(views.matrix_summary(matrices))


@cli.command()
@click.argument("query", required=False)
@service_catalog_option
@format_option
@yaml_limit_option
def services(
    query: str | None, service_files: tuple[Path, ...], fmt: str, max_yaml_bytes: int
) -> None:
    """List or search the AWS service catalog: by any name an inventory may use (a console
    or formal name, an ARN, a resource type, a CUR product code) or words in it."""
    catalogs = load_catalogs(service_files, (), max_yaml_bytes * MB)
    found = list(catalogs.catalog.services.values())
    if query:
        found = search_services(catalogs, query)
    if not found:
        hint = "'reportgen services' lists all."
        raise InputError(f"no service matches '{shown(query)}'", hint=hint)
    _show(views.services_table(found), [listing.service_record(s) for s in found], fmt)


def _show(table: object, records: list[dict], fmt: str, *extra: object) -> None:
    """A listing: the table (and any extra tables) on a terminal, else JSON or CSV."""
    if fmt != "table":  # escaped as the tables are: a catalog title may hold ESC or U+202E
        text = listing.render(records, fmt)
        print_out(visible_json(text) if fmt == "json" else visible(text))
        return
    for item in (table, *extra):
        if item is not None:
            out.print(item)


@cli.command()
@click.argument("document", type=click.Choice(["matrix"]))
def schema(document: str) -> None:
    """Print the JSON Schema (draft 2020-12) of a pack document: matrix (matrix.json)."""
    from reportgen.matrix_schema import json_schema

    print_out(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")


@cli.command()
@framework_catalog_option
@format_option
@yaml_limit_option
def frameworks(framework_files: tuple[Path, ...], fmt: str, max_yaml_bytes: int) -> None:
    """List the framework catalogs: versions, control counts, the names they accept."""
    catalogs = load_catalogs((), framework_files, max_yaml_bytes * MB)
    found = [lf.framework for lf in catalogs.frameworks.values()]
    records = [listing.framework_record(f) for f in found]
    _show(views.frameworks_table(found), records, fmt)


@cli.command()
@click.argument("framework_id", metavar="FRAMEWORK")
@click.argument("query", required=False)
@click.option(
    "--condition",
    "condition",
    metavar="ID",
    help="Only the controls that depend on this applicability question (a condition id).",
)
@framework_catalog_option
@format_option
@yaml_limit_option
def controls(
    framework_id: str,
    query: str | None,
    condition: str | None,
    framework_files: tuple[Path, ...],
    fmt: str,
    max_yaml_bytes: int,
) -> None:
    """Browse a framework's controls: by id prefix (8.2) or by words in them (malware).

    FRAMEWORK is an id or a name as written (PCI, ISO 27001, SOC 2). Shows which controls
    depend on an applicability question (the "applies if" column) and lists the questions,
    with the ids to answer under framework_options.<framework>.conditions.
    """
    catalogs = load_catalogs((), framework_files, max_yaml_bytes * MB)
    framework = find_framework(catalogs, framework_id)
    found = search_controls(framework, query)
    if condition is not None:
        found = filter_by_condition(framework, found, condition)
    if not found:
        which = [f"matches '{shown(query)}'"] if query else []
        which += [f"depends on {condition}"] if condition else []
        raise InputError(f"no {framework.id} control {' and '.join(which)}")
    records = [listing.control_record(framework, c) for c in found]
    listed_all = not query and condition is None
    extra = (
        views.conditions_table(framework, found, every=listed_all),
        views.categories_table(framework) if listed_all or framework.categories else None,
    )
    _show(views.controls_table(framework, found), records, fmt, *extra)


@cli.command()
@click.argument("service")
@click.option(
    "--framework",
    "framework_id",
    metavar="NAME",
    help=f"Framework ({FRAMEWORK_NAMES}), with --control.",
)
@click.option("--control", "control_id", help="Control id: show how its owner is decided.")
@click.option("--config", type=_path(), help="Include this config's customer overrides.")
@_apply(catalog_options)
@_apply(limit_options)  # with --config, the inventory is read as build reads it
def explain(
    service: str,
    framework_id: str | None,
    control_id: str | None,
    config: Path | None,
    service_files: tuple[Path, ...],
    framework_files: tuple[Path, ...],
    **kwargs: object,
) -> None:
    """Show a service's model, every layer's owner and why."""
    if bool(framework_id) != bool(control_id):
        raise click.UsageError("--framework and --control go together")
    report = explain_service(
        service,
        framework_id,
        control_id,
        config,
        service_files,
        framework_files,
        limits=_limits(kwargs),
    )
    _print_lines(report)


@cli.command()
@click.argument("directory", type=_path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option(
    "--from",
    "export",
    type=_path(),  # checked as validate checks an inventory: a link loop is named
    help="An export (AWS Config, tagging API, Resource Explorer, Terraform, CUR): the config "
    "reads it and maps its tags; no inventory template is written.",
)
def init(directory: Path, force: bool, export: Path | None) -> None:
    """Write a starter config and an inventory template into DIRECTORY."""
    # A refusal that names no file (a failed write, lxml's IO_ENOSPC) names the folder.
    with environment_errors(fallback=directory):
        if export is not None:
            from reportgen.config.starter.from_export import write_starter_from  # reads exports

            written = write_starter_from(directory, export, force=force)
        else:
            written = write_starter(directory, force=force)
    for path in written:
        _say(f"wrote {path}")
    for line in views.next_steps(program(), directory / "reportgen.yaml", export is None):
        _say(line)


def program() -> str:
    """How the user ran reportgen, to repeat in advice: 'reportgen' when that is what the
    shell finds, else the path they typed ('.venv/bin/reportgen'), else 'python -m
    reportgen'."""
    invoked = Path(sys.argv[0])
    if invoked.name != "reportgen":
        return "python -m reportgen"
    found = shutil.which("reportgen")
    if found and Path(found).resolve() == invoked.resolve():
        return "reportgen"
    return str(invoked)


@cli.group()
def inventory() -> None:
    """Inventories from AWS: pull a snapshot that build reads (needs reportgen[aws])."""


@inventory.command(name="pull")
@click.option(
    "--source",
    required=True,
    type=click.Choice(["config-aggregator", "config", "tagging", "resource-explorer"]),
    help="Where to read the estate from.",
)
@click.option("-o", "--out", type=_file_path(), required=True, help="CSV to write.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace files at --out (and its .source.json) that an earlier pull did not write, "
    "or an earlier snapshot with resources by one that found none.",
)
@click.option("--profile", help="AWS profile [AWS_PROFILE, else the default chain].")
@click.option("--region", help="AWS region of the call (the aggregator's, the index's).")
@click.option("--aggregator", help="AWS Config aggregator name (config-aggregator).")
@click.option("--query", help="AWS Config SQL [resource id, type, ARN, account, region, tags].")
@click.option("--view-arn", help="Resource Explorer view [the region's default view].")
@_apply(pull_limit_options)
def inventory_pull(source: str, out: Path, force: bool, profile: str | None, region: str | None,
                   **options: typing.Any) -> None:  # fmt: skip
    """Read the estate from AWS into a CSV snapshot (and OUT.source.json) for build.

    An existing OUT is replaced only when an earlier pull wrote it (or with --force); a
    link, a FIFO or a device at OUT is never replaced.
    """
    from reportgen.inventory.pull.snapshot import (  # boto3: only here
        PullRequest,
        check_output,
        pull,
    )

    if source == "config-aggregator" and not options.get("aggregator"):
        raise click.UsageError("--source config-aggregator needs --aggregator NAME")
    check_output(out, force)  # before the pull, which can take minutes
    limits = Limits(**{field: options.pop(field) for field in PULL_LIMITS})
    request = PullRequest(source, out, profile, region, options, force=force, limits=limits)
    result = pull(request)
    _say(
        f"wrote {result.csv} ({result.items:,} resources from {result.pages} page(s), "
        f"{result.tag_columns} tag columns) and {result.sidecar}"
    )


@cli.command()
@click.argument("directory", type=_path())
@click.pass_context
def verify(ctx: click.Context, directory: Path) -> None:
    """Recompute every hash in a pack's manifest and list what differs.

    Exit status: 0 the pack is intact; 1 a file is missing, altered or not in the manifest;
    2 DIRECTORY is not a pack (no manifest.json reportgen wrote) or cannot be read.
    """
    result = verify_pack(directory)
    for line in pack_views.verification_lines(result):
        out.print(line, markup=False, soft_wrap=True)
    if not result.ok:
        ctx.exit(1)


@cli.command()
@click.argument("old", type=_path())
@click.argument("new", type=_path())
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="text for the terminal, markdown for a ticket, json for tools.",
)  # fmt: skip
def diff(old: Path, new: Path, fmt: str) -> None:
    """What changed from pack OLD to pack NEW: services, owners, evidence statuses."""
    result = diff_packs(old, new)
    if fmt == "text":
        _print_lines(diff_renderables(result))
    elif fmt == "markdown":
        print_out(visible(diff_markdown(result)))
    else:
        print_out(visible_json(diff_json(result)))


@cli.command()
@click.argument("directory", type=_PackFolder(check_pack_dir))
@click.option("-o", "--out", type=_file_path(), help="Zip file [DIRECTORY.zip].")
@click.option("--output", "legacy_out", type=_path(dir_okay=False), hidden=True)  # before 0.3
@click.option(
    "--force", is_flag=True, help="Replace a file at --out that is not a bundle reportgen wrote."
)
def bundle(directory: Path, out: Path | None, legacy_out: Path | None, force: bool) -> None:
    """Write one zip of a verified pack; the same pack always gives the same bytes.

    Unzipped, the pack verifies as it is: 'reportgen verify <folder>'. An existing zip at
    --out is replaced when it is an earlier bundle (any other file only with --force); a
    link, a FIFO or a device there is never replaced.
    """
    result = bundle_pack(directory, out or legacy_out, force=force)
    _say(f"wrote {result.path} ({result.entries} files, {result.size:,} bytes)")
    _say(f"sha256 {result.sha256}")


class _SayHandler(logging.Handler):
    """Library warnings (attach retries, a wait for a build's lock) as plain lines on
    stderr; silent with --quiet."""

    def emit(self, record: logging.LogRecord) -> None:
        # Said as the CLI's own warnings are, "warning: " first: a leftover's note had no
        # such word, and read as a line of the command's output.
        _warn(record.getMessage())


def _ticket_system_options(command: typing.Callable) -> typing.Callable:
    """One --<name> option per ticket system of the registry (config/ticket_systems.py)."""
    for system in reversed(TICKET_SYSTEMS.all()):
        command = click.option(f"--{system.name}", metavar=system.metavar, help=system.help)(
            command
        )
    return command


def _ticket_target(flags: dict[str, typing.Any]) -> tuple[str, str]:
    """The one ticket system named on the command line, and its target; the systems' options
    are taken out of ``flags``."""
    given = {s.name: flags.pop(s.name) for s in TICKET_SYSTEMS.all() if s.name in flags}
    named = [(name, target) for name, target in given.items() if target]
    if len(named) != 1:
        choices = " or ".join(f"--{s.name} {s.metavar}" for s in TICKET_SYSTEMS.all())
        raise click.UsageError(f"give exactly one of {choices}")
    return named[0]


@cli.command()
@click.argument("directory", type=_PackFolder(check_pack_dir))
@_ticket_system_options
@click.option("--comment", is_flag=True, help="Also post summary.md as a comment.")
@click.option("--dry-run", is_flag=True, help="Show every request; send nothing.")
@click.option(
    "--files",
    "with_files",
    is_flag=True,
    help="Also attach each file of the pack on its own, to open in the ticket (the zip is "
    "what an auditor verifies).",
)
@click.option("--bundle", "legacy_bundle", is_flag=True, hidden=True)  # the default since 0.3
@click.option("--ca-bundle", type=_path(dir_okay=False), help="CA certificates (PEM) to trust.")
@click.option("--config", type=_path(dir_okay=False), help="Config with an attach: section.")
@yaml_limit_option
def attach(directory: Path, config: Path | None, with_files: bool, legacy_bundle: bool,
           **flags: typing.Any) -> None:  # fmt: skip
    """Attach a verified pack to a Jira issue or a ServiceNow record (credentials from the
    environment): the pack as one zip, which an auditor downloads, unzips and checks with
    'reportgen verify'."""
    from reportgen.tickets.attach import AttachRequest, attach_pack  # httpx: only when attaching

    system, target = _ticket_target(flags)
    config = config or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    logger = logging.getLogger("reportgen.tickets")
    logger.addHandler(_SayHandler())
    logger.propagate = False
    flags["max_yaml_bytes"] *= MB
    request = AttachRequest(directory, system, target, files=with_files, config=config, **flags)
    report = attach_pack(request, _dry_run_say if request.dry_run else _say)
    if not request.dry_run:
        _say(
            f"{report.ticket}: {len(report.attached)} attached, {len(report.skipped)} already there"
        )


def _dry_run_say(line: str) -> None:
    out.print(line, markup=False, soft_wrap=True)


def _set_state(key: str) -> typing.Callable[[click.Context, click.Parameter, bool], None]:
    def callback(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            _state[key] = True

    return callback


def _accept_global_options_after_the_command(group: click.Group) -> None:
    """`reportgen build -q` as well as `reportgen -q build`: people put flags last."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_global_options_after_the_command(command)
            continue
        command.params += [
            click.Option(["--quiet", "-q"], is_flag=True, expose_value=False,
                         callback=_set_state("quiet"), help="Only print errors."),
            click.Option(["--debug"], is_flag=True, expose_value=False,
                         callback=_set_state("debug"), help="Show tracebacks for errors."),
        ]  # fmt: skip


_accept_global_options_after_the_command(cli)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``signum``), raised where the program is, so that it unwinds as an
    interrupt does: the staging directory is removed, renderers are killed, the old pack
    stays. SIGHUP (the terminal closed, an SSH session dropped) left staging folders and
    temporary zips as SIGKILL does (fifteenth adversarial pass, C15)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__()
        self.signum = signum


# The signal that began the shutdown, once one has. A user (or a service manager) often
# sends Ctrl-C or SIGTERM more than once; raising again in the middle of the clean-up would
# break it off and print a traceback (from the clean-up, or from multiprocessing's exit
# handler). So only the first one is raised; the others find the shutdown under way.
_stopping: list[int] = []


def _on_stop_signal(signum: int, _frame: object) -> None:
    if _stopping:
        return
    _stopping.append(signum)
    # Once the pack is in place a stop signal ends nothing, and is said: one just after 'pack
    # written to' exited 130/143, the status of "the old pack intact" (eighteenth pass).
    if done := finished():
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        said = (
            f"warning: {signal.Signals(signum).name} came after {one_line(done)}; it is complete\n"
        )
        # one line (a path's line break forged an error line: 81b); a closed or full
        # stderr made the status of the work done 1 or 2 (81b)
        with contextlib.suppress(OSError):
            os.write(2, said.encode(errors="backslashreplace"))
        return
    # Repeats are held back from here until the process has exited: while exiting, Python
    # puts the default actions back, and a repeat would then kill the process (its status
    # the signal's, not 130 or 143). One already on its way finds the handler above.
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated(signum)


def _install_stop_handlers() -> dict[int, typing.Any]:
    """Handle SIGTERM, and SIGINT and SIGHUP unless they were ignored when we started (a
    background job's SIGINT, ``nohup``'s SIGHUP); returns the handlers they had."""
    _stopping.clear()
    forget_finished()
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _on_stop_signal)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _on_stop_signal)
    hangup = getattr(signal, "SIGHUP", None)  # POSIX only
    if hangup is not None and signal.getsignal(hangup) is signal.SIG_DFL:
        previous[hangup] = signal.signal(hangup, _on_stop_signal)
    return previous


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors exit 2 with one message, never a traceback (unless --debug)."""
    previous = _install_stop_handlers()
    _owner_keeps_write()
    stderr = sys.stderr
    if stderr is not None:  # closed (2>&-): Python has none, and every print is dropped
        sys.stderr = LineTracking(stderr)
    try:
        _main(argv)
    except KeyboardInterrupt as exc:  # the signal came while an error was being reported
        _exit_interrupted(exc)
    finally:
        sys.stderr = stderr
        # In-process callers (tests) get their handlers back; a process that is stopping
        # keeps ignoring repeats until it has exited.
        if not _stopping:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _owner_keeps_write() -> None:
    """Leave out the owner's bits of the umask: it says who else may read what reportgen
    writes. Under umask 0222 the pack's folders were made r-x, where a build by any user
    but root could not write (openpyxl reopens the temporary file it made), and its files
    r--, which the next build refused as a pack someone protected (fourteenth adversarial
    pass, W2)."""
    os.umask(os.umask(0o077) & 0o077)  # reading the umask means setting it


def _main(argv: list[str] | None) -> None:
    try:
        reserve.hold()  # released on the error paths (core/reserve.py); may itself not fit
        _require_working_directory()
        status = cli.main(args=argv, prog_name="reportgen", standalone_mode=False)
        if isinstance(status, int) and status:  # ctx.exit(N) returns N without standalone mode
            sys.exit(status)
    except (InputError, SystemDependencyError) as exc:
        reserve.release()  # the error may be that memory ran out: room to print it
        _debug_traceback(exc)
        _drop_frames(exc)
        # visible() before rich, which would drop some controls (BEL) without a trace
        _print_error(f"error: {visible(str(exc))}")  # whole lines: greppable logs
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # click quotes the argument it refused: a 100 KB one made a 100 KB message; an
        # extra argument, as it was, line breaks and all (a forged `error:` line: 42a)
        exc.message = one_line(shorten(exc.message, MAX_CLICK_MESSAGE))
        try:
            exc.show()
        except BrokenPipeError:  # click's own handling exited 1, a bug's status (W3)
            stop_on_broken_pipe(sys.stderr)
        except OSError:  # stderr on a full device: nowhere to say it, the status still does
            stop_on_broken_pipe(sys.stderr, status=2)
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        _exit_interrupted(exc)
    except MemoryError as exc:  # the machine's limit, not a bug: an environment error
        reserve.release()
        _debug_traceback(exc)
        _drop_frames(exc)
        reading = getattr(exc, "reading", None)  # the file being read, where one was
        where = f"{shown_file(str(reading))}: " if reading is not None else ""
        _print_error(f"error: {where}ran out of memory{_noted(exc)}\n{MEMORY_HINT}")
        sys.exit(InputError.exit_code)
    except Exception as exc:
        reserve.release()
        _debug_traceback(exc)
        if reserve.out_of_memory(exc):  # a library that could not be mapped: no bug
            _print_error(f"error: ran out of memory{_noted(exc)}\n{MEMORY_HINT}")
            sys.exit(InputError.exit_code)
        _print_error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in reportgen; run again with --debug and report the traceback."
        )
        sys.exit(1)


def _print_lines(items: typing.Iterable[typing.Any]) -> None:
    """Print a command's lines (and tables) on stdout: a line on one line whatever a config,
    catalog or pack holds (39a), and never wrapped by rich, which began a line of its own
    with the text past the 80th column: a name padded to it, then "error: ...", printed a
    forged line (40a). Tables lay out their cells within their borders."""
    for item in items:
        if isinstance(item, str | Text):
            out.print(safe_text(item) if isinstance(item, str) else item, soft_wrap=True)
        else:
            out.print(item)


def _noted(exc: BaseException) -> str:
    """What the error's notes add (what became of the pack: pack/write.py), as one line."""
    notes = [visible(note) for note in getattr(exc, "__notes__", ()) if isinstance(note, str)]
    return "".join(f" {' '.join(note.split())}" for note in notes)


def _debug_traceback(exc: BaseException) -> None:
    """With --debug, the traceback, before the error's own line and its exit status: re-raising
    it made every status 1, the one for a bug (fourteenth adversarial pass)."""
    if not _state["debug"]:
        return
    try:  # closed (None) or full, as _print_error: the status still says it (40d)
        sys.stderr.write(visible("".join(traceback.format_exception(exc))))
        sys.stderr.flush()
    except (AttributeError, OSError):
        if sys.stderr is not None:
            silence(sys.stderr)


def _require_working_directory() -> None:
    """Every relative path (a default config, an output folder) is the working directory's:
    one deleted under the shell gave "no such file or directory" naming nothing (eleventh
    adversarial pass)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise InputError(
            "the current folder no longer exists (it was deleted or moved after the shell "
            "entered it)",
            hint='cd to an existing folder (cd "$PWD" if it was recreated) and run again.',
        ) from None


def _print_error(text: str) -> None:
    """An error message on stderr, whole lines (emoji=False: ':name:' in a file name stays
    as it is). When rich needs memory the machine no longer has, the text is written plain."""
    text = line_start() + text
    try:
        try:
            err.print(text, soft_wrap=True, emoji=False)
        except MemoryError:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
    except OSError:  # stderr on a full disk too (21a): nowhere to say it, the status still does
        silence(sys.stderr)


def _drop_frames(exc: BaseException) -> None:
    """Let go of the frames an error's traceback holds (the build's inventory and
    matrices) before its message is printed: it may be that memory ran out."""
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None


def _exit_interrupted(exc: BaseException) -> typing.NoReturn:
    """One line and 130 (Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP). click turns an interrupt
    into Abort; the cause says which signal it was."""
    stopped = exc if isinstance(exc, Terminated) else exc.__cause__
    if isinstance(stopped, Terminated):
        err.print("hung up" if stopped.signum == getattr(signal, "SIGHUP", None) else "terminated")
        sys.exit(128 + stopped.signum)
    err.print("aborted")
    sys.exit(128 + signal.SIGINT)
