"""Bounding the text calamine copies out of the shared strings, before it opens a sheet.

A cell of type ``s`` holds an index into ``xl/sharedStrings.xml``; calamine gives every such
cell its own copy of the string. So one 32,000-character string used by 100,000 cells of an
815 KB workbook became 3.2 GB (3.48 GB at peak). The guard measures each ``<si>`` of the
shared strings part once (its bytes of XML, never fewer than the UTF-8 bytes of its text),
then adds up, for each worksheet part, the size of the string every ``<v>`` could name; a
sheet over the limit is refused before calamine reads it.

The sum is an upper bound, never an undercount: every ``<v>`` is counted, whatever its cell's
type (a number that is a valid index counts that string), and where the index is not plain
digits (an entity, a comment or CDATA inside it, a prefixed or attributed ``<v>``) it counts
the longest string. When the shared strings part is not written as Excel or the Open XML
SDK writes it (one ``<si>`` nested in another, one without text, two prefixes, several
parts calamine might read), every reference counts the longest string, or the whole part.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator

_SI_CLOSE = re.compile(rb"</((?:[^ \t\r\n/<>:]*:)?si)>")
_PLAIN_V = re.compile(rb"<v>([^<]{0,64})</v>")
_ANY_V = re.compile(rb"<(?:[^ \t\r\n/<>:]*:)?v[ \t\r\n/>]")
# A cell of type s and its plain <v>: whatever is not a number there, calamine read as
# string 0, without a word (`abc`, `-1`, `0x3`: thirty-ninth pass).
# A cell's tag, its type s found inside it, then its <v>: one pattern for all three searched
# from each `t="s"` of a tag to the tag's end (a 384 KB tag of them: 188 s, 61d).
_CELL_TAG = re.compile(rb"<c[ \t\r\n]([^<>]*)>")
_SHARED_TYPE = re.compile(rb"\bt[ \t\r\n]*=[ \t\r\n]*[\"']s[\"']")
_PLAIN_VALUE = re.compile(rb"[ \t\r\n]*<v>([^<]*)</v>")
# calamine makes room for as many strings as the part declares, before it reads one: 10^11
# was a 2.4 TB allocation, and the process aborted with Rust's backtrace, exit 134 (44d).
# Within its tag: crossing a '<', the search ran from each `<sst ` of a run of them to the
# end of the piece (296 KB: 91 s, 62d).
_DECLARED = re.compile(
    rb"<(?:[^ \t\r\n/<>:]*:)?sst[ \t\r\n][^<>]*?\buniqueCount[ \t\r\n]*=[ \t\r\n]*"
    rb"[\"'][ \t\r\n+]*0*([0-9]{1,30})"  # leading zeros: calamine skips them (45d)
)
_CELL_REF = re.compile(rb"\br[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z]{1,3}[0-9]{1,7})[\"']")


STRING_BYTES = 48  # a Rust String (24 bytes) in calamine's list, and its allocation's own


class SharedStringSizes:
    """Fed the shared strings part's regions (whole elements) in order: the size of each
    string calamine keeps, by index."""

    def __init__(self) -> None:
        self.sizes = array("Q")
        self.longest = 0
        self.plain = True  # written as Excel writes it: indexes line up with calamine's
        self._name = b""  # the qualified name of its <si> (x:si from the Open XML SDK)
        self._carry = 0  # bytes of the next string's element already seen
        self._bytes = 0
        self._tail = b""  # the end of the part so far
        self.declared: int | None = None  # its uniqueCount, where it gives one

    def region(self, region: bytes) -> None:
        self._bytes += len(region)
        self._tail = (self._tail + region[-16:])[-16:]
        # of every part calamine may read (45d); the attribute is looked for, not the tag,
        # in each region of a part of 100 MB
        if b"uniqueCount" in region:
            for found in _DECLARED.finditer(region):
                self.declared = max(self.declared or 0, int(found.group(1)))
        names = set(_SI_CLOSE.findall(region))
        self._name = self._name or min(names, default=b"")
        if names - {self._name}:  # calamine ends a string at the close of its own name only
            self.plain = False
            self.longest = self._bytes  # so no string is longer than the part
        close = b"</" + self._name + b">" if self._name else b"</si>"
        pieces = region.split(close)
        self._carry += len(pieces.pop())  # after the last string: markup
        for piece in pieces:
            self._add(piece, self._carry + len(piece))
            self._carry = 0
        if not self.plain:
            self.longest = max(self.longest, self._bytes)

    def _add(self, piece: bytes, size: int) -> None:
        name, prefix = self._name, self._name[:-2]
        opens = piece.count(b"<" + name + b">") + piece.count(b"<" + name + b" ")
        if opens != 1 or (
            b"<" + prefix + b"t>" not in piece and b"<" + prefix + b"t " not in piece
        ):
            self.plain = False  # calamine may keep no string for it, or one for two
        self.sizes.append(size)
        self.longest = max(self.longest, size)

    def ended(self) -> bool:
        """Whether the part seen so far ends as a whole part does, its root element closed:
        one cut short holds fewer strings, and a sheet's index past them was blamed (42d)."""
        return self._tail.rstrip().endswith((b"sst>", b"/>"))

    def held(self) -> int:
        """What calamine holds of the shared strings from the moment it opens the workbook,
        whether a sheet names them or not: at most their XML, and a string's header each."""
        return self._bytes + STRING_BYTES * len(self.sizes)

    def count(self) -> int | None:
        """How many strings calamine keeps, where that is known (written as Excel does)."""
        return len(self.sizes) if self.plain else None

    def size(self, index: int) -> int:
        if not self.plain:
            return self.longest
        return self.sizes[index] if index < len(self.sizes) else 0


