"""The envspec terminal app: one screen of tabs over one project folder.

The app only lays out the tabs and routes what they say to each other: a
pane that changes the project (a new lock, written files, built images)
posts :class:`~tui.pane.Pane.Changed`, and the app asks the other panes to
reload. All work happens in the panes' workers, through the backend.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult, CSSPathType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from tui.actions import TABS, Action, ActionsProvider, bindings_for
from tui.backend import Backend
from tui.build import BuildPane
from tui.files import FilesPane
from tui.help import HelpScreen
from tui.lock import LockPane
from tui.modals import ErrorScreen
from tui.overview import OverviewPane
from tui.pane import Pane
from tui.services import ServicesPane

_PANES: dict[str, type[Pane]] = {
    "overview": OverviewPane,
    "lock": LockPane,
    "files": FilesPane,
    "build": BuildPane,
    "services": ServicesPane,
}
# Which panes show what a change touched.
_AFFECTS = {
    "lock": ("overview", "lock", "files", "services"),
    "files": ("overview", "files"),
    "images": ("services",),
    "services": ("services",),
}


class EnvspecApp(App[None]):
    """See, lock, generate, build and run one project's environment."""

    TITLE = "envspec"
    CSS_PATH: ClassVar[CSSPathType | None] = ["app.tcss", "panes.tcss"]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = bindings_for("")

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.sub_title = str(backend.directory)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            for tab, title in TABS:
                with TabPane(title, id=tab):
                    yield _PANES[tab](id=f"{tab}-pane")
        yield Footer(compact=True)

    def pane(self, tab: str) -> Pane:
        return self.query_one(f"#{tab}-pane", Pane)

    # -- actions

    def on_mount(self) -> None:
        self.pane("overview").focus_first()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.pane(tab).focus_first()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.pane(event.pane.id).focus_first()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_reload_all(self) -> None:
        for tab, _ in TABS:
            self.pane(tab).reload()

    async def perform(self, action: Action) -> None:
        """Run an action from the command palette, on its tab."""
        if action.tab:
            self.action_show_tab(action.tab)
            await self.run_action(action.action, self.pane(action.tab))
        else:
            await self.run_action(action.action)

    # -- what the panes say

    @on(Pane.Changed)
    def _changed(self, message: Pane.Changed) -> None:
        for tab in _AFFECTS.get(message.what, ()):
            self.pane(tab).reload()

    @on(Pane.Blocked)
    def _blocked(self, message: Pane.Blocked) -> None:
        if isinstance(self.screen, ErrorScreen):
            return

        def chosen(choice: str | None) -> None:
            if choice == "retry":
                self.action_reload_all()
            else:
                self.exit()

        self.push_screen(ErrorScreen(message.error), chosen)
