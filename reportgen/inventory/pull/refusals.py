"""A credential call's refusal, rewritten to what it says in plain words before botocore
reads it.

botocore quotes a refusal: the container endpoint's whole answer, STS's and SSO's message.
A 500 or a 403 carrying keys had them printed (52c), and learning the values under names
that name a secret was then beaten by every other way of writing them: a key name in JSON
escapes, CDATA, a list, an XML or JSON document escaped inside the message (53c). So a
refusal of a call that fetches credentials is rewritten before botocore parses it: its
error code when that is a name, its message only when that is plain prose, in the shape
it came in (XML, JSON, text), and nothing else of it. What is withheld is said.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

WITHHELD = "(the message is withheld: a refusal of a credential call may quote credentials)"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._#:-]{0,99}")
# Prose: words, digits and the punctuation of AWS's messages; no quote, brace or markup.
_PROSE = re.compile(r"[A-Za-z0-9 .,:;/()'@_+=!?*-]{0,1000}")
# A run as long as a secret key (40) or a token, of letters and digits both.
_KEY_LIKE = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{32,}(?![A-Za-z0-9+/=])")
# A secret's name, then ':' or '=', or a word holding a digit that is not one masked.
_SECRET_NAMED = re.compile(
    r"(?i)(?:token|secret|password|passwd|pwd|key)[A-Za-z0-9_-]*"
    r"(?:\s*[:=]|\s+(?!\*\*\*)(?=[^\s]*[0-9])[^\s]+)"
)
_CODE_KEYS = ("__type", "code", "Code")
_MESSAGE_KEYS = ("message", "Message")
_CODE_HEADERS = ("x-amzn-errortype",)
_DROPPED_HEADERS = ("x-amzn-errormessage", "x-amzn-query-error")


Mask = Callable[[str], str]


def plain_refusal(body: bytes, headers: Any, texts: list[str], mask: Mask) -> bytes:
    """``body`` of a refusal (``texts``: it as text, each way botocore may decode it) as
    botocore may read it: its code, and its message with the secrets known masked
    (``mask``) when that is prose; ``headers`` are cut likewise."""
    _cut_headers(headers)
    text = next(iter(texts), "").lstrip(" \t\r\n\ufeff")
    if text.startswith("<"):
        return _as_xml(body, mask)
    if text.startswith("{"):
        return _as_json(texts, mask)
    return _message(text, mask).encode()


def is_prose(text: str) -> bool:
    """Plain words that cannot be holding a credential in any form: no markup, quotes,
    braces or escapes to hide one in, no run of letters and digits as long as a key, no
    value after a secret's name."""
    if _PROSE.fullmatch(text) is None or _SECRET_NAMED.search(text) is not None:
        return False
    runs = (run.group() for run in _KEY_LIKE.finditer(text))
    return not any(re.search("[0-9]", run) and re.search("[A-Za-z]", run) for run in runs)


def _name(value: object) -> str:
    return value if isinstance(value, str) and _NAME.fullmatch(value) else ""


def _message(value: object, mask: Mask) -> str:
    text = mask(" ".join(value.split())) if isinstance(value, str) else ""
    return text if is_prose(text) else WITHHELD


def _as_xml(body: bytes, mask: Mask) -> bytes:
    """STS's shape: ``<ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>``."""
    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(), encoding="utf-8")
    try:
        parser.feed(body)
        root = parser.close()
    except (ElementTree.ParseError, ValueError, RecursionError):
        return WITHHELD.encode()  # botocore reports it by its HTTP status alone
    code, message = "", None
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2]
        simple = len(element) == 0
        if name == "Code" and not code:
            code = _name(element.text.strip() if simple and element.text else "")
        elif name == "Message" and message is None:
            message = _message(element.text or "", mask) if simple else WITHHELD
    parts = f"<Code>{escape(code)}</Code><Message>{escape(message or '')}</Message>"
    return f"<ErrorResponse><Error>{parts}</Error></ErrorResponse>".encode()


def _as_json(texts: list[str], mask: Mask) -> bytes:
    """The keys botocore reads a code and a message from, as the answer named them."""
    for text in texts:
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                kept = {k: _name(parsed[k]) for k in _CODE_KEYS if k in parsed}
                kept |= {k: _message(parsed[k], mask) for k in _MESSAGE_KEYS if k in parsed}
                return json.dumps(kept).encode()
    return WITHHELD.encode()


def _cut_headers(headers: Any) -> None:
    for name in list(headers.keys()):
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS:
            del headers[name]
        elif lowered in _CODE_HEADERS:
            code = _name(str(headers[name]).split(":", 1)[0])
            if code:
                headers[name] = code
            else:
                del headers[name]
