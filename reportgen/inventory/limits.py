"""Limits that keep hostile or accidental inputs from exhausting memory or time.

Each limit has a command-line flag (``--max-rows`` ...) so a genuine, unusually large
inventory can still be read; SECURITY.md lists them with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
# Bytes of shared strings a sheet's cells may refer to, per cell of --max-cells: calamine
# copies a shared string into every cell that uses it (xlsx_strings).
SHARED_TEXT_PER_CELL = 8
# Bytes of a workbook part the readers hold whole, the workbook, styles, content types,
# relationships and document properties: 800 MB of text in styles.xml or workbook.xml (an
# 800 KB file) took 1.64 GB (pass 68d). Excel's largest style sheet is some 15 MB, and
# 100,000 relationships or defined names about as much.
WHOLE_PART_BYTES = 64 * MB


@dataclass(frozen=True)
class Limits:
    max_rows: int = 1_000_000  # rows below the header, blank ones too (and header_row at most)
    max_cell_chars: int = 32_767  # Excel's own cell limit
    max_columns: int = 1_000  # columns a data row may reach (a CSV row's fields)
    # Area of a sheet's cell range (rows spanned x columns spanned): calamine holds the whole
    # range as one grid, about 32 bytes a cell, so this bounds its memory (~320 MB).
    max_sheet_cells: int = 10_000_000
    max_zip_members: int = 10_000
    max_uncompressed_bytes: int = 1024 * MB
    max_csv_bytes: int = 512 * MB
    max_yaml_bytes: int = 5 * MB  # each config or catalog file (yamlio's default)
    # Exports (AWS Config, Terraform, CUR...) are streamed, so memory does not grow with
    # their size; this bounds the time a runaway file takes. A gzip counts unpacked.
    max_export_bytes: int = 10240 * MB
    max_json_depth: int = 128  # Terraform nests WAF rules some 40 levels; far less elsewhere
    max_json_string_bytes: int = 4 * MB  # one string; an AWS Config item is a string of JSON
    header_search_rows: int = 30

    @property
    def max_shared_text_bytes(self) -> int:
        """Shared-string bytes one sheet's cells may refer to in all (80 MB by default)."""
        return self.max_sheet_cells * SHARED_TEXT_PER_CELL

    @property
    def max_cell_xml_bytes(self) -> int:
        """Bytes of XML one cell may take: 10 per character (``&#x10FFFF;``) plus markup."""
        return self.max_cell_chars * 10 + 64 * 1024
