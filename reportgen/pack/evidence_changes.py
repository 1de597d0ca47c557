"""Evidence-status changes between two packs, for ``reportgen diff`` and ``build --previous``.

Items are matched by control id and item text (as the round trip matches them); an item
whose status moved is listed with both statuses. Packs built before the tracker have no
``evidence_items``: nothing is compared then, rather than every item reading as new.
"""

from __future__ import annotations

from typing import Any

from reportgen.ownership.evidence_vocabulary import item_key


def evidence_changes(
    old: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Per item whose status changed: control, item, old and new status."""
    if not old or not new:
        return []
    before = _statuses(old)
    if before is None:
        return []
    changes = []
    for control in new["controls"]:
        for item in control.get("evidence_items", ()):
            was = before.get((control["id"], item_key(item["item"])))
            if was is not None and was != item["status"]:
                changes.append(
                    {
                        "control": control["id"],
                        "item": item["item"],
                        "old": was,
                        "new": item["status"],
                    }
                )
    return changes


def _statuses(matrix: dict[str, Any]) -> dict[tuple[str, str], str] | None:
    controls = matrix["controls"]
    if not any("evidence_items" in control for control in controls):
        return None
    return {
        (control["id"], item_key(item["item"])): item["status"]
        for control in controls
        for item in control.get("evidence_items", ())
    }
