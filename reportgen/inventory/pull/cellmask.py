"""Masking a snapshot's cells of every key and token a pull signed with, as written.

A snapshot is data, read cell by cell, so its cells are masked of the secrets as they are
(not in the encoded forms a message is masked of). One alternation of every secret is fast
to search while it holds a few dozen; a pull whose credentials were renewed before every
page holds thousands, and an alternation of those is searched branch by branch at every
character. So the latest ones (and the lasting ones) go in the alternation, and the older
renewals are found through an index of their 8-character pieces: a cell is looked up at
every 8th character, and any secret of 15 characters or more that it holds covers one of
those places with one of its indexed pieces, one for each of the 8 offsets a secret may
start at between two places (an echo of a token 9 renewals old was written in the
snapshot's cells: 71c).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from reportgen.core.redact import masked_spans

SHORTEST = 8  # a shorter secret masked wherever it is would hide pieces of any word
_PIECE = 8  # characters of a piece, and the stride a cell is looked up at
# the shortest secret the pieces find wherever it starts: one piece of it always falls on
# a place a cell is looked up at
_INDEXED = 2 * _PIECE - 1


class CellMask:
    """Callable: a cell with every secret it holds as ``***`` (redact.MASK)."""

    def __init__(self, latest: Iterable[str], older: Iterable[str] = ()) -> None:
        older = {v for v in older if len(v) >= SHORTEST}
        # short older ones (a role name from the metadata service) are few: searched whole
        searched = {v for v in latest if len(v) >= SHORTEST} | {
            v for v in older if len(v) < _INDEXED
        }
        values = sorted(searched, key=len, reverse=True)  # the longest first, where one
        # each place a secret starts, overlapping ones too: a substitution finds none that
        # overlaps the one before, which then showed all but its first characters (72c)
        alternation = "|".join(map(re.escape, values))
        self._pattern = re.compile(f"(?=({alternation}))") if values else None
        self._pieces: dict[str, list[tuple[int, str]]] = {}
        for value, at in _chosen_pieces([v for v in older if len(v) >= _INDEXED]):
            self._pieces.setdefault(value[at : at + _PIECE], []).append((at, value))

    @property
    def most_compared(self) -> int:
        """The most secrets one piece of a cell is compared with."""
        return max(map(len, self._pieces.values()), default=0)

    def __bool__(self) -> bool:
        return self._pattern is not None or bool(self._pieces)

    def __call__(self, cell: str) -> str:
        """Every secret found in the cell as it is, then all masked at once: one masked
        first cut one overlapping it, no longer found whole (72c)."""
        spans = []
        if self._pattern is not None:
            spans += [(m.start(), m.start() + len(m[1])) for m in self._pattern.finditer(cell)]
        if self._pieces and len(cell) >= _INDEXED:
            spans += self._older_spans(cell)
        return masked_spans(cell, spans) if spans else cell

    def _older_spans(self, cell: str) -> list[tuple[int, int]]:
        spans = []
        for place in range(0, len(cell) - _PIECE + 1, _PIECE):
            for at, value in self._pieces.get(cell[place : place + _PIECE], ()):
                start = place - at
                if start >= 0 and cell.startswith(value, start):
                    spans.append((start, start + len(value)))
        return spans


def _chosen_pieces(values: list[str]) -> Iterator[tuple[str, int]]:
    """(value, offset) of the pieces indexed: for each of the 8 places a value may start at
    between two looked-up places, one piece whose offset falls on one, the rarest (AWS's
    session tokens share their first 55 characters: indexed by their first pieces, a cell
    was compared with every older token at each place, 2.5 s a 32 KB cell against 4,000 of
    them: 72d; by their last pieces, so were tokens sharing their ends: 73d)."""
    counts = Counter(
        value[at : at + _PIECE] for value in values for at in range(len(value) - _PIECE + 1)
    )
    for value in values:
        seen = [counts[value[at : at + _PIECE]] for at in range(len(value) - _PIECE + 1)]
        for first in range(_PIECE):
            yield value, min(_offsets(value, first), key=seen.__getitem__)


def _offsets(value: str, first: int) -> range:
    """The offsets of ``value``'s pieces that lie ``first`` past a looked-up place: all of
    them weighed, as tokens may share their ends too (the last 4 alone: 73d)."""
    return range(first, len(value) - _PIECE + 1, _PIECE)
