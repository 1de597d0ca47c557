"""Masking credentials in every form a server may echo them.

A server's error body can carry a credential back in any of a dozen encodings: raw,
JSON-escaped (``\\/``, ``\\u00e9`` or ``\\u00E9``, Go's ``\\u003c``), URL- or form-encoded
(``%2F`` or ``%2f``, ``+`` for a space, Java's ``%7E`` and raw ``*``), HTML-escaped (named,
decimal or hex entities, with or without leading zeros), as the base64 of the Basic
``user:secret`` pair, or any of those escaped again. Rather than list the encodings of each
secret (a list a server can always step outside of), :class:`Redactor` decodes the server's
text into a *canonical* form, keeping for each canonical character the span of the original
text it came from, and masks every span whose canonical form holds a secret:

- decoding: JSON and backslash escapes (``\\U0000XXXX``, ``\\xXX`` and octal too),
  percent-escapes in either case (UTF-8, else Latin-1 bytes), HTML character references
  (via :func:`html.unescape`); repeated until nothing changes (at most :data:`ROUNDS`
  times), for escapes escaped again;
- folding: compatibility forms become their plain letters (NFKC: fullwidth ``ｓ３`` is
  ``s3``), case is ignored, and white space, ``+`` and invisible format characters (zero
  width space, soft hyphen) are dropped (``+`` is a form-encoded space, and a line wrapped
  in the middle of a token still matches);
- the secrets go through the same decoding and folding, so a secret that itself contains
  ``%41`` or ``&amp;`` matches its own echo.

More views of the same text catch a secret spelt out rather than escaped:

- the numbers view: every numeric escape or token read as the character it stands for,
  whatever its padding (CSS ``\\53`` or ``\\000053``, C's ``0x53``, ES6 and Rust
  ``\\u{53}``, Perl ``\\x{53}`` and ``\\o{123}``, ``U+0053``, JavaScript's ``%u0053``,
  Python's ``\\N{LATIN SMALL LETTER S}``), the escapes above decoded too; bytes read one
  character each (``0xc3 0xa9`` is ``Ã©``) match the secret's UTF-8 read the same way;
- letters and digits alone (so ``s,3,c,r`` or ``s.3.c.r`` is ``s3cr``): of the decoded
  text, of the decoded text without its markup (so a highlighting page's
  ``<b>s</b><b>3</b>`` is ``s3``, and a log's colour codes ``ESC[31ms ESC[0m3`` too), of
  the numbers view and of the text as received. In those views the secret is looked for as
  its own letters and digits, as the hex, octal and decimal digits of its UTF-8 bytes (hex
  dumps, their little-endian words of 2, 4 and 8 bytes too, with the unknown bytes around
  a short secret as wildcards, and their characters column line after line,
  quoted-printable ``=73=33``, CSS
  ``\\73 \\33``, C's ``\\163\\063``, DNS's ``\\115\\051``) and of its UTF-16 as hex,
  and as base64 at any of the three alignments (so the base64 of any text that holds it,
  the Basic pair among them) of its UTF-8, of its UTF-16, and of the base64 of it or of
  the pair (an Authorization header encoded again).

What counts as a match: a secret shorter than :data:`FRAGMENT` canonical characters, whole
(however short: a three-character token is masked wherever those three characters appear,
which may mask more than the token, never less); a longer one, any :data:`FRAGMENT`
consecutive characters of it or of one of its encoded forms (encoded forms shorter than
:data:`MIN_ENCODED` are not looked for). Eight characters of a credential are about 48
bits or more of it, so ordinary words are not masked by chance, and a server that echoes
only part of a token, or a text cut in the middle of one, shows at most seven of its
characters. Where reportgen itself
read only the start of a text (:meth:`Redactor.prefix`), the last seven characters of
every view and any escape cut in two are dropped as well, so nothing of a secret shows.

Masking happens on the whole text, before it is flattened, cut or formatted. Each view
takes time linear in the text's length (every escape, token and tag is of bounded length).
"""

from __future__ import annotations

import base64
import contextlib
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten

