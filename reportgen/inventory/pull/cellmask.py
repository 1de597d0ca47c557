"""Masking a snapshot's cells of every key and token a pull signed with, as written.

A snapshot is data, read cell by cell, so its cells are masked of the secrets as they are
(not in the encoded forms a message is masked of). One alternation of every secret is fast
to search while it holds a few dozen; a pull whose credentials were renewed before every
page holds thousands, and an alternation of those is searched branch by branch at every
character (8,000 renewals of 8 to 14 characters: 1.5 s a 32 KB cell, 74d). So the latest
ones (and the lasting ones) go in the alternation, and the older renewals are found by
their first 8 characters, looked up at every place of a cell, those starting alike told
apart where they differ (alike.py) (an echo of a token 9 renewals old was written in the
snapshot's cells: 71c).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reportgen.core.redact import masked_spans
from reportgen.inventory.pull.alike import PIECE, Alike, CellHashes, TooCostly

SHORTEST = 8  # a shorter secret masked wherever it is would hide pieces of any word
_ALTERNATED, _ALTERNATED_CHARS = 24, 40  # the alternation's secrets, and their length
_SEARCHED_STARTS = 64  # secrets' starts few enough to search for


class CellMask:
    """Callable: a cell with every secret it holds as ``***`` (redact.MASK)."""

    def __init__(self, latest: Iterable[str], older: Iterable[str] = ()) -> None:
        latest = sorted({v for v in latest if len(v) >= SHORTEST}, key=len)
        # a few short ones, keys and secret keys, in the alternation, searched at C speed;
        # any more, or longer, compared at each place and each branch as far as they match:
        # 256 learnt values of the latest renewals matching a cell's run of a letter took 4 s
        # a 32 KB cell (77d), beyond the budget the index is held to
        values = [v for v in latest if len(v) <= _ALTERNATED_CHARS][:_ALTERNATED][::-1]
        # each place a secret starts, overlapping ones too: a substitution finds none that
        # overlaps the one before, which then showed all but its first characters (72c)
        alternation = "|".join(map(re.escape, values))
        self._pattern = re.compile(f"(?=({alternation}))") if values else None
        self.alternated = len(values)  # the secrets the alternation holds
        indexed = {v for v in older if len(v) >= SHORTEST} | set(latest).difference(values)
        starting: dict[str, list[str]] = {}
        for value in sorted(indexed):
            starting.setdefault(value[:PIECE], []).append(value)
        self._starts = {start: Alike(alike) for start, alike in starting.items()}
        # where few secrets' starts are, a search for them finds the places at C speed
        few = len(self._starts) <= _SEARCHED_STARTS
        found = "|".join(map(re.escape, self._starts))
        self._places = re.compile(f"(?=(?:{found}))") if few and found else None
        self.masked_whole = 0  # cells too costly to look through for the older secrets

    @property
    def most_compared(self) -> int:
        """The most comparisons a place of a cell makes with older secrets."""
        return max((alike.largest for alike in self._starts.values()), default=0)

    def __bool__(self) -> bool:
        return self._pattern is not None or bool(self._starts)

    def __call__(self, cell: str) -> str:
        """Every secret found in the cell as it is, then all masked at once: one masked
        first cut one overlapping it, no longer found whole (72c)."""
        spans = []
        if self._pattern is not None:
            spans += [(m.start(), m.start() + len(m[1])) for m in self._pattern.finditer(cell)]
        if self._starts and len(cell) >= SHORTEST:
            spans += self._older_spans(cell)
        return masked_spans(cell, spans) if spans else cell

    def _older_spans(self, cell: str) -> list[tuple[int, int]]:
        """The older secrets' spans; the whole cell where looking through it for them
        would cost more than its budget (alike.py): masked, not written unlooked at."""
        starts, hashes, spans = self._starts, CellHashes(cell), []
        if self._places is not None:
            places: Iterable[int] = (match.start() for match in self._places.finditer(cell))
        else:
            places = range(len(cell) - PIECE + 1)
        try:
            for place in places:
                alike = starts.get(cell[place : place + PIECE])
                if alike is not None and (size := alike.longest(cell, place, hashes)):
                    spans.append((place, place + size))
        except TooCostly:
            self.masked_whole += 1
            return [(0, len(cell))]
        return spans
