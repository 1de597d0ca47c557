"""Errors a user can act on.

Every problem with the user's input is raised as :class:`InputError`. The CLI prints it as
one message that names where the problem is and exits with status 2; only ``--debug``
shows a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from reportgen.core.terminal import one_line

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
            # A file name holding a newline would print a line of its own (a fake verdict or
            # error line): shown as its escape, as verify lists names.
            parts.append(shown_file(self.file) + (f":{self.line}" if self.line else ""))
        if self.sheet is not None:  # a sheet's or a header's name too (pass 38a)
            parts.append(f"sheet '{one_line(self.sheet)}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {one_line(self.column)}")
        return ", ".join(parts)

    def __str__(self) -> str:
        # Each part on its own line(s) as reportgen lays them out, a user's text within on
        # one: a catalog value holding "\nerror: ..." printed a forged error line (37a).
        where = self.location()
        message = one_line(self.message)
        lines = [f"{where}: {message}" if where else message]
        lines += [f"  - {_one_line_each(detail)}" for detail in self.details]
        if self.hint:
            lines.append(_one_line_each(self.hint))
        return "\n".join(lines)


class LaidOut(str):
    """A detail whose line breaks are reportgen's own: its parts were each made one line
    before they were joined (core/validation.py's _detail)."""


def _one_line_each(text: str) -> str:
    """``text`` on one line, but a :class:`LaidOut` detail: splitting any text where it
    held a line break and six spaces printed a user's "\\n      error: ..." as a line of
    its own (40a)."""
    return text if isinstance(text, LaidOut) else one_line(text)


# No path a file system takes is longer (PATH_MAX); a config's 1 MB inventory.path was
# quoted whole, a megabyte of message (sixteenth adversarial pass).
_MAX_FILE_SHOWN = 4096


def shown_file(file: str) -> str:
    shown = one_line(file)
    if len(shown) <= _MAX_FILE_SHOWN:
        return shown
    return f"{shown[:200]}… (a path of {len(file):,} characters)"


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
    errno.EEXIST: "a file of that name is in the way",
    errno.EISDIR: "it is a directory",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
    errno.EIO: "input/output error (a failing disk or network file system)",
    errno.EXDEV: "it is on another file system",
    errno.ETXTBSY: "the file is busy",
    errno.EBUSY: "the file or device is busy",
    # a network file system's or a device's failures: were an internal error (56b)
    errno.ESTALE: "stale file handle (a network file system lost the file)",
    errno.ENOLINK: "the link to the network file system was severed",
    errno.EREMOTEIO: "remote input/output error (a network file system)",
    errno.ENXIO: "no such device or address",
    errno.ENODEV: "no such device",
    # a soft-mounted network file system's time-out; a file system that takes no lock
    # (NFS without a lock manager, and others): were an internal error (58b)
    errno.ETIMEDOUT: "the network file system timed out",
    errno.ENOLCK: "no locks available (a network file system without a lock manager)",
    errno.EOPNOTSUPP: "the file system does not support this operation (a lock, an attribute)",
    errno.ENOSYS: "the file system does not support this operation",
}


# What to do about each, said once here so that every command gives the same advice.
ENVIRONMENT_HINTS: dict[int, str] = {
    errno.EACCES: "Check the permissions of the file and its folders, or choose another path.",
    errno.EPERM: "Check the permissions of the file and its folders, or choose another path.",
    errno.ENOSPC: "Free some space on that disk, or write somewhere else.",
    errno.EDQUOT: "Free some space within your quota, or write somewhere else.",
    errno.EROFS: "Choose a path on a writable disk.",
    errno.EFBIG: "Raise the file size limit (ulimit -f), or write to another file system.",
    errno.EIO: "Check the disk (or the network file system) and try again.",
    errno.ESTALE: "Check the network file system (remount it if need be) and try again.",
    errno.ENOLINK: "Check the network file system and try again.",
    errno.EREMOTEIO: "Check the network file system and try again.",
    errno.ETIMEDOUT: "Check the network file system and try again.",
    errno.ENOLCK: "Write on a local disk, or start the network file system's lock manager "
    "(rpc.statd, lockd).",
    errno.EOPNOTSUPP: "Write on a local disk or another file system.",
    errno.ENOSYS: "Write on a local disk or another file system.",
    # reportgen's own files beside the one it writes are named after it, longer by up to
    # 32 bytes: a name of 224 bytes was refused with no word of why (pass 32b)
    errno.ENAMETOOLONG: "Choose a shorter path or name: the files reportgen writes beside "
    "a file while it moves it in are named after it, up to 32 bytes longer, and most file "
    "systems allow names of 255 bytes.",
    errno.ENOENT: "Check the path for typing mistakes.",
    errno.EMFILE: "Raise the open-file limit (ulimit -n) and run again.",
}


