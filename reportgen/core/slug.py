"""File-name-safe slugs for customer names and framework ids on any operating system."""

from __future__ import annotations

import re
import unicodedata

WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip
MAX_SLUG = 60
MAX_ID = 40  # framework ids name folders; with the customer slug a file name stays short


def is_safe_id(text: str) -> bool:
    """An id that can name a folder as it is: a slug, short, and not a reserved name."""
    return 0 < len(text) <= MAX_ID and slugify(text, fallback="") == text


def slugify(text: str, fallback: str = "customer") -> str:
    """ASCII lower-case words joined by '-', never empty, never a reserved or dot name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    if not slug or slug in WINDOWS_RESERVED:
        slug = f"{slug}-{fallback}" if slug else fallback
    return slug
