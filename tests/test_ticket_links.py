"""Reading the next page's link from an HTTP Link header (RFC 8288), as ServiceNow pages."""

from __future__ import annotations

import pytest

from reportgen.tickets.links import next_link

NEXT = "/api/now/attachment?sysparm_offset=100"


@pytest.mark.parametrize(
    "header",
    [
        f'<{NEXT}>;rel="next"',
        f"<{NEXT}>; rel=next",
        f'<{NEXT}> ; REL="Next"',
        f'<{NEXT}>; rel="next last"',
        f'</first>;rel="first", <{NEXT}>;rel="next"',
        f'</first?sysparm_fields=a,b>;rel="first",<{NEXT}&sysparm_fields=a,b>;rel=next',
        f'</a>;title="one, rel=next";rel="prev", <{NEXT}>;rel="next"',
        f'</a>;title="a \\" quote, rel=next";rel=prev, <{NEXT}>;rel=next',
        f'<{NEXT}>;type="text/html";rel="next"',
        f"<{NEXT}>; rel='next'",  # not RFC 8288's quotes, but some servers write them (27c)
        f"<{NEXT}>; rel='last next'",  # several types in them (28c)
        f"<{NEXT}>; title='a, b'; rel='next'",  # a comma in single quotes ends no link (31a)
        f"</a>; title='x, rel=next'; rel=prev, <{NEXT}>; title=it's; rel=next",
    ],
)
def test_the_next_link_is_found(header: str) -> None:
    assert next_link(header).startswith(NEXT)


@pytest.mark.parametrize(
    "header",
    [
        "",
        '</first>;rel="first", </last>;rel="last"',
        '</a>;title="rel=next"',
        '</a>;rel="nextpage"',
        '</a;rel="next"',
        "</last>; rel=last; rel=next",  # RFC 8288: a second rel is ignored (pass 26a)
        "<" * 100_000,
        "<>" + ";a" * 100_000,
        "<>" + ";a='" * 100_000,
    ],
)
def test_no_next_link(header: str) -> None:
    assert next_link(header) is None
