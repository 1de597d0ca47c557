"""Paths whose text reportgen must write somewhere: into a config, into the pack's record
of its inputs, as a file name the writers create. Such text cannot hold a byte that is not
UTF-8 (os.fsdecode gives it as a lone surrogate, which no UTF-8 writer encodes), and a
file name reportgen creates holds no control character either."""

from __future__ import annotations

import re

from reportgen.core.errors import InputError
from reportgen.core.terminal import one_line

NOT_UTF8 = re.compile("[\ud800-\udfff]")
CONTROL_OR_NOT_UTF8 = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_KIND = {
    NOT_UTF8: "a byte that is not UTF-8",
    CONTROL_OR_NOT_UTF8: "a control character or a byte that is not UTF-8",
}


def refuse_unwritable(
    text: str, shown: str, *, subject: str, cannot: str, hint: str, found: re.Pattern[str]
) -> None:
    """InputError if ``text`` holds a character ``found`` matches: "<subject> holds <it>,
    <what it is>, which <cannot>", naming the file ``shown`` (made visible)."""
    match = found.search(text)
    if match:
        raise InputError(
            # one_line: a newline quoted as itself printed the rest on a line of its own
            f"{subject} holds {one_line(match.group(0))}, {_KIND[found]}, which {cannot}",
            file=one_line(shown),
            hint=hint,
        )
