"""What an Excel number format shows of a cell: the cell as it is, or other text.

A format can show a text cell as other words (``;;;"Accepted"``) and a number as words
(``"yes"``), or as nothing (``;;;``): a reader that reads what a cell holds then reads
something else than the person who filled it saw.
"""

from __future__ import annotations

import re

# A piece of a format: a quoted literal, a backslash and its character, a colour or a
# condition in brackets, a padding ('_' and the character whose width it takes) or a fill
# ('*' and the character repeated), or one character.
_PIECE = re.compile(r'"[^"]*"?|\\.?|\[[^\]]*\]?|[_*].?|.', re.DOTALL)
# Pieces that show no text: a colour, a condition or a locale ([$-409]), not a currency
# symbol ([$Sta-409] shows 'Sta': 59a); a padding, a fill, an empty literal, a blank.
_NO_TEXT = re.compile(r'\[(?!\$)[^\]]*\]?|\[\$-[^\]]*\]?|[_*].?|""|\s', re.DOTALL)


def shows_text_as_is(number_format: str) -> bool:
    """Whether a text cell with ``number_format`` shows its text and nothing else: Excel
    shows text by the format's fourth section, or by a section holding '@', and by none
    of the others; a colour, a padding or a fill shows no text (``_(@_)``: 58a)."""
    sections = _sections(number_format)
    if len(sections) >= 4:
        text = sections[3]
    else:
        text = next((section for section in sections if "@" in _unquoted(section)), "@")
    shown = "".join(p for p in _PIECE.findall(text) if not _NO_TEXT.fullmatch(p))
    return shown.casefold() in ("@", "general")


def shows_number_as_is(number_format: str) -> bool:
    """Whether a number cell with ``number_format`` shows a number and no words: each of
    the sections Excel shows a number by (the first three) holds no literal letter or
    digit, quoted, escaped or a currency's, and none is empty (``0;;`` shows a zero as
    nothing, ``"yes"`` shows any number as yes: 75a)."""
    sections = _sections(number_format)
    shown = sections[:3]
    if len(shown) > 1 and not all(section.strip() for section in shown):
        return False
    return not any(_WORDS.search(piece) for s in shown for piece in _literals(s))


# A literal piece of a number section: a quoted text, an escaped character, a currency.
_LITERAL = re.compile(r'"[^"]*"?|\\.|\[\$[^\]-]+(?:-[^\]]*)?\]?', re.DOTALL)
_WORDS = re.compile(r"[^\W_]")  # a letter or digit, of any script


def _literals(section: str) -> list[str]:
    return [piece for piece in _PIECE.findall(section) if _LITERAL.fullmatch(piece)]


def _sections(number_format: str) -> list[str]:
    """The format's sections: split at each ';' outside a literal."""
    sections, current = [], []
    for piece in _PIECE.findall(number_format):
        if piece == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(piece)
    return [*sections, "".join(current)]


def _unquoted(section: str) -> str:
    return re.sub(r'"[^"]*"|\\.', "", section)
