"""The services tab: state, health, ports and image of each service.

Starting, stopping and restarting run in workers. While one runs, a thread
watches the engine's events and the table refreshes on each, so a database
turning healthy shows as the engine reports it, not when the start is done;
besides, while the tab is on screen, the table refreshes every two seconds.
Following a service's logs streams them into the log panel from a thread
until the user stops it or picks another service.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, RichLog

from envspec.errors import EnvspecError
from tui.actions import bindings_for
from tui.modals import ConfirmScreen
from tui.models import ServiceRow
from tui.pane import Pane
from tui.table import Table

REFRESH_SECONDS = 2.0
_COLUMNS = ("Service", "State", "Health", "Ports", "Image", "Detail")
_HINT = "S starts the stack, s the selected service; f follows its logs."
_DOING = {"start": "Starting", "stop": "Stopping", "restart": "Restarting"}
_DONE = {"start": "started", "stop": "stopped", "restart": "restarted"}
_REMOVE_VOLUMES = (
    "Every service stops and the stack's volumes are removed: the data kept "
    "in them, such as a database's tables and rows, is deleted for good, "
    "and the next start begins without it.\n\n"
    "T stops the stack and keeps the data."
)


class ServicesPane(Pane):
    """The stack's services, with start/stop/restart and log following."""

    FOCUS = "#services-table"
    BINDINGS = bindings_for("services")

    class LogLine(Message):
        """A line of the followed service's logs, sent from its thread."""

        def __init__(self, service: str, line: str) -> None:
            super().__init__()
            self.service = service
            self.line = line

    class EngineChanged(Message):
        """The engine reported a change to the stack, sent from a thread."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[ServiceRow] = []
        self.following: str | None = None
        self._unreadable = False  # the last refresh failed
        self._stop_logs: threading.Event | None = None

    def compose(self) -> ComposeResult:
        table = Table(id="services-table", cursor_type="row")
        for label in _COLUMNS:
            table.add_column(label, key=label.lower())
        yield table
        yield Label(_HINT, id="services-status", markup=False)
        yield Label(
            "Logs: press f to follow the selected service.",
            id="services-log-title",
            markup=False,
        )
        yield RichLog(id="services-log", max_lines=5000, wrap=True, markup=False)

    def on_mount(self) -> None:
        self.load_after_overview()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.is_on_screen and not self.app.screen.is_modal:
            self.reload()

    def reload(self) -> None:
        self.load_once("services", self._load_services)

    async def _load_services(self) -> None:
        status = self.query_one("#services-status", Label)
        try:
            rows = await asyncio.to_thread(self.backend.services)
        except EnvspecError as exc:
            # Shown in place, not as a toast: this repeats every refresh.
            status.update(f"{exc.title}: {exc.message}")
            status.add_class("-error")
            self._unreadable = True
            return
        if self._unreadable:
            self._unreadable = False
            status.update(_HINT)
            status.remove_class("-error")
        self.show(rows)

    def show(self, rows: list[ServiceRow]) -> None:
        self.rows = rows
        table = self.query_one("#services-table", Table)
        keep = self.selected()
        table.clear()
        for row in rows:
            table.add_text_row(
                row.name,
                row.state,
                row.health or "-",
                row.ports or "-",
                row.image,
                row.detail,
                key=row.name,
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    def selected(self) -> str | None:
        table = self.query_one("#services-table", Table)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # -- actions

    def action_start(self) -> None:
        self._one("start")

    def action_stop(self) -> None:
        self._one("stop")

    def action_restart(self) -> None:
        self._one("restart")

    def action_start_all(self) -> None:
        self.operate("start", None)

    def action_stop_all(self) -> None:
        self.operate("stop", None)

    def action_restart_all(self) -> None:
        self.operate("restart", None)

    def _one(self, verb: str) -> None:
        name = self.selected()
        if name is None:
            self.notify(
                "There is no service to act on.", title="No service", severity="warning"
            )
            return
        self.operate(verb, name)

    @work(group="services-op")
    async def operate(self, verb: str, service: str | None) -> None:
        """Start, stop or restart one service or the stack, in a thread."""
        what = service or "the stack"
        method = {
            "start": self.backend.start,
            "stop": self.backend.stop,
            "restart": self.backend.restart,
        }[verb]
        if verb == "start" and service is None:
            done = "The stack is up: every service is ready."
        else:
            done = f"{what[:1].upper()}{what[1:]} {_DONE[verb]}."
        await self._carry_out(f"{_DOING[verb]} {what}…", lambda: method(service), done)

    def action_remove_volumes(self) -> None:
        self.remove_volumes()

    @work(group="services-op")
    async def remove_volumes(self) -> None:
        """Ask, then take the stack down with its volumes, in a thread."""
        confirm = ConfirmScreen(
            "Remove the stack's volumes and delete its data?",
            _REMOVE_VOLUMES,
            confirm="Remove",
            danger=True,
        )
        if not await self.app.push_screen_wait(confirm):
            return
        await self._carry_out(
            "Stopping the stack and removing its volumes…",
            self.backend.remove_volumes,
            "The stack stopped; its volumes are removed and their data deleted.",
        )

    async def _carry_out(self, doing: str, call: Callable[[], None], done: str) -> None:
        """Run ``call`` in a thread, the rows following the engine meanwhile."""
        status = self.query_one("#services-status", Label)
        status.remove_class("-error")
        status.update(doing)
        stop = threading.Event()
        self.follow_engine(stop)
        try:
            await asyncio.to_thread(call)
        except EnvspecError as exc:
            status.update(f"{exc.title}: {exc.message.splitlines()[0]}")
            status.add_class("-error")
            self.report(exc)
        else:
            status.update(done)
            self.post_message(Pane.Changed("services"))
        finally:
            stop.set()
        self.reload()

    @work(thread=True, group="services-watch")
    def follow_engine(self, stop: threading.Event) -> None:
        """Refresh the rows on each of the engine's changes until ``stop`` is set.

        An engine that cannot be watched ends the watch: the timer's
        refreshes go on, and the operation reports the engine's error.
        """

        def changed() -> None:
            self.post_message(self.EngineChanged())

        try:
            self.backend.watch_services(changed, stop)
        except EnvspecError:
            return

    @on(EngineChanged)
    def _engine_changed(self) -> None:
        self.reload()

    def action_follow(self) -> None:
        name = self.selected()
        following = self.following
        self._stop_following()
        if name is None or name == following:
            return
        self.following = name
        self._stop_logs = threading.Event()
        self.query_one("#services-log", RichLog).clear()
        self.query_one("#services-log-title", Label).update(
            f"Logs of {name} (following; f stops)"
        )
        self.follow(name, self._stop_logs)

    def _stop_following(self) -> None:
        if self._stop_logs is not None:
            self._stop_logs.set()
        if self.following is not None:
            self.query_one("#services-log-title", Label).update(
                f"Logs of {self.following} (stopped)"
            )
        self.following = None
        self._stop_logs = None

    @work(thread=True, group="services-logs")
    def follow(self, service: str, stop: threading.Event) -> None:
        """Stream one service's logs until ``stop`` is set (a thread worker)."""

        def line(text: str) -> None:
            self.post_message(self.LogLine(service, text))

        try:
            self.backend.follow_logs(service, line, stop)
        except EnvspecError as exc:
            self.app.call_from_thread(self.report, exc)

    @on(LogLine)
    def _log_line(self, message: LogLine) -> None:
        if message.service == self.following:
            self.query_one("#services-log", RichLog).write(message.line)

    def on_unmount(self) -> None:
        if self._stop_logs is not None:
            self._stop_logs.set()