MASK = "***"
MIN_ENCODED = 6  # an encoded form shorter than this would match ordinary words
# Of a secret, whose encoded forms are looked for (Redactor): a ticket token of 5,000
# characters echoed in an Authorization header showed its base64 past 4,096 (59c); what a
# credential endpoint's answer teaches is 64 KB at most (pull/credentials.py).
FORMS_CHARS = 16_384
# Of a secret or its base64, whose digits (hex, octal...) are looked for: their 8-grams
# were some 15 MB for an 800-character session token (59d).
DIGITS_CHARS = 64
FRAGMENT = 8  # canonical characters of a secret masked wherever they appear
ROUNDS = 4  # decoding passes: an escape escaped again, and again

_ESCAPE = re.compile(
    r"(?:\\u[0-9A-Fa-f]{4})+"  # JSON, Java, Go: \u00e9, \u00E9, \u003c; surrogate pairs
    r"|\\U[0-9A-Fa-f]{8}"  # Python, C
    r"|\\x[0-9A-Fa-f]{2}"  # JavaScript, Python
    r"|\\[0-7]{1,3}"  # C, Python, shells: octal
    r"|\\[\s\S]"  # \/ \" \\ \n and the like
    r"|(?:%[0-9A-Fa-f]{2})+"  # URL and form encoding, either case, UTF-8 or Latin-1
    r"|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{0,31});?"  # HTML references
)
# An escape cut off by the end of a text read only in part.
_PARTIAL = re.compile(
    r"(?:\\(?:u[0-9A-Fa-f]{0,3}|U[0-9A-Fa-f]{0,7}|x[0-9A-Fa-f]?|[0-7]{1,2})?"
    r"|%[0-9A-Fa-f]?|&#?[xX]?[0-9A-Za-z]{0,32})\Z"
)
# The numbers view reads every numeric escape or token as the code point (or byte) it
# stands for, whatever its syntax or padding; these come before the escapes above, so
# CSS's \000053 is U+0053, not an octal \000 and "053".
_NUMBERS = (
    r"\\[ux]\{[0-9A-Fa-f]{1,8}\}"  # ES6 and Rust \u{53}, Perl \x{53}
    r"|\\o\{[0-7]{1,11}\}"  # Perl octal \o{123}
    r"|\\N\{[A-Za-z0-9 +-]{1,100}\}"  # Python, Perl: \N{LATIN SMALL LETTER S}, \N{U+53}
    r"|\\[0-9A-Fa-f]{1,6}"  # CSS: \53, \000053
    r"|0[xX][0-9A-Fa-f]{1,8}"  # C, hex dumps: 0x53 (a byte, or a UTF-16 unit: 0x0053)
    r"|U\+[0-9A-Fa-f]{4,6}"  # U+0053
    r"|%[uU][0-9A-Fa-f]{4}"  # JavaScript's escape(): %u0053
)
_NUMBER = re.compile(_NUMBERS)
_NUMERIC = re.compile(_NUMBERS + "|" + _ESCAPE.pattern)
_NUMERIC_PARTIAL = re.compile(
    r"(?:\\(?:[uxo]\{[0-9A-Fa-f]{0,8}|N(?:\{[A-Za-z0-9 +-]{0,100})?|[0-9A-Fa-f]{1,5})"
    r"|0[xX]?[0-9A-Fa-f]{0,7}|U\+?[0-9A-Fa-f]{0,5}|%[uU][0-9A-Fa-f]{0,3})\Z"
    r"|" + _PARTIAL.pattern
)
# A markup tag in a folded view (lower case, no white space), or a terminal's colour or
# title sequence (ESC [ 31 m, ESC ] 0 ; title BEL), which a server's log may put between
# letters as a page puts tags. Linear: no character but '<' or ESC starts a match, and a
# match stops at the next '<' (ESC, BEL) or after a few hundred characters.
_CSI = r"(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,8}"
_OSC = r"\x1b\][^\x07\x1b]{0,256}"
_TAG = re.compile(rf"<[a-z/!?][^<>]{{0,256}}>|{_CSI}[@-~]|{_OSC}(?:\x07|\x1b\\)")
_TAG_OR_CUT = re.compile(
    rf"<[a-z/!?][^<>]{{0,256}}(?:>|\Z)|{_CSI}(?:[@-~]|\Z)|{_OSC}(?:\x07|\x1b\\|\Z)"
)
# A dump's line (its first perhaps after a text's own words): an offset, words of hex digits
# one or two blanks apart, and perhaps two blanks or more, then the characters, between
# bars (hexdump -C) or not (xxd).
_DUMP_LINE = re.compile(
    r"(?m)(?:^[ \t]*|(?<=[ \t]))[0-9A-Fa-f]{6,16}:?"
    r"(?P<words>(?:[ \t]{1,2}[0-9A-Fa-f]{2,16}(?![0-9A-Za-z])){1,32})"
    r"(?:[ \t]{2,}(?P<bar>\|?)(?P<chars>[^\n]{1,64})(?P=bar))?"
)
_OCTAL_DIGITS = set("01234567")
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
    if token.startswith(("\\x", "\\U")) and len(token) in (4, 10):
        code = int(token[2:], 16)
        return [(chr(code), 0, len(token))] if code <= 0x10FFFF else None
    if token[0] == "\\" and token[1:2] in _OCTAL_DIGITS:
        return [(chr(int(token[1:], 8)), 0, len(token))]
    if token.startswith("\\"):  # \uZZ, \x and the like included: the letter itself
        return [(_BACKSLASH.get(token[1], token[1]), 0, 2)]
    if token.startswith("%"):
        return _percent(token)
    decoded = html.unescape(token)
    if decoded == token:
        return None
    return [(char, 0, len(token)) for char in decoded]


