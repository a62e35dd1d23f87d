"""The overview tab: the project at a glance, and what is out of date."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from envspec.errors import EnvspecError
from tui.models import EngineState, Overview
from tui.pane import Pane

FILES_LISTED = 4  # pending generated files named here; the Files tab has all

_LOCK_WORDS = {
    "fresh": "fresh: it matches the spec",
    "stale": "stale: the spec changed since the lock was written",
    "missing": "missing: there is no envspec.lock yet",
    "unusable": "unusable: envspec.lock cannot be read",
}


class OverviewPane(Pane):
    """Project, interpreters, services, and the state of lock, files, engine."""

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

    def reload(self) -> None:
        self.load_overview()
        self.check_engine()

    @work(exclusive=True, group="overview")
    async def load_overview(self) -> None:
        try:
            overview = await asyncio.to_thread(self.backend.overview)
        except EnvspecError as exc:
            self.post_message(Pane.Blocked(exc))
            return
        self.show(overview)

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

        lines = ["Services"]
        for svc in overview.services:
            lines.append(f"  {svc.name:<10} {svc.kind:<12} {svc.image}")
        if not overview.services:
            lines.append("  none")
        self.query_one("#ov-services", Static).update("\n".join(lines))

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

    def show_engine(self, state: EngineState) -> None:
        word = "reachable" if state.reachable else "unreachable"
        self._state("#ov-engine", f"Engine: {word}\n  {state.detail}", state.reachable)

    def _state(self, selector: str, text: str, ok: bool) -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.set_class(ok, "-ok")
        widget.set_class(not ok, "-bad")
