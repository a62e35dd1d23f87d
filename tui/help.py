"""The help screen: every key of every tab, read from the actions table."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.actions import ACTIONS, INIT, INIT_TITLE, TABS, key_label


def help_table() -> Table:
    """The keys in two columns; a long sentence wraps under its own column."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for number, (title, rows) in enumerate(_groups()):
        if number:
            grid.add_row("", "")
        grid.add_row(Text(title, style="bold"), "")
        for key, text in rows:
            grid.add_row(Text(f"  {key}"), Text(text))
    return grid


def _groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(key, "Title: sentence")]) for the app and each tab."""
    everywhere = [
        ("1-5", "Switch tab: " + ", ".join(title for _, title in TABS) + "."),
        ("ctrl+p", "Command palette: every action by name."),
    ]
    groups = [("Everywhere", everywhere)]
    for tab, title in [("", ""), *TABS, (INIT, INIT_TITLE)]:
        rows = [
            (key_label(a), f"{a.title}: {a.help}")
            for a in ACTIONS
            if a.tab == tab and a.show
        ]
        if not tab:
            everywhere += rows
        elif rows:
            groups.append((title, rows))
    return groups


class HelpScreen(ModalScreen[None]):
    """Lists every key binding and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-help"):
            yield Label("envspec: keys", id="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(help_table(), id="dialog-text")
            yield Label("Esc closes this help.", id="help-footer")
