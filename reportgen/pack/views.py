"""Terminal text for the pack commands (verify, attach)."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.pack.manifest_schema import MAX_DEPTH
from reportgen.pack.verify import Verification


def verification_lines(result: Verification) -> Iterator[str]:
    yield f"pack: {result.pack}"
    yield f"manifest.json sha256 {result.manifest_sha256}"
    for name in result.missing:
        yield f"MISSING  {name}"
    for problem in result.altered:
        yield f"ALTERED  {problem}"
    for name in result.extra:
        if name.endswith("/"):  # packfiles.list_tree does not enter a folder this deep
            yield f"EXTRA    {name} (folders nested deeper than {MAX_DEPTH}; not in the manifest)"
        else:
            yield f"EXTRA    {name} (not in the manifest)"
    if result.ok:
        yield f"OK: {result.checked} file(s) match the manifest"
    else:
        bad = len(result.missing) + len(result.altered) + len(result.extra)
        yield f"FAILED: {bad} problem(s); {result.checked} file(s) listed in the manifest"
