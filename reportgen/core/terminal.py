"""Text from inputs and servers, made safe to print on a terminal.

An inventory cell, a file name or a ticket server's answer can hold control characters:
an escape sequence (``ESC[8m`` hides the rest of a line, ``ESC[2K`` erases it), a carriage
return that overwrites a line, a bidirectional override that reverses what follows. Every
line reportgen prints passes through :func:`visible`, which shows such characters as their
escape (``\\x1b``, ``\\u202e``) so a crafted text can neither hide nor fake a message;
:func:`visible_console` applies it to everything a console prints.
"""

from __future__ import annotations

import contextlib
import re
from typing import IO, Any, NoReturn

from rich.console import (
    Console,
    ConsoleOptions,
    ConsoleRenderable,
    RenderableType,
    RenderHook,
    RenderResult,
)
from rich.segment import Segment
from rich.text import Text

# C0 controls but tab and newline, DEL and C1 controls, the invisible characters that
# reorder or hide text (bidirectional marks, the Arabic letter mark among them, embeddings,
# overrides and isolates), the line and paragraph separators (a line break to a terminal
# that honours them: tenth adversarial pass); and lone surrogates: a file name's bytes that
# are not UTF-8 come as U+DC80-U+DCFF, and were written to the terminal as those bytes
# (0x9b is a C1 CSI: eighth adversarial pass).
# DEL, C1 and the characters that reorder text or break a line, as a regex class's body:
# the workbook removes these too (render.xlsx_cells).
INVISIBLE_CONTROLS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# What a workbook cell is written without (render.xlsx_cells), as a regex class.
CELL_FORBIDDEN_CLASS = f"[\x00-\x08\x0b\x0c\x0e-\x1f{INVISIBLE_CONTROLS}\ud800-\udfff\ufffe\uffff]"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{INVISIBLE_CONTROLS}\ud800-\udfff]")
_RAW_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's stand-ins for undecodable bytes
# What makes a spreadsheet app run a cell's text as a formula (also after a tab or CR).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BROKEN_PIPE_STATUS = 128 + 13  # as the shell reports a program SIGPIPE ended
_MID_LINE: list[bool] = [False]  # standard error may be in the middle of a line


class LineTracking:
    """A text stream (standard error) passed through, noting whether what was written to
    it last ended its line: out of memory, objects collected print "Exception ignored in:
    ..." in pieces that no hook can silence (what cannot be built is the hook's argument),
    and the error's own line began after them, so that no line began with "error:" (pass
    38d). :func:`line_start` then begins the error on a line of its own. A write the device
    refuses (a full disk) is dropped, and so is all that follows: notes and warnings that
    cannot be shown change no exit status; the error's own message is reported so too."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        before, _MID_LINE[0] = _MID_LINE[0], True  # so it stays where noting it fails
        try:
            written = self.inner.write(text)
        except BrokenPipeError:
            raise
        except OSError:  # a full device: a warning failing to show made a build exit 2 (46d)
            silence(self.inner)
            return len(text)
        _MID_LINE[0] = not text.endswith("\n") if text else before
        return written

    def flush(self) -> None:
        try:
            self.inner.flush()
        except BrokenPipeError:
            raise
        except OSError:
            silence(self.inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def line_start() -> str:
    """A line break when standard error may be in the middle of a line, once."""
    said, _MID_LINE[0] = _MID_LINE[0], False
    return "\n" if said else ""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code in _RAW_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that could move the cursor, restyle or reorder the
    terminal shown as its escape."""
    return _UNSAFE.sub(_escape, text)


def visible_json(text: str) -> str:
    """JSON text with the characters :func:`visible` escapes written as JSON's own escapes
    (``\u007f``, ``\u202e``): ``\x7f`` is no JSON escape, and a diff holding DEL was
    printed as JSON no parser read (thirteenth adversarial pass). JSON escapes the C0
    controls itself, so any such character left stands inside a string."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


def one_line(text: str) -> str:
    """:func:`visible`, and tabs and line breaks as escapes too: for a name from a pack or
    an inventory, which must not print a line of its own (a fake heading in a diff)."""
    return visible(text).replace("\t", "\\t").replace("\n", "\\n")


class _Visible:
    """A renderable whose text segments pass through :func:`visible` (rich's own control
    segments, which move the cursor for a progress display, are kept)."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or not _UNSAFE.search(segment.text):
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style)


class _VisibleHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Visible(renderable) for renderable in renderables]


