"""The typed schema of manifest.json (``reportgen.manifest/1``) and the bounds on the parts
of a matrix.json that ``diff`` and ``build --previous`` read (on top of the matrix's own
contract, reportgen/matrix_schema.py: see pack/matrix_check.py).

Strict: every field the writer (:mod:`reportgen.pack.manifest`) writes is required, no other
field is allowed, types are not coerced ("12" is not a size, true is not a count), output
paths must name files inside the pack and each at most once. A manifest is the root of
trust ``verify`` checks a pack against, so one that is not exactly what reportgen writes
is refused with every problem named, never half-read.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from reportgen.config.model import DOCUMENT_VERSION_PATTERN
from reportgen.core.clock import parse_iso
from reportgen.core.markdown import shorten
from reportgen.core.owners import Owner
from reportgen.core.pathtext import CONTROL_OR_NOT_UTF8
from reportgen.core.validation import MAX_CARRIED_TEXT

SCHEMA = "reportgen.manifest/1"
MATRIX_SCHEMA = "reportgen.matrix/1"
MANIFEST_NAME = "manifest.json"
MAX_DEPTH = 16  # folders a pack may nest (reportgen writes <framework>/<file>: one)

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ByteCount = Annotated[int, Field(ge=0, le=2**53)]
Count = Annotated[int, Field(ge=0, le=10**9)]
Text = Annotated[str, StringConstraints(max_length=MAX_CARRIED_TEXT)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
# Sent as a Content-Type header by attach: ASCII only, so that every HTTP library encodes
# it (a non-ASCII letter failed attach half-way), and no room for a line break or another
# header. type/subtype are RFC 6838 restricted names; one parameter, like charset=utf-8.
_RESTRICTED_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
MEDIA_TYPE_PATTERN = (
    rf"^{_RESTRICTED_NAME}/{_RESTRICTED_NAME}(; ?[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9_.-]+)?$"
)
MediaType = Annotated[str, StringConstraints(pattern=MEDIA_TYPE_PATTERN, max_length=200)]


def _real_moment(stamp: str) -> str:
    """A stamp of the right shape must also name a real moment (no month 13, no year 0):
    bundle dates its zip entries from it, build --previous copies it."""
    try:
        parse_iso(stamp)
    except ValueError:
        raise ValueError(f"{stamp[:40]!r} is not a real date and time") from None
    return stamp


# RFC 3339 UTC to the second, ASCII digits only ([0-9], not \d: that matches any script's).
Timestamp = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"),
    AfterValidator(_real_moment),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Generator(_Strict):
    name: Literal["reportgen"]
    version: Text


class Customer(_Strict):
    name: Text
    slug: Slug


class Catalogs(_Strict):
    srm: Text
    frameworks: dict[Slug, Text]


class InputFile(_Strict):
    role: Text
    path: Annotated[str, StringConstraints(max_length=4096)]
    sha256: Sha256
    size: ByteCount


class FrameworkEntry(_Strict):
    id: Slug
    name: Text
    version: Text
    catalog_version: Text
    document_id: Text
    controls: Count
    services: Count
    resources: Count
    unresolved_rows: Count
    counts: dict[Owner, Count]


class OutputFile(_Strict):
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    sha256: Sha256
    size: ByteCount
    media_type: MediaType

    @field_validator("path")
    @classmethod
    def _inside_the_pack(cls, path: str) -> str:
        if not safe_relative(path):
            raise ValueError(f"{path[:120]!r} is not a relative path inside the pack")
        if path.count("/") >= MAX_DEPTH:
            raise ValueError(f"{path[:120]!r} is nested more than {MAX_DEPTH} folders deep")
        if CONTROL_OR_NOT_UTF8.search(path):  # a name reportgen never writes (tenth pass)
            raise ValueError(f"{path[:120]!r} holds a control character or a byte not UTF-8")
        return path


class Previous(_Strict):
    generated_at: Timestamp | None
    manifest_sha256: Sha256 | None


class Manifest(_Strict):
    schema_id: Literal["reportgen.manifest/1"] = Field(alias="schema")
    generator: Generator
    generated_at: Timestamp
    customer: Customer
    classification: Text
    catalogs: Catalogs
    inputs: list[InputFile]
    frameworks: list[FrameworkEntry]
    outputs: list[OutputFile]
    previous: Previous | None = None

    @field_validator("outputs")
    @classmethod
    def _each_file_once(cls, outputs: list[OutputFile]) -> list[OutputFile]:
        problems = _clashes([output.path for output in outputs])
        if problems:
            raise ValueError("; ".join(problems))
        return outputs

    def as_dict(self) -> dict[str, Any]:
        """The manifest as the JSON it was read from (``schema`` and all)."""
        return self.model_dump(by_alias=True, exclude_none=False, exclude_unset=True)


def one_file_key(path: str) -> str:
    """``path`` as macOS (APFS, HFS+) and Windows compare names: 'Summary.md' and
    'summary.md', or 'é' precomposed and e + combining accent, are one file there. Unicode's
    canonical caseless match, so any pair those systems merge is caught (a few they keep
    apart, like 'ß' and 'ss', are refused too: reportgen never writes either)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


