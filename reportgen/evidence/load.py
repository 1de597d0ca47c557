"""``build --evidence PATH``: the earlier workbooks (or pack folders) a build carries on from.

Each PATH is a RACI workbook or a pack directory (its workbooks are found through its
manifest). A pack's manifest and workbooks are read through the pack reader
(reportgen/pack/files.py: no link anywhere in the path, regular files, size caps); each
workbook is streamed into a private copy, which is what is read. Every workbook must be of
this customer and of a framework this build makes; what several workbooks say about one
evidence item or RACI cell is merged, and two different values for the same cell are an
error naming both. What is read is then matched to the framework's catalog: evidence of a
catalog item, rows the team added to a control, and rows of controls the catalog no longer
has (kept and reported, never dropped).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reportgen.catalogs.frameworks import Framework
from reportgen.core.errors import InputError, environment_errors
from reportgen.core.hashing import FileState, file_state
from reportgen.core.owners import spelt_out
from reportgen.core.safefiles import stat_input
from reportgen.core.slug import is_safe_id
from reportgen.core.tempdirs import run_temp_dir
from reportgen.evidence.read import (
    ItemEdit,
    RaciEdit,
    WorkbookEdits,
    item_key,
    read_workbook,
)
from reportgen.inventory.limits import Limits
from reportgen.ownership.evidence_vocabulary import TEAM_FIELDS
from reportgen.pack.files import (
    MAX_FILE_BYTES,
    PackDir,
    check_no_link_where_a_pack_was,
    moved_aside,
    pack_moved_aside_above,
)

WORKBOOK_SUFFIX = "-raci.xlsx"
_LABELS = {f.key: f.header for f in TEAM_FIELDS}
LISTED = 8  # ids named in a warning


@dataclass(frozen=True)
class Customer:
    name: str
    slug: str


@dataclass
class Carried:
    """What the team's workbooks say about one framework, matched to its catalog."""

    items: dict[tuple[str, str], ItemEdit] = field(default_factory=dict)  # catalog items
    added: dict[str, list[ItemEdit]] = field(default_factory=dict)  # control -> added rows
    orphans: list[ItemEdit] = field(default_factory=list)  # controls the catalog lost
    raci: dict[str, dict[str, RaciEdit]] = field(default_factory=dict)  # control -> role
    sources: list[str] = field(default_factory=list)


