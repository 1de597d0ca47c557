"""Golden-file comparison: `make golden` (REPORTGEN_REGENERATE_GOLDEN=1) rewrites the files."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
REGENERATE = os.environ.get("REPORTGEN_REGENERATE_GOLDEN") == "1"


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with tests/golden/<name>; show a short diff when they differ."""
    path = GOLDEN_DIR / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run `make golden` to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="", n=2
        )
        shown = "\n".join(list(diff)[:60])
        raise AssertionError(
            f"{name} differs from its golden file (run `make golden` if intended):\n{shown}"
        )
