"""The only way WeasyPrint gets bytes: template assets from the template folders, nothing else.

Untrusted text is escaped before it reaches WeasyPrint, so no inventory value can name a
URL; this fetcher is the second wall. It never opens a socket: it reads files that lie
inside the template folders (the user's first, then the shipped ones) and refuses every
other URL, ``http(s)``, ``data:`` and ``file://`` paths outside those folders alike. Symlinks
are resolved before the check, so a link cannot lead out of a folder. An asset is read only
when it is a regular file of at most MAX_ASSET_BYTES without holes, checked from ``fstat``
and SEEK_HOLE before a byte is read (a 1.5 GB sparse image was read whole, 1.6 GB).

WeasyPrint catches whatever a fetcher raises, logs it and draws a hole: so every refused
URL, every refused asset and a MemoryError are recorded here, and the renderer raises them
once WeasyPrint is done (pdf.check_fetched) instead of writing a PDF with a hole.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from reportgen.core.errors import InputError
from reportgen.core.safefiles import read_dense

# Per asset: the shipped fonts are under 1 MB each; a logo or a font of a user's template
# has no need of more, and memory stays bounded whatever a template names.
MAX_ASSET_BYTES = 32 * 1024 * 1024
ASSET_HINT = (
    f"Template assets (fonts, CSS, images) must be regular files of at most "
    f"{MAX_ASSET_BYTES // (1024 * 1024)} MB each, without holes."
)

# The asset types a report may use; anything else is refused even inside the folders.
ASSET_TYPES: dict[str, str] = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


class RefusedURL(ValueError):
    """A URL the report may not fetch."""


class AssetFetcher(URLFetcher):
    """Serve files under ``roots`` by their path relative to any root, first root first.

    A URL that points into the shipped folder is looked up in the user's folder first, so a
    user can replace an asset (``assets/report.css``) the same way as a template.
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = [root.resolve() for root in roots]
        self.served: list[str] = []
        self.refused: list[str] = []
        self.failed: list[InputError] = []  # assets found but not read (too big, sparse...)
        self.out_of_memory = False

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        path = self.locate(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"not a template asset: {url[:200]}")
        self.served.append(url)
        try:
            data = read_asset(path, f"the template asset '{self._relative(url)}'")
        except InputError as error:
            self.failed.append(error)
            raise RefusedURL(error.message) from None
        except MemoryError:
            self.out_of_memory = True
            raise
        return URLFetcherResponse(url, data, {"Content-Type": ASSET_TYPES[path.suffix.lower()]})

    def locate(self, url: str) -> Path | None:
        """The file a URL stands for, or None when the URL is not an allowed asset."""
        relative = self._relative(url)
        if relative is None or relative.suffix.lower() not in ASSET_TYPES:
            return None
        for root in self.roots:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None

    def why(self, url: str) -> str:
        """Why :meth:`locate` refused ``url``, in a few words for the message."""
        relative = self._relative(url)
        if relative is None:
            local = _file_path(url) is not None
            return "outside the templates folders" if local else "not a local file"
        if relative.suffix.lower() not in ASSET_TYPES:
            return "not a font, stylesheet or image"
        for root in self.roots:
            candidate = root / relative
            if candidate.is_symlink() or not candidate.resolve().is_relative_to(root):
                return "a link out of its folder" if candidate.exists() else "a broken link"
            if candidate.exists() and not candidate.is_file():
                return "not a regular file"
        return "no such file"

    def shown(self, url: str) -> str:
        """A refused URL as the user can find it: a file inside a templates folder by its
        name there (``assets/x.png``), any other file by its absolute path (``/etc/passwd``,
        ``/home/me/logo.png`` for ``../logo.png``), never as a path made up of ``..`` or
        into reportgen's install; other URLs as they are."""
        written = _file_path(url)
        if written is None:
            return url
        path = Path(os.path.normpath(written))
        for root in self.roots:
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return path.as_posix()

    def _relative(self, url: str) -> PurePosixPath | None:
        written = _file_path(url)
        if written is None:
            return None
        path = Path(written).resolve()
        for root in self.roots:
            if path.is_relative_to(root):
                return PurePosixPath(path.relative_to(root).as_posix())
        return None


def _file_path(url: str) -> str | None:
    """The path a ``file:`` URL on this machine names, as written; None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return unquote(parts.path)


def read_asset(path: Path, what: str) -> bytes:
    """The bytes of an asset file: a regular file of at most MAX_ASSET_BYTES without holes,
    else InputError naming ``what`` (the asset as the template names it) and ``path``."""
    return read_dense(path, MAX_ASSET_BYTES, what, ASSET_HINT)


class AttachmentFetcher(URLFetcher):
    """Hands WeasyPrint the bytes of PDF attachments with a fixed media type.

    Used only for ``Attachment`` objects, never for the HTML: the media type comes from us
    rather than from the machine's mime database, so the PDF bytes do not vary by machine.
    """

    SCHEME = "reportgen-attachment:"

    def __init__(self, files: Mapping[str, tuple[bytes, str]]) -> None:
        super().__init__(allowed_protocols=("reportgen-attachment",), allow_redirects=False)
        self.files = dict(files)

    def url(self, name: str) -> str:
        return self.SCHEME + name

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        name = url.removeprefix(self.SCHEME)
        if not url.startswith(self.SCHEME) or name not in self.files:
            raise RefusedURL(f"not an attachment: {url[:200]}")
        data, media_type = self.files[name]
        return URLFetcherResponse(url, data, {"Content-Type": media_type})
