"""What ``attach`` sends: the pack's zip (and with ``--files`` each of its files), under
names that carry their hash.

``pci-dss/harbourline-pci-dss-raci.xlsx`` is attached as
``harbourline-pci-dss-raci.3f2a9c1b.xlsx``: the short SHA-256 makes a name unique to its
content, so a ticket that already has the name, with the same size, already has the file
(idempotent re-runs), and a changed file gets a new name instead of silently replacing
evidence. A same-named file of another size is an upload cut short, and is sent again.

Nothing is held in memory whole: each file is streamed, hashed on the way, into a private
copy in attach's temporary folder (0700, made by reportgen), and uploaded from that copy in
chunks. What goes up is the bytes that were hashed, even if the pack changes meanwhile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from reportgen.core.errors import environment_errors
from reportgen.core.slug import slugify
from reportgen.pack.bundle import bundle_pack, zip_folder
from reportgen.pack.files import MAX_MANIFEST_BYTES, PackDir
from reportgen.pack.manifest import MANIFEST_NAME, media_type
from reportgen.pack.verify import Verification

HASH_CHARS = 8
CHUNK = 64 * 1024


def sizes_by_name(
    listed: Iterable[tuple[str, int | None]], names: Collection[str]
) -> dict[str, set[int | None]]:
    """The sizes a ticket's listing shows under each of ``names``, keeping no other name (a
    ticket may list thousands)."""
    found: dict[str, set[int | None]] = {}
    for name, size in listed:
        if name in names:
            found.setdefault(name, set()).add(size)
    return found


@dataclass
class Upload:
    name: str  # as attached
    path: str  # in the pack
    source: Path  # the private copy that is sent
    size: int
    sha256: str
    media_type: str
    _file: BinaryIO | None = field(default=None, repr=False, compare=False)

    def whole_in(self, found: Mapping[str, set[int | None]]) -> bool:
        """Whether a listing (name to the sizes it has under that name) holds this file
        whole: its name with its size, or with no size, from a server that does not say one.
        The name alone skipped a file whose earlier upload a proxy had cut short (fourteenth
        adversarial pass)."""
        sizes = found.get(self.name, set())
        return self.size in sizes or None in sizes

    @property
    def data(self) -> BinaryIO:
        """The bytes as a binary file (a multipart body: httpx rewinds it per attempt)."""
        if self._file is None:
            self._file = self.source.open("rb")
        return self._file

    @property
    def content(self) -> Body:
        """The bytes as a raw request body, streamed from byte 0 on every attempt."""
        return Body(self)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Body:
    """A raw request body httpx can send again on a retry: iterating starts at byte 0
    (httpx reads a file object from where it stands, so it is given this instead), and
    ``fileno`` gives httpx the length for Content-Length."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload

    def fileno(self) -> int:
        return self.upload.data.fileno()

    def __iter__(self) -> Iterator[bytes]:
        handle = self.upload.data
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def upload_name(slug: str, path: str, sha256: str) -> str:
    """``<slug>-<folders>-<stem>.<hash8><suffix>``; a stem that already starts with the
    slug keeps its name (renderers name files ``<slug>-<framework>-...``)."""
    pure = PurePosixPath(path)
    stem = pure.name[: -len(pure.suffix)] if pure.suffix else pure.name
    if not stem.startswith(f"{slug}-"):
        stem = "-".join([slug, *pure.parent.parts, stem])
    return f"{slugify(stem, fallback='file')}.{sha256[:HASH_CHARS]}{pure.suffix.lower()}"


def pack_uploads(pack: PackDir, verified: Verification, workdir: Path) -> list[Upload]:
    """Every file the manifest lists, in path order, then manifest.json: the manifest, which
    seals the others, arrives last and only once every file it lists is attached. Each is
    streamed through the pack's safe reader into a private copy in ``workdir`` and must
    still have the hash it was verified with."""
    manifest = verified.manifest
    assert manifest is not None
    entries = [(e.path, e.size, e.sha256, e.media_type) for e in manifest.outputs]
    entries.append(
        (MANIFEST_NAME, MAX_MANIFEST_BYTES, verified.manifest_sha256, media_type(MANIFEST_NAME))
    )
    uploads = []
    for number, (path, size, sha256, kind) in enumerate(entries):
        copy = workdir / f"file-{number}"
        with pack.stream(path, size) as file, environment_errors(copy), copy.open("xb") as out:
            for chunk in file.chunks():
                out.write(chunk)
            file.require(sha256, "does not match the manifest")  # changed since verified
        name = upload_name(manifest.customer.slug, path, sha256)
        uploads.append(Upload(name, path, copy, file.size, sha256, kind))
    return uploads


def bundle_folder(verified: Verification) -> str:
    """The folder the zip unpacks into."""
    assert verified.manifest is not None
    return zip_folder(verified.manifest)


def bundle_upload(pack: Path, verified: Verification, workdir: Path) -> Upload:
    """The pack as one zip, ``bundle``'s bytes: what an auditor downloads and verifies."""
    assert verified.manifest is not None
    zipped = bundle_pack(pack, workdir / "pack.zip", final=False)  # the uploads follow
    name = upload_name(verified.manifest.customer.slug, "pack.zip", zipped.sha256)
    kind = media_type("pack.zip")
    return Upload(name, zipped.path.name, zipped.path, zipped.size, zipped.sha256, kind)
