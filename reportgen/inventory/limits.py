"""Limits that keep hostile or accidental inputs from exhausting memory or time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_rows: int = 1_000_000
    max_cell_chars: int = 32_767  # Excel's own cell limit
    max_zip_members: int = 10_000
    max_uncompressed_bytes: int = 1024 * 1024 * 1024
    max_csv_bytes: int = 512 * 1024 * 1024
    header_search_rows: int = 30
