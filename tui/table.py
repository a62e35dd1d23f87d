"""The app's data table: Textual's, showing text as written and repainted on time.

Two things differ from :class:`~textual.widgets.DataTable`:

- Cells are plain text. DataTable reads a ``str`` cell as markup, so a
  BuildKit step named ``[app 2/4] RUN ...`` lost its ``[app 2/4]``; here
  every cell goes in as a :class:`~rich.text.Text`, shown as written.
- It repaints when its columns are measured. DataTable measures new rows
  when idle and widens its columns then, but its caches of rendered rows are
  not keyed by column width: rows painted before the measurement kept their
  old, narrower cells until something else changed (a build's step table
  sat truncated after its last event).
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable


class Table(DataTable[Text]):
    """A DataTable of literal text cells that repaints when its columns resize."""

    def add_text_row(self, *cells: str, key: str) -> None:
        """Add a row of text cells under ``key``."""
        self.add_row(*(Text(cell, no_wrap=True) for cell in cells), key=key)

    def set_text(self, row: str, column: str, value: str) -> None:
        """Replace one cell's text."""
        self.update_cell(row, column, Text(value, no_wrap=True), update_width=True)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        if old != new:
            # Drops the rendered-row caches and repaints (a public hook).
            self.notify_style_update()
