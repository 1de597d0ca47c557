"""Document control: version, revision history, approvers, next review, distribution (pure).

Each framework's PDF and workbook is a controlled record. Its version comes from the config,
or is the previous pack's version + 1 when built with ``--previous``; its revision history
is the previous pack's with one line added, summarising what changed since (owners,
services, inputs) from the diff of the two matrices.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from reportgen.config.model import DocumentControlConfig
from reportgen.core.clock import day_of
from reportgen.core.errors import InputError
from reportgen.pack.diff import diff_framework
from reportgen.pack.manifest_schema import MAX_DOCUMENT_VERSION

FIRST_VERSION = "1"
CHANGES_NAMED = 5  # owner changes spelled out in a revision line; the rest are counted


def next_version(version: str) -> str:
    """'1' -> '2', '1.4' -> '1.5', 'v3' -> 'v4'; a version without a number gets '.1'."""
    found = list(re.finditer(r"\d+", version))
    if not found:
        return f"{version}.1"
    last = found[-1]
    return version[: last.start()] + str(int(last.group()) + 1) + version[last.end() :]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def document_control(
    config: DocumentControlConfig,
    matrix: dict[str, Any],
    previous: dict[str, Any] | None,
    warnings: list[str],
) -> dict[str, Any]:
    """The matrix's ``document`` block. ``previous`` is the earlier pack's matrix of the same
    framework (``build --previous``), or None."""
    built = day_of(matrix["generated_at"])
    earlier = _history(previous)
    previous_version = earlier[-1]["version"] if earlier else None
    version = config.version or (next_version(previous_version) if previous_version else None)
    version = version or FIRST_VERSION
    _refuse_too_long(version, matrix["framework"]["id"])
    if previous_version is not None and version == previous_version:
        warnings.append(
            f"{matrix['framework']['id']}: document_control.version is {version}, the version "
            "of the previous pack too: raise it or leave it out (previous + 1)"
        )
    summary = change_summary(previous, matrix) if previous else "First version."
    if config.change_note:
        summary = f"{config.change_note.rstrip('.')}. {summary}"
    line = {
        "version": version,
        "date": built.isoformat(),
        "document_id": matrix["document_id"],
        "summary": summary,
    }
    return {
        "version": version,
        "previous_version": previous_version,
        "owner": config.owner,
        "approvers": [
            {
                "action": a.action,
                "name": a.name,
                "role": a.role,
                "date": a.date.isoformat() if a.date else None,
            }
            for a in config.approvers
        ],
        "review_interval_months": config.review_interval_months,
        "next_review": (
            config.next_review or add_months(built, config.review_interval_months)
        ).isoformat(),
        "distribution": list(config.distribution),
        "revisions": [*earlier, line],
    }


def _refuse_too_long(version: str, framework_id: str) -> None:
    """A pack carries a document version of at most MAX_DOCUMENT_VERSION characters (diff
    and --previous refuse a longer one), and previous + 1 can be one longer (99 -> 100):
    refused here, before anything is rendered, not written into a pack reportgen then
    cannot read."""
    if len(version) <= MAX_DOCUMENT_VERSION:
        return
    shown = f"{version[:12]}...{version[-12:]}"
    raise InputError(
        f"{framework_id}: the document version of the pack given with --previous plus one "
        f"is '{shown}', {len(version)} characters: more than the {MAX_DOCUMENT_VERSION} a "
        "pack may carry (diff and a later --previous would refuse the new pack)",
        hint="Set document_control.version in the config (at most 20 characters) to start "
        "the numbering afresh, e.g. version: '2.0'.",
    )


def _history(previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The previous pack's revision lines; a pack from before document control counts as
    version 1 with one line."""
    if previous is None:
        return []
    document = previous.get("document")
    if isinstance(document, dict) and document.get("revisions"):
        return [dict(line) for line in document["revisions"]]
    return [
        {
            "version": FIRST_VERSION,
            "date": str(previous.get("generated_at", ""))[:10],
            "document_id": previous.get("document_id", ""),
            "summary": "Built before reportgen recorded document control.",
        }
    ]


def change_summary(previous: dict[str, Any], matrix: dict[str, Any]) -> str:
    """One paragraph from the diff: owner changes (the first few named), services added and
    removed, controls added and removed, inputs that changed."""
    diff = diff_framework(previous, matrix)
    parts = []
    changes = diff["owner_changes"]
    if changes:
        named = [
            f"{c['control']} {c['old']['label']} → {c['new']['label']}"
            for c in changes[:CHANGES_NAMED]
        ]
        more = len(changes) - len(named)
        tail = f" and {more} more" if more else ""
        parts.append(f"{_count(len(changes), 'owner change')}: {', '.join(named)}{tail}")
    else:
        parts.append("no owner changed")
    for key, what in (
        ("services_added", "services added"),
        ("services_removed", "services removed"),
    ):
        if diff[key]:
            parts.append(f"{what}: {', '.join(s['name'] for s in diff[key])}")
    for key, what in (
        ("controls_added", "controls added"),
        ("controls_removed", "controls removed"),
    ):
        if diff[key]:
            parts.append(f"{what}: {', '.join(diff[key])}")
    changed = _changed_inputs(previous, matrix)
    if changed:
        parts.append(f"changed inputs: {', '.join(changed)}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _changed_inputs(previous: dict[str, Any], matrix: dict[str, Any]) -> list[str]:
    before = {item["role"]: item["sha256"] for item in previous.get("inputs", [])}
    return sorted(
        {item["role"] for item in matrix["inputs"] if before.get(item["role"]) != item["sha256"]}
    )
