"""The wizard for a folder without a spec: see the draft, then write it or quit.

``envspec init`` drafts an envspec.toml from the files a project already has.
This screen shows which files it read, what it found in them and the drafted
text, highlighted, and writes it on ``w``; the app then opens its tabs on the
new spec. Nothing is written before that, so quitting leaves the folder as it
was. A draft that fails (an unreadable pyproject.toml, say) blocks with the
error's modal, whose retry drafts again once the file is fixed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol, cast

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, Static

from envspec.errors import EnvspecError
from envspec.init import SpecExists
from envspec.spec import SPEC_NAME
from tui.actions import INIT, bindings_for
from tui.backend import Backend
from tui.modals import ErrorScreen
from tui.models import SpecDraft
from tui.pane import toast_text


class _HasBackend(Protocol):
    backend: Backend


class InitScreen(Screen[Path]):
    """Drafts a spec, shows it, and writes it when asked; dismisses with its path."""

    BINDINGS = bindings_for(INIT)
    AUTO_FOCUS = "#init-scroll"  # the arrows and page keys scroll the draft

    def __init__(self) -> None:
        super().__init__()
        self.draft: SpecDraft | None = None
        self.writing = False

    @property
    def backend(self) -> Backend:
        return cast(_HasBackend, self.app).backend

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="init"):
            # The header names the folder.
            yield Label(
                f"No {SPEC_NAME} here yet. "
                "This draft comes from the project's own files:",
                id="init-title",
            )
            yield Static("Reading the project's files…", id="init-found")
            with VerticalScroll(id="init-scroll") as scroll:
                scroll.border_title = f"{SPEC_NAME} (draft)"
                yield Static("", id="init-draft")
            with Horizontal(id="init-buttons"):
                yield Label("Quitting writes nothing.", id="init-note")
                # Compact: on 24 rows the draft needs the lines a border takes.
                yield Button(
                    "Write (w)", variant="primary", id="init-write", compact=True
                )
                yield Button("Draft again (r)", id="init-redraft", compact=True)
                yield Button("Quit (q)", id="init-quit", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_redraft()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write" and (self.draft is None or self.writing):
            return None  # shown, dimmed, until there is a draft to write
        return True

    # -- drafting

    @work(exclusive=True, group="init-draft")
    async def action_redraft(self) -> None:
        self._show(None)
        self.query_one("#init-found", Static).update("Reading the project's files…")
        try:
            draft = await asyncio.to_thread(self.backend.draft_spec)
        except SpecExists:
            # Written since the app opened (by hand, or `envspec init`).
            self._open_existing()
            return
        except EnvspecError as exc:
            self.query_one("#init-found", Static).update(
                Text(f"No draft ({exc.title}): {exc.message}", style="bold")
            )
            then = (
                "Once it is fixed, r reads the project again; q quits, writing nothing."
            )
            self.app.push_screen(ErrorScreen(exc, then), self._after_error)
            return
        self._show(draft)

    def _after_error(self, choice: str | None) -> None:
        if choice == "retry":
            self.action_redraft()
        else:
            self.app.exit()

    def _show(self, draft: SpecDraft | None) -> None:
        self.draft = draft
        self.query_one("#init-write", Button).disabled = draft is None
        self.refresh_bindings()
        body = self.query_one("#init-draft", Static)
        if draft is None:
            body.update("")
            return
        self.query_one("#init-found", Static).update(found_table(draft))
        body.update(
            Syntax(
                draft.text.rstrip("\n"),
                "toml",
                theme="ansi_dark",
                line_numbers=True,
                word_wrap=True,
            )
        )

    # -- writing, or not

    @work(exclusive=True, group="init-write")
    async def action_write(self) -> None:
        draft = self.draft
        if draft is None or self.writing:
            return
        self.writing = True
        self.refresh_bindings()
        try:
            path = await asyncio.to_thread(self.backend.write_spec, draft)
        except SpecExists:
            self._open_existing()
            return
        except EnvspecError as exc:
            self.writing = False
            self.refresh_bindings()
            self.notify(
                toast_text(exc),
                title=exc.title,
                severity="error",
                timeout=8,
                markup=False,
            )
            return
        self.notify(
            f"Wrote {path}. Next: press 2, then l, to lock it.",
            title="Spec written",
            markup=False,
        )
        self.dismiss(path)

    def _open_existing(self) -> None:
        """A spec appeared meanwhile: keep it, and open it instead of the draft."""
        path = self.backend.directory / SPEC_NAME
        self.notify(
            f"{path} was written since the app opened; it is kept as it is "
            "and opened instead of the draft.",
            title="Spec exists",
            severity="warning",
            timeout=8,
            markup=False,
        )
        self.dismiss(path)

    @on(Button.Pressed, "#init-write")
    def _write_pressed(self) -> None:
        self.action_write()

    @on(Button.Pressed, "#init-redraft")
    def _redraft_pressed(self) -> None:
        self.action_redraft()

    @on(Button.Pressed, "#init-quit")
    def _quit_pressed(self) -> None:
        self.app.exit()


def found_table(draft: SpecDraft) -> Table:
    """The files the draft was read from, and what it found, in two columns."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    read = (
        ", ".join(draft.read) or "nothing envspec init knows; the draft holds defaults"
    )
    grid.add_row("Read", Text(read))
    for label, text in draft.found:
        grid.add_row(label, Text(text))
    return grid
