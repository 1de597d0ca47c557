"""Bounds on each answer of an ``inventory pull``, held while it comes.

botocore reads an answer whole before any of its hooks sees it (a 600 MB answer took 1.3 GB
before a check at ``before-parse`` could refuse it: tenth adversarial pass). The client's
HTTP session is wrapped so that the answer is read here, in pieces, and refused the moment
it passes its size; and each request, headers and body, is stopped at its deadline
(botocore's timeouts are per read: headers or a body trickled a line at a time never trip
them: eleventh pass). botocore then parses the bytes read as it would have. Where botocore's
layout is not the one expected, the check at ``before-parse`` still refuses an answer over
the cap, after it was read.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.inventory.pull.refusals import plain_refusal
from reportgen.inventory.sources.jsonstream import DuplicateKey, loads_unique

# A page of the APIs pulled holds at most 1,000 resources (Resource Explorer), under 10 MB
# with their properties and tags.
MAX_ANSWER_BYTES = 64 << 20
ANSWER_SECONDS = 300.0  # one request, from sending it to the last byte of its answer
PIECE_BYTES = 1 << 16
_JSON_OBJECT = re.compile(rb"\s*\{")
_BLANK_OR_BOM = " \t\r\n\ufeff"


@dataclass(frozen=True)
class Bounds:
    """What one client's answers may be: ``action`` names it in messages (an IAM action);
    ``json`` whether each answer is a JSON object (the list APIs; STS answers XML)."""

    action: str
    max_bytes: int = MAX_ANSWER_BYTES
    seconds: float = ANSWER_SECONDS
    json: bool = True
    list_key: str | None = None  # the page's list: null there is no AWS answer (26e)
    # A JSON answer giving a key twice is refused: botocore keeps the last value, and the
    # first, a secret never masked, was printed or written to the snapshot (48c C2-C4).
    unique_keys: bool = False
    # A credential call's answer, whatever its status: given each reading of it, and
    # whether it was accepted (2xx), to learn the secrets it holds before botocore quotes
    # any of it (a 500 or a 400 carrying keys had them printed: 52c); False when it holds
    # more than AWS's answers do, refused unquoted (58d).
    learn: Callable[[list[str], bool], bool] | None = field(default=None, compare=False)
    # A client's accepted answer (STS XML, SSO JSON) that parses as neither is refused
    # unquoted: botocore's refusal quoted it, and the new secret in it (52c).
    parsed_only: bool = False
    # A credential call's refusal is rewritten to its code and plain message, the
    # secrets known masked by this, before botocore quotes it (refusals.py: 53c).
    plain_refusals: Callable[[str], str] | None = field(default=None, compare=False)
    shape: str = "json"  # how its reader parses an answer: "xml" (STS) or "json"


_CHECK_ID = "reportgen-answer-check"


def bound_answers(client: Any, bounds: Bounds) -> None:
    """Hold every answer ``client`` receives to ``bounds``; called again (a client every
    client of the session is bounded as, then given its own bounds), the new bounds replace
    the old: wrapped twice, the outer wrapper found the body already read, and empty."""
    endpoint = getattr(client, "_endpoint", None)
    session = getattr(endpoint, "http_session", None)
    if isinstance(session, BoundedSession):
        session = session.inner
    if session is not None and callable(getattr(session, "send", None)):
        endpoint.http_session = BoundedSession(session, bounds)
    client.meta.events.unregister("before-parse.*.*", unique_id=_CHECK_ID)
    client.meta.events.register("before-parse.*.*", _answer_check(bounds), unique_id=_CHECK_ID)


class BoundedSession:
    """botocore's HTTP session, but each request has a deadline and its answer's body is
    read here, within the size."""

    def __init__(self, inner: Any, bounds: Bounds) -> None:
        self.inner, self._bounds = inner, bounds

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, request: Any) -> Any:
        bounds = self._bounds
        streamed = request.stream_output
        request.stream_output = True  # the session hands over the answer unread
        read = [0]
        try:
            with _deadline(bounds.seconds):
                response = self.inner.send(request)
                if not streamed:
                    response._content = _body(response, request, bounds, read)
                    _check_unique_keys(response, bounds)
                    _plain_refusal(response, bounds)
        except _Expired:
            raise _too_slow(bounds, read[0]) from None
        finally:
            request.stream_output = streamed
        return response


class _Expired(BaseException):
    """The request's deadline passed. Not an Exception: urllib3 and botocore catch those,
    and would retry or wrap it."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _Expired in whatever the main thread is doing (waiting for headers included)
    once ``seconds`` have passed. Elsewhere than the main thread, only the body's reads
    check the clock (see _body)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _body(response: Any, request: Any, bounds: Bounds, read: list[int]) -> bytes:
    raw = response.raw
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > bounds.max_bytes:
        raw.close()
        raise _too_large(bounds, int(declared))
    reader = getattr(raw, "read1", None) or raw.read  # read1: what has come, not a full piece
    deadline = time.monotonic() + bounds.seconds
    body = bytearray()
    try:
        while piece := _piece(reader, request):
            body += piece
            read[0] = len(body)
            if len(body) > bounds.max_bytes:
                raise _too_large(bounds, None)
            if time.monotonic() > deadline:
                raise _Expired
    except BaseException:
        raw.close()  # the connection is not handed back half read
        raise
    return bytes(body)


