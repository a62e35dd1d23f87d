"""The envspec terminal app: one screen of tabs over one project folder.

The app only lays out the tabs and routes what they say to each other: a
pane that changes the project (a new lock, written files, built images)
posts :class:`~tui.pane.Pane.Changed`, and the app asks the other panes to
reload. All work happens in the panes' workers, through the backend.

A folder without an envspec.toml gets no tabs at first: the app opens the
:class:`~tui.wizard.InitScreen`, which drafts one as `envspec init` does, and
mounts the tabs once the spec is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult, CSSPathType
from textual.containers import Vertical
from textual.widgets import Footer, Header, TabbedContent, TabPane

from tui.actions import INIT, TABS, Action, ActionsProvider, bindings_for
from tui.backend import Backend
from tui.build import BuildPane
from tui.files import FilesPane
from tui.help import HelpScreen
from tui.lock import LockPane
from tui.modals import ErrorScreen
from tui.overview import OverviewPane
from tui.pane import Pane
from tui.services import ServicesPane
from tui.wizard import InitScreen

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
    "services": ("overview", "services"),
}


class ProjectTabs(Vertical):
    """The app's tabs, one pane each, over a project that has a spec."""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="tabs"):
            for tab, title in TABS:
                with TabPane(title, id=tab):
                    yield _PANES[tab](id=f"{tab}-pane")


class EnvspecApp(App[None]):
    """See, lock, generate, build and run one project's environment."""

    TITLE = "envspec"
    CSS_PATH: ClassVar[CSSPathType | None] = ["app.tcss", "panes.tcss", "wizard.tcss"]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = bindings_for("")

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.sub_title = str(backend.directory)
        # Hidden tabs' loads, started once the overview has painted (see Pane).
        self.waiting_for_overview: list[Callable[[], None]] | None = []

    def compose(self) -> ComposeResult:
        yield Header()
        # One stat, here rather than in a worker: the first frame depends on
        # it, and a key typed at once must find the tabs it names.
        if self.backend.has_spec():
            yield ProjectTabs()
        yield Footer(compact=True)

    @property
    def has_tabs(self) -> bool:
        """Whether the tabs are there (the folder had a spec, or has one now)."""
        return bool(self.query(ProjectTabs))

    def pane(self, tab: str) -> Pane:
        return self.query_one(f"#{tab}-pane", Pane)

    # -- actions

    def on_mount(self) -> None:
        if self.has_tabs:
            self.pane("overview").focus_first()
        else:
            self.push_screen(InitScreen(), self._spec_written)

    async def _spec_written(self, path: Path | None) -> None:
        """The wizard wrote ``path`` (or found one there): open its overview."""
        screen = self.default_screen
        await screen.mount(ProjectTabs(), before=screen.query_one(Footer))
        self.pane("overview").focus_first()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        # Tabs and reloads need the tabs; the wizard stands in for them.
        return self.has_tabs or action not in ("show_tab", "reload_all")

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
        if action.tab == INIT:
            await self.run_action(action.action, self.screen)
        elif action.tab:
            self.action_show_tab(action.tab)
            await self.run_action(action.action, self.pane(action.tab))
        else:
            await self.run_action(action.action)

    # -- what the panes say

    @on(Pane.Changed)
    def _changed(self, message: Pane.Changed) -> None:
        for tab in _AFFECTS.get(message.what, ()):
            self.pane(tab).reload()

    # TODO: a spec deleted while the app runs blocks here with "No spec",
    # and retry shows the same error; the wizard could take over instead,
    # once the tabs are removed while it is open.
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
