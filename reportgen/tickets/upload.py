"""What ``attach`` sends: the pack's files (or its zip) under names that carry their hash.

``pci-dss/harbourline-pci-dss-raci.xlsx`` is attached as
``harbourline-pci-dss-raci.3f2a9c1b.xlsx``: the short SHA-256 makes a name unique to its
content, so a ticket that already has the name already has the file (idempotent re-runs),
and a changed file gets a new name instead of silently replacing evidence.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reportgen.bundle import bundle_pack
from reportgen.manifest import MANIFEST_NAME, media_type
from reportgen.packfiles import MAX_MANIFEST_BYTES, PackDir, PackIntegrityError
from reportgen.slug import slugify
from reportgen.verify import Verification

HASH_CHARS = 8


@dataclass(frozen=True)
class Upload:
    name: str  # as attached
    path: str  # in the pack
    data: bytes
    media_type: str

    @property
    def size(self) -> int:
        return len(self.data)


def upload_name(slug: str, path: str, sha256: str) -> str:
    """``<slug>-<folders>-<stem>.<hash8><suffix>``; a stem that already starts with the
    slug keeps its name (renderers name files ``<slug>-<framework>-...``)."""
    pure = PurePosixPath(path)
    stem = pure.name[: -len(pure.suffix)] if pure.suffix else pure.name
    if not stem.startswith(f"{slug}-"):
        stem = "-".join([slug, *pure.parent.parts, stem])
    return f"{slugify(stem, fallback='file')}.{sha256[:HASH_CHARS]}{pure.suffix.lower()}"


def pack_uploads(pack: PackDir, verified: Verification) -> list[Upload]:
    """Every file the manifest lists, in path order, then manifest.json: the manifest, which
    seals the others, arrives last and only once every file it lists is attached. Each is
    read through the pack's safe reader and must still have the hash it was verified with."""
    manifest = verified.manifest
    assert manifest is not None
    entries = [(e.path, e.size, e.sha256, e.media_type) for e in manifest.outputs]
    entries.append(
        (MANIFEST_NAME, MAX_MANIFEST_BYTES, verified.manifest_sha256, media_type(MANIFEST_NAME))
    )
    uploads = []
    for path, size, sha256, kind in entries:
        data = pack.read(path, size, "the file")
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:  # changed since it was verified
            raise PackIntegrityError("does not match the manifest", file=pack.path / path)
        uploads.append(Upload(upload_name(manifest.customer.slug, path, digest), path, data, kind))
    return uploads


def bundle_upload(pack: Path, verified: Verification, workdir: Path) -> Upload:
    """The pack as one zip (``attach --bundle``)."""
    assert verified.manifest is not None
    zipped = bundle_pack(pack, workdir / "pack.zip")
    name = upload_name(verified.manifest.customer.slug, "pack.zip", zipped.sha256)
    return Upload(name, zipped.path.name, zipped.path.read_bytes(), media_type("pack.zip"))
