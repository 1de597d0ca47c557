"""Inventories from where estates already keep them: one reader per export format.

Each reader (:class:`~reportgen.inventory.sources.contract.Source`) recognises its format by
the file's content, never by its name, and reads it into the same table a spreadsheet gives
(:mod:`reportgen.inventory.sources.table`), so header matching, service resolution, scope
and limits work as for any inventory. :func:`read_source` is the one entry point; the
readers come from one registry, :data:`INVENTORY_SOURCES` (docs/contributing.md,
"Adding an inventory source"), to which plugins add theirs (entry points
``reportgen.inventory_sources``). A file no reader recognises is read as a spreadsheet or CSV.
"""

from __future__ import annotations

from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.core.plugins import INVENTORY_SOURCES_GROUP, Registry
from reportgen.inventory.csv_text import utf16_codec, utf32_codec
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.awsconfig import AwsConfigQuery
from reportgen.inventory.sources.contract import Head, Source
from reportgen.inventory.sources.cur import CostAndUsageReport, is_cur_header
from reportgen.inventory.sources.explorer import ResourceExplorer
from reportgen.inventory.sources.exportfile import is_gzip, read_head
from reportgen.inventory.sources.jsonstream import json_fault, starts_as_json, top_level_keys
from reportgen.inventory.sources.tagging import TaggingApi
from reportgen.inventory.sources.terraform import TerraformJson

# Asked in this order; the first reader that recognises the file's content reads it.
INVENTORY_SOURCES: Registry[Source] = Registry(
    "inventory source",
    INVENTORY_SOURCES_GROUP,
    Source,
    (AwsConfigQuery(), TaggingApi(), ResourceExplorer(), TerraformJson(), CostAndUsageReport()),
)


def sniff(path: Path) -> Head:
    data = read_head(path)
    _refuse_wide(path, data)
    head = Head(data, is_gzip(path), parses=starts_as_json(data))
    if not head.parses and (fault := json_fault(data)):
        raise _not_json(path, fault)
    if head.first_char == b"{" and head.parses:
        head.json_keys.extend(top_level_keys(data.removeprefix(b"\xef\xbb\xbf")))
    return head


_POWERSHELL = " (PowerShell's '>' writes it so)"


def _refuse_wide(path: Path, data: bytes) -> None:
    """Exports are UTF-8. A UTF-16 Cost and Usage Report went unrecognised and its billing
    lines were read as inventory rows, exit 0 (79a A2); a UTF-32 export was called a CSV
    (80a)."""
    utf32 = utf32_codec(data)
    codec = utf32 or utf16_codec(data)
    if codec is None:
        return
    text = data[: len(data) // 4 * 4].decode(codec, errors="ignore").lstrip("\ufeff \t\r\n")
    wide = "UTF-32" if utf32 else "UTF-16"
    if text[:1] in ("{", "["):
        raise InputError(
            f"this JSON file is {wide}{'' if utf32 else _POWERSHELL}; reportgen reads UTF-8",
            file=path,
            hint="Write it with: ... | Out-File -Encoding utf8 FILE",
        )
    if is_cur_header(text.split("\n", 1)[0]):
        raise InputError(
            f"this Cost and Usage Report is {wide}; AWS writes them as UTF-8, which "
            "reportgen reads",
            file=path,
            hint="Pass the report as AWS delivered it, or save it again as UTF-8.",
        )


def detect(path: Path) -> Source | None:
    """The reader of an export file; None for a spreadsheet or plain CSV; an InputError for
    JSON or gzip content that no reader knows."""
    head = sniff(path)
    found = next((s for s in INVENTORY_SOURCES.all() if s.recognises(head)), None)
    if found is None and (head.is_json or head.gzipped):
        raise _unknown(path, head)
    return found


def read_source(path: Path, limits: Limits) -> RawTable | None:
    source = detect(path)
    return source.read(path, limits) if source else None


def _not_json(path: Path, fault: str) -> InputError:
    # Not refused here, it was called "probably a CSV: rename it" (79a A3).
    return InputError(
        f"this file starts as JSON but is not valid JSON: {fault}",
        file=path,
        hint="Pass the export as AWS wrote it: JSON has no comments, NaN or Infinity.",
    )


def _unknown(path: Path, head: Head) -> InputError:
    if head.is_json and (fault := json_fault(head.data)):
        return _not_json(path, fault)
    known = [source.label for source in INVENTORY_SOURCES.all()]
    if head.is_json:
        found = ", ".join(head.json_keys[:12]) or "none (not a JSON object)"
        details = [f"top-level keys found: {found}", *(f"reads: {label}" for label in known)]
        hint = "Pass the command's JSON output as it prints it (--output json)."
        if head.first_char == b"[":
            hint = "A bare list (from --query) is not read: save the whole output instead."
        elif {"version", "serial", "lineage"} <= set(head.json_keys):
            hint = "This is a raw terraform.tfstate: run `terraform show -json > state.json`."
        return InputError("JSON file is not an export reportgen reads", file=path,
                          details=details, hint=hint)  # fmt: skip
    return InputError(
        "gzipped file is not a Cost and Usage Report (no lineItem/ProductCode column)",
        file=path,
        hint="Unpack other gzipped inventories first.",
    )
