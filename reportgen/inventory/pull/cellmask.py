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


class CellMask:
    """Callable: a cell with every secret it holds as ``***`` (redact.MASK)."""

    def __init__(self, latest: Iterable[str], older: Iterable[str] = ()) -> None:
        values = sorted({v for v in latest if len(v) >= SHORTEST}, key=len, reverse=True)
        # each place a secret starts, overlapping ones too: a substitution finds none that
        # overlaps the one before, which then showed all but its first characters (72c)
        alternation = "|".join(map(re.escape, values))
        self._pattern = re.compile(f"(?=({alternation}))") if values else None
        self.alternated = len(values)  # the secrets the alternation holds
        starting: dict[str, list[str]] = {}
        for value in sorted({v for v in older if len(v) >= SHORTEST}):
            starting.setdefault(value[:PIECE], []).append(value)
        self._starts = {start: Alike(alike) for start, alike in starting.items()}
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
        try:
            for place in range(len(cell) - PIECE + 1):
                alike = starts.get(cell[place : place + PIECE])
                if alike is not None and (size := alike.longest(cell, place, hashes)):
                    spans.append((place, place + size))
        except TooCostly:
            self.masked_whole += 1
            return [(0, len(cell))]
        return spans
