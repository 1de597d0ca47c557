"""The ``Link`` header of an HTTP answer (RFC 8288), read for the link to the next page.

A link's target is between ``<`` and ``>`` and may hold commas (``sysparm_fields=a,b``), so
the header is not split on every comma; its ``rel`` may be quoted or a bare token, in any
letter case, and list several relation types (``rel="next last"``). Reading it more
narrowly took a page whose link held a comma, or said ``rel=next``, for the last page,
and the pack's zip on a later page was uploaded again on every run (twenty-third pass).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_PARAMETER = re.compile(
    r";[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*"  # a parameter's name, then its value:
    r'(?:=[ \t]*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^;, \t]*)))?'  # quoted, or a token
)

_FOLLOWING = re.compile(r"[ \t]*" + _PARAMETER.pattern)


def next_link(header: str) -> str | None:
    """The target of the header's first link whose relation types include ``next``."""
    for target, parameters in _links(header):
        # RFC 8288, 3.3: a second rel parameter is ignored ('rel=last; rel=next' is last)
        # in single quotes too, which RFC 8288 does not allow but servers write (27c, 28c)
        found = (q or s or t for n, q, s, t in _PARAMETER.findall(parameters) if n.lower() == "rel")
        rel = next(found, "")
        if "next" in rel.lower().split():
            return target
    return None


def _links(header: str) -> Iterator[tuple[str, str]]:
    """Each link's target and the text of its parameters, in one pass over the header:
    a link's parameters are read one by one, so a comma in a quoted value, in double or
    single quotes, ends no link (``title='a, b'; rel='next'`` hid the next page: 31a)."""
    position = 0
    while (start := header.find("<", position)) >= 0:
        end = header.find(">", start)
        if end < 0:
            return
        at = end + 1
        while found := _FOLLOWING.match(header, at):
            at = found.end()
        yield header[start + 1 : end], header[end + 1 : at]
        position = at
