"""Paths whose text reportgen must write somewhere: into a config, into the pack's record
of its inputs, as a file name the writers create. Such text cannot hold a byte that is not
UTF-8 (os.fsdecode gives it as a lone surrogate, which no UTF-8 writer encodes), and a
file name reportgen creates holds no control character either. And the paths a config
names, read as a shell reads them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
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


_SHOWN_HOME = 40  # characters of a ~name shown in a message


def expand_home(value: str) -> str:
    """``value`` with a leading ``~`` or ``~name`` replaced by that home folder, as a shell
    does; ValueError when the machine has none. The text is read, not a Path: pathlib
    drops a leading ``./``, so ``./~x.json`` was looked up as the home of a user
    ``x.json``, and a ``~name`` with no such user raised RuntimeError, an internal error
    (fifteenth adversarial pass)."""
    if not value.startswith("~"):
        return value
    expanded = os.path.expanduser(value)
    if expanded.startswith("~"):  # os.path leaves what it cannot expand as it was
        head = one_line(shorten(value.split("/", 1)[0], _SHOWN_HOME))
        who = f"no user '{head[1:]}'" if len(head) > 1 else "$HOME is not set"
        raise ValueError(
            f"{head} names no home folder on this machine ({who}); "
            f"for a file or folder whose name starts with ~, write ./{head}"
        )
    return expanded


def config_path(value: str, folder: Path) -> Path:
    """A path from the config as a Path: ``~`` expanded, then relative to ``folder``."""
    candidate = Path(expand_home(value))
    return candidate if candidate.is_absolute() else folder / candidate
