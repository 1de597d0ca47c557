"""The command line: parses options and calls the pipeline; nothing else lives here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from reportgen import __version__, views
from reportgen.catalog_search import (
    find_framework,
    search_controls,
    search_services,
)
from reportgen.errors import InputError
from reportgen.explain import explain_service
from reportgen.inputs import RunOptions, load_catalogs
from reportgen.inventory.limits import MB, Limits
from reportgen.pipeline import BuildOptions, build, prepare
from reportgen.starter import write_starter

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)
_state = {"debug": bool(os.environ.get("REPORTGEN_DEBUG")), "quiet": False}

DEFAULT_CONFIGS = (Path("reportgen.yaml"), Path("inputs/reportgen.yaml"))


def _default_config() -> Path:
    for candidate in DEFAULT_CONFIGS:
        if candidate.is_file():
            return candidate
    raise InputError(
        "no config file given and none found at " + " or ".join(map(str, DEFAULT_CONFIGS)),
        hint="Pass --config FILE, or create one with 'reportgen init DIR'.",
    )


def _say(message: str) -> None:
    if not _state["quiet"]:
        err.print(message)


def _progress(message: str) -> None:
    """Progress lines only on an interactive terminal: CI logs and pipes stay quiet."""
    if err.is_terminal and not _state["quiet"]:
        err.print(f"[dim]{message}[/]", markup=True)


def _path(**kwargs: object) -> click.Path:
    return click.Path(path_type=Path, **kwargs)  # type: ignore[arg-type]


catalog_options = [
    click.option(
        "--catalog",
        "service_files",
        multiple=True,
        type=_path(),
        help="Extra service catalog YAML that adds or overrides services (repeatable).",
    ),
    click.option(
        "--framework-catalog",
        "framework_files",
        multiple=True,
        type=_path(),
        help="Extra framework catalog YAML; one with a packaged id replaces it (repeatable).",
    ),
]

run_options = [
    click.option("--config", "config", type=_path(), help="Config file [reportgen.yaml]."),
    click.option("--inventory", type=_path(), help="Inventory .xlsx or .csv (overrides config)."),
    click.option(
        "--framework",
        "frameworks",
        multiple=True,
        help="Framework id: pci-dss, iso-27001, soc2 (repeatable; default: config's, else all).",
    ),
    click.option("--strict", is_flag=True, help="Unresolved inventory rows are an error."),
    *catalog_options,
]


# Each limit keeps a hostile or broken input from exhausting memory (see SECURITY.md):
# (flag, Limits field, unit, help).
LIMIT_FLAGS = [
    ("--max-rows", "max_rows", 1, "Most data rows in the inventory."),
    ("--max-columns", "max_columns", 1, "Most columns a data row may reach."),
    ("--max-cell-chars", "max_cell_chars", 1, "Most characters in one inventory cell."),
    ("--max-cells", "max_sheet_cells", 1, "Largest cell range (rows x columns) of a sheet."),
    ("--max-zip-members", "max_zip_members", 1, "Most parts in an .xlsx archive."),
    ("--max-uncompressed-mb", "max_uncompressed_bytes", MB, "Largest unpacked .xlsx, MB."),
    ("--max-csv-mb", "max_csv_bytes", MB, "Largest CSV inventory, MB."),
    ("--max-yaml-mb", "max_yaml_bytes", MB, "Largest config or catalog file, MB."),
]
limit_options = [
    click.option(
        flag,
        field,
        type=click.IntRange(min=1),
        default=getattr(Limits, field) // unit,
        show_default=True,
        help=text,
    )
    for flag, field, unit, text in LIMIT_FLAGS
]


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
        service_files=tuple(kwargs["service_files"]),
        framework_files=tuple(kwargs["framework_files"]),
        limits=_limits(kwargs),
    )


def _limits(kwargs: dict) -> Limits:
    return Limits(**{field: kwargs[field] * unit for _, field, unit, _ in LIMIT_FLAGS})


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reportgen")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--quiet", "-q", is_flag=True, help="Only print errors.")
def cli(debug: bool, quiet: bool) -> None:
    """Audit packs from the AWS Shared Responsibility Model and your service inventory."""
    _state["debug"] = _state["debug"] or debug
    _state["quiet"] = quiet


@cli.command(name="build")
@_apply(run_options)
@_apply(limit_options)
@click.option("--out", type=_path(file_okay=False), help="Pack directory [output/<customer>/].")
def build_command(out: Path | None, **kwargs: object) -> None:
    """Build the audit pack: one folder per framework."""
    result = build(BuildOptions(run=_run_options(kwargs), out=out), progress=_progress)
    for warning in result.inputs.warnings:
        err.print(f"[yellow]warning:[/] {warning}", markup=True)
    unresolved = len(result.inputs.inventory.unresolved)
    if unresolved:
        err.print(
            f"[yellow]warning:[/] {unresolved} inventory row(s) could not be resolved; "
            "they are listed in the pack (use --strict to make this an error)",
            markup=True,
        )
    if not _state["quiet"]:
        err.print(views.matrix_summary(result.matrices))
        _say(f"pack written to {result.out_dir} ({len(result.files)} files)")


@cli.command()
@_apply(run_options)
@_apply(limit_options)
def validate(**kwargs: object) -> None:
    """Check config, catalogs and inventory; show what was found. Writes nothing."""
    inputs, matrices = prepare(_run_options(kwargs))
    out.print(f"config: {inputs.config.path} (customer: {inputs.config.config.customer.name})")
    out.print(f"catalog: {len(inputs.catalog.services)} services, version {inputs.catalog.version}")
    for line in views.inventory_summary(inputs):
        out.print(line)
    for warning in inputs.warnings:
        out.print(f"warning: {warning}")
    table = views.unresolved_table(inputs)
    if table is not None:
        out.print(table)
    out.print(views.matrix_summary(matrices))


@cli.command()
@click.argument("query", required=False)
@_apply(catalog_options)
def services(query: str | None, service_files: tuple[Path, ...], framework_files: tuple) -> None:
    """List or search the AWS service catalog."""
    catalogs = load_catalogs(service_files, framework_files)
    found = list(catalogs.catalog.services.values())
    if query:
        found = search_services(catalogs, query)
    if not found:
        raise InputError(f"no service matches '{query}'")
    out.print(views.services_table(found))


@cli.command()
@_apply(catalog_options)
def frameworks(service_files: tuple[Path, ...], framework_files: tuple[Path, ...]) -> None:
    """List the framework catalogs with their versions and control counts."""
    catalogs = load_catalogs(service_files, framework_files)
    out.print(views.frameworks_table(lf.framework for lf in catalogs.frameworks.values()))


@cli.command()
@click.argument("framework_id", metavar="FRAMEWORK")
@click.argument("query", required=False)
@_apply(catalog_options)
def controls(
    framework_id: str,
    query: str | None,
    service_files: tuple[Path, ...],
    framework_files: tuple[Path, ...],
) -> None:
    """Browse a framework's controls: by id prefix (8.2) or by words in them (malware)."""
    catalogs = load_catalogs(service_files, framework_files)
    framework = find_framework(catalogs, framework_id)
    found = search_controls(framework, query)
    if not found:
        raise InputError(f"no {framework_id} control matches '{query}'")
    out.print(views.controls_table(framework, found))


