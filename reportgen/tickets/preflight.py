"""Everything attach will send, checked before it sends anything.

A request that fails on reportgen's side in the middle of a run (a media type with a letter
no header can carry, a name that cannot be encoded) used to leave the ticket with some of
the pack's files and not the others. So each upload's media type, name and size are checked
for every file before the first request, and a problem is exit 2 naming the file; once the
checks pass, building the requests cannot fail on their content.

What is sent where: Jira gets the name in the multipart ``filename`` parameter as UTF-8
(RFC 7578 section 4.2, what browsers send and Jira reads; ``filename*`` must not be used in
form data) and the media type as the part's Content-Type; ServiceNow gets the name as the
``file_name`` query parameter (percent-encoded UTF-8) and the media type as the request's
Content-Type header, which must be ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.pack.manifest_schema import MEDIA_TYPE_PATTERN
from reportgen.tickets.upload import Upload

MAX_NAME_BYTES = 255  # a file name, in UTF-8: what file systems and both ticket systems keep
_MEDIA_TYPE = re.compile(MEDIA_TYPE_PATTERN)
# Characters multipart form data escapes or a ticket system rewrites: the name the ticket
# then lists would differ from the one sent, and a re-run would upload the file again.
_REWRITTEN = frozenset('"\\/')


def check_uploads(uploads: Iterable[Upload], pack: Path) -> None:
    """InputError (exit 2) naming the first file attach could not send as it is."""
    for item in uploads:
        problem = upload_problem(item)
        if problem:
            raise InputError(f"cannot be attached: {problem}", file=printable(pack / item.path))


def printable(path: Path) -> str:
    """A path as a message can show it: a control character is written as an escape, so
    that a crafted name cannot move the cursor or hide text in the user's terminal."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(path))


def upload_problem(item: Upload) -> str | None:
    """Why ``item`` cannot be sent, or None."""
    if not _MEDIA_TYPE.fullmatch(item.media_type):
        return (
            f"its media type {item.media_type[:80]!r} is not an ASCII type/subtype "
            "(RFC 6838), so it cannot be sent as a Content-Type header"
        )
    return name_problem(item.name) or (
        f"its size ({item.size:,} bytes) is not a byte count" if item.size < 0 else None
    )


def name_problem(name: str) -> str | None:
    """Why a file name cannot be sent and listed back unchanged, or None."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid Unicode (a lone surrogate), so it cannot be encoded"
    if len(encoded) > MAX_NAME_BYTES:
        return f"its name is {len(encoded):,} bytes long in UTF-8 (at most {MAX_NAME_BYTES})"
    odd = sorted({c for c in name if c in _REWRITTEN or unicodedata.category(c)[0] in "CZ"})
    odd = [c for c in odd if c != " "]
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd[:5])
        return f"its name {name[:80]!r} holds characters a ticket system rewrites ({shown})"
    return None
