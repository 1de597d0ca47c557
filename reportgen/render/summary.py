"""summary.md: a short Markdown summary of a pack, fit to paste as a ticket comment.

Scope, controls counted by owner, evidence counted by status with the overdue items, the
controls that changed owner and the evidence that changed status since a previous pack
(``build --previous DIR``), and the files with their SHA-256. Deterministic: the same
inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reportgen.artefacts.summary_md import artefact_lines
from reportgen.core import markdown as md
from reportgen.core.errors import environment_errors
from reportgen.core.owners import OWNER_LABELS, OWNER_ORDER
from reportgen.evidence.report import summary_section
from reportgen.pack.diff import Pack, diff_matrices
from reportgen.pack.manifest import SUMMARY_NAME
from reportgen.render.diff_report import markdown_sections

CHANGES_PER_FRAMEWORK = 25  # rows in the comment; `reportgen diff` shows them all


def summary_markdown(
    matrices: dict[str, dict[str, Any]],
    outputs: list[dict[str, Any]],
    previous: Pack | None = None,
) -> str:
    first = next(iter(matrices.values()))
    parts = [
        *_heading(first),
        *_scope(matrices),
        *_counts(matrices),
        *summary_section(matrices),
        *_changes(matrices, previous),
        *artefact_lines(matrices),
        *_inputs(first),
        *_files(outputs),
    ]
    return "\n".join(parts).rstrip() + "\n"


def write_summary(
    root: Path,
    matrices: dict[str, dict[str, Any]],
    outputs: list[dict[str, Any]],
    previous: Pack | None = None,
) -> Path:
    path = root / SUMMARY_NAME
    text = summary_markdown(matrices, outputs, previous)
    with environment_errors(path):  # disk full: exit 2 naming the file
        path.write_text(text, encoding="utf-8", newline="\n")
    return path


def _heading(first: dict[str, Any]) -> Iterator[str]:
    generator = first["generator"]
    yield f"# Audit pack: {md.escape(first['customer']['name'])}\n"
    yield (
        f"Generated {first['generated_at']} by {generator['name']} {generator['version']}. "
        f"Classification: {md.escape(first['classification'])}.\n"
    )


def _scope(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    yield "## Scope\n"
    rows = []
    for matrix in matrices.values():
        framework, scope = matrix["framework"], matrix["scope"]
        rows.append(
            [
                md.escape(framework["name"]),
                md.escape(framework["version"]),
                md.code(matrix["document_id"]),
                md.number(len(matrix["controls"])),
                md.number(scope["services"]),
                md.number(scope["resources"]),
                md.number(len(scope["accounts"])),
                md.escape(", ".join(scope["regions"]) or "none"),
            ]
        )
    headers = ["Framework", "Version", "Document", "Controls", "Services", "Resources"]
    yield md.table([*headers, "Accounts", "Regions"], rows, right=(3, 4, 5, 6)) + "\n"
    unresolved = next(iter(matrices.values()))["scope"]["unresolved_rows"]
    if unresolved:
        yield (
            f"{unresolved} inventory row(s) could not be matched to an AWS service; "
            "they are outside the matrix and the pack lists them.\n"
        )


def _counts(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    yield "## Controls by owner\n"
    headers = ["Framework", *(OWNER_LABELS[owner] for owner in OWNER_ORDER)]
    rows = [
        [md.escape(m["framework"]["name"]), *(md.number(m["counts"][o]) for o in OWNER_ORDER)]
        for m in matrices.values()
    ]
    yield md.table(headers, rows, right=range(1, len(headers))) + "\n"
    yield from _parties(matrices)


def _parties(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Who carries a duty in how many applicable controls: third parties by name."""
    names = list(dict.fromkeys(n for m in matrices.values() for n in m["party_counts"]))
    yield "## Who carries the duties\n"
    headers = ["Framework", *(md.escape(n) for n in names), "Split by service"]
    rows = [
        [
            md.escape(m["framework"]["name"]),
            *(md.number(m["party_counts"].get(n, 0)) for n in names),
            md.number(m["split_by_service"]),
        ]
        for m in matrices.values()
    ]
    yield md.table(headers, rows, right=range(1, len(headers))) + "\n"
    yield (
        "Applicable controls in which each party carries a duty (AWS's part is inherited "
        "through its attestation); *split by service*: the owner differs between services.\n"
    )


def _changes(matrices: dict[str, dict[str, Any]], previous: Pack | None) -> Iterator[str]:
    if previous is None:
        return
    yield f"## Changes since the previous pack ({previous.generated_at})\n"
    entries = diff_matrices(previous.matrices, matrices)
    yield markdown_sections(entries, level=3, limit=CHANGES_PER_FRAMEWORK)


def _inputs(first: dict[str, Any]) -> Iterator[str]:
    yield "## Inputs\n"
    rows = [
        [md.escape(item["role"]), md.code(item["path"]), md.number(item["size"]),
         md.code(item["sha256"])]
        for item in first["inputs"]
    ]  # fmt: skip
    yield md.table(["Input", "File", "Bytes", "SHA-256"], rows, right=(2,)) + "\n"


def _files(outputs: list[dict[str, Any]]) -> Iterator[str]:
    yield "## Files\n"
    rows = [
        [md.code(entry["path"]), md.number(entry["size"]), md.code(entry["sha256"])]
        for entry in outputs
    ]
    yield md.table(["File", "Bytes", "SHA-256"], rows, right=(1,)) + "\n"
    yield (
        "manifest.json lists every file with its SHA-256 and size; "
        "`reportgen verify <pack>` checks them.\n"
    )