def _check_unique_keys(response: Any, bounds: Bounds) -> None:
    """Refuse an accepted answer giving one field twice: JSON holding a key twice, or XML
    an element twice among its siblings (STS: botocore kept the first ``<Credentials>``,
    and the second's secret was printed unmasked when echoed, 49c). The JSON is read as
    each of botocore's readers decodes it: its parsers as UTF-8, its metadata fetchers by
    the charset the Content-Type names (a UTF-7 answer spelt one key two ways, and a
    UTF-16 one was not read at all, 49c)."""
    body = response._content
    accepted = response.status_code < 300
    if bounds.learn is not None and not bounds.learn(_readings(body, response.headers), accepted):
        raise _not_aws(bounds, "one with more values under secrets' names than AWS's hold")
    if not bounds.unique_keys or not accepted:
        return
    if _check_unique_elements(body, bounds):
        if bounds.parsed_only and bounds.shape != "xml":
            raise _not_aws(bounds, "XML, where JSON is read")
        return
    readings, parsed = _readings(body, response.headers), False
    for text in readings:  # every reading: each is some reader's (a UTF-7 key spelt twice)
        if text.lstrip(_BLANK_OR_BOM)[:1] != "{":
            continue
        try:
            loads_unique(text)
        except DuplicateKey as exc:
            key = shorten(exc.key, 60)
            raise _not_aws(bounds, f"JSON holding the key '{key}' twice") from None
        except (ValueError, RecursionError):
            continue  # not JSON that reader reads: another reader's may be
        parsed = True
    if parsed and bounds.parsed_only and bounds.shape == "xml":
        # botocore's refusal of it quoted it, and a key in it (54c)
        raise _not_aws(bounds, "JSON, where XML is read")
    if not body.strip() and bounds.parsed_only:
        # botocore's refusal named no source, and its hint blamed the settings (55c)
        raise _not_aws(bounds, "empty")
    if parsed or not body.strip():
        return
    starts = {text.lstrip(_BLANK_OR_BOM)[:1] for text in readings}
    if bounds.parsed_only or starts & {"<", "{"}:
        # botocore's own refusal quotes the answer's start: a new secret key, cut short
        # (51c), was printed; an entity bomb's was not said as the source's answer either
        raise _not_aws(bounds, "XML or JSON that does not parse (cut short, or malformed)")


def _plain_refusal(response: Any, bounds: Bounds) -> None:
    mask = bounds.plain_refusals
    if mask is not None and response.status_code >= 300:
        texts = _readings(response._content, response.headers)
        body, status, shape = response._content, response.status_code, bounds.shape
        response._content = plain_refusal(body, status, response.headers, texts, mask, shape)


def _readings(body: bytes, headers: Any) -> list[str]:
    """``body`` as text, each way botocore may decode it."""
    from botocore.utils import get_encoding_from_headers

    declared = get_encoding_from_headers(headers) or "utf-8"
    texts = []
    for encoding in dict.fromkeys(("utf-8", declared)):
        with contextlib.suppress(LookupError, UnicodeError, ValueError):
            texts.append(body.decode(encoding))
    return texts


def _check_unique_elements(body: bytes, bounds: Bounds) -> bool:
    """Whether ``body`` is XML as botocore parses it (ElementTree told UTF-8, which a
    byte-order mark overrides: an answer in UTF-16, or after a BOM, went unchecked, 50c);
    if so, a list's entries are each a ``<member>`` and may repeat, no other element among
    its siblings."""
    from xml.etree import ElementTree

    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(), encoding="utf-8")
    try:
        parser.feed(body)
        root = parser.close()
    except (ElementTree.ParseError, ValueError, RecursionError):
        return False  # not XML botocore's parser reads: JSON, or its own refusal names it
    for element in root.iter():
        names = [child.tag.rpartition("}")[2] for child in element]
        twice = next((n for n, c in Counter(names).items() if c > 1 and n != "member"), None)
        if twice is not None:
            what = f"XML holding the element '{shorten(twice, 60)}' twice in one element"
            raise _not_aws(bounds, what)
        _refuse_markup_in_a_value(element, bool(names), bounds)
    return True


