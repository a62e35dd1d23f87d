"""The app's data table: Textual's, showing text as written and repainted on time.

Two things differ from :class:`~textual.widgets.DataTable`:

- Cells are plain text. DataTable reads a ``str`` cell as markup, so a
  BuildKit step named ``[app 2/4] RUN ...`` lost its ``[app 2/4]``; here
  every cell goes in as a :class:`~rich.text.Text`, shown as written.
- Its columns are as wide as their cells from the first paint. DataTable
  measures new rows only when idle, but its caches of rendered rows are not
  keyed by column width: rows painted before the measurement kept their
  old, narrower cells until something else changed. A table cleared and
  refilled with its columns (the lock's filter) was painted at the headers'
  widths, and stayed so whenever the new rows left the table's size as it
  was; a build's step table sat truncated after its last event. So each
  cell widens its column as it is added, and a change of the table's size
  drops the caches.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import Column, ColumnKey


class Table(DataTable[Text]):
    """A DataTable of literal text cells whose columns always fit their cells."""

    def add_text_row(self, *cells: str, key: str) -> None:
        """Add a row of text cells under ``key``."""
        texts = [Text(cell, no_wrap=True) for cell in cells]
        self._widen(zip(self.ordered_columns, texts, strict=False))
        self.add_row(*texts, key=key)

    def set_text(self, row: str, column: str, value: str) -> None:
        """Replace one cell's text."""
        text = Text(value, no_wrap=True)
        self._widen([(self.columns[ColumnKey(column)], text)])
        self.update_cell(row, column, text, update_width=True)

    def _widen(self, cells: Iterable[tuple[Column, Text]]) -> None:
        """Make each column at least as wide as its new cell, before a paint."""
        for column, text in cells:
            if column.auto_width:
                column.content_width = max(column.content_width, text.cell_len)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        if old != new:
            # Drops the rendered-row caches and repaints (a public hook).
            self.notify_style_update()
