"""Safe YAML loading with positions for error messages.

Catalogs and configs are loaded with PyYAML's safe loader (libyaml's when installed),
further restricted: aliases are refused before construction (an alias bomb expands a few
hundred bytes into millions of nodes), duplicate keys
are refused (the second silently wins in plain YAML, hiding mistakes), files larger
than a cap are refused before parsing, and files of more nodes than a cap are refused
before PyYAML builds its node tree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.safefiles import read_regular

DEFAULT_MAX_YAML_BYTES = 5 * 1024 * 1024
# No value reportgen reads is a number this long. Python refuses to convert a decimal
# string of more than 4,300 digits (a ValueError, not a YAML error), and a long hex,
# octal or sexagesimal scalar builds a huge integer (the last one in quadratic time).
MAX_YAML_INT_DIGITS = 100
# A node is a scalar, a list or a mapping (each key is one too). PyYAML's node tree costs
# about 900 bytes a node: a 5 MB config holding a flow list [0,0,...] of 2.5 million took
# 14 s and 930 MB before its unknown key was reported. So the parser's events are counted
# first (no tree, constant memory) and a file of more nodes than this per MB of the size
# limit is refused: 200,000 at the default 5 MB. The largest catalog reportgen ships (PCI
# DSS, 249 KB) has 10,324 nodes; a config has a few hundred.
YAML_NODES_PER_MB = 40_000
_NODE_EVENTS = frozenset(
    (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG_KINDS = {
    "tag:yaml.org,2002:timestamp": "a date or time",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:binary": "binary data",
}


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader (libyaml when present) that refuses duplicate, non-text and merge keys."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # a copy of another mapping
                raise _YamlRefused("YAML merge keys (<<) are not allowed", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            problem = _key_problem(key, key_node)
            if problem is not None:
                raise _YamlRefused(problem, key_node.start_mark)
            if key in seen:
                # a key may be a megabyte long: cut as key paths are (validation.shown)
                raise _YamlRefused(f"duplicate key '{shorten(key, 60)}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """A scalar YAML reads as a value Python cannot hold (``2024-02-30``, ``25:61:00``
        as a time) is refused with its position, not raised as a bare ValueError."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            text = str(node.value)[:40] if isinstance(node, yaml.ScalarNode) else ""
            kind = _TAG_KINDS.get(node.tag, "a value")
            raise _YamlRefused(
                f"'{text}' is read by YAML as {kind} but is not a valid one ({exc}); "
                "put it in quotes if it is text",
                node.start_mark,
            ) from None

    def construct_yaml_int(self, node: Any) -> Any:
        """An integer scalar, refused with its position when longer than any real value."""
        text = str(node.value).replace("_", "").lstrip("+-")
        if len(text) > MAX_YAML_INT_DIGITS:
            raise _YamlRefused(
                f"a number written with {len(text):,} characters is too long (at most "
                f"{MAX_YAML_INT_DIGITS}); put it in quotes if it is text",
                node.start_mark,
            )
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _refuse_tag(_loader: Any, node: Any) -> Any:
    """No value reportgen reads is binary data, a set or an ordered list of pairs: a tag
    asking for one is a mistake or a probe, never silently turned into text."""
    tag = "!!" + node.tag.rsplit(":", 1)[-1]
    raise _YamlRefused(f"the YAML tag {tag} is not allowed here; write plain text", node.start_mark)


