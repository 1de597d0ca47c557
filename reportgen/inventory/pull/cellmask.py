"""Masking a snapshot's cells of every key and token a pull signed with, as written.

A snapshot is data, read cell by cell, so its cells are masked of the secrets as they are
(not in the encoded forms a message is masked of). One alternation of every secret is fast
to search while it holds a few dozen; a pull whose credentials were renewed before every
page holds thousands, and an alternation of those is searched branch by branch at every
character (8,000 renewals of 8 to 14 characters: 1.5 s a 32 KB cell, 74d). So the latest
ones (and the lasting ones) go in the alternation, and the older renewals are found through
an index of one 8-character piece of each, its rarest, looked up at every place of a cell
(an echo of a token 9 renewals old was written in the snapshot's cells: 71c).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator

from reportgen.core.redact import covered_spans, masked_spans
from reportgen.inventory.pull.alike import PIECE, Alike

SHORTEST = 8  # a shorter secret masked wherever it is would hide pieces of any word
# Pieces of one secret weighed for their rarity, spread over a longer one: counting every
# piece of 200 renewals of 60 KB took 1.4 GB (74d).
_WEIGHED = 256
_MOST_SLOTS = 1 << 22  # the pieces are counted by their hash in at most this many counters


class CellMask:
    """Callable: a cell with every secret it holds as ``***`` (redact.MASK)."""

    def __init__(self, latest: Iterable[str], older: Iterable[str] = ()) -> None:
        values = sorted({v for v in latest if len(v) >= SHORTEST}, key=len, reverse=True)
        # each place a secret starts, overlapping ones too: a substitution finds none that
        # overlaps the one before, which then showed all but its first characters (72c)
        alternation = "|".join(map(re.escape, values))
        self._pattern = re.compile(f"(?=({alternation}))") if values else None
        self.alternated = len(values)  # the secrets the alternation holds
        aligned: dict[str, dict[int, list[str]]] = {}
        for value, at in _chosen_pieces(sorted({v for v in older if len(v) >= SHORTEST})):
            aligned.setdefault(value[at : at + PIECE], {}).setdefault(at, []).append(value)
        # the secrets sharing a piece, by its offset in them: told apart where they differ
        self._pieces = {
            piece: [(at, Alike(values)) for at, values in offsets.items()]
            for piece, offsets in aligned.items()
        }

    @property
    def most_compared(self) -> int:
        """The most secrets a place of a cell is compared with one by one."""
        return max(
            (alike.largest for found in self._pieces.values() for _, alike in found), default=0
        )

    def __bool__(self) -> bool:
        return self._pattern is not None or bool(self._pieces)

    def __call__(self, cell: str) -> str:
        """Every secret found in the cell as it is, then all masked at once: one masked
        first cut one overlapping it, no longer found whole (72c)."""
        spans = []
        if self._pattern is not None:
            spans += [(m.start(), m.start() + len(m[1])) for m in self._pattern.finditer(cell)]
        if self._pieces and len(cell) >= SHORTEST:
            spans += self._older_spans(cell)
        return masked_spans(cell, spans) if spans else cell

    def _older_spans(self, cell: str) -> list[tuple[int, int]]:
        pieces, spans, undivided = self._pieces, [], []
        held = [p for p in range(len(cell) - PIECE + 1) if cell[p : p + PIECE] in pieces]
        for place in held:
            for at, alike in pieces[cell[place : place + PIECE]]:
                start = place - at
                if start >= 0 and (size := alike.longest(cell, start, undivided)):
                    spans.append((start, start + size))
        searched = {id(alike): alike for alike in undivided}.values()
        return spans + [s for a in searched for v in a.values for s in covered_spans(cell, v)]


def _chosen_pieces(values: list[str]) -> Iterator[tuple[str, int]]:
    """(value, offset) of the piece each value is indexed by: the rarest among those
    weighed (AWS's session tokens share their first 55 characters, and tokens may share
    their ends too: indexed by a shared piece, a 32 KB cell was compared with every older
    token at each place, 2.5 s against 4,000 of them: 72d, 73d)."""
    weighed = [_weighed(value) for value in values]
    slots = min(_MOST_SLOTS, 1 << (2 * sum(map(len, weighed))).bit_length())
    counts = array("I", bytes(4 * slots))
    for value, offsets in zip(values, weighed, strict=True):
        for at in offsets:
            counts[hash(value[at : at + PIECE]) % slots] += 1
    for value, offsets in zip(values, weighed, strict=True):
        yield value, min(offsets, key=lambda at: counts[hash(value[at : at + PIECE]) % slots])


def _weighed(value: str) -> range | list[int]:
    """The offsets of the pieces of ``value`` weighed: all of them, or as many spread
    evenly from its first to its last."""
    last = len(value) - PIECE
    if last < _WEIGHED:
        return range(last + 1)
    return sorted({last * n // (_WEIGHED - 1) for n in range(_WEIGHED)})