def _numeric_pieces(token: str) -> list[Piece] | None:
    """Like :func:`_pieces`; a numeric token (see _NUMBERS) is the character it stands for."""
    if not _NUMBER.fullmatch(token):
        return _pieces(token)
    if token.startswith("\\N{"):
        return _named(token)
    if token.startswith("\\o{"):
        code = int(token[3:-1], 8)
    elif token.endswith("}"):  # \u{53}, \x{53}
        code = int(token[3:-1], 16)
    else:  # 0x53, U+0053, %u0053; CSS \53
        code = int(token[2:] if token[0] != "\\" else token[1:], 16)
    return [(chr(code), 0, len(token))] if code <= 0x10FFFF else None


def _named(token: str) -> list[Piece] | None:
    """``\\N{LATIN SMALL LETTER S}`` (a named sequence is several characters), or Perl's
    ``\\N{U+53}``; None for a name Unicode does not have."""
    name = token[3:-1]
    if name[:2].upper() == "U+":
        digits = name[2:]
        code = int(digits, 16) if _HEX.fullmatch(digits) else 0x110000
        return [(chr(code), 0, len(token))] if code <= 0x10FFFF else None
    try:
        return [(char, 0, len(token)) for char in unicodedata.lookup(name)]
    except KeyError:
        return None


_HEX = re.compile(r"[0-9A-Fa-f]{1,8}")


class Canonical:
    """A text decoded and folded for matching; ``starts[i]``/``ends[i]`` is the span of the
    original text that canonical character ``i`` came from. ``numeric``: the numbers view,
    where every numeric token (CSS ``\\000053``, ``0x53``, ``\\u{53}``, ``U+0053``...) is
    the code point it stands for."""

    def __init__(self, text: str, complete: bool = True, numeric: bool = False) -> None:
        self.text, self.starts, self.ends = (
            text,
            list(range(len(text))),
            list(range(1, len(text) + 1)),
        )
        self._complete = complete
        self._escape, self._partial, self._pieces = (
            (_NUMERIC, _NUMERIC_PARTIAL, _numeric_pieces)
            if numeric
            else (_ESCAPE, _PARTIAL, _pieces)
        )
        self._trim()
        for _ in range(ROUNDS):
            if not self._decode_once():
                break
            self._trim()
        self._unfolded = (self.text, self.starts, self.ends)  # lines and spaces kept
        self._fold()

    def _trim(self) -> None:
        """Drop an escape cut in two at the end of a text read only in part."""
        if self._complete:
            return
        partial = self._partial.search(self.text)
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
        for match in self._escape.finditer(text):
            pieces = self._pieces(match.group(0))
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
            for folded in _folded(char):
                chars.append(folded)
                starts.append(start)
                ends.append(end)
        self.text, self.starts, self.ends = "".join(chars), starts, ends

    def skeleton(self) -> Canonical:
        """The letters and digits of this view alone, each with its span."""
        return self._keeping([i for i, char in enumerate(self.text) if char.isalnum()])

    def untagged(self) -> Canonical:
        """This view without its markup tags (``<b>``, ``</span>``, ``<!-- -->``) and terminal
        colour or title sequences, so a highlighting error page's ``<b>s</b><b>3</b>``
        reads ``s3``; entities are decoded already. A tag cut off by the end of a text read
        only in part goes too."""
        tags = _TAG if self._complete else _TAG_OR_CUT
        keep, last = [], 0
        for match in tags.finditer(self.text):
            keep += range(last, match.start())
            last = match.end()
        keep += range(last, len(self.text))
        return self._keeping(keep)

    def dump_columns(self, column: str) -> Canonical:
        """The letters and digits of one column of each line of a dump, one line's after
        another's: its words (``hexdump``, ``od -x``, ``od -t x4``: a short secret across
        two lines showed whole, the next line's offset between its halves: 47c), or its
        characters (``hexdump -C``'s ``|...|``, xxd's last column: a secret split across
        two lines showed whole, fewer than 8 of its characters on each: 46c)."""
        lines = _DUMP_LINE.finditer(self._unfolded[0])
        keep = [i for line in lines if line[column] for i in range(*line.span(column))]
        view = _subview(self._unfolded, keep, self._complete)
        view._fold()
        return view.skeleton()

    def _keeping(self, keep: list[int]) -> Canonical:
        """A view of the characters at ``keep`` alone, each with its span."""
        return _subview((self.text, self.starts, self.ends), keep, self._complete)

    def span(self, begin: int, end: int) -> tuple[int, int]:
        """The original span of canonical characters ``begin`` to ``end`` (exclusive)."""
        return self.starts[begin], self.ends[end - 1]