# The fields of STS's credentials, each a value: botocore reads the text before any element
# inside one (an element in SecretAccessKey gave an empty secret, and the refusals that
# followed were blamed on the IAM policy: 50a W15).
_CREDENTIAL_FIELDS = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}


def _refuse_markup_in_a_value(element: Any, has_children: bool, bounds: Bounds) -> None:
    """Refuse an element of a credential field holding elements, or any element holding
    both elements and text (AWS writes neither)."""
    if not has_children:
        return
    name = element.tag.rpartition("}")[2]
    texts = [element.text or ""] + [child.tail or "" for child in element]
    if name in _CREDENTIAL_FIELDS or any(text.strip() for text in texts):
        raise _not_aws(bounds, f"XML holding markup inside the value '{shorten(name, 60)}'")


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


def _answer_check(bounds: Bounds) -> Any:
    """Before botocore parses an answer: within the cap, and, for a JSON API, a JSON object.
    A proxy's or a captive portal's page, sent with 200, was parsed as a page of no
    resources and replaced an earlier snapshot with an empty one (tenth and eleventh
    passes)."""

    def check(response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict.get("body") or b""
        if len(body) > bounds.max_bytes:
            raise _too_large(bounds, len(body))
        if int(response_dict.get("status_code") or 0) >= 300:
            return  # an error: botocore reads its code and message, whatever its form
        headers = response_dict.get("headers") or {}
        kind = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
        kind = kind.strip().lower()
        if kind.startswith(("text/html", "application/xhtml")):
            raise _not_aws(bounds, f"a web page ({shorten(kind, 60)})")
        if bounds.json:
            _check_json_object(body, bounds)

    return check


def _check_json_object(body: bytes, bounds: Bounds) -> None:
    """The whole answer is one JSON object. Its first byte alone was checked: an answer
    cut short, or '{ not json', got past, botocore read it as a page of no resources, and a
    pull wrote 3 of 6 resources (a later page cut off) or none over an earlier snapshot,
    with exit 0 (thirteenth adversarial pass)."""
    if not _JSON_OBJECT.match(body):
        raise _not_aws(bounds, "not a JSON object")
    try:
        parsed = loads_unique(body)
    except DuplicateKey as exc:  # JSON readers differ on which value counts, as in exports
        raise _not_aws(bounds, f"JSON holding the key '{shorten(exc.key, 60)}' twice") from None
    except RecursionError:
        raise _not_aws(bounds, "nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise _not_aws(bounds, f"not UTF-8 text (byte {exc.start:,})") from None
    except ValueError as exc:  # JSONDecodeError, or Python's bound on an integer's digits
        if not isinstance(exc, json.JSONDecodeError):  # valid JSON: not "cut short" (pass 19c)
            raise _not_aws(bounds, "JSON holding a number of more than 4,300 digits") from None
        where = getattr(exc, "pos", None)
        at = f" at character {where:,}" if isinstance(where, int) else ""
        raise _not_aws(bounds, f"not whole JSON (cut short or damaged{at})") from None
    if not isinstance(parsed, dict):
        raise _not_aws(bounds, "not a JSON object")
    if (
        bounds.list_key is not None
        and bounds.list_key in parsed
        and parsed[bounds.list_key] is None
    ):
        # botocore drops a null member: the page was read as one of no resources, and the
        # pull wrote 1 of 2 resources over the earlier snapshot (twenty-sixth pass)
        raise _not_aws(bounds, f"JSON holding {bounds.list_key} as null, not a list")


def _not_aws(bounds: Bounds, what: str) -> InputError:
    return InputError(
        f"{bounds.action}: the answer is {what}, not one AWS sends",
        hint="A proxy or a sign-in page may stand between you and AWS; check it, or pass "
        "the right --region or AWS_ENDPOINT_URL.",
    )


def _too_large(bounds: Bounds, size: int | None) -> InputError:
    """``size``: the answer's length as its header or botocore gave it; None while read."""
    cap = f"{bounds.max_bytes:,} bytes"
    if bounds.max_bytes >= 1 << 20:
        cap = f"{bounds.max_bytes >> 20} MB ({cap})"
    if size is None:
        what = f"an answer longer than the {cap} it may hold; stopped reading it there"
    else:
        what = f"an answer of {size:,} bytes, over the {cap} it may hold; refused unparsed"
    return InputError(f"{bounds.action}: {what}", hint="Check any proxy between you and AWS.")


def _too_slow(bounds: Bounds, size: int) -> InputError:
    return InputError(
        f"{bounds.action}: no whole answer {bounds.seconds:.0f} seconds after the request "
        f"was sent ({size:,} bytes of its body by then); stopped",
        hint="Check your connection and any proxy between you and AWS, then pull again.",
    )
