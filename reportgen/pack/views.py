"""Terminal text for the pack commands (verify, attach)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reportgen.core.terminal import one_line
from reportgen.pack.manifest_schema import MAX_DEPTH
from reportgen.pack.verify import Verification

# Lines listed of each kind (MISSING, ALTERED, EXTRA) before "... and N more": a pack
# may hold up to 100,000 entries (files.MAX_FILES), and the exit status and the FAILED
# line's count already say how bad it is (bundle names 20 problems, a build 5 files).
SHOWN = 20


def verification_lines(result: Verification) -> Iterator[str]:
    yield f"pack: {one_line(str(result.pack))}"
    yield f"manifest.json sha256 {result.manifest_sha256}"
    yield from _first(result.missing, "MISSING  ", "missing", str)
    yield from _first(result.altered, "ALTERED  ", "altered", str)
    yield from _first(result.extra, "EXTRA    ", "not in the manifest", _extra)
    if result.ok:
        yield f"OK: {result.checked} file(s) match the manifest"
    else:
        bad = len(result.missing) + len(result.altered) + len(result.extra)
        yield f"FAILED: {bad} problem(s); {result.checked} file(s) listed in the manifest"


def _extra(name: str) -> str:
    if name.endswith("/") and name.count("/") >= MAX_DEPTH:  # list_tree does not enter it
        return f"{name} (folders nested deeper than {MAX_DEPTH}; not in the manifest)"
    if name.endswith("/"):
        return f"{name} (a folder holding no file; not in the manifest)"
    return f"{name} (not in the manifest)"


def _first(items: list[str], tag: str, what: str, shown: Callable[[str], str]) -> Iterator[str]:
    """A line for each of the first SHOWN items, then one counting the rest."""
    for item in items[:SHOWN]:
        yield tag + one_line(shown(item))
    if len(items) > SHOWN:
        yield f"{tag}... and {len(items) - SHOWN:,} more {what}"
