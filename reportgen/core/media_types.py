"""The one media-type table: the manifest's ``media_type``, attach's Content-Type and the
PDF's embedded files all read it.

A fixed table rather than the mimetypes module, whose answers depend on the machine's
/etc/mime.types and would make the manifest differ between machines.
"""

from __future__ import annotations

from pathlib import PurePosixPath

MEDIA_TYPES = {
    ".oscal.json": "application/oscal+json",  # NIST's type for OSCAL JSON (docs/oscal.md)
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".zip": "application/zip",
}
DEFAULT_MEDIA_TYPE = "application/octet-stream"


def media_type(path: str) -> str:
    pure = PurePosixPath(path)
    double = "".join(pure.suffixes[-2:]).lower()  # '.oscal.json' before '.json'
    return MEDIA_TYPES.get(double) or MEDIA_TYPES.get(pure.suffix.lower(), DEFAULT_MEDIA_TYPE)


def bare_media_type(path: str) -> str:
    """The type without its parameters ('text/csv'): a PDF's embedded-file subtype is a
    MIME type name, with no room for '; charset=...'."""
    return media_type(path).split(";", 1)[0]
