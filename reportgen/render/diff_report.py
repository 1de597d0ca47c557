"""How a diff is shown: rich tables on a terminal, Markdown for a ticket, or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from reportgen.core import markdown as md
from reportgen.core.terminal import one_line, safe_text
from reportgen.pack.diff import has_changes
from reportgen.render.terminal import owner_text

FORMATS = ("text", "markdown", "json")
UNCHANGED = (
    "no service or control added or removed; no control changed owner; no evidence changed status"
)
CONTROL_LISTS = (("controls_added", "controls added"), ("controls_removed", "controls removed"))
REASON_LIMIT = 400  # characters of provenance per row in Markdown (a ticket comment has limits)


def _services_line(entry: dict[str, Any], key: str) -> str:
    return ", ".join(f"{s['name']} ({s['id']})" for s in entry[key])


def _ids_line(ids: list[str], shown: Callable[[str], str], limit: int | None = None) -> str:
    """``ids`` counted, each ``shown``, the first ``limit`` of them: a catalog update can
    add hundreds of requirements, which a ticket comment need not list one by one."""
    listed = ids if limit is None else ids[:limit]
    more = f", … and {len(ids) - len(listed):,} more" if len(listed) < len(ids) else ""
    return f"({len(ids):,}): " + ", ".join(map(shown, listed)) + more


def markdown_sections(
    frameworks: list[dict[str, Any]], level: int = 2, limit: int | None = None
) -> str:
    """One section per framework; ``limit`` caps the owner-change rows of each."""
    parts = []
    for entry in frameworks:
        parts.append(f"{'#' * level} {md.escape(entry['name'])}\n")
        parts.extend(_markdown_body(entry, limit))
    return "\n".join(parts).rstrip() + "\n"


def _markdown_body(entry: dict[str, Any], limit: int | None) -> Iterator[str]:
    if entry["status"] == "added":
        yield "Framework added: not in the previous pack.\n"
        return
    if entry["status"] == "removed":
        yield "Framework removed: not in the new pack.\n"
        return
    if not has_changes(entry):
        yield UNCHANGED.capitalize() + ".\n"
        return
    for key, label in (
        ("services_added", "Services added"),
        ("services_removed", "Services removed"),
    ):
        if entry[key]:
            yield f"- {label}: {md.escape(_services_line(entry, key))}"
    # Controls a catalog update added (PCI's future-dated requirements) or dropped: a
    # reviewer reading the ticket saw "no change" where only the JSON listed them.
    for key, label in CONTROL_LISTS:
        if entry[key]:
            yield f"- {label.capitalize()} {_ids_line(entry[key], md.code, limit)}"
    changes = entry["owner_changes"]
    listed = ("services_added", "services_removed", *(key for key, _ in CONTROL_LISTS))
    if any(entry[key] for key in listed):
        yield ""
    if not changes:
        yield "No control changed owner.\n"
        yield from _evidence_markdown(entry["evidence_changes"], limit)
        return
    yield f"{len(changes)} control(s) changed owner:\n"
    shown = changes if limit is None else changes[:limit]
    rows = [
        [
            md.code(c["control"]),
            md.escape(c["old"]["label"]),
            md.escape(c["new"]["label"]),
            md.escape(md.shorten(c["reason"], REASON_LIMIT)),
        ]
        for c in shown
    ]
    yield md.table(["Control", "Was", "Now", "Why (new pack)"], rows) + "\n"
    if len(shown) < len(changes):
        yield f"… and {len(changes) - len(shown)} more: run `reportgen diff` for all.\n"
    yield from _evidence_markdown(entry["evidence_changes"], limit)


def _evidence_markdown(changes: list[dict[str, Any]], limit: int | None) -> Iterator[str]:
    if not changes:
        return
    yield f"{len(changes)} evidence item(s) changed status:\n"
    shown = changes if limit is None else changes[:limit]
    rows = [
        [
            md.code(c["control"]),
            md.escape(md.shorten(c["item"], REASON_LIMIT)),
            md.escape(c["old"]),
            md.escape(c["new"]),
        ]
        for c in shown
    ]
    yield md.table(["Control", "Evidence item", "Was", "Now"], rows) + "\n"
    if len(shown) < len(changes):
        yield f"… and {len(changes) - len(shown)} more: run `reportgen diff` for all.\n"


def diff_markdown(diff: dict[str, Any]) -> str:
    old, new = diff["old"]["generated_at"], diff["new"]["generated_at"]
    head = f"# Changes between packs\n\nFrom the pack of {old} to the pack of {new}.\n\n"
    return head + markdown_sections(diff["frameworks"])


def diff_json(diff: dict[str, Any]) -> str:
    return json.dumps(diff, ensure_ascii=False, indent=2) + "\n"


def diff_renderables(diff: dict[str, Any]) -> Iterator[RenderableType]:
    """What ``reportgen diff`` prints on a terminal."""
    old, new = diff["old"]["generated_at"], diff["new"]["generated_at"]
    yield safe_text(f"Pack of {old} -> pack of {new}", style="bold")
    for entry in diff["frameworks"]:
        yield Text("")
        yield safe_text(entry["name"], style="bold")
        if entry["status"] != "compared":
            yield safe_text(f"  framework {entry['status']}")
            continue
        if not has_changes(entry):
            yield safe_text(f"  {UNCHANGED}", style="dim")
        for key, label in (
            ("services_added", "services added"),
            ("services_removed", "services removed"),
        ):
            if entry[key]:
                yield safe_text(f"  {label}: {one_line(_services_line(entry, key))}")
        for key, label in CONTROL_LISTS:
            if entry[key]:
                yield safe_text(f"  {label} {_ids_line(entry[key], one_line)}")
        if entry["owner_changes"]:
            yield _changes_table(entry["owner_changes"])
        if entry.get("evidence_changes"):
            yield _evidence_table(entry["evidence_changes"])


def _changes_table(changes: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(changes)} control(s) changed owner", title_justify="left")
    for column in ("control", "was", "now", "why (new pack)"):
        table.add_column(column, overflow="fold")
    for change in changes:
        was, now = change["old"], change["new"]
        table.add_row(
            one_line(change["control"]),
            safe_text(one_line(was["label"]), style=owner_text(was["owner"]).style),
            safe_text(one_line(now["label"]), style=owner_text(now["owner"]).style),
            one_line(change["reason"] or ""),
        )
    return table


def _evidence_table(changes: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(changes)} evidence item(s) changed status", title_justify="left")
    for column in ("control", "evidence item", "was", "now"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(*(one_line(change[k]) for k in ("control", "item", "old", "new")))
    return table
