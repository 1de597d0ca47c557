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
# AWS's error codes are words run together, each a capital and small letters, maybe led by
# an acronym (IDPRejectedClaim) or ended by one (InvalidInstanceID), in dotted parts
# (Client.UnauthorizedOperation). A key or a token is not written so: letters and digits
# mixed, '/', '+' (56c C1: a key cut by dots into parts passed as a code). A service's
# namespace before '#' (com.amazonaws.sso#...) is dropped, as botocore drops it: kept, it
# carried a key or a password in lower case and digits (58c).
_WORD = r"[A-Z]{0,5}[A-Z][a-z]{1,20}"
_PART = rf"(?:{_WORD}){{1,12}}(?:[A-Z]{{2,5}})?"
_CODE = re.compile(rf"{_PART}(?:\.{_PART}){{0,3}}")
_CODE_CHARS = 100
_CODE_KEYS = ("__type", "code", "Code")
# What says nothing of the refusal beside its code: any other text is a message, withheld
# (a container's {"error": ..., "detail": ...} and STS's <Detail> were "(no message)": 65c).
_NOT_SAID = frozenset({"type", "requestid", "hostid", "code", "__type"})
_ERROR_HEADERS = ("x-amzn-errortype", "x-amzn-errormessage", "x-amzn-query-error")
NO_MESSAGE = "(no message)"

Mask = Callable[[str], str]


def plain_refusal(
    body: bytes, status: int, headers: Any, texts: list[str], mask: Mask, shape: str
) -> bytes:
    """``body`` of a refusal with this HTTP ``status`` (``texts``: it as text, each way
    botocore may decode it), rewritten in the ``shape`` its reader parses ("xml": STS's;
    "json": SSO's, the metadata endpoints'): its code when that is written as AWS writes
    one and holds no secret known (``mask`` changes it), else the status, as botocore says
    one it cannot read; of its message, only whether there is one. The error headers
    botocore reads are taken into it, and removed."""
    code, said = _read(body, headers, texts)
    code = code if code and mask(code) == code else str(status)
    message = WITHHELD if said else NO_MESSAGE
    for name in [name for name in headers if name.lower() in _ERROR_HEADERS]:
        del headers[name]
    if shape == "xml":
        parts = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        return f"<ErrorResponse><Error>{parts}</Error></ErrorResponse>".encode()
    answer = {"__type": code, "code": code, "message": message}
    return json.dumps({**answer, **_reasons(texts)}).encode()


# The reasons the sign-in service gives beside its code, which botocore reads to say what
# to do (sign in again; allow signin:CreateOAuth2Token): dropped, its "unspecified error"
# named no cause (77c). Only these values are kept, which hold nothing of a credential.
_REASONS = frozenset({"TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED", "INSUFFICIENT_PERMISSIONS"})


def _reasons(texts: list[str]) -> dict[str, str]:
    for text in texts:
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(text)
            reason = parsed.get("error") if isinstance(parsed, dict) else None
            return {"error": reason} if isinstance(reason, str) and reason in _REASONS else {}
    return {}


def is_code(value: object) -> bool:
    """Whether ``value`` is written as AWS writes an error code (its namespace dropped)."""
    return isinstance(value, str) and len(value) <= _CODE_CHARS and bool(_CODE.fullmatch(value))


def _code_of(value: object) -> str:
    """The error code ``value`` gives, its namespace dropped; "" for none."""
    code = value.rpartition("#")[2] if isinstance(value, str) else ""
    return code if is_code(code) else ""


def _read(body: bytes, headers: Any, texts: list[str]) -> tuple[str, bool]:
    """The refusal's code ("" for none that is a code) and whether it says anything more.
    A body no reading decodes is read as XML in Latin-1 too (a Latin-1 AccessDenied lost
    its code: 55c)."""
    header = next((str(v) for k, v in headers.items() if k.lower() == _ERROR_HEADERS[0]), "")
    readings = texts or [body.decode("latin-1")]
    text = readings[0].lstrip(" \t\r\n\ufeff")
    if text.startswith("<"):
        code, said = _from_xml(body, readings)
    elif text.startswith("{"):
        code, said = _from_json(readings)
    else:
        code, said = "", bool(text.strip())
    head = header.split(":", 1)[0]
    # a message in its header only (SSO's x-amzn-ErrorMessage) was "(no message)" (71c)
    in_header = any(k.lower() == _ERROR_HEADERS[1] and str(v).strip() for k, v in headers.items())
    return _code_of(head) or code, said or in_header


def _from_xml(body: bytes, texts: list[str]) -> tuple[str, bool]:
    """The first ``Code`` element's text, wherever it is, and whether a ``Message`` says
    anything (or the document is not AWS's shape: a proxy's page)."""
    root = xml_root(body, texts)
    if root is None:
        return "", True
    code, said = "", False
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2]
        if name == "Code" and not code:
            code = (element.text or "").strip() if len(element) == 0 else "-"
        elif name == "Message" and len(element) > 0:
            said = True
        elif name.casefold() not in _NOT_SAID:
            said = said or bool((element.text or "").strip() or (element.tail or "").strip())
        said = said or _attribute_said(element)
    # Without a code, any text is a message: a proxy's page of text alone (an HTML page
    # saying "Service unavailable") was said as "(no message)" (61c).
    return _code_of(code), said or (not code and any(map(str.strip, root.itertext())))


def _attribute_said(element: Any) -> bool:
    """Whether an attribute says something (`<Error message="...">` was "(no message)":
    71c); a type or a request id says nothing."""
    return any(
        str(value).strip() and str(key).rpartition("}")[2].casefold() not in _NOT_SAID
        for key, value in element.attrib.items()
    )


def xml_root(body: bytes, texts: list[str]) -> Any:
    """``body`` parsed as botocore parses it (UTF-8 told, a declaration or BOM overriding),
    else each reading of it as text; None when none parses."""
    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(), encoding="utf-8")
    with contextlib.suppress(ElementTree.ParseError, ValueError, RecursionError):
        parser.feed(body)
        return parser.close()
    for text in texts:
        with contextlib.suppress(ElementTree.ParseError, ValueError, RecursionError):
            return ElementTree.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    return None


def _text_in(value: object) -> bool:
    """Whether a JSON value holds any text or number (a message in any shape)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(map(_text_in, value.values()))
    if isinstance(value, list):
        return any(map(_text_in, value))
    return isinstance(value, int | float) and not isinstance(value, bool)


def _from_json(texts: list[str]) -> tuple[str, bool]:
    """The code under the keys botocore reads it from, and whether anything else is said."""
    for text in texts:
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                code = next((parsed[k] for k in _CODE_KEYS if k in parsed), "")
                said = [
                    v for k, v in parsed.items() if k.casefold() not in _NOT_SAID and _text_in(v)
                ]
                return _code_of(code), bool(said)
    return "", True
