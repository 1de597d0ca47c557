"""The Jinja environment of the PDF report: the user's template folder first, then ours.

Overriding works as in mkdocs and datasette: a file in ``--templates DIR`` (or the config's
``output.templates``) with the name of a shipped template replaces it, and the ``default:``
prefix reaches the shipped one, so ``{% extends "default:report.html" %}`` changes one block
and keeps the rest. Autoescaping is always on: every value from the inventory or the config
is text, never markup. Every value a template prints shows its control characters as their
escape (``\\x1b``), as the terminal does: an escape sequence or a BEL from an inventory
cell was carried into the PDF's text raw, where a copy or ``pdftotext`` gave it back.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.loaders import split_template_path
from markupsafe import Markup

from reportgen.core.errors import InputError
from reportgen.core.resources import templates_dir
from reportgen.core.safefiles import file_kind, read_dense
from reportgen.core.terminal import visible

MAIN_TEMPLATE = "report.html"
# The shipped report.html is 2 KB and no partial is over 10 KB; past this, a template is a
# mistake (or a file of zeros), and one read whole could take the machine's memory.
MAX_TEMPLATE_BYTES = 64 << 20
_TOO_LARGE_HINT = "Templates and partials are text, the shipped ones a few KB; check the file."


def template_roots(user_dir: Path | None) -> list[Path]:
    """Folders templates and assets come from, the user's first."""
    roots = [user_dir] if user_dir is not None else []
    return [*roots, templates_dir()]


class FolderLoader(FileSystemLoader):
    """A template folder's loader that reads only files inside the folder: a template or
    partial that is a symbolic link to a file elsewhere (``/etc/passwd``) is refused before
    it is read, as the PDF's asset fetcher refuses such links for images and fonts."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.root = root.resolve()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool] | None]:
        candidate = Path(self.root, *split_template_path(template))
        self._refuse_special(candidate, template)
        if not candidate.is_file():
            raise TemplateNotFound(template)
        # named as jinja's loader named it: errors point at the folder as the user gave it
        shown = Path(
            os.path.normpath(os.path.join(self.searchpath[0], *split_template_path(template)))
        )
        if not candidate.resolve().is_relative_to(self.root):
            raise InputError(
                f"the template '{template[:120]}' links to a file outside its templates folder",
                file=shown,
                hint="Templates and partials must be files inside the templates folder.",
            )
        mtime = candidate.stat().st_mtime_ns
        return _text(candidate, template, shown), str(shown), _unchanged(candidate, mtime)

    def _refuse_special(self, candidate: Path, template: str) -> None:
        """A name the folder holds as something other than a regular file (a FIFO, a
        device, a dangling link, a folder) would be passed over for the shipped template
        of that name, and the user's override silently dropped: it is an error instead."""
        if not os.path.lexists(candidate):
            return
        try:
            mode = candidate.stat().st_mode
        except OSError:
            mode = None
        if mode is None or not stat.S_ISREG(mode):
            kind = "a link to nothing" if mode is None else file_kind(mode)
            raise InputError(
                f"the template '{template[:120]}' is {kind}, not a regular file",
                file=Path(self.searchpath[0], template),
                hint="Templates and partials must be regular files inside the templates "
                "folder; remove it to use the shipped one.",
            )


def _text(path: Path, template: str, shown: Path) -> str:
    """A template's text, read within MAX_TEMPLATE_BYTES (jinja read the file whole: a
    sparse 3 GB partial took 3.2 GB before 'out of memory' named the staging folder:
    twelfth adversarial pass), and only when it has no holes (a sparse 60 MB one of zeros
    took 9.9 GB: fourteenth)."""
    what = f"the template '{template[:120]}'"
    data = read_dense(path, MAX_TEMPLATE_BYTES, what, hint=_TOO_LARGE_HINT)
    try:  # newlines as open() in text mode gives them, as jinja's own loader read them
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte {exc.start:,})", file=shown) from None


def _unchanged(path: Path, mtime: int) -> Callable[[], bool]:
    def unchanged() -> bool:
        try:
            return path.stat().st_mtime_ns == mtime
        except OSError:
            return False

    return unchanged


def environment(user_dir: Path | None = None) -> Environment:
    shipped = FolderLoader(templates_dir())
    loaders: list[BaseLoader] = [PrefixLoader({"default": shipped}, delimiter=":")]
    if user_dir is not None:
        loaders.append(FolderLoader(user_dir))
    loaders.append(shipped)
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        finalize=shown_value,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def shown_value(value: object) -> object:
    """What a template prints of ``value``: text with its control characters (C0 but tab
    and newline, DEL, C1, bidirectional overrides) as their escape, as the terminal shows
    them; markup stays markup (its escapes are plain ASCII, no tag or entity)."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    if isinstance(value, str):
        return visible(value)
    return value


MAX_MESSAGE_CHARS = 300  # of the error a template raised, as it is put in the message


def render_template(context: dict, user_dir: Path | None = None) -> str:
    """The report's HTML. With a user template folder, a template that does not compile,
    or that raises as it runs (``{{ 1/0 }}``, an undefined name, a method that fails), is
    an InputError naming the template file and line: templates are trusted code, and such
    an error is their author's to fix, not a bug in reportgen."""
    env = environment(user_dir)
    try:
        return env.get_template(MAIN_TEMPLATE).render(context)
    except TemplateNotFound as exc:
        # Before OSError: jinja2's TemplateNotFound is an IOError, but a missing include,
        # extends or import is the template author's mistake, not the machine's.
        if user_dir is None:
            raise
        raise _template_error(exc, user_dir) from exc
    except (InputError, OSError, MemoryError):
        raise  # already the user's (a link out), or the machine's: reported as such
    except Exception as exc:
        if user_dir is None:
            raise  # our own templates are broken: a bug, not an input problem
        raise _template_error(exc, user_dir) from exc


def _template_error(exc: Exception, user_dir: Path) -> InputError:
    if isinstance(exc, TemplateSyntaxError):
        return InputError(
            f"template error: {exc.message}", file=exc.filename or exc.name, line=exc.lineno
        )
    file, line = _template_line(exc)
    if isinstance(exc, TemplateNotFound):
        return InputError(
            f"template not found: {_cut(_missing_names(exc))}",
            file=file or user_dir,
            line=line,
            hint="An include, extends or import names a file of the templates folder "
            "(a regular file inside it); shipped templates are reached with the "
            "'default:' prefix.",
        )
    return InputError(
        f"template error: {_cut(f'{type(exc).__name__}: {exc}')}",
        file=file or user_dir,
        line=line,
        hint="The template raised this while the report was rendered; fix that line.",
    )


def _cut(text: str) -> str:
    return text[:MAX_MESSAGE_CHARS] + "…" if len(text) > MAX_MESSAGE_CHARS else text


def _missing_names(exc: TemplateNotFound) -> str:
    """The name(s) an include asked for: one, or each of a list (TemplatesNotFound)."""
    names = getattr(exc, "templates", None) or [exc.name]
    return ", ".join(repr(str(name)) for name in names)


def _template_line(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line where ``exc`` was raised: the innermost template frame
    of its traceback. Jinja's render rewrites each frame of compiled template code into one
    that raises at the template's own file and line, marked by ``__jinja_exception__`` in
    its globals (jinja2.debug.fake_traceback). (None, None) when there is none."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