def _subview(
    source: tuple[str, list[int], list[int]], keep: list[int], complete: bool
) -> Canonical:
    """The characters at ``keep`` of a text with its spans (a view's, folded or not), each
    with its span."""
    text, starts, ends = source
    view = object.__new__(Canonical)
    view.text = "".join(text[i] for i in keep)
    view.starts, view.ends = [starts[i] for i in keep], [ends[i] for i in keep]
    view._complete = complete
    return view


# Unicode's default-ignorable code points that are not format characters (Cf): they render
# as nothing, yet the Hangul fillers are letters (Lo) and the selectors marks, so a token
# with U+3164 between its characters was printed and readable (thirteenth pass).
IGNORABLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2065\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xFFF0, 0xFFF9)))  # unassigned, reserved to show as nothing (55a)
    + "".join(map(chr, range(0xE0000, 0xE1000)))
)


def _folded(char: str) -> str:
    """``char`` as compared: case folded; white space, ``+``, invisible format characters
    (zero width space, soft hyphen, joiners) and the other default-ignorable code points
    (Hangul fillers, variation selectors) dropped; compatibility forms (fullwidth,
    ligatures, superscripts) as their plain letters; accents dropped (NFKD, combining marks
    left out), so ``ä`` composed and ``a`` + U+0308 decomposed (NFD) compare equal (seventh
    pass: a decomposed echo showed six characters of a password)."""
    if char.isascii():
        return "" if char.isspace() or char == "+" else char.lower()
    if char.isspace() or unicodedata.category(char) == "Cf" or char in IGNORABLE:
        return ""
    return "".join(
        c.casefold()
        for c in unicodedata.normalize("NFKD", char)
        if not c.isspace() and c != "+" and not unicodedata.combining(c)
    )


def raw_view(text: str, complete: bool = True) -> Canonical:
    """``text`` folded but not decoded: escapes stay as the characters they are written with."""
    view = Canonical("", complete)
    view.text, view.starts, view.ends = text, list(range(len(text))), list(range(1, len(text) + 1))
    view._trim()
    view._fold()
    return view


def canonical(text: str) -> str:
    """``text`` decoded and folded as :class:`Redactor` compares it."""
    return Canonical(text).text


