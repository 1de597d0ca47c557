"""Masking credentials in every form a server may echo them.

A server's error body can carry a credential back in any of a dozen encodings: raw,
JSON-escaped (``\\/``, ``\\u00e9`` or ``\\u00E9``, Go's ``\\u003c``), URL- or form-encoded
(``%2F`` or ``%2f``, ``+`` for a space, Java's ``%7E`` and raw ``*``), HTML-escaped (named,
decimal or hex entities, with or without leading zeros), as the base64 of the Basic
``user:secret`` pair, or any of those escaped again. Rather than list the encodings of each
secret (a list a server can always step outside of), :class:`Redactor` decodes the server's
text into a *canonical* form, keeping for each canonical character the span of the original
text it came from, and masks every span whose canonical form holds a secret:

- decoding: JSON and backslash escapes, percent-escapes in either case (UTF-8, else
  Latin-1 bytes), HTML character references (via :func:`html.unescape`); repeated until
  nothing changes (at most :data:`ROUNDS` times), for escapes escaped again;
- folding: case is ignored, and white space and ``+`` are dropped (``+`` is a form-encoded
  space, and a line wrapped in the middle of a token still matches);
- the secrets go through the same decoding and folding, so a secret that itself contains
  ``%41`` or ``&amp;`` matches its own echo.

What counts as a match: a secret shorter than :data:`FRAGMENT` canonical characters, whole;
a longer one, any :data:`FRAGMENT` consecutive characters of it (or of the base64 of the
Basic pair). Eight characters of a credential are about 48 bits or more of it, so ordinary
words are not masked by chance, and a server that echoes only part of a token, or a text
cut in the middle of one, shows at most seven of its characters. Where reportgen itself
read only the start of a text (:meth:`Redactor.prefix`), the last seven canonical
characters and any escape cut in two are dropped as well, so nothing of a secret shows.

Masking happens on the whole text, before it is flattened, cut or formatted.
"""

from __future__ import annotations

import base64
import contextlib
import html
import logging
import re
from collections.abc import Iterable, Iterator

from reportgen.core.errors import InputError

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words
FRAGMENT = 8  # canonical characters of a secret masked wherever they appear
ROUNDS = 4  # decoding passes: an escape escaped again, and again

_ESCAPE = re.compile(
    r"(?:\\u[0-9A-Fa-f]{4})+"  # JSON, Java, Go: \u00e9, \u00E9, \u003c; surrogate pairs
    r"|\\x[0-9A-Fa-f]{2}"  # JavaScript, Python
    r"|\\[\s\S]"  # \/ \" \\ \n and the like
    r"|(?:%[0-9A-Fa-f]{2})+"  # URL and form encoding, either case, UTF-8 or Latin-1
    r"|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{0,31});?"  # HTML references
)
# An escape cut off by the end of a text read only in part.
_PARTIAL = re.compile(
    r"(?:\\(?:u[0-9A-Fa-f]{0,3}|x[0-9A-Fa-f]?)?|%[0-9A-Fa-f]?|&#?[xX]?[0-9A-Za-z]{0,32})\Z"
)
_BACKSLASH = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}

Piece = tuple[str, int, int]  # a decoded character and the span of the escape it came from


def _utf16(token: str) -> list[Piece]:
    units = [int(token[i + 2 : i + 6], 16) for i in range(0, len(token), 6)]
    pieces, i = [], 0
    while i < len(units):
        high, low = units[i], units[i + 1] if i + 1 < len(units) else 0
        if 0xD800 <= high < 0xDC00 and 0xDC00 <= low < 0xE000:
            code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            pieces.append((chr(code), 6 * i, 6 * i + 12))
            i += 2
        else:
            pieces.append((chr(high), 6 * i, 6 * i + 6))
            i += 1
    return pieces


def _percent(token: str) -> list[Piece]:
    """A run of %XX: UTF-8 characters where the bytes are UTF-8, else one Latin-1
    character a byte (what an old Java or PHP form encoder sends)."""
    data = bytes.fromhex(token.replace("%", ""))
    pieces, i = [], 0
    while i < len(data):
        lead = data[i]
        size = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4
        try:
            char = data[i : i + size].decode("utf-8") if lead >= 0x80 else chr(lead)
        except UnicodeDecodeError:
            char, size = chr(lead), 1
        if len(char) != 1:
            char, size = chr(lead), 1
        pieces.append((char, 3 * i, 3 * (i + size)))
        i += size
    return pieces


def _pieces(token: str) -> list[Piece] | None:
    """The characters an escape stands for; None when it stands for itself."""
    if token.startswith("\\u") and len(token) >= 6:
        return _utf16(token)
    if token.startswith("\\x") and len(token) == 4:
        return [(chr(int(token[2:], 16)), 0, len(token))]
    if token.startswith("\\"):  # \uZZ, \x and the like included: the letter itself
        return [(_BACKSLASH.get(token[1], token[1]), 0, 2)]
    if token.startswith("%"):
        return _percent(token)
    decoded = html.unescape(token)
    if decoded == token:
        return None
    return [(char, 0, len(token)) for char in decoded]


