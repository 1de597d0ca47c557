"""The lines of a CSV file, handed to ``csv.reader`` one at a time, bounded as they arrive.

A line is read in pieces of at most ``PIECE`` characters, and each piece is checked before
the next is read: a record may hold at most --max-columns delimiters, and no run between two
delimiters may be longer than a cell can be written (``cell_run_cap``). So a 500 MB line
with no end is refused after its first few pieces, where reading it whole first took 1 GB.
A line that passes is at most (--max-columns + 1) runs of that length (``csv`` is handed
whole lines: it takes the end of each string it is given for the end of a line).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits

PIECE = 1 << 16  # characters read at a time from one line
BLANK_LINES = frozenset(("\n", "\r\n", "\r"))
SKIP = 4096  # blank lines passed over in a row before one is handed on


def cell_run_cap(limits: Limits) -> int:
    """The longest run of characters without a delimiter that can still be one cell of
    --max-cell-chars characters: quoted, with every character a doubled quote (2 each),
    its two quotes and a line end (at most 2)."""
    return 2 * limits.max_cell_chars + 4


class LineGuard:
    """Feeds csv.reader one line at a time and numbers its records.

    It refuses a record with too many fields, or a cell too long, before csv builds it (one
    line of commas would otherwise become millions of strings, and a line with no end be
    read whole). Blank lines between records are counted here and not handed to csv: a file
    of them would otherwise go through every stage as empty rows, some microseconds each.
    One in every ``SKIP`` still goes on, as an empty row, so that the row limits after the
    reader see the numbers grow and stop a file of blank lines early.
    """

    def __init__(self, handle: TextIO, delimiter: str, path: Path, limits: Limits) -> None:
        self.handle, self.delimiter, self.path, self.limits = handle, delimiter, path, limits
        self.cap = cell_run_cap(limits)
        self.row = 0  # the record being read (1-based), blank lines counted
        self.fresh = True  # no line of the next record read yet
        self.fields = 1  # an upper bound of its fields so far
        self.run = 0  # characters of the record since its last delimiter
        self.pending = ""  # a character read to see whether a piece's "\r" ends its line
        self.continued = False  # the record has run on past its first line

    def __iter__(self) -> LineGuard:
        return self

    def __next__(self) -> str:
        if self.fresh:  # between records: a blank line is no part of a quoted field
            self.fresh = False
            self.row += 1
            line = self._line()
            skipped = 0
            while line in BLANK_LINES and skipped < SKIP:
                self.fields, self.run = 1, 0
                line = self._line()
                self.row += 1
                skipped += 1
            return line
        self.continued = True  # a quoted field runs on over this line
        try:
            return self._line()
        except StopIteration:
            # csv asks for more of a record only inside a quoted field: the file ended in
            # it, and csv would end the record there, the rows below inside one cell.
            raise InputError(
                "a quote opened on this row is never closed: the rest of the file would be "
                "one cell",
                file=self.path,
                row=self.row,
                hint='Close the quote (a quote inside a quoted cell is written twice: "").',
            ) from None

    def next_record(self) -> None:
        self.fresh, self.fields, self.run, self.continued = True, 1, 0, False

    def _line(self) -> str:
        piece, ended = self._piece()
        if not piece:
            raise StopIteration
        if ended:
            return piece
        pieces = [piece]  # a long line: each piece is checked before the next is read
        while not ended:
            piece, ended = self._piece()
            pieces.append(piece)
        return "".join(pieces)

    def _piece(self) -> tuple[str, bool]:
        """The next piece of the current line, checked, and whether it ends the line."""
        if self.pending == "\r":  # a blank line of its own
            piece, self.pending = self.pending, ""
            self._check(piece)
            return piece, True
        read = self.handle.readline(PIECE)
        piece, self.pending = self.pending + read, ""
        if piece.endswith("\r") and len(read) == PIECE:  # the limit may split a "\r\n"
            after = self.handle.readline(1)
            if after == "\n":
                piece += after
            else:
                self.pending = after
        self._check(piece)
        ended = len(read) < PIECE or piece.endswith(("\n", "\r"))
        return piece, ended

    def _check(self, piece: str) -> None:
        delimiters = piece.count(self.delimiter)
        self.fields += delimiters
        if self.fields > self.limits.max_columns:
            open_quote = " (or a quote opened on it is never closed)" if self.continued else ""
            raise InputError(
                f"row has more than {self.limits.max_columns:,} columns{open_quote}",
                file=self.path,
                row=self.row,
                hint="Raise --max-columns if this file is genuine."
                if not self.continued
                else "Close the quote, or raise --max-columns if this file is genuine.",
            )
        if not delimiters:
            self.run += len(piece)
            longest = self.run
        else:
            head = self.run + piece.find(self.delimiter)
            self.run = len(piece) - piece.rfind(self.delimiter) - 1
            inner = _longest_run(piece, self.delimiter) if len(piece) > self.cap else 0
            longest = max(head, inner, self.run)
        if longest > self.cap:
            raise InputError(
                f"a cell holds more than {self.limits.max_cell_chars:,} characters",
                file=self.path,
                row=self.row,
                hint="Raise --max-cell-chars if genuine.",
            )


def _longest_run(piece: str, delimiter: str) -> int:
    return max(map(len, piece.split(delimiter)))