@dataclass
class EvidenceInputs:
    carried: dict[str, Carried] = field(default_factory=dict)  # framework id -> carried
    # (as given, path, its state before it was read) of each workbook read
    files: list[tuple[str, Path, FileState | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_evidence(
    paths: Sequence[Path],
    frameworks: dict[str, Framework],
    customer: Customer,
    limits: Limits,
) -> EvidenceInputs:
    """Read, check and match every workbook ``paths`` name; InputError on the first problem."""
    result = EvidenceInputs()
    books: dict[str, list[WorkbookEdits]] = {}
    seen: set[Path] = set()
    with run_temp_dir("reportgen-evidence-") as work:
        for shown, path, read, state in _workbooks(paths, frameworks, result.warnings, Path(work)):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            with _pointing_aside(path):
                edits = read_workbook(read, limits, shown)
            _check_identity(edits, frameworks, customer)
            books.setdefault(edits.framework, []).append(edits)
            result.files.append((shown, path, state))
            result.warnings += edits.warnings
    for fid, found in books.items():
        carried = _merge(found)
        _match(carried, frameworks[fid], result.warnings)
        result.carried[fid] = carried
    return result


# ---------------------------------------------------------------- finding workbooks


def _workbooks(
    paths: Iterable[Path], frameworks: dict[str, Framework], notes: list[str], work: Path
) -> Iterator[tuple[str, Path, Path, FileState | None]]:
    """(as shown, path, the file to read, its state before the read) of each workbook: a
    pack's are private copies."""
    for path in paths:
        if path.is_dir():
            with PackDir(path) as pack:
                yield from _pack_workbooks(pack, frameworks, notes, work)
        else:
            with _pointing_aside(path):  # before resolve(): a link loop is named
                check_no_link_where_a_pack_was(path)
                stat_input(path, "evidence workbook")
            yield path.as_posix(), path, path, file_state(path)


@contextlib.contextmanager
def _pointing_aside(path: Path) -> Iterator[None]:
    """A refusal of ``path`` names where a build killed while replacing a pack there (or
    the pack ``path`` lies in: 66b) moved it, as verify and --previous do: with a file or a
    link made at the path since, it said only "not an .xlsx workbook" or "not found"
    (61b)."""
    try:
        yield
    except InputError as exc:
        above = pack_moved_aside_above(path)
        aside = moved_aside(path) or (moved_aside(above, named=True) if above else None)
        if aside is not None and aside not in (exc.hint or ""):
            exc.hint = f"{aside} {exc.hint}" if exc.hint else aside
        raise


def _pack_workbooks(
    pack: PackDir, frameworks: dict[str, Framework], notes: list[str], work: Path
) -> Iterator[tuple[str, Path, Path, FileState | None]]:
    """The RACI workbooks a pack's manifest lists, for the frameworks this build makes,
    each copied out through the pack reader: no link anywhere in its path, a regular file,
    at most MAX_FILE_BYTES. Not hash-checked: the team edits the workbook in the pack and
    gives the pack back (that is what --evidence PACK is for), so it differs from the
    manifest by design; what is read is then checked as any untrusted workbook is."""
    manifest = pack.manifest().manifest
    entries = {
        PurePosixPath(entry.path): entry
        for entry in manifest.outputs
        if entry.path.endswith(WORKBOOK_SUFFIX) and len(PurePosixPath(entry.path).parts) == 2
    }
    found = list(entries)
    if not found:
        raise InputError("this pack holds no RACI workbook (*/*-raci.xlsx)", file=pack.path)
    skipped = [name.parts[0] for name in found if name.parts[0] not in frameworks]
    if skipped:
        notes.append(
            f"{pack.path.as_posix()}: the workbooks of {', '.join(skipped)} are not read: this "
            "build does not make those frameworks"
        )
    for number, name in enumerate(found):
        if name.parts[0] in frameworks:
            path = pack.path.joinpath(*name.parts)
            entry = entries[name]
            copy = work / f"{len(list(work.iterdir()))}-{number}.xlsx"  # unique per run
            state = file_state(path)
            stream = pack.stream(entry.path, MAX_FILE_BYTES)
            with stream as file, environment_errors(copy), copy.open("xb") as out:
                for chunk in file.chunks():
                    out.write(chunk)
            yield path.as_posix(), path, copy, state


def _check_identity(
    edits: WorkbookEdits, frameworks: dict[str, Framework], customer: Customer
) -> None:
    identity = edits.identity
    owner, slug = identity.get("Customer", ""), identity.get("Customer id", "")
    if slug != customer.slug and owner != customer.name:
        raise InputError(
            f"this is the workbook of '{owner[:80]}', not of '{customer.name}': evidence is "
            "never carried from one customer's pack into another's",
            file=edits.shown,
            hint="Give the workbook of this customer's earlier pack (customer.name in the config).",
        )
    if edits.framework not in frameworks:
        named = spelt_out(edits.framework[:40])  # 'soc2\u200b' read as 'soc2' (61a)
        raise InputError(
            f"this is the RACI workbook of framework '{named}', which this build does not "
            f"make (it makes {', '.join(frameworks)})",
            file=edits.shown,
            hint=f"Add --framework {named}, or leave this workbook out."
            if is_safe_id(edits.framework)
            else "No framework has that id: the hidden 'reportgen' sheet was edited. Give "
            "the workbook its pack wrote, with the team's edits on the visible sheets only.",
        )


# ---------------------------------------------------------------- merging


def _merge(books: list[WorkbookEdits]) -> Carried:
    """One record per evidence item and per RACI cell; a cell given two values is an error."""
    carried = Carried(sources=[book.shown for book in books])
    items: dict[tuple[str, str], ItemEdit] = {}
    conflicts: list[str] = []
    for edit in (e for book in books for e in book.items):
        known = items.get(edit.key)
        if known is None:
            items[edit.key] = ItemEdit(
                edit.control, edit.item, edit.provided_by, dict(edit.values), edit.origin
            )
            continue
        conflicts += _merge_values(known, edit)
    raci: dict[str, dict[str, RaciEdit]] = {}
    for change in (c for book in books for c in book.raci):
        cell = raci.setdefault(change.control, {})
        other = cell.get(change.role)
        if other is not None and other.letter != change.letter:
            conflicts.append(
                f"control {change.control}, role {change.role}: '{other.letter or 'blank'}' "
                f"({other.origin.text()}) but '{change.letter or 'blank'}' ({change.origin.text()})"
            )
        cell.setdefault(change.role, change)
    if conflicts:
        raise InputError(
            "the evidence workbooks disagree: one cell, two values",
            file=carried.sources[0],
            details=conflicts[:25],
            hint="Keep one value (edit one of the rows, or give one workbook fewer).",
        )
    carried.items = items
    carried.raci = raci
    return carried


def _merge_values(known: ItemEdit, edit: ItemEdit) -> list[str]:
    problems = []
    if not known.has_data and edit.has_data:
        known.origin = edit.origin  # the row with the team's data is where it was read
    for key, value in edit.values.items():
        current = known.values.setdefault(key, value)
        if current != value:
            problems.append(
                f"control {edit.control}, item '{edit.item[:60]}', {_LABELS[key]}: "
                f"'{current[:40]}' ({known.origin.text()}) but '{value[:40]}' "
                f"({edit.origin.text()})"
            )
    return problems


# ---------------------------------------------------------------- matching the catalog


def catalog_items(framework: Framework) -> dict[str, set[str]]:
    """Control id -> the keys of its catalog evidence items (AWS's attestation included)."""
    keys = {}
    for control in framework.controls:
        texts = [*control.evidence, *([control.aws_evidence] if control.aws_evidence else [])]
        keys[control.id] = {item_key(text) for text in texts}
    return keys


def _match(carried: Carried, framework: Framework, notes: list[str]) -> None:
    catalog = catalog_items(framework)
    matched: dict[tuple[str, str], ItemEdit] = {}
    for key, edit in carried.items.items():
        if edit.control in catalog and key[1] in catalog[edit.control]:
            matched[key] = edit
        elif not edit.has_data:
            continue  # an untouched row of a reworded item or a dropped control: nothing lost
        elif edit.control in catalog:
            carried.added.setdefault(edit.control, []).append(edit)
        else:
            carried.orphans.append(edit)
    carried.items = matched
    if carried.orphans:
        ids = sorted({e.control or "(no control id)" for e in carried.orphans})
        notes.append(
            f"{framework.id}: {len(carried.orphans)} evidence row(s) name controls the "
            f"{framework.name} catalog no longer has ({_some(ids)}); they are kept at the end "
            "of the Evidence sheet and in matrix.json (evidence_status.orphans): move their "
            "notes to a current control, or delete the rows"
        )
    lost = sorted(c for c in carried.raci if c not in catalog)
    if lost:
        notes.append(
            f"{framework.id}: RACI letters edited for controls the catalog no longer has "
            f"({_some(lost)}) are not carried"
        )
        for control in lost:
            del carried.raci[control]


def _some(ids: Sequence[str]) -> str:
    more = len(ids) - LISTED
    return ", ".join(ids[:LISTED]) + (f" and {more} more" if more > 0 else "")