for _tag in ("binary", "set", "omap", "pairs"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def _key_problem(key: Any, node: Any) -> str | None:
    """Why a mapping key cannot be one, or None. Every mapping reportgen reads is keyed by
    text. A set, list or mapping as a key is unhashable; a number, date, boolean, null or
    binary key is a word YAML read as something else (``on:``, ``5.10:``, ``2024-01-01:``),
    so say so here, with its line, rather than as a schema error placed by its text."""
    if isinstance(key, str):
        return None
    text = str(getattr(node, "value", ""))[:40] if isinstance(node, yaml.ScalarNode) else ""
    if isinstance(key, (bool, int, float, dt.date, bytes)) or key is None:
        kinds = {bool: "a boolean", type(None): "null", bytes: "binary data", int: "a number"}
        kind = kinds.get(type(key), "a number" if isinstance(key, float) else "a date")
        if key is None and not text:
            return "a mapping key is empty"
        return f"mapping key '{text}' is read by YAML as {kind}; put it in quotes"
    return f"mapping keys must be plain values, not {_yaml_kind(key)}"


def _yaml_kind(value: Any) -> str:
    names = {set: "a set", frozenset: "a set", list: "a list", tuple: "a list", dict: "a mapping"}
    return names.get(type(value), f"a {type(value).__name__}")


def _refuse_aliases(root: Any) -> None:
    """An alias makes a node appear twice in the tree; refuse it before anything expands it.

    The reused node carries its anchor's position, so the error names where it is used:
    the key it is the value of, or the sequence it sits in.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, Any]] = [(root, root.start_mark)]
    while stack:
        node, where = stack.pop()
        if id(node) in seen:
            raise _YamlRefused("YAML aliases (*name) are not allowed", where)
        seen.add(id(node))
        children: list[tuple[Any, Any]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                children += [(key_node, key_node.start_mark), (value_node, key_node.start_mark)]
        elif isinstance(node, yaml.SequenceNode):
            children = [(child, node.start_mark) for child in node.value]
        stack += reversed(children)


class _YamlRefused(Exception):
    def __init__(self, message: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.hint = hint


@dataclass
class YamlDocument:
    """Parsed YAML data plus the node tree, to find the line of any key path."""

    path: Path
    data: Any
    node: Any
    # id(mapping node) -> {key text: value node}: built once per mapping, so finding the
    # lines of 380,000 unknown keys is one pass, not one scan of the mapping per key.
    _keys: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """1-based line of the value at ``loc`` (keys and list indexes), or its nearest parent."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            node = self._child(node, part)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    def _child(self, node: Any, part: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            keys = self._keys.get(id(node))
            if keys is None:
                keys = self._keys[id(node)] = {}
                for key_node, value_node in node.value:
                    keys.setdefault(str(key_node.value), value_node)
            return keys.get(str(part))
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            return node.value[part] if 0 <= part < len(node.value) else None
        return None


def max_yaml_nodes(max_bytes: int) -> int:
    """The nodes a YAML file may hold when its size limit is ``max_bytes``."""
    return max(1, max_bytes * YAML_NODES_PER_MB // (1024 * 1024))


def load_yaml(path: Path, *, max_bytes: int = DEFAULT_MAX_YAML_BYTES) -> YamlDocument:
    """Load one YAML file; every problem becomes an :class:`InputError` naming file and line."""
    text = read_text_file(path, max_bytes=max_bytes, kind="YAML")
    return parse_yaml(text, path, max_nodes=max_yaml_nodes(max_bytes))


def _count_nodes(text: str, limit: int) -> None:
    """Walk the parser's events (each dropped as soon as it is counted) and refuse, at the
    node past ``limit``, a file whose node tree would be too large to build."""
    loader = _BaseLoader(text)
    try:
        count, get = 0, loader.get_event
        while type(event := get()) is not yaml.StreamEndEvent:
            if type(event) in _NODE_EVENTS:
                count += 1
                if count > limit:
                    raise _YamlRefused(
                        f"the file holds more than {limit:,} YAML nodes (values, keys, lists "
                        f"and mappings); the largest catalog reportgen ships has about 10,000",
                        event.start_mark,
                        f"Raise --max-yaml-mb if the file is genuine (each MB allows "
                        f"{YAML_NODES_PER_MB:,} nodes).",
                    )
    finally:
        loader.dispose()


def parse_yaml(
    text: str, path: Path, *, max_nodes: int = max_yaml_nodes(DEFAULT_MAX_YAML_BYTES)
) -> YamlDocument:
    loader = _StrictLoader(text)
    try:
        _count_nodes(text, max_nodes)
        node = loader.get_single_node()
        if node is not None and "*" in text:  # an alias is written *name: none without a *
            _refuse_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except _YamlRefused as exc:
        raise InputError(exc.message, file=path, line=exc.mark.line + 1, hint=exc.hint) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (column {mark.column + 1})" if mark else ""
        message = f"invalid YAML: {exc.problem or exc.context}{where}"
        # YAML 1.1 reads a bare '=' as its 'value' type, which no loader builds (62a)
        value_type = "tag:yaml.org,2002:value" in str(exc.problem)
        hint = "A bare '=' is YAML's 'value' type: put it in quotes ('=')." if value_type else None
        line = mark.line + 1 if mark else None
        raise InputError(message, file=path, line=line, hint=hint) from exc
    except yaml.reader.ReaderError as exc:  # a control character: given as a position
        line, column = _line_column(text, exc.position)
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
        raise InputError(
            f"invalid YAML: {shown} is a control character YAML does not allow (column {column})",
            file=path,
            line=line,
            hint="Remove it, or write it as an escape (\\x1b) in a double-quoted string.",
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=path) from exc
    except RecursionError as exc:  # the pure-Python loader, when libyaml is missing
        raise InputError("invalid YAML: nested too deeply", file=path) from exc
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, node=node)


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character position in ``text``."""
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def read_text_file(path: Path, *, max_bytes: int, kind: str) -> str:
    """Read a UTF-8 text file with a size cap, turning OS errors into input errors. Only a
    regular file is read, and its size is known before it is: a FIFO or /dev/zero is
    refused at once rather than waited on or read without end."""
    raw = read_regular(path, max_bytes, f"{kind} file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # what Notepad's "Unicode" saves
        raise InputError(
            f"{kind} file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8",
            file=path,
        )
    if b"\x00" in raw:
        raise InputError(f"not a text {kind} file (it contains NUL bytes)", file=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{kind} file is not valid UTF-8 (byte {exc.start}); save it as UTF-8", file=path
        ) from exc
