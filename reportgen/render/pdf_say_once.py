"""Say it once: what many rows of the control matrix share goes above them, not in each.

Three things repeat row after row in a framework's control matrix, and each is said once:

- the reason a section's controls have their owner: most of PCI DSS Requirement 12 reads
  "Estate-wide: you. No duty within the services." The reason most of a section's rows
  share is printed once under its heading; a row shows its own reason only where it
  differs (the full sentence stays in matrix.json and the workbook's RACI sheet);
- the attestation's name ("AWS PCI DSS AOC and Responsibility Summary: ...") that begins
  every AWS attestation line: named once in the chapter introduction;
- a note many applicable controls carry ("In force since 2025-03-31 (was future-dated)"):
  a footnote mark after each such control's id, the note once in the introduction.

Pure: the rows built by pdf_context.control_row in, the same rows with ``why`` (empty
where the section says it), ``marks`` (footnotes of shared notes) and a shortened
``attestation`` out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

# Footnote marks for shared notes, in order of first use.
NOTE_MARKS = ("†", "‡", "§", "¶", "**", "††")
SECTION_MIN = 2  # rows that must share a reason for the section to say it once


def _controls(section: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in section["rows"] if row["kind"] == "control"]


def control_chapter(sections: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply say-it-once to the control sections (in place); what the introduction says."""
    rows = [row for section in sections for row in _controls(section)]
    notes = _shared_notes(rows)
    attestation = _common_prefix(row["attestation"] for row in rows if row["attestation"])
    for section in sections:
        members = _controls(section)
        for row in members:
            row["why"], row["marks"] = _why(row, notes)
            if attestation and row["attestation"]:
                row["attestation"] = row["attestation"][len(attestation) + 2 :]
        section["why"], section["why_count"] = _section_reason(members)
        for row in members:
            if section["why"] and row["why"] == section["why"]:
                row["why"] = ""
    return {
        "attestation": attestation,
        "notes": [{"mark": mark, "text": text} for text, mark in notes.items()],
        "said_once": sum(1 for s in sections if s["why"]),
    }


def _why(row: dict[str, Any], notes: dict[str, str]) -> tuple[str, list[str]]:
    """The row's reason: its provenance, and its note unless the note is a footnote."""
    text, marks = row["provenance"], []
    note = row.get("note") if row["applicable"] else None
    if note and note in notes:
        marks.append(notes[note])
    elif note:
        text = f"{text} {note}."
    return text, marks


def _shared_notes(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Notes of applicable controls that two rows or more carry, each with its mark."""
    counts = Counter(row["note"] for row in rows if row["applicable"] and row.get("note"))
    shared = [note for note, count in counts.items() if count >= 2][: len(NOTE_MARKS)]
    return {note: NOTE_MARKS[index] for index, note in enumerate(shared)}


def _section_reason(rows: list[dict[str, Any]]) -> tuple[str, int]:
    """The reason most of the section's rows give (the first of equals), and how many:
    every row without a reason of its own has this one."""
    counts = Counter(row["why"] for row in rows if row["why"])
    if not counts:
        return "", 0
    reason, count = counts.most_common(1)[0]
    return (reason, count) if count >= SECTION_MIN else ("", 0)


def _common_prefix(texts: Iterable[str]) -> str:
    """The '<document>' of '<document>: <what it covers>' when every text starts with the
    same one; '' when they differ or any text has no such head."""
    heads = {text.split(": ", 1)[0] if ": " in text else "" for text in texts}
    if len(heads) != 1:
        return ""
    head = heads.pop()
    return head if 0 < len(head) <= 120 else ""
