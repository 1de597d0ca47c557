"""Errors a user can act on.

Every problem with the user's input is raised as :class:`InputError`. The CLI prints it as
one message that names where the problem is and exits with status 2; only ``--debug``
shows a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

EXIT_INPUT_ERROR = 2


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class InputError(Exception):
    """A problem with a file, a cell or an option that the user can fix."""

    exit_code = EXIT_INPUT_ERROR

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        details: Sequence[str] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.sheet = sheet
        self.row = row
        self.column = column
        self.line = line
        self.details = list(details)
        self.hint = hint

    def __reduce__(self) -> tuple:
        # Raised in a forked renderer and sent to the parent: keep file, row, hint...
        return (self.__class__.__new__, (self.__class__, *self.args), self.__dict__)

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        for detail in self.details:
            text += f"\n  - {detail}"
        if self.hint:
            text += f"\n{self.hint}"
        return text


class SystemDependencyError(Exception):
    """A system library (Pango for WeasyPrint) is missing; the message says how to install it."""

    exit_code = 3
