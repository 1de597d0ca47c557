"""`reportgen init DIR --from FILE`: a starter config whose inventory is an export.

The export is read once to find its tag columns; tags that name an inventory field
(Environment, Owner, DataClassification...) are mapped to it, the others are listed, and
a tag that looks like a scope is suggested in a comment (scope values decide which
frameworks a resource is audited for, so mapping one is the user's call).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from reportgen.config.starter import refuse_unusable_folder, write_files
from reportgen.core.errors import InputError
from reportgen.core.outfiles import refuse_special
from reportgen.core.pathtext import NOT_UTF8, refuse_unwritable
from reportgen.inventory.fields import HEADER_ALIASES, header_key
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import check_inventory_file
from reportgen.inventory.sources import detect
from reportgen.inventory.sources.table import TAG_PREFIX

HERE = Path(__file__).resolve().parent
AUTO_FIELDS = ("environment", "owner", "classification")  # harmless to map from a tag
_SCOPE_WORDS = re.compile(r"scope|pci|sox|iso|soc|compliance|audit|cde", re.IGNORECASE)
_INVENTORY_BLOCK = re.compile(r"^inventory:\n(?:[ #].*\n)*", re.MULTILINE)
_NOT_PRINTABLE_ASCII = re.compile("[^\x20-\x7e]")


def write_starter_from(directory: Path, export: Path, force: bool = False) -> list[Path]:
    """Write DIR/reportgen.yaml reading ``export``; never overwrite silently."""
    refuse_unusable_folder(directory)
    check_inventory_file(export)  # as validate and build do: a FIFO was waited on for ever
    path = _config_path(export, directory)
    _refuse_unwritable_path(path, export)
    source = detect(export)
    if source is None:
        raise InputError(
            "not an export reportgen recognises (AWS Config, tagging API, Resource Explorer, "
            "Terraform, Cost and Usage Report)",
            file=export,
            hint="For a spreadsheet, run 'reportgen init DIR' and set inventory.path.",
        )
    config = directory / "reportgen.yaml"
    refuse_special(config)  # a link, a FIFO, a device: never written through, --force or not
    if config.exists() and not force:
        raise InputError(f"refusing to overwrite {config}", hint="Use --force to overwrite it.")
    if directory.exists() and not directory.is_dir():
        raise InputError("not a directory", file=directory)
    try:
        table = source.read(export, Limits())
    except InputError as exc:  # init has no --max-... flags to raise (sixteenth pass)
        if exc.hint and "--max-" in exc.hint:
            exc.hint = (
                "init reads an export within the default limits: write the config's "
                "inventory section by hand (see README, Inventory sources), then validate "
                "and build with the --max-... flag this names."
            )
        raise
    header = next(table.sheets[0].rows)[1]
    tags = [cell for cell in header if cell.startswith(TAG_PREFIX)]
    block = inventory_block(path, source.label, tags)
    starter = (HERE / "reportgen.yaml").read_text(encoding="utf-8")
    text = _INVENTORY_BLOCK.sub(lambda _m: block, starter, count=1)
    write_files({config: text.encode("utf-8")}, force)
    return [config]


def inventory_block(path: str, label: str, tags: list[str]) -> str:
    """The config's inventory section for an export with these tag columns."""
    mapped: dict[str, str] = {}
    for tag in tags:
        field = HEADER_ALIASES.get(header_key(tag[len(TAG_PREFIX) :]))
        if field in AUTO_FIELDS and field not in mapped:
            mapped[field] = tag
    lines = ["inventory:", f"  # {label}", f"  path: {_quote(path)}"]
    scope = next((t for t in tags if _SCOPE_WORDS.search(t[len(TAG_PREFIX) :])), None)
    if mapped or scope:  # with the scope alone, 'columns:' would be null: a comment too
        lines.append("  columns:" if mapped else "  # columns:")
    lines += [f"    {field}: {_quote(tag)}" for field, tag in mapped.items()]
    if scope:
        lines.append(
            f"    # scope: {_quote(scope)}   # all, none or framework names; named for one "
            "framework (pci, PCI Scope), yes or no for it alone"
        )
    if tags:
        listed = ", ".join(map(_quote, tags[:20]))
        listed += f" and {len(tags) - 20} more" if len(tags) > 20 else ""
        lines.append(f"  # tag columns found: {listed}")
    return "\n".join(lines) + "\n"


def _config_path(export: Path, directory: Path) -> str:
    """Relative to the config when the export is beside it or one level up, else absolute:
    a config that travels with its export keeps working. A relative path starting with ~
    is written ./~...: the config reads a leading ~ as a home folder, so ``~x.json`` named
    the home of a user ``x.json`` (fifteenth adversarial pass)."""
    relative = Path(os.path.relpath(export.resolve(), directory.resolve()))
    if ".." in relative.parts[1:]:
        return export.resolve().as_posix()
    text = relative.as_posix()
    return f"./{text}" if text.startswith("~") else text


def _refuse_unwritable_path(path: str, export: Path) -> None:
    """A byte of the export's path that is not UTF-8 cannot be written into a config, which
    is UTF-8: the config written named it as an escape (\\udcff) that YAML refuses, so
    validate could not read it (eleventh adversarial pass)."""
    refuse_unwritable(
        path,
        str(export),
        subject="the export's path",
        cannot="a config (a UTF-8 file) cannot name",
        hint="Rename the export (or the folder holding it) to plain text and run init again.",
        found=NOT_UTF8,
    )


def _quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that is one line of plain ASCII: a tag key
    holding a line break (or U+0085, U+2028, which YAML also breaks lines at) wrote lines
    of its own into the config, a crafted one an attach URL (ninth adversarial pass). A
    character past U+FFFF is YAML's \\U escape: JSON's surrogate pair is refused by YAML."""
    return _NOT_PRINTABLE_ASCII.sub(_yaml_escape, json.dumps(text, ensure_ascii=False))


def _yaml_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
