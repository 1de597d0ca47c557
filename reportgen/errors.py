"""Errors a user can act on.

Every problem with the user's input is raised as :class:`InputError`. The CLI prints it as
one message that names where the problem is and exits with status 2; only ``--debug``
shows a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Sequence
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
        lines = [f"{where}: {self.message}" if where else self.message]
        lines += [f"  - {detail}" for detail in self.details]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class SystemDependencyError(Exception):
    """A system library (Pango for WeasyPrint) is missing; the message says how to install it."""

    exit_code = 3


# What the machine refused, by errno: the user can act on these (free space, fix a
# permission, pick another folder); any other OSError is a bug and stays one.
ENVIRONMENT_ERRORS: dict[int, str] = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device (disk full)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EFBIG: "the file is too large for the file system",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EISDIR: "it is a directory",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
    errno.EIO: "input/output error (a failing disk or network file system)",
    errno.EXDEV: "it is on another file system",
    errno.ETXTBSY: "the file is busy",
    errno.EBUSY: "the file or device is busy",
}


def environment_error(exc: OSError, file: str | Path | None = None) -> InputError:
    """The InputError (exit 2) of an OSError met reading or writing the user's file: what
    the machine said, in words, naming ``file`` (else the file the OSError names)."""
    reason = ENVIRONMENT_ERRORS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    named = file if file is not None else exc.filename
    return InputError(reason, file=os.fsdecode(named) if named is not None else None)


@contextlib.contextmanager
def environment_errors(file: str | Path | None = None) -> Iterator[None]:
    """Turn the OSErrors of :data:`ENVIRONMENT_ERRORS` raised in the block into InputErrors;
    any other OSError is left as it is (a bug, exit 1)."""
    try:
        yield
    except OSError as exc:
        if (exc.errno or 0) not in ENVIRONMENT_ERRORS:
            raise
        raise environment_error(exc, file) from exc
