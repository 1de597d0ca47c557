"""Identifiers and text shapes for the OSCAL documents: UUIDs, tokens, one-line strings.

Every UUID is a version-5 UUID derived from what it names, never random, so that two builds
from the same inputs write the same bytes. Subjects (a component, a control's requirement, a
duty within a service) get a UUID from their identity: the same subject keeps its UUID across
revisions, as OSCAL asks, and a changed text shows in a diff as a changed text. Documents
whose UUID names one instance (a catalog, a profile) get it from their whole content.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

OSCAL_VERSION = "1.2.1"
MEDIA_TYPE = "application/oscal+json"  # what NIST's metadata model says OSCAL JSON is
# Our own props and document-id scheme (props outside OSCAL's namespace need one).
NS = "urn:reportgen:oscal"
DOCUMENT_ID_SCHEME = "urn:reportgen:document-id"
FEDRAMP_NS = "https://fedramp.gov/ns/oscal"

_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_ROOT_BYTES = _ROOT.bytes
_TOKEN_START = re.compile(r"[A-Za-z_]")
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


def subject_uuid(*parts: str) -> str:
    """The UUID of a subject named by ``parts`` (customer slug, framework, kind, key...):
    ``uuid.uuid5(_ROOT, "\\x1f".join(parts))``, computed here directly because an SSP of a
    large estate asks for a few hundred thousand and the uuid module's path is slow."""
    digest = hashlib.sha1(_ROOT_BYTES + "\x1f".join(parts).encode()).hexdigest()
    # RFC 4122 name-based (SHA-1): version 5, variant 10xx, as uuid.uuid5 sets them.
    variant = "89ab"[int(digest[16], 16) & 3]
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"


def content_uuid(document: Any) -> str:
    """A UUID for one instance of a document: derived from all of its content."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(uuid.uuid5(_ROOT, hashlib.sha256(text.encode()).hexdigest()))


def token(text: str, prefix: str = "") -> str:
    """An OSCAL token (a letter or '_' first, then letters, digits, '.', '-', '_'). Accented
    letters keep their base letter ('Á' is 'A', where it was dropped: twentieth pass)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    body = _NOT_TOKEN.sub("_", f"{prefix}{plain}").strip("_") or "_"
    return body if _TOKEN_START.match(body) else f"_{body}"


def unique_tokens(names: Iterable[str], make: Any = token) -> dict[str, str]:
    """name -> token: its own token for the first name that makes it; for the others that
    make the same one, '-2', '-3'... past every name's own token. A suffix could take
    another name's own token ('X 1' became 'X_1-2' and pushed the real 'X_1-2' to
    'X_1-2-2': twentieth adversarial pass)."""
    own = {name: make(name) for name in dict.fromkeys(names)}
    tokens: dict[str, str] = {}
    for name, base in own.items():
        tokens.setdefault(base, name)  # by token for now: the first name keeps its own
    taken = set(tokens)
    result = {name: base for base, name in tokens.items()}
    for name, base in own.items():
        if name in result:
            continue
        number, candidate = 2, f"{base}-2"
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        result[name] = candidate
        taken.add(candidate)
    return {name: result[name] for name in own}


def line(text: object, fallback: str = "-") -> str:
    """One line without leading or trailing space: what OSCAL's string and markup-line
    fields accept (a name from a config file may hold line breaks or only spaces)."""
    return " ".join(str(text).split()) or fallback


# OSCAL's markup fields (title, description, remarks, prose) are Markdown. Text from the
# config, the inventory or a catalog is escaped so that it never becomes markup (a link, an
# image, a list, OSCAL's '{{ insert: param }}'); only the lists reportgen builds are markup.
_MARKUP = re.compile(r"([\\`*_\[\]<>!#|~{}])")
_LINE_START = re.compile(r"^([ \t]*)(?:([-+=])|(\d+)([.)]))", re.MULTILINE)


def md(text: object, line_start: bool = True) -> str:
    """``text`` as Markdown that shows exactly that text; ``line_start=False`` for text that
    follows other text on its first line (a list item's), where '1.' or '-' mean nothing."""
    escaped = _MARKUP.sub(r"\\\1", str(text))
    if line_start:
        return _LINE_START.sub(_escape_line_start, escaped)
    first, newline, rest = escaped.partition("\n")
    return first + newline + _LINE_START.sub(_escape_line_start, rest)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, sign, number, mark = match.groups()
    return f"{indent}\\{sign}" if sign else f"{indent}{number}\\{mark}"


def md_line(text: object, line_start: bool = True) -> str:
    """One line of Markdown (a title, a list item): :func:`line`, then :func:`md`."""
    return md(line(text), line_start)


def prop(
    name: str, value: object, ns: str | None = NS, cls: str | None = None, remarks: str = ""
) -> dict[str, str]:
    """A property; ``ns=None`` for OSCAL's own names (label, marking, sort-id...)."""
    entry = {"name": name}
    if ns:
        entry["ns"] = ns
    entry["value"] = line(value)
    if cls:
        entry["class"] = token(cls)
    if remarks:
        entry["remarks"] = remarks
    return entry


def sort_id(identifier: str) -> str:
    """'1.3.10' -> '001.003.010': ids that sort as the standard orders them."""
    return re.sub(r"\d+", lambda m: m.group().zfill(3), identifier)
