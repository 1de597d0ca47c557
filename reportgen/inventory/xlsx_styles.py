"""The number formats of an .xlsx's styles, read from its styles part.

A cell names its style by index (its ``s``, 0 when it has none); the style names a number
format by id, a built-in one or one the styles part's ``numFmts`` writes out. A conditional
format names a differential style (a ``dxf``), which may hold a number format of its own.
calamine reads none of them, and the readers that need them (a duration too long for
calamine, a format showing other text than the cell holds) read them here, with an XML
parser: a search of the text took a dxf's format for a cell's, one written under the same
id after it (76a).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree

from reportgen.inventory.xlsx_parts import (
    member_named,
    read_whole_part,
    relation_targets,
    workbook_part,
)


@dataclass
class Styles:
    """Each cell style's number format, by the style's index: its id, and its code where
    the styles part writes one out ("" for a built-in one; id -1 for an id not a number);
    and each differential style's number format code ("" for none)."""

    cells: list[tuple[int, str]] = field(default_factory=list)
    differential: list[str] = field(default_factory=list)


def read_styles(archive: zipfile.ZipFile) -> Styles:
    """The workbook's styles; none where its styles part is missing, too large to read
    whole, or not XML (calamine read the workbook: what is not read here is no style)."""
    workbook = workbook_part(archive)
    folder, name = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    member = relation_targets(archive, rels, folder).get("styles") or member_named(
        archive, posixpath.join(folder, "styles.xml")
    )
    if member is None:
        return Styles()
    try:
        return _parsed(read_whole_part(archive, member))
    except (KeyError, ElementTree.ParseError, ValueError):
        return Styles()


def _parsed(data: bytes) -> Styles:
    """The styles, read as the parser goes, each element let go of once read: parsed whole,
    a styles part of 2 million elements took 260 MB."""
    styles, codes, ids, dxf = Styles(), {}, [], ""
    path: list[str] = []
    parents: list[Any] = []
    for event, node in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
        name = local_name(node.tag)
        if event == "start":
            path.append(name)
            parents.append(node)
            continue
        path.pop()
        parents.pop()
        where = path[1:]
        if name == "numFmt" and where == ["numFmts"]:
            codes[node.get("numFmtId", "")] = node.get("formatCode", "")
        elif name == "xf" and where == ["cellXfs"]:
            ids.append(node.get("numFmtId", "0"))
        elif name == "numFmt" and where == ["dxfs", "dxf"]:
            dxf = node.get("formatCode", "")
        elif name == "dxf" and where == ["dxfs"]:
            styles.differential.append(dxf)
            dxf = ""
        if parents:
            parents[-1].remove(node)
    styles.cells = [(int(i) if i.isdigit() else -1, codes.get(i, "")) for i in ids]
    return styles


def cell_formats(archive: zipfile.ZipFile) -> list[tuple[int, str]]:
    """Each cell style's number format, by the style's index (:class:`Styles`)."""
    return read_styles(archive).cells


def local_name(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _child(node: Any, name: str) -> Any:
    return next(_children(node, name), None)


def _children(node: Any, name: str) -> Any:
    return (child for child in (node if node is not None else ()) if local_name(child.tag) == name)
