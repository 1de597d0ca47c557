"""File-name-safe slugs for customer names and framework ids on any operating system."""

from __future__ import annotations

import re
import unicodedata

_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip
MAX_SLUG = 60


def slugify(text: str, fallback: str = "customer") -> str:
    """ASCII lower-case words joined by '-', never empty, never a reserved or dot name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    if not slug or slug in _WINDOWS_RESERVED:
        slug = f"{slug}-{fallback}" if slug else fallback
    return slug
