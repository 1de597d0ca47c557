"""Masking credentials in every form a server may echo them.

A server's error body can carry a credential back: raw, JSON-escaped (``\\/`` for ``/``,
``\\u00e9`` for ``é``), URL-encoded (``%2F`` or ``%2f``, ``+`` for a space), HTML-escaped,
or as the base64 of the Basic ``user:secret`` pair (standard or URL-safe alphabet, with or
without padding), and any of those escaped again. :class:`Redactor` masks all of them, and
is applied before any text is cut, collapsed or formatted, so that no cut can leave part of
a secret unmasked.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words

_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _json_unicode(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _url_lower(text: str) -> str:
    return _HEX_ESCAPE.sub(lambda m: m.group(0).lower(), quote(text, safe=""))


# How a server may write text it echoes: each is applied to the secret and to its base64.
ESCAPES: list[Callable[[str], str]] = [
    lambda text: text,
    _json,
    _json_unicode,
    lambda text: _json(text).replace("/", "\\/"),
    lambda text: _json_unicode(text).replace("/", "\\/"),
    lambda text: quote(text, safe=""),
    lambda text: quote(text, safe="/"),
    _url_lower,
    quote_plus,
    html.escape,
]


def _base64_forms(value: str) -> set[str]:
    raw = value.encode("utf-8")
    forms = {base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")}
    return forms | {form.rstrip("=") for form in forms}


def encodings(value: str) -> set[str]:
    """Every form of ``value`` :class:`Redactor` masks: the value and its base64, each raw
    and in each of :data:`ESCAPES`."""
    return {escape(form) for form in {value, *_base64_forms(value)} for escape in ESCAPES}


class Redactor:
    """Replaces every known secret, in every encoding, in text (longest form first)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values = {value for value in secrets if value and len(value) >= MIN_SECRET}
        forms = {form for value in values for form in encodings(value)}
        self._forms = sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)
        self.longest = len(self._forms[0]) if self._forms else 0

    @classmethod
    def for_auth(cls, user: str | None, secret: str) -> Redactor:
        """The secret, and with a user the ``user:secret`` pair whose base64 is the Basic
        Authorization header."""
        return cls([secret] if user is None else [secret, f"{user}:{secret}"])

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def prefix(self, text: str) -> str:
        """Mask the first part of a longer text that was cut: the end, where a secret may
        have been cut in two, is dropped first (a part of a secret matches no form)."""
        keep = max(0, len(text) - max(self.longest - 1, 0))
        return self(text[:keep])