def _base64_forms(raw: bytes) -> set[str]:
    """The base64 of ``raw`` alone (padded or not), and the groups of 4 that show
    whatever comes before or after it, at each of the three alignments a longer text may
    give it; standard and URL-safe alphabets."""
    forms = set()
    for shift in (0, 1, 2):  # the value starts 0, 1 or 2 bytes into a group of 3
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        forms.add(encoded[4 if shift else 0 : 4 * ((shift + len(raw)) // 3)])
    forms |= {
        base64.b64encode(raw).decode("ascii"),
        base64.b64encode(raw).decode("ascii").rstrip("="),
    }
    return {form for form in forms | {form.translate(_URLSAFE) for form in forms} if form}


_URLSAFE = str.maketrans("+/", "-_")


def _bytes(text: str, encoding: str = "utf-8") -> bytes:
    """``text`` encoded, a lone surrogate too: one in an SSO cache's token (valid JSON) made
    masking fail, said as an answer botocore could not read (46c)."""
    return text.encode(encoding, "surrogatepass")


def _digit_forms(value: str) -> set[str]:
    """The bytes of ``value`` as hex, octal and decimal digits (a hex dump, quoted-printable,
    CSS or C escapes, a list of byte values; decimal plain or padded to three digits, as
    DNS's ``\\DDD`` and ``%03d`` write it), its UTF-16 as hex (either byte order), and its
    bytes as the little-endian 16-bit words ``hexdump`` and ``od -x`` print by default
    (each pair swapped, at either alignment): compared in the letters-and-digits views."""
    raw = _bytes(value)
    return (
        {
            raw.hex(),
            "".join(f"{byte:03o}" for byte in raw),
            "".join(map(str, raw)),
            "".join(f"{byte:03d}" for byte in raw),
        }
        | {_bytes(value, order).hex() for order in _UTF16}
        | _word_forms(raw)
    )


# The bytes of a dump's word: od -x and hexdump's default; od -t x4 and xxd -e; od -t x8.
_WORDS = (2, 4, 8)


def _little_endian(data: list[int | None], size: int) -> list[int | None]:
    """``data`` as a dump prints it in words of ``size`` bytes: each word's bytes reversed."""
    return [byte for i in range(0, len(data), size) for byte in data[i : i + size][::-1]]


def _word_forms(raw: bytes) -> set[str]:
    """The hex of ``raw``'s bytes as a dump's little-endian words of each size, at each
    alignment: the words wholly within ``raw``."""
    forms = set()
    for size in _WORDS:
        for shift in range(size):
            body = list(raw[shift:])
            whole = body[: len(body) // size * size]
            forms.add(bytes(_little_endian(whole, size)).hex())  # type: ignore[arg-type]
    return forms


def word_patterns(raw: bytes) -> list[str]:
    """``raw`` as a dump's little-endian words of each size, at each alignment, the bytes
    around it in its first and last words unknown: regular expressions on the letters and
    digits views. For a secret of under 16 bytes, which may hold no whole word (a 3-byte
    token in ``hexdump``'s words, ``3373 0a63``, showed whole: 46c)."""
    patterns = []
    for size in _WORDS:
        for shift in range(size):
            data: list[int | None] = [None] * shift + list(raw)
            data += [None] * (-len(data) % size)
            words = _little_endian(data, size)
            patterns.append("".join("[0-9a-f]{2}" if b is None else f"{b:02x}" for b in words))
    return patterns


_UTF16 = ("utf-16-be", "utf-16-le")


def _encoded_bytes(values: set[str], pairs: set[str]) -> set[bytes]:
    """What is looked for as base64: each secret and pair in UTF-8, the base64 of each
    (an Authorization header encoded again), and each secret in UTF-16 (Windows, Java)."""
    texts = values | pairs
    return (
        {_bytes(text) for text in texts}
        | {base64.b64encode(_bytes(text)) for text in texts}
        | {_bytes(value, order) for value in values for order in _UTF16}
    )


def _latin1_read(value: str) -> str:
    """``value``'s UTF-8 bytes read one character a byte, as ``0xc3 0xa9`` or ``\\xc3\\xa9``
    decode: 'é' is 'Ã©'."""
    return _bytes(value).decode("latin-1")


class _Needles:
    """What one view of a text is searched for: short needles whole, longer ones by any
    :data:`FRAGMENT` consecutive characters."""

    def __init__(self, needles: Iterable[str]) -> None:
        found = {needle for needle in needles if needle}
        self.whole = sorted((n for n in found if len(n) < FRAGMENT), key=len, reverse=True)
        self.grams = {
            needle[i : i + FRAGMENT]
            for needle in found
            if len(needle) >= FRAGMENT
            for i in range(len(needle) - FRAGMENT + 1)
        }

    def __bool__(self) -> bool:
        return bool(self.whole or self.grams)

    def spans(self, view: Canonical) -> list[tuple[int, int]]:
        """The original spans of every match in ``view``."""
        text, found = view.text, []
        for needle in self.whole:
            start = text.find(needle)
            while start >= 0:
                found.append((start, start + len(needle)))
                start = text.find(needle, start + 1)
        if self.grams:
            grams = self.grams
            found += [
                (i, i + FRAGMENT)
                for i in range(len(text) - FRAGMENT + 1)
                if text[i : i + FRAGMENT] in grams
            ]
        return [view.span(begin, end) for begin, end in found]


def _skeleton(text: str) -> str:
    return Canonical(text).skeleton().text


class Redactor:
    """Masks every known secret, in the encodings the module doc lists, in a server's text."""

    def __init__(self, secrets: Iterable[str], pairs: Iterable[str] = ()) -> None:
        """``secrets`` are masked decoded and as base64; ``pairs`` (``user:secret``) only
        as base64, since their secret part is masked anyway and the user name is no secret.
        A secret of any length is masked; encoded forms shorter than :data:`MIN_ENCODED`
        are not looked for (they would match ordinary text)."""
        values = {value for value in secrets if value}
        # Folding drops white space and '+': a secret made only of those is looked for as
        # it is written (a password of '++++++++' echoed raw).
        self._literal = sorted(
            (value for value in values if not canonical(value)), key=len, reverse=True
        )
        # The encoded forms of a secret's first FORMS_CHARS characters only: making them
        # takes some milliseconds a character (a 1 MB token an endpoint sent took most of
        # an hour); what a message quotes of a secret is its start, and any FRAGMENT of
        # the forms is masked wherever it is.
        heads = {value[:FORMS_CHARS] for value in values}
        encoded = {
            form
            for data in _encoded_bytes(heads, {pair[:FORMS_CHARS] for pair in pairs if pair})
            for form in _base64_forms(data)
        }
        # a hex dump of an Authorization header too: the digits of the Basic pair's base64;
        # of each text's first DIGITS_CHARS characters, the digit forms being the most (310
        # of 6 million characters for a 4 KB token: 2.4 s, 58d)
        digits = {form for text in heads | encoded for form in _digit_forms(text[:DIGITS_CHARS])}
        plain = values | {_latin1_read(value) for value in values}  # bytes read as characters
        self._decoded = _Needles(
            {canonical(value) for value in plain} | _long({canonical(f) for f in encoded})
        )
        self._numbers = _Needles(
            {canonical(value) for value in plain}
            | {Canonical(value, numeric=True).text for value in plain}
        )
        self._letters = _Needles(
            {_skeleton(value) for value in plain}
            | _long({_skeleton(form) for form in encoded | digits})
        )
        short = {raw for raw in map(_bytes, values) if MIN_ENCODED // 2 <= len(raw) < 16}
        words = sorted({pattern for raw in short for pattern in word_patterns(raw)})
        self._words = re.compile("|".join(words)) if words else None

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
        return masked_with([self], text, complete)

    def found(self, text: str, complete: bool = True) -> tuple[int, list[tuple[int, int]]]:
        """Where the text masked ends (its end, or for a text cut short where the last
        FRAGMENT - 1 characters of every view go) and the spans of ``text`` to mask: for
        masking with several Redactors at once (masked_with), each on the text as it is."""
        if not self._decoded and not self._letters and not self._literal:
            return len(text), []
        views = [(self._decoded, Canonical(text, complete))]
        views += [(self._letters, views[0][1].skeleton())]
        views += [(self._letters, views[0][1].untagged().skeleton())]
        views += [(self._letters, raw_view(text, complete).skeleton())]
        numbers = Canonical(text, complete, numeric=True)
        views += [(self._numbers, numbers), (self._letters, numbers.skeleton())]
        spans = [span for needles, view in views if needles for span in needles.spans(view)]
        dumps = [views[0][1].dump_columns(column) for column in ("words", "chars")]
        if self._letters:
            spans += [span for view in dumps for span in self._letters.spans(view)]
        if self._words is not None:
            letters = [view for needles, view in views if needles is self._letters] + dumps
            spans += [v.span(*m.span()) for v in letters for m in self._words.finditer(v.text)]
        spans += [span for value in self._literal for span in covered_spans(text, value)]
        end_of_text = len(text)
        if not complete:  # the last FRAGMENT - 1 characters of every view go
            end_of_text = min(_start_of_last(view, FRAGMENT - 1) for _, view in views)
        return end_of_text, spans


def masked_with(
    redactors: Iterable[Redactor], text: str, complete: bool = True, literal: Iterable[str] = ()
) -> str:
    """``text`` masked of every secret of ``redactors`` at once, and of each ``literal``
    value as it is written, each looking at the text as it is: one after another, a mask
    could join a word to a later secret's look-alike, or cut a secret overlapping the one
    masked first so that it was no longer found whole (72c)."""
    end_of_text, spans = len(text), []
    for redactor in redactors:
        end, found = redactor.found(text, complete)
        end_of_text = min(end_of_text, end)
        spans.extend(found)
    spans += [span for value in literal for span in covered_spans(text, value)]
    return masked_spans(text[:end_of_text], spans) if spans or end_of_text < len(text) else text


def covered_spans(text: str, value: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` that ``value``'s occurrences cover, overlapping ones as
    one: a value of one letter repeated is at every place of a run of that letter, and
    each occurrence found one by one was a search of its own."""
    spans, size = [], len(value)
    first = text.find(value)
    while first >= 0:
        start = first
        # the last occurrence starting within the stretch so far (or at its end) goes on
        while (later := text.rfind(value, start + 1, start + 2 * size)) > start:
            start = later
        spans.append((first, start + size))
        first = text.find(value, start + size + 1)
    return spans


def _start_of_last(view: Canonical, count: int) -> int:
    """Where the last ``count`` characters of ``view`` begin in the original text."""
    keep = len(view.text) - count
    return view.starts[keep] if keep > 0 else 0


def _long(forms: set[str]) -> set[str]:
    return {form for form in forms if len(form) >= MIN_ENCODED}


def masked_spans(text: str, spans: list[tuple[int, int]]) -> str:
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


def _chain_holds_secret(exc: BaseException, redact: Callable[[str], str]) -> bool:
    """Whether an exception ``exc`` was raised from (or during) quotes a secret: botocore's
    error holds the endpoint's whole answer."""
    cause = exc.__cause__ or exc.__context__
    seen = 0
    while cause is not None and seen < 10:
        text = f"{cause!s} {getattr(cause, 'response', '')}"
        if redact(text) != text:
            return True
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False


def _unmasked(text: str) -> str:
    return text


# The masking of the run under way (masked_errors), for text cut before it is raised.
_ACTIVE: ContextVar[Callable[[str], str]] = ContextVar("reportgen_masking", default=_unmasked)
_WINDOW = 8  # times the characters kept: what is masked before the cut


def cut_masked(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters once the secrets the run knows are
    masked in it. Cut first, a secret split by the cut left too little of it to be known
    as one: 6 of an 8-character password were shown (56c C4). What lies past the window
    masked is dropped with the end a secret may have been cut at (``prefix``)."""
    mask, window = _ACTIVE.get(), text[: limit * _WINDOW]
    cut = len(window) < len(text)
    masked = getattr(mask, "prefix", mask)(window) if cut else mask(window)
    return shorten(" ".join(masked.split()), limit)


class _MaskRecords(logging.Filter):
    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), ()
        return True


@contextlib.contextmanager
def masked_errors(
    redact: Callable[[str], str], logger: str = "reportgen.tickets"
) -> Iterator[None]:
    """The one place every error and warning of an attach run passes on its way to the
    user: an error's message, details and hint are masked (a server's text may be anywhere
    in them, such as a field of an answer named in a shape error), and so is each record
    of ``logger``. Any other exception whose text holds a secret is replaced by one with
    the text masked."""
    mask = _MaskRecords(redact)
    logging.getLogger(logger).addFilter(mask)
    active = _ACTIVE.set(redact)
    try:
        yield
    except InputError as exc:
        exc.message = redact(exc.message)
        exc.args = (exc.message, *exc.args[1:])
        exc.details = [redact(detail) for detail in exc.details]
        exc.hint = redact(exc.hint) if exc.hint else exc.hint
        if _chain_holds_secret(exc, redact):  # --debug prints the exception it came from
            exc.__cause__, exc.__context__, exc.__suppress_context__ = None, None, True
        raise
    except Exception as exc:
        text = str(exc)
        masked = redact(text)
        if masked == text:
            raise
        raise RuntimeError(f"{type(exc).__name__}: {masked}") from None
    finally:
        _ACTIVE.reset(active)
        logging.getLogger(logger).removeFilter(mask)


_HEADER_SAFE = re.compile(r"[!-~]*")  # visible ASCII


def header_safe(value: str) -> bool:
    """Whether ``value`` (a key, a token) can go in an HTTP header as it is: visible ASCII,
    no space, no line break, no control or non-ASCII character."""
    return bool(_HEADER_SAFE.fullmatch(value))
