"""Check the system libraries WeasyPrint needs, with a message that says how to get them.

Run as ``python -m reportgen.core.syscheck`` (the Makefile does this before demo and test).
"""

from __future__ import annotations

import ctypes.util
import sys

from reportgen.core.errors import SystemDependencyError

REQUIRED = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    "fontconfig": "libfontconfig1",
}

INSTALL_HINT = (
    "WeasyPrint (the PDF renderer) needs Pango and its companions.\n"
    "  Debian / Ubuntu:  sudo apt-get install {debian}\n"
    "  Fedora:           sudo dnf install pango\n"
    "  macOS (Homebrew): brew install pango\n"
    "See https://doc.courtbouillon.org/weasyprint/stable/first_steps.html#installation"
)


def missing_libraries() -> list[str]:
    return [name for name in REQUIRED if ctypes.util.find_library(name) is None]


def check_pdf_dependencies() -> None:
    """Raise SystemDependencyError naming the missing libraries and how to install them."""
    missing = missing_libraries()
    if missing:
        packages = " ".join(REQUIRED[name] for name in missing)
        raise SystemDependencyError(
            f"missing system libraries: {', '.join(missing)}\n"
            + INSTALL_HINT.format(debian=packages)
        )


def main() -> int:
    try:
        check_pdf_dependencies()
    except SystemDependencyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return SystemDependencyError.exit_code
    print("system libraries for PDF rendering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
