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
# A secret's name, then ':' or '=', or within its next four words one holding a digit that
# is not one masked ("the password is Tr0ub4dor3": 55c).
_SECRET_NAMED = re.compile(
    r"(?i)(?:token|secret|password|passwd|pwd|key|credential)[A-Za-z0-9_-]*"
    r"(?:\s*[:=]|(?:\s+[^\s]+){0,3}?\s+(?!\*\*\*)(?=[^\s]*[0-9])[^\s]+)"
)
# In a code: 16 letters and digits in a row, a digit among them (an access key id is 20;
# AWS's codes are words: InvalidClientTokenId).
_CODE_KEY_LIKE = re.compile(r"(?=[A-Za-z0-9]{16})[A-Za-z]*[0-9]")
_CODE_KEYS = ("__type", "code", "Code")
_MESSAGE_KEYS = ("message", "Message")
_ERROR_HEADERS = ("x-amzn-errortype", "x-amzn-errormessage", "x-amzn-query-error")
NO_MESSAGE = "(no message)"

Mask = Callable[[str], str]


def plain_refusal(
    body: bytes, status: int, headers: Any, texts: list[str], mask: Mask, shape: str
) -> bytes:
    """``body`` of a refusal with this HTTP ``status`` (``texts``: it as text, each way
    botocore may decode it), rewritten in the ``shape`` its reader parses ("xml": STS's;
    "json": SSO's, the metadata endpoints'): its code (else the status, as botocore says
    one it cannot read) and its message with the secrets known masked (``mask``) when
    that is prose. The error headers botocore reads are taken into it, and removed."""
    code, message = _read(body, headers, texts, mask)
    code, message = code or str(status), message or NO_MESSAGE
    for name in [name for name in headers if name.lower() in _ERROR_HEADERS]:
        del headers[name]
    if shape == "xml":
        parts = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        return f"<ErrorResponse><Error>{parts}</Error></ErrorResponse>".encode()
    return json.dumps({"__type": code, "code": code, "message": message}).encode()


def is_prose(text: str) -> bool:
    """Plain words that cannot be holding a credential in any form: no markup, quotes,
    braces or escapes to hide one in, no run of letters and digits as long as a key, no
    value after a secret's name."""
    if _PROSE.fullmatch(text) is None or _SECRET_NAMED.search(text) is not None:
        return False
    runs = (run.group() for run in _KEY_LIKE.finditer(text))
    return not any(re.search("[0-9]", run) and re.search("[A-Za-z]", run) for run in runs)


def _read(body: bytes, headers: Any, texts: list[str], mask: Mask) -> tuple[str, str | None]:
    """The refusal's code ("" for none that is a name) and message (None for none). A
    body no reading decodes is read as XML in Latin-1 too (a Latin-1 AccessDenied lost
    its code, and was said to have no message: 55c)."""
    header = next((str(v) for k, v in headers.items() if k.lower() == _ERROR_HEADERS[0]), "")
    readings = texts or [body.decode("latin-1")]
    text = readings[0].lstrip(" \t\r\n\ufeff")
    if text.startswith("<"):
        code, message = _from_xml(body, readings, mask)
    elif text.startswith("{"):
        code, message = _from_json(readings, mask)
    else:
        code, message = "", _message(text, mask) if text.strip() else None
    return _name(header.split(":", 1)[0]) or code, message


def _name(value: object) -> str:
    """An error code: a name, never a run of letters and digits as long as a key (a 500
    whose code was a secret key had it printed: 54c)."""
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        return ""
    return "" if _CODE_KEY_LIKE.search(value) else value


def _message(value: object, mask: Mask) -> str:
    text = mask(" ".join(value.split())) if isinstance(value, str) else ""
    return text if is_prose(text) else WITHHELD


def _from_xml(body: bytes, texts: list[str], mask: Mask) -> tuple[str, str | None]:
    """The first ``Code`` and ``Message`` elements' text, wherever they are."""
    root = _xml_root(body, texts)
    if root is None:
        return "", WITHHELD
    code, message = "", None
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2]
        simple = len(element) == 0
        if name == "Code" and not code:
            code = _name(element.text.strip() if simple and element.text else "")
        elif name == "Message" and message is None:
            message = _message(element.text or "", mask) if simple else WITHHELD
    if not code and message is None and len(root):
        message = WITHHELD  # not AWS's shape (a proxy's page): none of it is said
    return code, message


def _xml_root(body: bytes, texts: list[str]) -> Any:
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


def _from_json(texts: list[str], mask: Mask) -> tuple[str, str | None]:
    """The code and the message under the keys botocore reads them from."""
    for text in texts:
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                code = next((_name(parsed[k]) for k in _CODE_KEYS if k in parsed), "")
                found = [parsed[k] for k in _MESSAGE_KEYS if k in parsed]
                return code, _message(found[0], mask) if found else None
    return "", WITHHELD