class _VisibleConsole(Console):
    """rich drops some controls (BEL, backspace, VT, FF, CR) when it turns a string into
    Text, before any hook sees it: a file name ``a\rb`` was printed ``ab``, hiding what it
    holds. Every string it is given (a printed line, a table cell) is made visible first."""

    def render_str(self, text: str, **options: Any) -> Any:
        return super().render_str(visible(text), **options)

    def on_broken_pipe(self) -> None:
        """The reader of a pipe stopped (``| head``): rich exits 1, which reportgen's
        commands give an internal error, or diff and verify a pack not as listed. Exit as
        a program the pipe's SIGPIPE ends (141), quietly (eleventh adversarial pass)."""
        with contextlib.suppress(BaseException):
            super().on_broken_pipe()  # quiet, and stdout pointed at /dev/null
        raise SystemExit(BROKEN_PIPE_STATUS)


def visible_console(**options: Any) -> Console:
    """A rich Console on which nothing printed can restyle or rewrite the terminal: the
    text of every line (tables and messages alike) passes through :func:`visible`."""
    console = _VisibleConsole(**options)
    console.push_render_hook(_VisibleHook())
    return console


def safe_text(value: str, style: Any = "", **options: Any) -> Text:
    """rich's Text of ``value`` made visible first, on one line: Text itself drops BEL,
    backspace, VT, FF and CR without a trace (a service name ``a\rb`` would show as
    ``ab``), and a config's party holding a line break printed a forged ``error:`` line on
    explain's output (pass 39a)."""
    return Text(one_line(value), style=style, **options)


def print_out(text: str) -> None:
    """A command's output (JSON, CSV, Markdown) on stdout. A reader that stopped (``| true``,
    ``grep -q``) ends the command as SIGPIPE would (141): click's own handling exited 1, a
    bug's status, and diff's for a pack not as listed (fifteenth adversarial pass). A closed
    stdout is an error, not output dropped in silence."""
    STANDARD_OUTPUT.write(text)


def _closed() -> Exception:
    from reportgen.core.errors import InputError

    return InputError(
        "the standard output is closed, so the output has nowhere to go",
        hint="Redirect it to a file or a pipe (> listing.json).",
    )


class _WholeStandardOutput:
    """``sys.stdout`` (whatever it is at the time), each write taken whole. Python's own
    buffered stdout takes a short write (a disk with 64 KB left, a pipe whose reader
    stopped after 64 KB) for the whole and drops the rest without an error:
    `services --format json` on a nearly full disk left 64 KB of invalid JSON and exit 0,
    and `| head` exited 0, not 141 (nineteenth adversarial pass). Here the bytes go to the
    file descriptor until all are taken, so the error that follows a short write is met:
    a reader gone ends the command as SIGPIPE would (141), a full disk or a quota is exit 2
    naming the standard output."""

    def __getattr__(self, name: str) -> Any:  # isatty, encoding: what rich asks of a file
        import sys

        if sys.stdout is None:  # `>&-`: no attribute, as rich's defaults expect
            raise AttributeError(name)
        return getattr(sys.stdout, name)

    def write(self, text: str) -> int:
        import os
        import select
        import sys

        stream = sys.stdout
        if stream is None:  # `>&-`: the table console met it as an AttributeError (21a)
            raise _closed()
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
            return stream.write(text)
        try:
            stream.flush()  # what was written through it before comes first
            # a character the output's encoding lacks is escaped: '…' under PYTHONIOENCODING=
            # ascii (or a C locale) was an internal error, UnicodeEncodeError (pass 22a)
            errors = stream.errors if stream.errors not in (None, "strict") else "backslashreplace"
            data = memoryview(text.encode(stream.encoding or "utf-8", errors))
            while data:
                try:
                    data = data[os.write(descriptor, data) :]
                except BlockingIOError:  # a non-blocking pipe that is full: wait, not fail
                    select.select([], [descriptor], [])
        except BrokenPipeError:
            stop_on_broken_pipe(stream)
        except OSError as exc:  # a full disk, a quota: the standard output is the file named
            from reportgen.core.errors import environment_error

            silence(stream)
            raise environment_error(exc, "the standard output") from None
        return len(text)

    def flush(self) -> None:
        import sys

        if sys.stdout is not None:
            sys.stdout.flush()


# What commands print their output through: print_out, and the output console (cli.out).
STANDARD_OUTPUT = _WholeStandardOutput()


def say_nothing_of_unraisable(_unraisable: object) -> None:
    """A ``sys.unraisablehook`` for code whose failure is reported once, elsewhere: objects
    collected after it (out of memory, a failed save) printed "Exception ignored in: ..."
    with a traceback, by the dozen (28d, 38d)."""


def stop_on_broken_pipe(stream: IO[str], status: int = BROKEN_PIPE_STATUS) -> NoReturn:
    """End as SIGPIPE would (141), quietly: the reader of ``stream`` has gone, so nothing
    more can be said there, and Python's flush at exit must not fail on it again (then
    "Exception ignored" and status 1, a bug's). ``status``: another, for a stream that
    failed otherwise (a full device)."""
    silence(stream)
    raise SystemExit(status) from None


def silence(stream: IO[str]) -> None:
    """Point ``stream`` at /dev/null: Python's own flush at exit would fail on it again."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
