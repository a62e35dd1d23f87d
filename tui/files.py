"""The files tab: each generated file, highlighted, and its diffs.

The left list shows every file the lock renders with its status; the right
side shows the selected file in one of three views: its rendered content,
its diff against what is on disk, or its diff against the files the previous
lock rendered. Writing asks first when a file was edited by hand.
"""

from __future__ import annotations

import asyncio

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.reactive import reactive
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from envspec.errors import EnvspecError
from tui.actions import bindings_for
from tui.modals import ConfirmScreen
from tui.models import FileView
from tui.pane import Pane

VIEWS = ("file", "disk", "previous")
_VIEW_TITLES = {
    "file": "content",
    "disk": "diff against disk",
    "previous": "diff against the previous lock's files",
}
_BADGES = {"new": "+", "current": "=", "changed": "~", "edited": "!", "obsolete": "x"}
_BADGE_STYLES = {
    "new": "green",
    "changed": "yellow",
    "edited": "bold red",
    "obsolete": "red",
}


class FilesPane(Pane):
    """The generated files, their status, content and diffs."""

    FOCUS = "#files-list"
    BINDINGS = bindings_for("files")

    view: reactive[str] = reactive("file")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.files: list[FileView] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="files-left"):
                yield OptionList(id="files-list")
                yield Static(_legend(), id="files-legend")
            with Vertical(id="files-right"):
                yield Label("", id="files-title", markup=False)
                # Scrolls both ways: generated lines are not wrapped.
                with ScrollableContainer(id="files-scroll"):
                    yield Static("", id="files-body", markup=False)

    def on_mount(self) -> None:
        self.load_after_overview()

    def reload(self) -> None:
        self.load_files()

    @work(exclusive=True, group="files")
    async def load_files(self) -> None:
        try:
            files = await asyncio.to_thread(self.backend.files)
        except EnvspecError as exc:
            self.files = []
            self.query_one("#files-list", OptionList).clear_options()
            self.query_one("#files-title", Label).update(exc.title)
            self.query_one("#files-body", Static).update(exc.message)
            return
        self.files = files
        options = self.query_one("#files-list", OptionList)
        keep = options.highlighted or 0
        options.clear_options()
        options.add_options(Option(_entry(f), id=f.path) for f in files)
        if files:
            options.highlighted = min(keep, len(files) - 1)
        self._show()

    def current(self) -> FileView | None:
        index = self.query_one("#files-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.files):
            return None
        return self.files[index]

    @on(OptionList.OptionHighlighted, "#files-list")
    def _highlighted(self) -> None:
        self._show()

    def watch_view(self) -> None:
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        file = self.current()
        title = self.query_one("#files-title", Label)
        body = self.query_one("#files-body", Static)
        if file is None:
            title.update("No generated files")
            body.update("")
            return
        title.update(f"{file.path} ({file.status}): {_VIEW_TITLES[self.view]}")
        if self.view == "file":
            body.update(
                Syntax(
                    file.text.rstrip("\n"),
                    file.language,
                    theme="ansi_dark",
                    line_numbers=True,
                    word_wrap=False,
                )
            )
        elif self.view == "disk":
            body.update(_diff(file.disk_diff, "Disk holds exactly this file."))
        elif file.previous_diff is None:
            body.update("There is no previous lock to compare with.")
        else:
            body.update(
                _diff(
                    file.previous_diff,
                    "The previous lock rendered this file the same way.",
                )
            )

    # -- actions

    def action_cycle_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    @work(exclusive=True, group="files-write")
    async def action_write(self) -> None:
        stale = [f for f in self.files if f.status != "current"]
        if not stale:
            self.notify(
                "Every generated file already matches the lock.", title="Up to date"
            )
            return
        edited = [f.path for f in stale if f.status == "edited"]
        if edited:
            question = ConfirmScreen(
                "Overwrite files edited by hand?",
                "These files were changed by hand since envspec wrote them; "
                "writing replaces them:\n" + "\n".join(f"  {p}" for p in edited),
                confirm="Overwrite",
            )
            if not await self.app.push_screen_wait(question):
                return
        try:
            written = await asyncio.to_thread(self.backend.write_files, bool(edited))
        except EnvspecError as exc:
            self.report(exc)
            return
        self.notify(_written(written), title="Files written", markup=False)
        self.post_message(Pane.Changed("files"))


def _entry(file: FileView) -> Text:
    """A file in the list: its status badge, coloured, and its name."""
    badge = _BADGES.get(file.status, "?")
    style = _BADGE_STYLES.get(file.status, "")
    name = file.path.split("/", 1)[-1]
    return Text.assemble((badge, style), " ", name, no_wrap=True, overflow="ellipsis")


def _legend() -> Text:
    """What the badges mean, under the list, in two short lines."""
    parts: list[str | tuple[str, str]] = []
    for status, end in (
        ("new", "  "),
        ("changed", "\n"),
        ("edited", "  "),
        ("current", ""),
    ):
        parts += [(_BADGES[status], _BADGE_STYLES.get(status, "")), f" {status}{end}"]
    return Text.assemble(*parts)


def _written(paths: list[str]) -> str:
    """A short account of what a write did, for its toast."""
    if not paths:
        return "Nothing needed writing."
    if len(paths) <= 2:
        return f"Wrote {' and '.join(paths)}."
    folder = paths[0].rsplit("/", 1)[0] if "/" in paths[0] else "."
    return f"Wrote {len(paths)} files in {folder}/."


def _diff(text: str | None, same: str) -> Syntax | str:
    if not text:
        return same
    return Syntax(text, "diff", theme="ansi_dark", word_wrap=False)