class Canonical:
    """A text decoded and folded for matching; ``starts[i]``/``ends[i]`` is the span of the
    original text that canonical character ``i`` came from."""

    def __init__(self, text: str, complete: bool = True) -> None:
        self.text, self.starts, self.ends = (
            text,
            list(range(len(text))),
            list(range(1, len(text) + 1)),
        )
        self._complete = complete
        self._trim()
        for _ in range(ROUNDS):
            if not self._decode_once():
                break
            self._trim()
        self._fold()

    def _trim(self) -> None:
        """Drop an escape cut in two at the end of a text read only in part."""
        if self._complete:
            return
        partial = _PARTIAL.search(self.text)
        if partial and partial.start() < len(self.text):
            self._cut(partial.start())

    def _cut(self, keep: int) -> None:
        self.text, self.starts, self.ends = self.text[:keep], self.starts[:keep], self.ends[:keep]

    def _decode_once(self) -> bool:
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last, changed = 0, False
        for match in _ESCAPE.finditer(text):
            pieces = _pieces(match.group(0))
            if pieces is None:
                continue
            begin = match.start()
            out.append(text[last:begin])
            new_starts += starts[last:begin]
            new_ends += ends[last:begin]
            for char, start, end in pieces:
                out.append(char)
                new_starts.append(starts[begin + start])
                new_ends.append(ends[begin + end - 1])
            last, changed = match.end(), True
        if not changed:
            return False
        out.append(text[last:])
        self.text = "".join(out)
        self.starts, self.ends = new_starts + starts[last:], new_ends + ends[last:]
        return True

    def _fold(self) -> None:
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for char, start, end in zip(self.text, self.starts, self.ends, strict=True):
            if char.isspace() or char == "+":
                continue
            for folded in char.casefold():
                chars.append(folded)
                starts.append(start)
                ends.append(end)
        self.text, self.starts, self.ends = "".join(chars), starts, ends

    def span(self, begin: int, end: int) -> tuple[int, int]:
        """The original span of canonical characters ``begin`` to ``end`` (exclusive)."""
        return self.starts[begin], self.ends[end - 1]


def canonical(text: str) -> str:
    """``text`` decoded and folded as :class:`Redactor` compares it."""
    return Canonical(text).text


def _base64_forms(value: str) -> set[str]:
    raw = value.encode("utf-8")
    forms = {base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")}
    return forms | {form.rstrip("=") for form in forms}


class Redactor:
    """Masks every known secret, in any encoding, in a server's text (see the module doc)."""

    def __init__(self, secrets: Iterable[str], pairs: Iterable[str] = ()) -> None:
        """``secrets`` are masked decoded and as base64; ``pairs`` (``user:secret``) only
        as base64, since their secret part is masked anyway and the user name is no secret."""
        values = {value for value in secrets if value and len(value) >= MIN_SECRET}
        encoded = {form for value in {*values, *pairs} if value for form in _base64_forms(value)}
        needles = {canonical(value) for value in values | encoded}
        needles = {needle for needle in needles if len(needle) >= MIN_SECRET}
        self._whole = sorted((n for n in needles if len(n) < FRAGMENT), key=len, reverse=True)
        self._grams = {
            needle[i : i + FRAGMENT]
            for needle in needles
            if len(needle) >= FRAGMENT
            for i in range(len(needle) - FRAGMENT + 1)
        }

    @classmethod
    def for_auth(cls, user: str | None, secret: str) -> Redactor:
        """The secret, and with a user the ``user:secret`` pair whose base64 is the Basic
        Authorization header."""
        return cls([secret], [] if user is None else [f"{user}:{secret}"])

    def __call__(self, text: str) -> str:
        return self._mask(text, complete=True)

    def prefix(self, text: str) -> str:
        """Mask the first part of a longer text that was cut where reportgen stopped
        reading: the end, where a secret may have been cut in two, is dropped."""
        return self._mask(text, complete=False)

    def _mask(self, text: str, complete: bool) -> str:
        if not self._whole and not self._grams:
            return text
        canon = Canonical(text, complete)
        spans = [canon.span(begin, end) for begin, end in self._matches(canon.text)]
        end_of_text = len(text)
        if not complete:
            keep = len(canon.text) - (FRAGMENT - 1)
            end_of_text = canon.starts[keep] if keep > 0 else 0
        return _masked(text[:end_of_text], spans)

    def _matches(self, text: str) -> list[tuple[int, int]]:
        found = []
        for needle in self._whole:
            start = text.find(needle)
            while start >= 0:
                found.append((start, start + len(needle)))
                start = text.find(needle, start + 1)
        if self._grams:
            grams = self._grams
            found += [
                (i, i + FRAGMENT)
                for i in range(len(text) - FRAGMENT + 1)
                if text[i : i + FRAGMENT] in grams
            ]
        return found


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span (merged where they overlap or touch) replaced by MASK."""
    parts, last = [], 0
    for start, end in sorted(spans):
        if end <= last:
            continue
        if start <= last and parts:  # overlaps or touches the span before
            last = end
            continue
        start = max(start, last)
        if start >= len(text):
            break
        parts += [text[last:start], MASK]
        last = end
    parts.append(text[last:])
    return "".join(parts)


class _MaskRecords(logging.Filter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), ()
        return True


@contextlib.contextmanager
def masked_errors(redact: Redactor, logger: str = "reportgen.tickets") -> Iterator[None]:
    """The one place every error and warning of an attach run passes on its way to the
    user: an error's message, details and hint are masked (a server's text may be anywhere
    in them, such as a field of an answer named in a shape error), and so is each record
    of ``logger``. Any other exception whose text holds a secret is replaced by one with
    the text masked."""
    mask = _MaskRecords(redact)
    logging.getLogger(logger).addFilter(mask)
    try:
        yield
    except InputError as exc:
        exc.message = redact(exc.message)
        exc.args = (exc.message, *exc.args[1:])
        exc.details = [redact(detail) for detail in exc.details]
        exc.hint = redact(exc.hint) if exc.hint else exc.hint
        raise
    except Exception as exc:
        text = str(exc)
        masked = redact(text)
        if masked == text:
            raise
        raise RuntimeError(f"{type(exc).__name__}: {masked}") from None
    finally:
        logging.getLogger(logger).removeFilter(mask)