# Refusals that only a write meets: where an OSError names two files, the second is it.
_WRITING = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)

_NOT_A_FOLDER = "Choose a path whose folders are folders (or move that file away)."


def environment_error(exc: OSError, file: str | Path | None = None) -> InputError:
    """The InputError (exit 2) of an OSError met reading or writing the user's file: what
    the machine said, in words, naming ``file`` (else the file the OSError names), and what
    to do about it."""
    reason = ENVIRONMENT_ERRORS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    named = file if file is not None else exc.filename
    if file is None and exc.filename2 is not None and exc.errno in _WRITING:
        named = exc.filename2  # a copy (shutil) or a rename names its source first
    hint = ENVIRONMENT_HINTS.get(exc.errno or 0)
    if named is not None and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocking = blocking_file(Path(os.fsdecode(named)))
        if blocking is not None:
            reason, hint = f"'{blocking}' is a file, not a folder", _NOT_A_FOLDER
    return InputError(reason, file=os.fsdecode(named) if named is not None else None, hint=hint)


# libxml2 (through lxml, which openpyxl's write-only sheets stream through) reports a failed
# write as a SerialisationError named after the errno ("IO_ENOSPC", "IO_EFBIG"...), or as one
# of these when it has no errno it knows (EDQUOT, for one, is "IO_UNKNOWN").
_LXML_IO_WITHOUT_ERRNO = ("IO_UNKNOWN", "IO_WRITE", "IO_FLUSH")


def xml_write_error(exc: BaseException) -> OSError | None:
    """The OSError behind lxml's SerialisationError of a failed write, else None. Its errno
    is 0 when libxml2 did not say which (the message then keeps libxml2's word)."""
    etree = sys.modules.get("lxml.etree")
    if etree is None or not isinstance(exc, etree.SerialisationError):
        return None
    name = str(exc).strip()
    code = getattr(errno, name[3:], None) if name.startswith("IO_E") else None
    if isinstance(code, int) and code in ENVIRONMENT_ERRORS:
        return OSError(code, os.strerror(code))
    if name in _LXML_IO_WITHOUT_ERRNO:
        return OSError(
            0, f"the system refused the write ({name}: a full disk, a quota or a failing disk)"
        )
    return None


def machine_refusal(exc: BaseException, file: str | Path | None = None) -> InputError | None:
    """The InputError of ``exc`` when it is the machine refusing a read or write (an OSError
    of :data:`ENVIRONMENT_ERRORS`, or lxml's I/O SerialisationError), else None (a bug).
    ``file`` is named when given, else the file the OSError names."""
    if isinstance(exc, OSError):
        return environment_error(exc, file) if (exc.errno or 0) in ENVIRONMENT_ERRORS else None
    behind = xml_write_error(exc)
    return environment_error(behind, file) if behind is not None else None


def blocking_file(path: Path) -> Path | None:
    """The first part of ``path`` that exists and is not a folder, when a later part must be
    one (``afile/sub`` where ``afile`` is a file), else None."""
    for parent in reversed(path.parents):
        if parent != Path(".") and parent.exists() and not parent.is_dir():
            return parent
    return None


@contextlib.contextmanager
def lock_errors(file: str | Path) -> Iterator[None]:
    """:func:`environment_errors` for a lock taken in the block, naming ``file`` (flock's
    errors name none). EBADF too: a Linux NFS client locks only what is open for writing,
    which a folder never is (it was an internal error, or said as "Bad file descriptor"
    without a hint: pass 67b)."""
    try:
        with environment_errors(file):
            yield
    except OSError as exc:
        if exc.errno != errno.EBADF:
            raise
        raise InputError(
            "the file system refuses to lock it (a network file system takes an exclusive "
            "lock only on what is open for writing, which a folder never is)",
            file=file,
            hint=ENVIRONMENT_HINTS[errno.ENOLCK],
        ) from None


@contextlib.contextmanager
def environment_errors(
    file: str | Path | None = None, *, fallback: str | Path | None = None
) -> Iterator[None]:
    """Turn the machine's refusals raised in the block (see :func:`machine_refusal`) into
    InputErrors naming ``file``; without it, the file the OSError names, else ``fallback``
    (an OSError from ``write`` names no file). Any other error is left as it is (a bug)."""
    try:
        yield
    except Exception as exc:
        error = machine_refusal(exc, file)
        if error is None:
            raise
        if error.file is None and fallback is not None:
            error.file = str(fallback)
        raise error from exc


def check_output_path(path: Path) -> None:
    """Refuse, before any work, a file to write whose folder cannot be one (a part of the
    path is a file): the work would be lost at the end."""
    blocking = blocking_file(path)
    if blocking is not None:
        raise InputError(f"'{blocking}' is a file, not a folder", file=path, hint=_NOT_A_FOLDER)
