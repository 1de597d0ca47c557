"""A bound on each answer of an ``inventory pull``, held while it is read.

botocore reads an answer whole before any of its hooks sees it (a 600 MB answer took 1.3 GB
before a check at ``before-parse`` could refuse it: tenth adversarial pass). The client's
HTTP session is wrapped so that the answer is read here, in pieces, and refused the moment
it passes :data:`MAX_ANSWER_BYTES` or :data:`ANSWER_SECONDS`; botocore then parses the bytes
read as it would have. Where botocore's layout is not the one expected, the check at
``before-parse`` still refuses an answer over the cap, after it was read.
"""

from __future__ import annotations

import time
from typing import Any

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.inventory.pull.apis import Api

# A page of the APIs pulled holds at most 1,000 resources (Resource Explorer), under 10 MB
# with their properties and tags.
MAX_ANSWER_BYTES = 64 << 20
# botocore's read timeout is per read: an answer trickled a byte a minute never trips it.
ANSWER_SECONDS = 300.0
PIECE_BYTES = 1 << 16


def bound_answers(client: Any, api: Api) -> None:
    """Hold every answer ``client`` receives to the size and time bounds."""
    endpoint = getattr(client, "_endpoint", None)
    session = getattr(endpoint, "http_session", None)
    if session is not None and callable(getattr(session, "send", None)):
        endpoint.http_session = BoundedSession(session, api)
    client.meta.events.register("before-parse.*.*", _answer_check(api))


class BoundedSession:
    """botocore's HTTP session, but the answer's body is read here, within the bounds."""

    def __init__(self, inner: Any, api: Api) -> None:
        self._inner, self._api = inner, api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def send(self, request: Any) -> Any:
        streamed = request.stream_output
        request.stream_output = True  # the session hands over the answer unread
        try:
            response = self._inner.send(request)
        finally:
            request.stream_output = streamed
        if not streamed:
            response._content = _body(response, request, self._api)
        return response


def _body(response: Any, request: Any, api: Api) -> bytes:
    raw = response.raw
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raw.close()
        raise _too_large(api, int(declared))
    read = getattr(raw, "read1", None) or raw.read  # read1: what has come, not a full piece
    deadline = time.monotonic() + ANSWER_SECONDS
    body = bytearray()
    try:
        while piece := _piece(read, request):
            body += piece
            if len(body) > MAX_ANSWER_BYTES:
                raise _too_large(api, None)
            if time.monotonic() > deadline:
                raise _too_slow(api, len(body))
    except BaseException:
        raw.close()  # the connection is not handed back half read
        raise
    return bytes(body)


def _piece(read: Any, request: Any) -> bytes:
    """The next piece of the answer, urllib3's errors as botocore's (which it retries)."""
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
    from urllib3.exceptions import ProtocolError
    from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

    try:
        return read(PIECE_BYTES)
    except Urllib3ReadTimeout as exc:
        raise ReadTimeoutError(endpoint_url=request.url, error=exc) from exc
    except ProtocolError as exc:
        raise ConnectionClosedError(error=exc, request=request, endpoint_url=request.url) from exc


def _answer_check(api: Api) -> Any:
    """Before botocore parses an answer: within the cap, and not a web page. A proxy's or
    a captive portal's HTML page, sent with 200, parsed as an empty page of resources and
    made a snapshot of nothing (tenth adversarial pass)."""

    def check(response_dict: dict[str, Any], **_: Any) -> None:
        size = len(response_dict.get("body") or b"")
        if size > MAX_ANSWER_BYTES:
            raise _too_large(api, size)
        headers = response_dict.get("headers") or {}
        kind = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
        kind = kind.strip().lower()
        answered = int(response_dict.get("status_code") or 0) < 300  # errors: botocore's
        if answered and kind.startswith(("text/html", "application/xhtml")):
            raise InputError(
                f"{api.iam_action}: the answer is a web page ({shorten(kind, 60)}), not one "
                "AWS sends",
                hint="A proxy or a sign-in page may stand between you and AWS; check it, "
                "or pass the right --region or AWS_ENDPOINT_URL.",
            )

    return check


def _too_large(api: Api, size: int | None) -> InputError:
    """``size``: the answer's length as its header or botocore gave it; None while read."""
    cap = f"the {MAX_ANSWER_BYTES >> 20} MB ({MAX_ANSWER_BYTES:,} bytes) a page of it may hold"
    if size is None:
        what = f"an answer longer than {cap}; stopped reading it there"
    else:
        what = f"an answer of {size:,} bytes, over {cap}; refused unparsed"
    return InputError(f"{api.iam_action}: {what}", hint="Check any proxy between you and AWS.")


def _too_slow(api: Api, size: int) -> InputError:
    return InputError(
        f"{api.iam_action}: an answer still coming after {ANSWER_SECONDS:.0f} seconds "
        f"({size:,} bytes so far); stopped",
        hint="Check your connection and any proxy between you and AWS, then pull again.",
    )