@cli.command()
@click.argument("service")
@click.option("--framework", "framework_id", help="Framework id, with --control.")
@click.option("--control", "control_id", help="Control id: show how its owner is decided.")
@click.option("--config", type=_path(), help="Include this config's customer overrides.")
@_apply(catalog_options)
def explain(
    service: str,
    framework_id: str | None,
    control_id: str | None,
    config: Path | None,
    service_files: tuple[Path, ...],
    framework_files: tuple[Path, ...],
) -> None:
    """Show a service's model, every layer's owner and why."""
    if bool(framework_id) != bool(control_id):
        raise click.UsageError("--framework and --control go together")
    report = explain_service(
        service, framework_id, control_id, config, service_files, framework_files
    )
    for item in report:
        out.print(item)


@cli.command()
@click.argument("directory", type=_path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init(directory: Path, force: bool) -> None:
    """Write a starter config and an inventory template into DIRECTORY."""
    for path in write_starter(directory, force=force):
        _say(f"wrote {path}")
    _say(f"next: edit them, then run: reportgen build --config {directory / 'reportgen.yaml'}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors exit 2 with one message, never a traceback (unless --debug)."""
    try:
        cli.main(args=argv, prog_name="reportgen", standalone_mode=False)
    except InputError as exc:
        if _state["debug"]:
            raise
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:
        if _state["debug"]:
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in reportgen; run again with --debug and report the traceback.",
            markup=False,
        )
        sys.exit(1)
