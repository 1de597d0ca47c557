"""``reportgen verify``: recompute every hash in a pack's manifest; report what differs.

Every file is read through :class:`reportgen.pack.files.PackDir`: no symbolic links, regular
files only, sizes from ``fstat`` compared before any byte is hashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.pack.files import PackDir, framework_folders
from reportgen.pack.manifest_schema import Manifest


@dataclass
class Verification:
    pack: Path
    manifest_sha256: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)  # "path: why"
    manifest: Manifest | None = None

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.altered)


def verify_pack(pack: Path) -> Verification:
    """Check every file the manifest lists, and that the pack holds nothing else."""
    with PackDir(pack) as opened:
        return verify_opened(opened)


def verify_opened(opened: PackDir) -> Verification:
    """:func:`verify_pack` of a pack directory already open (bundle reads the files it
    verified through the same directory)."""
    loaded = opened.manifest()
    result = Verification(opened.path, loaded.sha256, manifest=loaded.manifest)
    outputs = loaded.manifest.outputs
    for entry in outputs:
        problem = opened.check(entry.path, entry.size, entry.sha256)
        result.checked += 1
        if problem == "missing":
            result.missing.append(entry.path)
        elif problem:
            result.altered.append(f"{entry.path}: {problem}")
    listed = {entry.path for entry in outputs}
    found = opened.files(kept=framework_folders(loaded.manifest))
    result.extra = [name for name in found if name not in listed]
    return result


def pack_is_intact(pack: Path) -> bool:
    """True when ``pack`` has a readable manifest and every file matches it."""
    try:
        return verify_pack(pack).ok
    except (InputError, OSError):
        return False
