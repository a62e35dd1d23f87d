"""The overview tab: the project at a glance, and what is out of date.

Its services section also says whether the stack runs, each service's state
and the app's address; while the tab is on screen that part refreshes every
two seconds, like the services tab, so a stack started elsewhere shows.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from envspec.errors import EnvspecError
from tui.models import EngineState, Overview, ServiceRow
from tui.pane import Pane

FILES_LISTED = 4  # pending generated files named here; the Files tab has all
REFRESH_SECONDS = 2.0  # how often the stack's state is read while shown

_LOCK_WORDS = {
    "fresh": "fresh: it matches the spec",
    "stale": "stale: the spec changed since the lock was written",
    "missing": "missing: there is no envspec.lock yet",
    "unusable": "unusable: envspec.lock cannot be read",
}


class OverviewPane(Pane):
    """Project, interpreters, services, and the state of lock, files, engine."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.overview: Overview | None = None
        self.stack: list[ServiceRow] | None = None  # None: not read (yet)
        self.stack_error = ""  # why the stack's state could not be read

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                "Reading the spec…", id="ov-project", classes="section", markup=False
            )
            yield Static("", id="ov-interpreters", classes="section", markup=False)
            yield Static("", id="ov-services", classes="section", markup=False)
            yield Static("", id="ov-lock", classes="section", markup=False)
            yield Static("", id="ov-files", classes="section", markup=False)
            yield Static(
                "Engine: checking…", id="ov-engine", classes="section", markup=False
            )

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.is_on_screen and not self.app.screen.is_modal:
            self.load_once("overview-stack", self._load_stack)

    def reload(self) -> None:
        # The engine's checks import docker-py; run alongside the overview they
        # would hold the interpreter while it is read, so they follow it.
        self.load_overview()

    def _then_engine(self) -> None:
        self.check_engine()
        self.load_once("overview-stack", self._load_stack)
        self.overview_shown()

    async def _load_stack(self) -> None:
        try:
            self.stack = await asyncio.to_thread(self.backend.services)
            self.stack_error = ""
        except EnvspecError as exc:
            self.stack, self.stack_error = None, exc.title
        self._show_services()

    @work(exclusive=True, group="overview")
    async def load_overview(self) -> None:
        try:
            overview = await asyncio.to_thread(self.backend.overview)
        except EnvspecError as exc:
            self.post_message(Pane.Blocked(exc))
            self._then_engine()
            return
        self.show(overview)
        self.call_after_refresh(self._then_engine)

    @work(exclusive=True, group="engine")
    async def check_engine(self) -> None:
        try:
            state = await asyncio.to_thread(self.backend.engine_state)
        except EnvspecError as exc:
            state = EngineState(False, exc.message)
        self.show_engine(state)

    def show(self, overview: Overview) -> None:
        project = self.query_one("#ov-project", Static)
        project.update(
            Text.assemble((overview.project, "bold"), "   ", str(overview.directory))
        )

        lines = ["Interpreters"]
        for interp in overview.interpreters:
            exact = f"Python {interp.python}" if interp.python else "not locked"
            lines.append(
                f"  {interp.version:<6} {interp.image:<24} {exact:<16} "
                f"{interp.packages} packages"
            )
        self.query_one("#ov-interpreters", Static).update("\n".join(lines))

        self.overview = overview
        self._show_services()

        lock = overview.lock
        lines = [f"Lock: {_LOCK_WORDS.get(lock.status, lock.status)}"]
        lines += [f"  {reason}" for reason in lock.reasons]
        if lock.status != "fresh":
            lines.append("  press 2, then l, to lock the spec")
        self._state("#ov-lock", "\n".join(lines), lock.status == "fresh")

        files = overview.files
        if files.current is None:
            head = "Generated files: not compared until the lock is fresh"
        elif files.current:
            head = "Generated files: current, they match the lock"
        else:
            head = "Generated files: out of date, press 3 then w to write them"
        details = list(files.details)
        if len(details) > FILES_LISTED:
            rest = len(details) - FILES_LISTED + 1
            details[FILES_LISTED - 1 :] = [f"… and {rest} more on the Files tab"]
        lines = [head, *(f"  {detail}" for detail in details)]
        self._state("#ov-files", "\n".join(lines), bool(files.current))

    def _show_services(self) -> None:
        """The app and the spec's services, and whether and how each runs."""
        overview = self.overview
        if overview is None:
            return
        rows = {row.name: row for row in self.stack or ()}
        listed = [(svc.name, svc.kind, svc.image) for svc in overview.services]
        # The app's services are the ones the spec does not list; the first
        # interpreter's image runs the app.
        base = overview.interpreters[0].image if overview.interpreters else ""
        named = {name for name, _, _ in listed}
        apps = [(name, "app", base) for name in rows if name not in named]

        running = [row for row in rows.values() if row.state == "running"]
        stopped = all(row.state == "stopped" for row in rows.values())
        url = next((row.url for row in running if row.url), "")
        if self.stack is None and self.stack_error:
            head = f"Services: cannot tell whether they run ({self.stack_error})"
        elif self.stack is None:
            head = "Services: reading their state…"
        elif stopped:
            head = "Services: stopped; press 5, then S, to start them"
        else:
            count = f"{len(running)} of {len(rows)} running"
            head = "Services: " + ("running" if len(running) == len(rows) else count)
            head += f"; the app is at {url}" if url else ""

        lines = [head]
        for name, kind, image in apps + listed:
            row = rows.get(name)
            state = ""
            if row is not None and not stopped:
                state = f"{row.state}, {row.health}" if row.health else row.state
            lines.append(f"  {name:<10} {kind:<12} {image:<24} {state}".rstrip())
        if not lines[1:]:
            lines.append("  none")

        widget = self.query_one("#ov-services", Static)
        widget.update("\n".join(lines))
        ready = all(
            row.state == "running" and row.health in ("", "healthy")
            for row in rows.values()
        )
        up = self.stack is not None and not stopped  # some service has a container
        widget.set_class(up and ready, "-ok")
        widget.set_class(up and not ready, "-bad")

    def show_engine(self, state: EngineState) -> None:
        word = "reachable" if state.reachable else "unreachable"
        self._state("#ov-engine", f"Engine: {word}\n  {state.detail}", state.reachable)

    def _state(self, selector: str, text: str, ok: bool) -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.set_class(ok, "-ok")
        widget.set_class(not ok, "-bad")
