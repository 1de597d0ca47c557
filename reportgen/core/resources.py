"""Where the packaged catalogs and templates live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # reportgen/, above core/


def catalog_path(name: str) -> Path:
    """Path of a packaged catalog file, e.g. ``srm.yaml`` or ``frameworks/soc2.yaml``."""
    return PACKAGE_DIR / "catalogs" / name


def frameworks_dir() -> Path:
    return PACKAGE_DIR / "catalogs" / "frameworks"


def templates_dir() -> Path:
    """Shipped templates: inside the package when installed, ``templates/`` in a checkout."""
    installed = PACKAGE_DIR / "templates"
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / "templates"


def methodology_path() -> Path:
    """docs/methodology.md: the method appendix of the PDF is rendered from it."""
    installed = PACKAGE_DIR / "docs" / "methodology.md"
    if installed.is_file():
        return installed
    return PACKAGE_DIR.parent / "docs" / "methodology.md"
