"""Where an .xlsx keeps its workbook, its worksheets and its styles, as Excel finds them.

The package's relationships name the workbook part, and the workbook's name each sheet's
part and the styles part. They are read with an XML parser, and a part is found by its name
as the package's rules compare them, without regard to case, percent-escapes decoded: a
search of their text took a commented-out ``<sheet>`` or relationship for a real one,
stopped at a '>' in an attribute, or missed ``Styles.xml`` where ``styles.xml`` is, and the
number formats of the sheet went unread (77a).
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from defusedxml import ElementTree

from reportgen.inventory.limits import WHOLE_PART_BYTES

_RELATIONSHIPS = "relationships"  # the end of the namespace of a relationship's id


def workbook_part(archive: zipfile.ZipFile) -> str:
    """The zip member holding the workbook, as the package's relationships name it."""
    found = relation_targets(archive, "_rels/.rels", "").get("officeDocument")
    return found or member_named(archive, "xl/workbook.xml") or "xl/workbook.xml"


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the worksheet named ``sheet``, as the workbook's
    relationships name it."""
    workbook = workbook_part(archive)
    folder, name = posixpath.split(workbook)
    relations = dict(_relation_pairs(archive, posixpath.join(folder, "_rels", name + ".rels"),
                                     folder, "Id"))  # fmt: skip
    for element in _elements(archive, workbook, "sheet"):
        if element.get("name") == sheet:
            key = next((k for k in element.attrib if _is_relationship_id(k)), None)
            return relations.get(element.get(key)) if key else None
    return None


def relation_targets(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, str]:
    """Relationship type (its last word) -> target member."""
    return {
        kind.rsplit("/", 1)[-1]: target
        for kind, target in _relation_pairs(archive, rels, folder, "Type")
    }


def member_named(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip member a part name names, compared as the package's rules compare them."""
    wanted = posixpath.normpath(unquote(name)).lstrip("/")
    names = archive.namelist()
    if wanted in names:
        return wanted
    folded = wanted.casefold()
    return next((member for member in names if member.casefold() == folded), None)


def _relation_pairs(
    archive: zipfile.ZipFile, rels: str, folder: str, key: str
) -> Iterator[tuple[str, str]]:
    for element in _elements(archive, rels, "Relationship"):
        target = element.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        yield element.get(key, ""), member_named(archive, path) or posixpath.normpath(path)


def _elements(archive: zipfile.ZipFile, part: str, name: str) -> Iterator[Any]:
    """The elements ``name`` (any namespace) of the part, parsed; none where it is missing,
    too large to read whole, or not XML."""
    member = member_named(archive, part)
    if member is None:
        return
    try:
        root = ElementTree.fromstring(read_whole_part(archive, member))
    except (ElementTree.ParseError, ValueError):
        return
    yield from (node for node in root.iter() if str(node.tag).rpartition("}")[2] == name)


def _is_relationship_id(key: str) -> bool:
    namespace, _, local = key.rpartition("}")
    return local == "id" and namespace.rstrip("/").endswith(_RELATIONSHIPS)


def read_whole_part(archive: zipfile.ZipFile, member: str) -> bytes:
    """A part a diagnosis reads whole, where it is at most WHOLE_PART_BYTES; else nothing
    (an 800 MB styles part, found through a relationship by any name, took 1.64 GB: 68d)."""
    if archive.getinfo(member).file_size > WHOLE_PART_BYTES:
        return b""
    return archive.read(member)
