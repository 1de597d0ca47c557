"""How real servers echo a credential: raw, JSON (Jackson's upper-case hex, Go's \u003c),
URL- and form-encoded (Java's URLEncoder, lower-case hex, Latin-1), HTML references of every
kind, base64 of the Basic pair, and encodings of encodings. Used by the unit tests of the
redactor (every echo, every position) and by the attach tests through the command line."""

from __future__ import annotations

import base64
import html
import html.entities
import json
import re
import textwrap
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, quote_plus

from reportgen.core.terminal import visible

# A token with every character some encoding changes: '/', non-ASCII, ~ * ' < > & + space.
TOKEN = "jira/T0KEN~*'<é>&+ s3cr=t-7f3a9c1e5d"
EMAIL = "auditor@example.com"
PAIR = f"{EMAIL}:{TOKEN}".encode()


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _jackson(text: str) -> str:
    """Jackson (Java): \u00e9, upper-case hex."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), _json(text))


def _go(text: str) -> str:
    """Go's encoding/json: <, > and & (and here ') as \u003c and the like."""
    return "".join(f"\\u{ord(c):04x}" if c in "<>&'" else c for c in _json(text))


def _java_url(text: str) -> str:
    """Java's URLEncoder: '+' for a space, raw '*', '~' as %7E."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def _entities(template: str) -> Callable[[str], str]:
    """Every character but letters and digits as an HTML numeric reference."""
    return lambda text: "".join(
        c if c.isascii() and c.isalnum() else template.format(ord(c)) for c in text
    )


def _named(text: str) -> str:
    """HTML named references where a character has one (&eacute; &lt; &amp; ...)."""
    return "".join(
        f"&{html.entities.codepoint2name[ord(c)]};" if ord(c) in html.entities.codepoint2name else c
        for c in text
    )


