"""The help screen: every key of every tab, read from the actions table."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.actions import ACTIONS, TABS, key_label


def help_text() -> str:
    """The keys, grouped by where they work."""
    lines = [
        "Everywhere",
        "  1-5      switch tab (Overview, Lock, Files, Build, Services)",
        "  ctrl+p   command palette: every action by name",
    ]
    groups = [("", "")] + [(tab, title) for tab, title in TABS]
    for tab, title in groups:
        actions = [a for a in ACTIONS if a.tab == tab and a.show]
        if not actions:
            continue
        if tab:
            lines += ["", title]
        for action in actions:
            lines.append(f"  {key_label(action):<8} {action.title}: {action.help}")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Lists every key binding and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-help"):
            yield Label("envspec: keys", id="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(help_text(), markup=False, id="dialog-text")
            yield Label("Esc closes this help.", id="help-footer")
