"""``reportgen verify``: recompute every hash in a pack's manifest; report what differs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.errors import InputError
from reportgen.hashing import file_sha256
from reportgen.manifest import MANIFEST_NAME, load_manifest, pack_files


@dataclass
class Verification:
    pack: Path
    manifest_sha256: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)  # "path: why"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.altered)


def verify_pack(pack: Path) -> Verification:
    """Check every file the manifest lists, and that the pack holds nothing else."""
    manifest = load_manifest(pack)
    listed: dict[str, dict[str, Any]] = {entry["path"]: entry for entry in manifest["outputs"]}
    result = Verification(pack=pack, manifest_sha256=file_sha256(pack / MANIFEST_NAME)[0])
    for name, entry in listed.items():
        problem = _check(pack / name, entry)
        result.checked += 1
        if problem == "missing":
            result.missing.append(name)
        elif problem:
            result.altered.append(f"{name}: {problem}")
    result.extra = [name for name in pack_files(pack) if name not in listed]
    return result


def _check(path: Path, entry: dict[str, Any]) -> str | None:
    if path.is_symlink():
        return "is a symbolic link, not the file that was written"
    if not path.exists():
        return "missing"
    if not path.is_file():
        return "is not a regular file"
    sha256, size = file_sha256(path)
    if size != entry["size"]:
        return f"size {size} bytes, manifest says {entry['size']}"
    if sha256 != entry["sha256"]:
        return f"SHA-256 {sha256[:16]}…, manifest says {entry['sha256'][:16]}…"
    return None


def pack_is_intact(pack: Path) -> bool:
    """True when ``pack`` has a readable manifest and every file matches it."""
    try:
        return verify_pack(pack).ok
    except (InputError, OSError):
        return False
