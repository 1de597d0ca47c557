"""The one place reportgen reaches into openpyxl's private API.

Three things openpyxl does not make public: the write-only worksheet class (for type hints and
``isinstance``), the temporary file a closed write-only sheet was written to, which
``xlsx_stream`` rewrites in place (rows spliced in, formulas' cached values added), and the
XML a read-only worksheet parses, which ``evidence.row_order`` checks first. All three
live in underscore modules and attributes that may change in any release, so they are
reached here only, and ``TESTED`` is the range of openpyxl versions the suite has run on;
pyproject.toml keeps installs inside it and tests/test_openpyxl_private.py fails outside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = [
    "TESTED",
    "WriteOnlyWorksheet",
    "openpyxl_version",
    "read_only_sheet_source",
    "written_sheet_path",
]

TESTED = ((3, 1, 5), (3, 2))  # from 3.1.5 included, up to 3.2 excluded


def openpyxl_version() -> tuple[int, ...]:
    return tuple(int(part) for part in openpyxl.__version__.split(".")[:3] if part.isdigit())


def written_sheet_path(ws: WriteOnlyWorksheet) -> Path:
    """The file openpyxl wrote a closed write-only sheet to, before it goes into the zip."""
    if not ws.closed:
        raise ValueError(f"sheet {ws.title!r} is still open: close it before rewriting it")
    writer = getattr(ws, "_writer", None)
    out = getattr(writer, "out", None)
    if not isinstance(out, str):
        raise RuntimeError(
            f"openpyxl {openpyxl.__version__} no longer keeps a write-only sheet's file in "
            "ws._writer.out; reportgen is tested with openpyxl >=3.1.5,<3.2"
        )
    return Path(out)


def read_only_sheet_source(ws: Any) -> BinaryIO:
    """The XML of a read-only worksheet, opened anew from the workbook's archive: the bytes
    openpyxl parses when the sheet's rows are read. The caller closes it."""
    opener = getattr(ws, "_get_source", None)
    if not callable(opener):
        raise RuntimeError(
            f"openpyxl {openpyxl.__version__} no longer opens a read-only sheet's XML with "
            "ws._get_source(); reportgen is tested with openpyxl >=3.1.5,<3.2"
        )
    return opener()
