"""Turn validation errors into messages keyed by path and line, and collect the problems of
one run so that they are reported together (:class:`Problems`)."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reportgen.core.errors import InputError, LaidOut
from reportgen.core.markdown import shorten
from reportgen.core.terminal import one_line
from reportgen.core.yamlio import YamlDocument

ModelT = TypeVar("ModelT", bound=BaseModel)
# Text a pack's matrix carries back into diff and --previous (a name, an id, a title): a
# catalog may hold no longer, or a build would write a pack its own diff refuses
# (fifteenth adversarial pass).
MAX_CARRIED_TEXT = 2000
MAX_DETAILS = 200  # problems listed in one message; a file with more has a bigger problem
MAX_ID_CHARS = 60  # an id longer than this is named by its index in messages
_WHOLE_FILE = 1 << 62  # the sort order of a problem with no line or cell: last in its file


def key_path(loc: tuple[Any, ...], data: Any, *, by_id: bool = True) -> str:
    """Readable key path; in the user's own files, list items that carry an ``id`` are named
    by it: ``controls[1.2.1]``. ``by_id=False`` names every item by its index, for data a
    server sent: its ids are not the user's, and one could be anything (a token, say)."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if by_id and isinstance(item, dict) else None
            text += f"[{ident}]" if _names_an_item(ident) else f"[{part}]"
            node = item
        else:
            key = shown(part)  # a key may be megabytes long
            text += f".{key}" if text else key
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


def shown(value: object) -> str:
    """A key or value from the user's file, as a message quotes it: its first
    :data:`MAX_ID_CHARS` characters (a config may hold a megabyte where a name belongs), on
    one line: a key holding "\\nerror: ..." printed a forged error line (thirty-sixth pass)."""
    return one_line(shorten(str(value), MAX_ID_CHARS))


# What a terminal's escapes (core/terminal.visible) leave as they are: other controls are
# shown as their escapes, as a catalog's title may hold them (tests/test_explain.py).
_LINE_BREAK = re.compile("[\n\t]")


def multi_line_text(doc: YamlDocument, most: int = 20) -> list[str]:
    """Where a catalog's text holds a line break or a tab, at most
    ``most`` places: catalog text is shown on one line in every heading and listing, and a
    service's name holding "\\nerror: ..." printed a forged line on explain's output (pass
    38a). Walked with a stack: a catalog's nesting has no bound here."""
    found: list[str] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), doc.data)]
    while stack and len(found) < most:
        loc, value = stack.pop()
        if isinstance(value, dict):
            stack += [((*loc, key), item) for key, item in reversed(list(value.items()))]
        elif isinstance(value, list):
            stack += [((*loc, index), item) for index, item in reversed(list(enumerate(value)))]
        elif isinstance(value, str) and _LINE_BREAK.search(value):
            line = doc.line_of(loc)
            where = f"line {line}: " if line else ""
            found.append(
                f"{where}{key_path(loc, doc.data)}: '{shown(value)}' holds a line break or a "
                "tab; catalog text is one line"
            )
    return found


def listed(values: Iterable[object], most: int = 20) -> str:
    """Keys or values from the user's file for a message: the first ``most``, each
    :func:`shown`, then how many more."""
    values = list(values)
    more = f" and {len(values) - most:,} more" if len(values) > most else ""
    return ", ".join(shown(value) for value in values[:most]) + more


def _names_an_item(ident: Any) -> bool:
    """An id short and plain enough to stand for its item in a message (a crafted file's
    megabyte-long or multi-line id is named by its index instead)."""
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        return False
    if isinstance(ident, int):  # str() of a 5,000-digit number raises
        return abs(ident) < 10 ** (MAX_ID_CHARS - 1)
    return 0 < len(ident) <= MAX_ID_CHARS and ident.isprintable()


