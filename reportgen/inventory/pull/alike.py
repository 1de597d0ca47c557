"""Telling apart secrets that start alike, for a cell mask's index.

A cell mask finds an older secret by its first 8 characters, looked up at every place of a
cell. Secrets may share far more: AWS's session tokens share their first 55 characters, and
a server can make thousands alike but for a few characters anywhere (bit by bit: a piece
at any offset shared by half of them). Compared one by one at each place, or each searched
for whole in every cell, they cost a cell time in step with their count (3 s a 32 KB cell
against 3,844 tokens alike but for their ends: 74d; 8 s against 60,000 made of two
letters: 75d). Aligned at their start, they are told apart by the piece at one offset,
then within each group by the piece at another, as a tree, so that a place of a cell is
compared with a few of them, down one branch. A long one is compared by a hash of the
stretch of the cell it would cover, not character by character: 16 of 16,000 characters
alike but for one, compared at each place of a 32 KB cell, took 2 s (75d); the hash's
modulus is a prime drawn for the run, and a stretch whose hash is a secret's is compared
with it too, so that no cell is masked for a collision (a fixed base repeated every 61
characters, and two letters 61 apart swapped gave a secret's hash: 76d).

A walk that finds nothing down a branch also walks the secrets shorter than its piece's
offset: secrets of one letter repeated at every length and ending in another made each
place of a cell of that letter walk them all (27 s a 32 KB cell against 1,000: 76d). A
cell's walks are held to a budget of comparisons (:class:`CellHashes`), and one that
would pass it is masked whole by the caller.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

PIECE = 8  # characters of a piece
FEW = 8  # secrets a leaf compares one by one
LONG = 64  # characters past which a secret is compared by its hash
_OFFSETS = 32  # offsets weighed for each division
_DEEPEST = 64  # divisions on one branch, each taking some secrets away
_BUDGET = 24  # comparisons a character of a cell, and _BUDGET_BASE more for a short one
_BUDGET_BASE = 4096
_HEAD = 1024  # characters of what a group's secrets all start with, kept to compare


def _is_prime(number: int) -> bool:
    """Miller-Rabin with the first 12 primes as witnesses: exact below 3.3 * 10**24."""
    witnesses = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    if number in witnesses:
        return True
    if number < 2 or any(number % w == 0 for w in witnesses):
        return False
    odd, twos = number - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for witness in witnesses:
        x = pow(witness, odd, number)
        if x in (1, number - 1):
            continue
        for _ in range(twos - 1):
            x = pow(x, 2, number)
            if x == number - 1:
                break
        else:
            return False
    return True


def _drawn_prime() -> int:
    while True:
        candidate = secrets.randbits(61) | (1 << 60) | 1
        if _is_prime(candidate):
            return candidate


_MODULUS = _drawn_prime()  # hashes are the text's code points in base 2**32 modulo it


class TooCostly(Exception):
    """A cell's walks passed their budget."""


def text_hash(text: str) -> int:
    """The hash :class:`CellHashes` gives a stretch of a cell that is ``text``."""
    return int.from_bytes(text.encode("utf-32-be", "surrogatepass"), "big") % _MODULUS


class CellHashes:
    """The hashes of a cell's stretches, from its prefixes', made once when first needed;
    and the comparisons its walks may still make."""

    def __init__(self, cell: str) -> None:
        self._cell = cell
        self._prefixes: list[int] = []
        self._left = _BUDGET * len(cell) + _BUDGET_BASE

    def spend(self, comparisons: int) -> None:
        self._left -= comparisons
        if self._left < 0:
            raise TooCostly

    def of(self, start: int, size: int, power: int) -> int:
        """The hash of ``size`` characters at ``start``; ``power`` is 2**(32 * size)."""
        if not self._prefixes:
            self._prefixes = _prefix_hashes(self._cell)
        prefixes = self._prefixes
        return (prefixes[start + size] - prefixes[start] * power) % _MODULUS


def _prefix_hashes(text: str) -> list[int]:
    hashes, value = [0], 0
    for code in map(ord, text):
        value = ((value << 32) | code) % _MODULUS
        hashes.append(value)
    return hashes


