"""``reportgen diff``: what changed between two packs, per framework, from their matrix.json.

Services added or removed, controls whose owner changed (old -> new, with the new pack's
provenance as the reason), and evidence items whose status changed (``evidence.changes``).
Also used by ``build --previous`` for the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from reportgen.core.errors import InputError
from reportgen.core.owners import owner_label
from reportgen.pack.evidence_changes import evidence_changes
from reportgen.pack.files import MAX_PACK_MATRICES, Budget, PackDir, read_matrix
from reportgen.pack.manifest import PreviousPack
from reportgen.pack.manifest_schema import MANIFEST_NAME

SCHEMA = "reportgen.diff/1"


@dataclass(frozen=True)
class Pack:
    path: Path
    matrices: dict[str, dict[str, Any]]
    manifest_sha256: str | None

    @property
    def generated_at(self) -> str | None:
        first = next(iter(self.matrices.values()), {})
        return first.get("generated_at")

    def as_previous(self) -> PreviousPack:
        return PreviousPack(self.generated_at, self.manifest_sha256)


def load_pack(directory: Path, budget: Budget | None = None) -> Pack:
    """The matrices of the pack at ``directory`` (framework id -> what diff compares of its
    matrix): each ``<framework>/matrix.json`` its manifest lists (at most one per framework,
    :data:`MAX_PACK_MATRICES`), read through the pack's safe reader, counted against
    ``budget`` (shared by the packs one command reads), and cut to :func:`essentials` before
    the next is read."""
    budget = budget or Budget()
    with PackDir(directory) as pack:
        loaded = pack.manifest()
        listed = [entry for entry in loaded.manifest.outputs if _is_matrix(entry.path)]
        if len(listed) > MAX_PACK_MATRICES:
            raise InputError(
                f"the manifest lists {len(listed):,} matrix.json files, more than the "
                f"{MAX_PACK_MATRICES} a pack may hold (one per framework)",
                file=pack.path / MANIFEST_NAME,
            )
        matrices: dict[str, dict] = {}
        second = None
        for entry in listed:
            matrix = read_matrix(pack, entry.path, entry.size, entry.sha256, budget, essentials)
            fid = matrix["framework"]["id"]
            second = second or (entry.path if fid in matrices else None)
            matrices.setdefault(fid, matrix)
        if second is not None:  # keeping either would compare against a guess
            raise InputError(
                f"two matrices in this pack are of one framework (the second is {second}); "
                "a pack holds one per framework",
                file=pack.path / MANIFEST_NAME,
            )
    if not matrices:
        raise InputError(
            "this pack holds no matrix.json, which diff and --previous compare (it was built "
            "without the matrix format)",
            file=directory,
            hint="Rebuild it with the matrix format (drop --format, or add --format matrix).",
        )
    return Pack(directory, matrices, loaded.sha256)


def _is_matrix(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) == 2 and parts[1] == "matrix.json"


# What diff, the summary's changes and document control (artefacts/document.py) read of an
# earlier matrix, once it has passed its contract (pack/matrix_check.py); the rest (cells,
# duties, RACI: most of its bytes) is dropped at once.
_TOP = ("schema", "generated_at", "document_id", "framework", "document")
_CONTROL = ("id", "title", "owner", "party", "label", "split_by_service", "provenance")


def essentials(matrix: dict[str, Any]) -> dict[str, Any]:
    """The fields of a matrix that diff and ``build --previous`` compare."""
    kept = {key: matrix[key] for key in _TOP if key in matrix}
    kept["services"] = [{"id": s["id"], "name": s["name"]} for s in matrix["services"]]
    kept["controls"] = [_control(control) for control in matrix["controls"]]
    if "inputs" in matrix:
        kept["inputs"] = _each(matrix["inputs"], ("role", "sha256"))
    return kept


def _control(control: dict[str, Any]) -> dict[str, Any]:
    kept = {key: control[key] for key in _CONTROL if key in control}
    if "evidence_items" in control:
        kept["evidence_items"] = _each(control["evidence_items"], ("item", "status"))
    return kept


def _each(items: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Those ``keys`` of each object of a list (typed by the contract: objects that have
    them)."""
    return [{key: item[key] for key in keys} for item in items]


def _owner(control: dict[str, Any]) -> dict[str, Any]:
    label = control.get("label") or owner_label(control["owner"], control.get("party"))
    data = {"owner": control["owner"], "label": label}
    if control.get("party"):
        data["party"] = control["party"]
    if control.get("split_by_service"):
        data["split_by_service"] = True
    return data


def _services(matrix: dict[str, Any]) -> dict[str, str]:
    return {service["id"]: service["name"] for service in matrix["services"]}


def diff_framework(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """One framework's changes; ``old`` or ``new`` is None when the framework was added or
    removed."""
    either = new or old
    assert either is not None
    old_services = _services(old) if old else {}
    new_services = _services(new) if new else {}
    old_controls = {c["id"]: c for c in old["controls"]} if old else {}
    new_controls = {c["id"]: c for c in new["controls"]} if new else {}
    changes = [
        {
            "control": cid,
            "title": control["title"],
            "old": _owner(old_controls[cid]),
            "new": _owner(control),
            "reason": control["provenance"],
        }
        for cid, control in new_controls.items()
        if cid in old_controls and _key(old_controls[cid]) != _key(control)
    ]
    return {
        "id": either["framework"]["id"],
        "name": either["framework"]["name"],
        "status": _status(old, new),
        "services_added": _listed(new_services, old_services),
        "services_removed": _listed(old_services, new_services),
        "owner_changes": changes,
        "controls_added": [cid for cid in new_controls if cid not in old_controls],
        "controls_removed": [cid for cid in old_controls if cid not in new_controls],
        "evidence_changes": evidence_changes(old, new),
    }


def _key(control: dict[str, Any]) -> tuple[str, str | None, bool]:
    return control["owner"], control.get("party"), bool(control.get("split_by_service"))


def _listed(these: dict[str, str], but_not: dict[str, str]) -> list[dict[str, str]]:
    return [{"id": sid, "name": name} for sid, name in sorted(these.items()) if sid not in but_not]


def _status(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "compared"


def has_changes(entry: dict[str, Any]) -> bool:
    keys = (
        "services_added",
        "services_removed",
        "controls_added",
        "controls_removed",
        "owner_changes",
        "evidence_changes",
    )
    return entry["status"] != "compared" or any(entry[key] for key in keys)


def diff_matrices(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per framework, in the new pack's order, then frameworks only the old pack had."""
    order = [*new, *(fid for fid in old if fid not in new)]
    return [diff_framework(old.get(fid), new.get(fid)) for fid in order]


def diff_packs(old_dir: Path, new_dir: Path) -> dict[str, Any]:
    budget = Budget()
    old, new = load_pack(old_dir, budget), load_pack(new_dir, budget)
    return {
        "schema": SCHEMA,
        "old": _side(old),
        "new": _side(new),
        "frameworks": diff_matrices(old.matrices, new.matrices),
    }


def _side(pack: Pack) -> dict[str, Any]:
    return {"generated_at": pack.generated_at, "manifest_sha256": pack.manifest_sha256}