def suggest(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """The choices closest to ``word`` by spelling, case and separators ignored."""
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(_loose(choice), choice)
    close = difflib.get_close_matches(_loose(word)[:100], list(by_key), n=limit, cutoff=0.6)
    return [by_key[key] for key in close]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' when a choice is close to ``word``, else ''."""
    close = suggest(word, choices, limit=2)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _loose(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


def error_message(error: Any, model: type[BaseModel] | None = None, data: Any = None) -> str:
    """A pydantic error in words; the input value itself is never echoed. Given the model
    (and the data), an unknown key or a value outside a list of choices gets the closest
    valid one ("did you mean")."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        keys = fields_at(model, loc[:-1]) if model is not None and loc else []
        return "unknown key" + (did_you_mean(str(loc[-1]), keys) if keys else "")
    if error["type"] == "missing":
        return "required key is missing"
    if error["type"] == "finite_number":  # NaN compares false with any bound: name it
        return "should be a number, not NaN or infinity (.nan, .inf, or past 1.8e308)"
    message = str(error["msg"])
    if error["type"] == "value_error":  # our own validator's words, without pydantic's prefix
        message = message.removeprefix("Value error, ")
    if error["type"] == "literal_error" and data is not None:
        value = _value_at(data, loc)
        expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        if isinstance(value, str) and expected:
            message += did_you_mean(value, expected)
    return message


def fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts in the mapping at ``loc`` ([] when it is not a model)."""
    kind: Any = model
    for part in loc:
        kind = _model_of(kind)
        if kind is None:
            return []
        if isinstance(part, str) and isinstance(kind, type) and issubclass(kind, BaseModel):
            found = kind.model_fields.get(part)
            kind = found.annotation if found else None
        else:  # a list index or a dict key: the item type
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = args[-1] if args else None
    kind = _model_of(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return list(kind.model_fields)
    return []


def _model_of(kind: Any) -> Any:
    """``kind`` without Optional / Union around it: the model arm if there is one."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(kind) if a is not type(None)]
        models = [a for a in arms if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else (arms[0] if len(arms) == 1 else None)
    return kind


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _describe(error: Any, doc: YamlDocument, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    line = doc.line_of(loc)
    prefix = f"line {line}: " if line else ""
    return f"{prefix}{key_path(loc, doc.data)}: {error_message(error, model, doc.data)}"


def schema_details(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> list[str]:
    """The first :data:`MAX_DETAILS` errors as ``line N: key.path: message``, then a count."""
    count = exc.error_count()
    errors = exc.errors(include_url=False, include_input=False)
    details = [_describe(error, doc, model) for error in errors[:MAX_DETAILS]]
    if count > MAX_DETAILS:
        details.append(f"… and {count - MAX_DETAILS:,} more; fix these first")
    return details


def validate_document(model: type[ModelT], doc: YamlDocument, what: str) -> ModelT:
    """Validate ``doc`` against ``model``; report every error at once with its key path."""
    if not isinstance(doc.data, dict):
        raise InputError(f"{what} must be a YAML mapping (key: value pairs)", file=doc.path)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        count = exc.error_count()
        raise InputError(
            f"{what} is not valid ({count:,} problem{'s' if count != 1 else ''})",
            file=doc.path,
            details=schema_details(exc, doc, model),
        ) from exc


# ---------------------------------------------------------------- one run, every problem


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (file, then ``line 12`` or ``sheet 'X', row 7, column H``)
    and what. ``error`` keeps a whole InputError (its details and hint) when there is one."""

    file: str | None
    place: str
    text: str
    order: tuple[int, int] = (0, 0)
    error: InputError | None = None

    def line(self, with_file: bool) -> str:
        where = ", ".join(p for p in (self.file if with_file else None, self.place) if p)
        return f"{where}: {self.text}" if where else self.text


@dataclass
class Problems:
    """The problems one run finds in the config, the inventory and the command line; raised
    together as one InputError (:meth:`raise_if_any`), each with its file and line or cell."""

    what: dict[str, str] = field(default_factory=dict)  # file -> "config", "inventory"...
    items: list[Problem] = field(default_factory=list)
    uncounted: int = 0  # problems counted but not listed (past MAX_DETAILS in one file)

    def __len__(self) -> int:
        return len(self.items) + self.uncounted

    def add(self, text: str, *, file: str | Path | None = None, place: str = "",
            order: tuple[int, int] = (0, 0)) -> None:  # fmt: skip
        self.items.append(Problem(str(file) if file is not None else None, place, text, order))

    def at(self, doc: YamlDocument, loc: Sequence[Any], text: str, value: Any = None) -> None:
        """A problem of the value at ``loc`` in a YAML file (its line; with ``value``, the
        line of that item of the list at ``loc``)."""
        loc = tuple(loc)
        if value is not None:
            found = _value_at(doc.data, loc)
            if isinstance(found, list) and value in found:
                loc = (*loc, found.index(value))
        line = doc.line_of(loc) or 0
        place = f"line {line}" if line else ""
        self.add(f"{key_path(loc, doc.data)}: {text}", file=doc.path, place=place, order=(line, 0))

    def at_path(self, doc: YamlDocument, messages: Iterable[str]) -> None:
        """Messages written as ``key.path[0].key: text`` (raci.py's, the checks of other
        modules) placed on their line; a key the file does not have gets its parent's line."""
        for message in messages:
            path, sep, text = message.partition(": ")
            loc = _nearest_key_path(path) if sep else ()
            if not loc:
                self.add(message, file=doc.path)
                continue
            if parse_key_path(path) != loc:  # a key the path cannot spell: its parent's line
                line = doc.line_of(loc) or 0
                place = f"line {line}" if line else ""
                self.add(message, file=doc.path, place=place, order=(line, 0))
                continue
            quoted = re.match(r"'([^']+)'", text)
            self.at(doc, loc, text, quoted.group(1) if quoted else None)

    def schema(self, exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> None:
        errors = exc.errors(include_url=False, include_input=False)
        for error in errors[:MAX_DETAILS]:
            loc = tuple(error["loc"])
            line = doc.line_of(loc) or 0
            text = f"{key_path(loc, doc.data)}: {error_message(error, model, doc.data)}"
            self.add(text, file=doc.path, place=f"line {line}" if line else "", order=(line, 0))
        self.uncounted += max(0, exc.error_count() - MAX_DETAILS)

    def error(self, exc: InputError) -> None:
        """A whole InputError (a file that cannot be read, a missing header): kept with its
        details and hint; a cell's row orders it among the inventory's problems."""
        place = ", ".join(
            part
            for part in (
                f"line {exc.line}" if exc.line else "",
                f"sheet '{exc.sheet}'" if exc.sheet is not None else "",
                f"row {exc.row}" if exc.row is not None else "",
                f"column {exc.column}" if exc.column is not None else "",
            )
            if part
        )
        # A problem of the whole file ("no inventory given") after those at a line or cell.
        order = (exc.line or exc.row or (0 if place else _WHOLE_FILE), 0)
        self.items.append(Problem(exc.file, place, exc.message, order, exc))

    def raise_if_any(self) -> None:
        if not len(self):
            return
        if len(self) == 1 and self.items[0].error is not None:
            raise self.items[0].error
        files = list(dict.fromkeys(p.file for p in self.items))
        ordered = sorted(self.items, key=lambda p: (files.index(p.file), p.order))
        one_file = len(files) == 1 and files[0] is not None
        details = [_detail(p, with_file=not one_file) for p in ordered[:MAX_DETAILS]]
        more = len(self) - len(details)
        if more > 0:
            details.append(f"… and {more:,} more; fix these first")
        count = f"{len(self):,} problem{'s' if len(self) != 1 else ''}"
        if one_file:
            what = self.what.get(str(files[0]), "input")
            raise InputError(f"{what} is not valid ({count})", file=files[0], details=details)
        places = [self.what.get(f, "input") if f else "command line" for f in files]
        places = list(dict.fromkeys(places))
        where = ", the ".join(places[:-1]) + (" and the " if len(places) > 1 else "") + places[-1]
        raise InputError(f"{count} in the {where}", details=details)


# How a detail's own notes are laid out under it (each part made one line first).
_DETAIL_BREAK = "\n      "


def _detail(problem: Problem, with_file: bool) -> str:
    """One problem on one line, its error's details and hint each on one line under it."""
    notes = [] if problem.error is None else [*problem.error.details, problem.error.hint or ""]
    parts = [one_line(part) for part in [problem.line(with_file), *notes] if part]
    return LaidOut(_DETAIL_BREAK.join(parts))


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _nearest_key_path(text: str) -> tuple[Any, ...]:
    """The key path of ``text``, or of its longest dotted prefix that is one: a key with a
    space in it, or one cut short for the message (``raci.responsible.LLL…``), is placed
    on its parent's line rather than on none."""
    while text:
        loc = parse_key_path(text)
        if loc:
            return loc
        text = text.rpartition(".")[0]
    return ()


def parse_key_path(text: str) -> tuple[Any, ...]:
    """``overrides[0].layer`` -> ('overrides', 0, 'layer'); () when it is not a key path."""
    if not text or " " in text or not re.fullmatch(r"[\w.\[\]/:-]+", text):
        return ()
    return tuple(int(index) if index else name for name, index in _KEY_PART.findall(text))