def _clashes(paths: list[str]) -> list[str]:
    """What stops ``paths`` being distinct files once the pack is unzipped where names are
    compared without case or normalisation (ninth pass: bundle zipped summary.md and
    Summary.md). The manifest is one of those files: a listed 'Manifest.json' replaced it
    there, so one zip held two packs that each verified (sixteenth pass)."""
    files = {one_file_key(MANIFEST_NAME): MANIFEST_NAME}
    twice = []
    for path in paths:
        key = one_file_key(path)
        if key in files:
            twice.append(_spellings(files[key], path))
        files.setdefault(key, path)
    folders = {one_file_key(folder): folder for path in paths for folder in _folders_of(path)}
    both = [_spellings(files[key], folders[key]) for key in sorted(files.keys() & folders)]
    problems = [("one file listed more than once", twice), ("both a file and a folder", both)]
    return [f"{what}{_ONE_FILE}: {'; '.join(names[:5])}" for what, names in problems if names]


def _folders_of(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


_ONE_FILE = (
    " (names that differ only in case or Unicode normalisation are one file on macOS and Windows)"
)


def _spellings(first: str, second: str) -> str:
    if first == second:
        return shorten(first, 120)
    itself = ", the manifest itself" if first == MANIFEST_NAME else ""
    return f"{shorten(second, 120)} (as {shorten(first, 120)}{itself})"


def safe_relative(name: str) -> bool:
    """A manifest path may only name a file inside the pack (a crafted manifest must not
    make verify or bundle read /etc/passwd or ../secrets)."""
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and name != MANIFEST_NAME
    )


# ---------------------------------------------------------------- matrix.json (what diff reads)


class _Read(BaseModel):
    """Strict types for the fields read; the matrix's other fields are kept as they are."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class MatrixFramework(_Read):
    id: Slug
    name: Text


class MatrixService(_Read):
    id: Text
    name: Text


class MatrixControl(_Read):
    id: Text
    title: Text
    owner: Owner
    party: Text | None = None
    provenance: Annotated[str, StringConstraints(max_length=100_000)]


# The config allows 20 characters; each build --previous adds one at most (9 -> 10), and
# refuses to go past this (artefacts/document.py). The bound keeps next_version's int() far
# from Python's 4,300-digit limit.
MAX_DOCUMENT_VERSION = 100
DocumentVersion = Annotated[
    str, StringConstraints(pattern=DOCUMENT_VERSION_PATTERN, max_length=MAX_DOCUMENT_VERSION)
]


class MatrixRevision(_Read):
    version: DocumentVersion


class MatrixDocument(_Read):
    revisions: list[MatrixRevision]


class Matrix(_Read):
    schema_id: Literal["reportgen.matrix/1"] = Field(alias="schema")
    generated_at: Timestamp
    framework: MatrixFramework
    services: list[MatrixService]
    controls: list[MatrixControl]
    document: MatrixDocument | None = None  # absent from packs built before document control
