"""manifest.json: what a pack holds, where it came from, and the hash of every file in it.

The manifest is the root of trust an auditor checks with ``reportgen verify``: tool and
catalog versions, the generation time, every input (path as the user gave it, SHA-256,
size), every output (relative POSIX path, SHA-256, size, media type) and per framework the
controls counted by owner. It never lists itself. Its JSON is deterministic: fixed key
order, outputs sorted by path, no absolute or machine-specific values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.core.errors import environment_errors
from reportgen.core.hashing import file_sha256
from reportgen.core.media_types import MEDIA_TYPES as MEDIA_TYPES  # re-exported
from reportgen.core.media_types import media_type as media_type  # re-exported
from reportgen.core.terminal import visible_json
from reportgen.pack.files import read_manifest
from reportgen.pack.manifest_schema import MANIFEST_NAME, SCHEMA
from reportgen.pack.manifest_schema import safe_relative as safe_relative  # re-exported

SUMMARY_NAME = "summary.md"


@dataclass(frozen=True)
class PreviousPack:
    """The pack a build was compared with (``build --previous``), as the manifest records it."""

    generated_at: str | None
    manifest_sha256: str | None


def pack_files(root: Path) -> list[str]:
    """Relative POSIX paths of every file under ``root`` but the manifest, sorted."""
    found = (p for p in root.rglob("*") if p.is_file() or p.is_symlink())
    names = (p.relative_to(root).as_posix() for p in found)
    return sorted(name for name in names if name != MANIFEST_NAME)


def output_entry(root: Path, name: str) -> dict[str, Any]:
    sha256, size = file_sha256(root / name)
    return {"path": name, "sha256": sha256, "size": size, "media_type": media_type(name)}


def output_entries(root: Path) -> list[dict[str, Any]]:
    return [output_entry(root, name) for name in pack_files(root)]


def framework_entry(matrix: dict[str, Any]) -> dict[str, Any]:
    framework = matrix["framework"]
    scope = matrix["scope"]
    return {
        "id": framework["id"],
        "name": framework["name"],
        "version": framework["version"],
        "catalog_version": framework["catalog_version"],
        "document_id": matrix["document_id"],
        "controls": len(matrix["controls"]),
        "services": scope["services"],
        "resources": scope["resources"],
        "unresolved_rows": scope["unresolved_rows"],
        "counts": dict(matrix["counts"]),
    }


def build_manifest(
    matrices: dict[str, dict[str, Any]],
    outputs: list[dict[str, Any]],
    previous: PreviousPack | None = None,
) -> dict[str, Any]:
    """The manifest of a pack from its matrices (which share the run's facts) and outputs."""
    first = next(iter(matrices.values()))
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "generator": dict(first["generator"]),
        "generated_at": first["generated_at"],
        "customer": dict(first["customer"]),
        "classification": first["classification"],
        "catalogs": {
            "srm": first["catalogs"]["srm"],
            "frameworks": {fid: m["catalogs"]["framework"] for fid, m in matrices.items()},
        },
        "inputs": [dict(item) for item in first["inputs"]],
        "frameworks": [framework_entry(m) for m in matrices.values()],
        "outputs": sorted(outputs, key=lambda entry: entry["path"]),
    }
    if previous is not None:
        manifest["previous"] = {
            "generated_at": previous.generated_at,
            "manifest_sha256": previous.manifest_sha256,
        }
    return manifest


def dumps(manifest: dict[str, Any]) -> str:
    # DEL, C1 and bidi characters as JSON escapes, as matrix.json writes them: a customer
    # name's raw U+202E reordered the manifest's text (eighteenth pass).
    return visible_json(json.dumps(manifest, ensure_ascii=False, indent=2)) + "\n"


def write_manifest(root: Path, manifest: dict[str, Any]) -> Path:
    path = root / MANIFEST_NAME
    with environment_errors(path):  # disk full: exit 2 naming the file
        path.write_text(dumps(manifest), encoding="utf-8", newline="\n")
    return path


def load_manifest(pack: Path) -> dict[str, Any]:
    """The manifest of the pack at ``pack`` as JSON data, read and checked by
    :func:`reportgen.pack.files.read_manifest`; InputError (exit 2) when there is none usable."""
    return read_manifest(pack).as_dict()