class SharedTextCounter:
    """Fed a worksheet part's regions: ``total``, the bytes of shared strings its ``<v>``
    elements can make calamine copy."""

    def __init__(self, strings: SharedStringSizes) -> None:
        self.strings = strings
        self.total = 0
        self.not_a_number: tuple[str, str] | None = None  # (cell, value) of the first found

    def region(self, region: bytes) -> None:
        if self.not_a_number is None and (b't="s"' in region or b"t='s'" in region):
            self.not_a_number = _not_a_number(region, self.strings.count())
        if b"v" not in region or not self.strings.longest:
            return
        found = _PLAIN_V.findall(region)
        odd = len(_ANY_V.findall(region)) - len(found)
        self.total += odd * self.strings.longest + sum(map(self._cost, found))

    def _cost(self, text: bytes) -> int:
        digits = text[1:] if text[:1] == b"+" else text  # Rust's usize parse takes a '+'
        if digits.isdigit():
            return self.strings.size(int(digits))
        # '&' may be an entity for a digit; '_' stands for a comment or CDATA (xlsx_scan)
        return self.strings.longest if b"&" in text or b"_" in text else 0


# calamine reads an index as a usize: past it, string 0 without a word (pass 41d), 65
# digits and more too (they were not looked at: 42d).
_INDEX_END = 2**64
_INDEX_DIGITS = len(str(_INDEX_END))


def _not_a_number(region: bytes, count: int | None) -> tuple[str, str] | None:
    """The first shared-string cell of ``region`` whose value is not plain ASCII digits
    naming one of ``count`` strings, where that is known: (its reference, or '?', and its
    value). One past the strings was said naming no cell (41d). calamine read '+3', '1_0'
    and ' 3' as string 0, and '1' of '1<!---->0' or '1&#48;' (43d): no writer puts a sign,
    a comment (here '_', xlsx_scan) or an entity in an index, so none is taken."""
    end = _INDEX_END if count is None else count
    for tag, text in _shared_cells(region):
        if _names_one(text, end):
            continue
        ref = _CELL_REF.search(tag)
        cell = ref.group(1).decode("ascii") if ref else "?"
        return cell, text.decode("utf-8", "replace")
    return None


def _shared_cells(region: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(its tag and value, its value) of each cell of type s with a plain <v>."""
    for tag in _CELL_TAG.finditer(region):
        if _SHARED_TYPE.search(region, tag.start(1), tag.end(1)):
            value = _PLAIN_VALUE.match(region, tag.end())
            if value:
                yield region[tag.start() : value.end()], value.group(1)


def _names_one(text: bytes, end: int) -> bool:
    return text.isdigit() and len(text) <= _INDEX_DIGITS and int(text) < end
