"""Telling apart secrets a server made alike, for a cell mask's index.

The index finds a secret through one 8-character piece of it, its rarest. A server can
make thousands of tokens alike but for a few characters, so that each piece is shared by
hundreds of them (bit by bit, one piece for each bit: half of them share every piece).
Compared one by one at each place a shared piece is at, or each searched for whole in
every cell holding it, they cost a cell time in step with their count (a 32 KB cell, 3 s
against 3,844 tokens: 74d). Aligned at their start, they are told apart by the piece at
one offset, then within each group by the piece at another, as a tree: a place of a cell
is compared with a few of them, down one branch.
"""

from __future__ import annotations

from collections import Counter

PIECE = 8  # characters of a piece
FEW = 16  # secrets compared one by one at a place
_OFFSETS = 32  # offsets weighed for each division
_DEEPEST = 64  # divisions on one branch, each taking some secrets away


class Alike:
    """Secrets aligned at one start; the longest of them a cell holds at a place."""

    __slots__ = ("at", "children", "shorter", "values")

    def __init__(self, values: list[str], depth: int = 0) -> None:
        self.values = values  # compared one by one, or (more than FEW) searched whole
        self.at = -1  # the offset of the piece that divides them, when one does
        self.children: dict[str, Alike] = {}
        self.shorter: Alike | None = None
        if len(values) > FEW and depth < _DEEPEST:
            self._divide(depth + 1)

    def _divide(self, depth: int) -> None:
        at = _dividing_offset(self.values)
        if at is None:  # alike at every offset weighed: left to be searched for whole
            return
        groups: dict[str, list[str]] = {}
        shorter = []
        for value in self.values:
            if len(value) >= at + PIECE:
                groups.setdefault(value[at : at + PIECE], []).append(value)
            else:
                shorter.append(value)
        self.at, self.values = at, []
        self.children = {piece: Alike(group, depth) for piece, group in groups.items()}
        self.shorter = Alike(shorter, depth) if shorter else None

    def longest(self, cell: str, start: int, undivided: list[Alike]) -> int:
        """The length of the longest secret starting at ``start`` of ``cell`` (0: none);
        a group too alike to divide that the walk reaches is added to ``undivided``, to be
        searched for whole, once for the cell."""
        if self.at < 0:
            if len(self.values) > FEW:
                undivided.append(self)
                return 0
            return max((len(v) for v in self.values if cell.startswith(v, start)), default=0)
        child = self.children.get(cell[start + self.at : start + self.at + PIECE])
        found = child.longest(cell, start, undivided) if child is not None else 0
        # a shorter secret at the same start lies within a longer one found
        if found or self.shorter is None:
            return found
        return self.shorter.longest(cell, start, undivided)

    @property
    def largest(self) -> int:
        """The most secrets a place of a cell is compared with one by one."""
        if self.at < 0:
            return len(self.values)
        groups = [*self.children.values(), *([self.shorter] if self.shorter else [])]
        return max(group.largest for group in groups)


def _dividing_offset(values: list[str]) -> int | None:
    """The offset whose piece (or its absence, in a shorter secret) leaves the largest
    group smallest; None when every group is all of them."""
    longest = max(map(len, values))
    offsets = range(0, longest - PIECE + 1, PIECE)
    if len(offsets) > _OFFSETS:  # spread over a long one
        offsets = [offsets[n * (len(offsets) - 1) // (_OFFSETS - 1)] for n in range(_OFFSETS)]
    ends = sorted({len(v) - PIECE for v in values})  # the last characters, off the stride
    best, smallest = None, len(values)
    for at in sorted({*offsets, *ends[:: max(1, len(ends) // 8)]}):
        pieces = Counter(v[at : at + PIECE] for v in values if len(v) >= at + PIECE)
        largest = max(max(pieces.values(), default=0), len(values) - pieces.total())
        if largest < smallest:
            best, smallest = at, largest
    return best
