"""The command line: parses options and calls the pipeline; nothing else lives here."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import typing
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console

from reportgen import __version__, views
from reportgen.catalog_search import (
    find_framework,
    search_controls,
    search_services,
)
from reportgen.config import PdfVariant
from reportgen.errors import InputError, SystemDependencyError
from reportgen.explain import explain_service
from reportgen.inputs import RunOptions, load_catalogs
from reportgen.inventory.limits import Limits
from reportgen.pipeline import BuildOptions, Progress, build, prepare
from reportgen.render import RenderOptions
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
    click.option(
        "--max-rows", type=click.IntRange(min=1), default=Limits.max_rows, show_default=True
    ),
    *catalog_options,
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
        limits=Limits(max_rows=kwargs["max_rows"]),
    )


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
@click.option("--out", type=_path(file_okay=False), help="Pack directory [output/<customer>/].")
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
def build_command(
    out: Path | None, templates: Path | None, pdf_variant: str | None, **kwargs: object
) -> None:
    """Build the audit pack: one folder per framework."""
    options = BuildOptions(
        run=_run_options(kwargs),
        out=out,
        render=RenderOptions(templates=templates, pdf_variant=pdf_variant),
    )
    with _progress() as progress:
        result = build(options, progress=progress)
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
    except (InputError, SystemDependencyError) as exc:
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