def _hexdump(data: bytes, size: int = 2) -> str:
    """``hexdump``'s default output (``od -t x4``'s, ``od -t x8``'s with ``size``): an
    offset, then 16 bytes a line as little-endian words of ``size`` bytes."""
    data += b"\0" * (-len(data) % size)
    words = [data[i : i + size][::-1].hex() for i in range(0, len(data), size)]
    per_line = 16 // size
    return "\n".join(
        f"{16 * line:07x} " + " ".join(words[per_line * line : per_line * (line + 1)])
        for line in range(-(-len(words) // per_line))
    )


def _b64(alphabet: Callable[[bytes], bytes], pad: bool = True) -> Callable[[str], str]:
    return lambda _t: alphabet(PAIR).decode().rstrip("" if pad else "=")


# How real servers echo a credential (raw, JSON, URL, HTML, base64 of the Basic pair, and
# encodings of encodings): each must be masked.
ECHOES: dict[str, Callable[[str], str]] = {
    "raw": lambda t: t,
    "json": _json,
    "json-escaped-slashes": lambda t: _json(t).replace("/", "\\/"),
    "json-jackson-upper-hex": _jackson,
    "json-go-html-safe": _go,
    "url-encoded": lambda t: quote(t, safe=""),
    "url-encoded-lower-hex": lambda t: re.sub(
        "%[0-9A-F]{2}", lambda m: m[0].lower(), quote(t, safe="")
    ),
    "url-java-urlencoder": _java_url,
    "form-encoded": quote_plus,
    "form-encoded-lower-hex": lambda t: re.sub(
        "%[0-9A-F]{2}", lambda m: m[0].lower(), quote_plus(t)
    ),
    "url-latin-1": lambda t: quote(t, safe="", encoding="latin-1"),
    "html-escaped": html.escape,
    "html-hex-references": _entities("&#x{:X};"),
    "html-hex-zero-padded": _entities("&#x{:06x};"),
    "html-decimal-references": _entities("&#{};"),
    "html-decimal-zero-padded": _entities("&#{:05d};"),
    "html-named-references": _named,
    "json-in-url": lambda t: quote(_json(t)),
    "url-in-html": lambda t: html.escape(quote(t)),
    "html-in-json": lambda t: _json(html.escape(t)),
    "url-encoded-twice": lambda t: quote(quote(t, safe=""), safe=""),
    "basic-pair-base64": _b64(base64.b64encode),
    "basic-pair-base64-unpadded": _b64(base64.b64encode, pad=False),
    "basic-pair-base64-json": lambda t: _json(_b64(base64.b64encode)(t)).replace("/", "\\/"),
    "basic-pair-base64url": _b64(base64.urlsafe_b64encode),
    "basic-pair-base64url-unpadded": _b64(base64.urlsafe_b64encode, pad=False),
    "basic-pair-base64-wrapped": lambda t: "\n".join(textwrap.wrap(_b64(base64.b64encode)(t), 16)),
    "basic-pair-base64-of-base64": lambda _t: base64.b64encode(base64.b64encode(PAIR)).decode(),
    # 44c: a hex dump of the Authorization header gave the pair back
    "basic-pair-base64-hex-spaced": lambda _t: base64.b64encode(PAIR).hex(" "),
    "cut-by-the-server": lambda t: t[:14] + "...",
    # Spelt out rather than escaped: byte dumps, other escape syntaxes, look-alike letters,
    # invisible or visible separators, and base64 of a longer text that holds the secret.
    "hex": lambda t: t.encode().hex(),
    "hex-upper-spaced": lambda t: t.encode().hex(" ").upper(),
    "quoted-printable": lambda t: "".join(f"={b:02X}" for b in t.encode()),
    "octal-escapes": lambda t: "".join(f"\\{b:03o}" for b in t.encode()),
    "python-long-escapes": lambda t: "".join(f"\\U{ord(c):08x}" for c in t),
    "css-escapes": lambda t: "".join(f"\\{ord(c):x} " for c in t),
    "css-escapes-zero-padded": lambda t: "".join(f"\\{ord(c):06x}" for c in t),
    "c-hex-bytes-spaced": lambda t: " ".join(f"0x{b:02x}" for b in t.encode()),
    "c-hex-bytes-comma-separated": lambda t: ",".join(f"0x{b:02X}" for b in t.encode()),
    "es6-code-point-escapes": lambda t: "".join(f"\\u{{{ord(c):x}}}" for c in t),
    "perl-hex-escapes": lambda t: "".join(f"\\x{{{ord(c):x}}}" for c in t),
    "python-named-escapes": lambda t: "".join(f"\\N{{{unicodedata.name(c)}}}" for c in t),
    "unicode-code-points": lambda t: " ".join(f"U+{ord(c):04X}" for c in t),
    "utf-16-hex": lambda t: t.encode("utf-16-be").hex(),
    "utf-16-le-base64": lambda t: base64.b64encode(t.encode("utf-16-le")).decode(),
    "decimal-byte-list": lambda t: ",".join(str(b) for b in t.encode()),
    # 45c: DNS presentation's \DDD and printf's %03d, and the 16-bit words hexdump and
    # od -x print by default (each pair of bytes swapped), of the token and of the header
    "decimal-bytes-zero-padded": lambda t: "".join(f"\\{b:03d}" for b in t.encode()),
    "decimal-bytes-zero-padded-spaced": lambda t: " ".join(f"{b:03d}" for b in t.encode()),
    "hexdump-words": lambda t: _hexdump(t.encode()),
    # 46a: od -t x4 (xxd -e) and od -t x8
    "dump-32-bit-words": lambda t: _hexdump(t.encode() + b"...", 4),
    "dump-64-bit-words": lambda t: _hexdump(t.encode() + b"...", 8),
    "basic-pair-hexdump-words": lambda _t: _hexdump(b"Basic " + base64.b64encode(PAIR)),
    "basic-pair-hexdump-words-odd": lambda _t: _hexdump(b"Basic  " + base64.b64encode(PAIR)),
    "fullwidth": lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t),
    "zero-width-space-between": lambda t: "\u200b".join(t),
    "soft-hyphen-between": lambda t: "\u00ad".join(t),
    # thirteenth pass: default-ignorable letters and marks, blank on screen
    "hangul-filler-between": lambda t: "\u3164".join(t),
    "halfwidth-hangul-filler-between": lambda t: "\uffa0".join(t),
    "choseong-filler-between": lambda t: "\u115f".join(t),
    "grapheme-joiner-between": lambda t: "\u034f".join(t),
    "variation-selector-between": lambda t: "\ufe0f".join(t),
    "comma-separated": lambda t: ",".join(t),
    "dot-separated": lambda t: ".".join(t),
}

# A highlighting error page: each character in its own tag (escaped where HTML needs it),
# as it is or in JSON; a coloured log line, each character in its own terminal colour. The
# first opening and the last closing tag show (they hold no secret).
Markup = tuple[str, str, Callable[[str], str], Callable[[str], str]]  # open, close, outer, inner
MARKUP: dict[str, Markup] = {
    "html-markup-between": ("<b>", "</b>", str, html.escape),
    "html-markup-with-attributes-in-json": ('<span class="hl">', "</span>", _go, html.escape),
    "ansi-colour-between": ("\x1b[31m", "\x1b[0m", str, str),
}


def _marked_up(
    open_tag: str, close_tag: str, outer: Callable[[str], str], inner: Callable[[str], str]
) -> Callable[[str], str]:
    return lambda t: outer("".join(f"{open_tag}{inner(c)}{close_tag}" for c in t))


def _untagged(
    open_tag: str, close_tag: str, outer: Callable[[str], str], _inner: Callable[[str], str]
) -> Callable[[str], str]:
    """A text with these tags taken out (as sent, or as a terminal is shown them):
    what a reader sees of it."""
    tags = [outer(open_tag), outer(close_tag)]
    tags += [visible(tag) for tag in tags]

    def untagged(text: str) -> str:
        for tag in tags:
            text = text.replace(tag, "")
        return text

    return untagged


# base64 of a longer text that holds the secret: the groups of 4 that encode only the text
# around it show (they hold no secret), and the one or two that mix both may.
CONTAINERS = {
    "base64-of-a-bearer-header": ("Bearer ", ""),
    "base64-of-a-json-blob": ('{"k": "', '"}'),
}


def _contained(before: str, after: str) -> Callable[[str], str]:
    return lambda t: base64.b64encode(f"{before}{t}{after}".encode()).decode()


def secret_groups(before: str, secret: str) -> slice:
    """The base64 characters of a text ``before + secret + ...`` that encode the secret alone."""
    start, end = len(before.encode()), len(before.encode()) + len(secret.encode())
    return slice(4 * -(-start // 3), 4 * (end // 3))


ECHOES |= {name: _contained(*around) for name, around in CONTAINERS.items()}
ECHOES |= {name: _marked_up(*tags) for name, tags in MARKUP.items()}
_SECRET_PART = {
    ECHOES[name](TOKEN): ECHOES[name](TOKEN)[secret_groups(around[0], TOKEN)]
    for name, around in CONTAINERS.items()
} | {ECHOES[name](TOKEN): _untagged(*tags)(ECHOES[name](TOKEN)) for name, tags in MARKUP.items()}


def _words(dump: str) -> list[str]:
    return re.sub(r"(?m)^[0-9a-f]{7}", "", dump).split()


# A dump's offsets, its words before the secret (b"Basic ") and a last word padded with a
# zero byte hold none of it, or a byte of it at most.
_DUMPS = {"hexdump-words": 0, "dump-32-bit-words": 0, "dump-64-bit-words": 0,
          "basic-pair-hexdump-words": 3, "basic-pair-hexdump-words-odd": 4}  # fmt: skip
# Echoes whose text before the secret shows, as a container's does.
DUMPS_WITH_A_HEAD = {name for name, skip in _DUMPS.items() if skip}
_SECRET_PART |= {
    ECHOES[name](TOKEN): " ".join(_words(ECHOES[name](TOKEN))[skip:-1])
    for name, skip in _DUMPS.items()
}


def leaks(output: str, *echoed: str) -> list[str]:
    """Every 8-character piece of the secret, or of what the server echoed (a marked-up
    echo without its tags), in the output."""
    forms = {TOKEN, *echoed} | {encode(TOKEN) for encode in ECHOES.values()}
    forms = {_SECRET_PART.get(form, form) for form in forms}
    pieces = {form[i : i + 8] for form in forms for i in range(len(form) - 7)}
    # Marked-up echoes are compared as read, their tags taken out of the output too.
    views = {output} | {_untagged(*tags)(output) for tags in MARKUP.values()}
    return sorted(pieces & {view[i : i + 8] for view in views for i in range(len(view) - 7)})
