"""Free-form sheets (Summary, About): rows laid out first, then streamed in order.

A write-only sheet takes widths and the frozen pane before its first row and rows strictly
top to bottom, so a layout collects its rows, knows each row's number as it goes (for
formulas and chart references) and writes them all at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.core.openpyxl_private import WriteOnlyWorksheet
from reportgen.render.xlsx_style import CellMaker, row_height, set_widths

Cell = tuple[Any, str | None]  # value, style name


@dataclass
class Layout:
    widths: Sequence[float]
    rows: list[list[Cell]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)

    @property
    def next_row(self) -> int:
        return len(self.rows) + 1

    def add(self, *cells: Cell, height: float | None = None) -> int:
        """Append a row; return its 1-based row number."""
        self.rows.append(list(cells))
        if height is not None:
            self.heights[len(self.rows)] = height
        return len(self.rows)

    def blank(self) -> None:
        self.rows.append([])

    def section(self, title: str, span: int) -> int:
        """A section heading ruled across ``span`` columns."""
        return self.add((title, "section"), *([("", "section")] * (span - 1)), height=22)

    def write(self, ws: WriteOnlyWorksheet, make: CellMaker, freeze: str | None = None) -> None:
        set_widths(ws, self.widths)
        if freeze:
            ws.freeze_panes = freeze
        for number, cells in enumerate(self.rows, start=1):
            # A row may have fewer cells than the sheet has columns.
            sized = zip(cells, self.widths, strict=False)
            height = self.heights.get(number) or row_height((v, s, w) for (v, s), w in sized)
            if height:
                ws.row_dimensions[number].height = height
            ws.append([make(ws, value, style) for value, style in cells])