class Alike:
    """Secrets aligned at one start; the longest of them a cell holds at a place."""

    __slots__ = ("at", "children", "few", "hashed", "head", "shorter")

    def __init__(self, values: list[str], depth: int = 0) -> None:
        # what they all start with: a cell that does not is no place to walk them (secrets
        # of one letter repeated, walked where a shorter run of it is: 76d)
        self.head = os.path.commonprefix([min(values), max(values)])[:_HEAD]  # noqa: RUF071
        self.at = -1  # the offset of the piece that divides them, when one does
        self.children: dict[str, Alike] = {}
        self.shorter: Alike | None = None
        self.few: list[str] = []  # a leaf's secrets compared as they are
        # size: (power, {hash: secrets}) of the long ones
        self.hashed: dict[int, tuple[int, dict[int, list[str]]]] = {}
        divided = _cost(values) > FEW and depth < _DEEPEST
        at = _dividing_offset(values) if divided else None
        if at is None:
            self._hold(values)
        else:
            self._divide(values, at, depth + 1)

    def _hold(self, values: list[str]) -> None:
        for value in sorted(values, key=len, reverse=True):
            if len(value) <= LONG:
                self.few.append(value)
                continue
            power = pow(2, 32 * len(value), _MODULUS)
            held = self.hashed.setdefault(len(value), (power, {}))[1]
            held.setdefault(text_hash(value), []).append(value)

    def _divide(self, values: list[str], at: int, depth: int) -> None:
        groups: dict[str, list[str]] = {}
        shorter = []
        for value in values:
            if len(value) >= at + PIECE:
                groups.setdefault(value[at : at + PIECE], []).append(value)
            else:
                shorter.append(value)
        self.at = at
        self.children = {piece: Alike(group, depth) for piece, group in groups.items()}
        self.shorter = Alike(shorter, depth) if shorter else None

    def longest(self, cell: str, start: int, hashes: CellHashes) -> int:
        """The length of the longest secret starting at ``start`` of ``cell`` (0: none);
        :class:`TooCostly` when the cell's budget is spent."""
        hashes.spend(1)
        if not cell.startswith(self.head, start):
            return 0
        if self.at < 0:
            return self._longest_held(cell, start, hashes)
        child = self.children.get(cell[start + self.at : start + self.at + PIECE])
        found = child.longest(cell, start, hashes) if child is not None else 0
        # a shorter secret at the same start lies within a longer one found
        if found or self.shorter is None:
            return found
        return self.shorter.longest(cell, start, hashes)

    def _longest_held(self, cell: str, start: int, hashes: CellHashes) -> int:
        """The longest first: the first found is the one sought. Each comparison made is
        spent from the cell's budget."""
        room, tried = len(cell) - start, 0
        for size, (power, held) in self.hashed.items():
            tried += 1
            if size <= room and any(
                cell.startswith(v, start) for v in held.get(hashes.of(start, size, power), ())
            ):
                hashes.spend(tried)
                return size
        for value in self.few:
            tried += 1
            if cell.startswith(value, start):
                hashes.spend(tried)
                return len(value)
        hashes.spend(tried)
        return 0

    @property
    def largest(self) -> int:
        """The most comparisons a place of a cell makes at a leaf."""
        if self.at < 0:
            return len(self.few) + len(self.hashed)
        groups = [*self.children.values(), *([self.shorter] if self.shorter else [])]
        return max(group.largest for group in groups)


def _cost(values: Iterable[str]) -> int:
    """The comparisons a leaf of ``values`` makes at a place: one for each short secret,
    one for each size of the long ones (a hash of the cell's stretch of that size)."""
    sizes, short = set(), 0
    for value in values:
        if len(value) > LONG:
            sizes.add(len(value))
        else:
            short += 1
    return short + len(sizes)


def _dividing_offset(values: list[str]) -> int | None:
    """The offset whose piece (or its absence, in a shorter secret) leaves the costliest
    group cheapest; None when none is cheaper than all of them."""
    longest = max(map(len, values))
    offsets = range(0, longest - PIECE + 1, PIECE)
    if len(offsets) > _OFFSETS:  # spread over a long one
        offsets = [offsets[n * (len(offsets) - 1) // (_OFFSETS - 1)] for n in range(_OFFSETS)]
    ends = sorted({len(v) - PIECE for v in values})  # the last characters, off the stride
    best, cheapest = None, _cost(values)
    for at in sorted({*offsets, *ends[:: max(1, len(ends) // 8)]}):
        groups: dict[str | None, list[str]] = {}
        for value in values:
            piece = value[at : at + PIECE] if len(value) >= at + PIECE else None
            groups.setdefault(piece, []).append(value)
        costliest = max(map(_cost, groups.values()))
        if costliest < cheapest:
            best, cheapest = at, costliest
    return best
