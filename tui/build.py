"""The build tab: each image's steps as they run, the live log, cancel.

The build runs in a thread (``Backend.build``); every BuildKit event comes
back to the pane as a :class:`BuildPane.Progress` message, so the table and
the log update while the screen stays responsive. A failed step stays in the
table, marked, and the failure panel shows the step's error and last output.
"""

from __future__ import annotations

import asyncio
import re
import threading

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Label, RichLog, Static

from envspec.errors import EnvspecError
from tui.actions import bindings_for
from tui.backend import Cancelled
from tui.models import BuildUpdate
from tui.pane import Pane

_STEP_RE = re.compile(r"^\[(?:[^\]]* )?(\d+)/(\d+)\]")
_MARKS = {"started": "running", "done": "done", "cached": "cached", "failed": "FAILED"}


def bar(done: int, total: int, width: int = 10) -> str:
    """A text progress bar: ``██████░░░░ 3/5``."""
    if total <= 0:
        return f"{done} steps"
    filled = round(width * min(done, total) / total)
    return "█" * filled + "░" * (width - filled) + f" {done}/{total}"


class BuildPane(Pane):
    """Builds the images with per-step progress, a live log, and cancel."""

    FOCUS = "#build-steps"
    BINDINGS = bindings_for("build")

    class Progress(Message):
        """One build event, sent from the build thread."""

        def __init__(self, update: BuildUpdate) -> None:
            super().__init__()
            self.update = update

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cancel_event: threading.Event | None = None
        self.totals: dict[str, int] = {}
        self.finished_steps: dict[str, set[str]] = {}

    def compose(self) -> ComposeResult:
        yield Label("No build yet. Press b to build the images.", id="build-status")
        images: DataTable[str] = DataTable(id="build-images", cursor_type="none")
        for label in ("Image", "Progress", "State"):
            images.add_column(label, key=label.lower())
        yield images
        steps: DataTable[str] = DataTable(id="build-steps", cursor_type="row")
        for label in ("Image", "Step", "State", "Time"):
            steps.add_column(label, key=label.lower())
        yield steps
        yield Static("", id="build-failure", markup=False)
        yield RichLog(id="build-log", max_lines=2000, wrap=False, markup=False)

    def reload(self) -> None:
        """Nothing to fetch: the build tab shows the last build of this session."""

    @property
    def running(self) -> bool:
        return self.cancel_event is not None

    # -- actions

    def action_build(self) -> None:
        if self.running:
            self.notify(
                "A build is already running; press x to cancel it.",
                title="Busy",
                severity="warning",
            )
            return
        self.cancel_event = threading.Event()
        self.run_build(self.cancel_event)

    def action_cancel(self) -> None:
        if self.cancel_event is None:
            self.notify("No build is running.", title="Nothing to cancel")
            return
        self.cancel_event.set()
        self.query_one("#build-status", Label).update("Cancelling…")

    @work(exclusive=True, group="build")
    async def run_build(self, cancel: threading.Event) -> None:
        self._reset()
        status = self.query_one("#build-status", Label)
        status.update("Building…")
        try:
            await asyncio.to_thread(
                self.backend.build, self.post_message_progress, cancel
            )
        except Cancelled:
            status.update("Build cancelled; images already built are kept.")
            self.notify(
                "The build was stopped.", title="Build cancelled", severity="warning"
            )
        except EnvspecError as exc:
            status.update(f"Build failed: {exc.message.splitlines()[0]}")
            failure = self.query_one("#build-failure", Static)
            failure.update(exc.message + (f"\n\nhint: {exc.hint}" if exc.hint else ""))
            failure.add_class("-shown")
            self.report(exc)
        else:
            status.update("Build finished: every image is built.")
            self.notify("Every image is built.", title="Build finished")
            self.post_message(Pane.Changed("images"))
        finally:
            self.cancel_event = None

    def post_message_progress(self, update: BuildUpdate) -> None:
        """The build thread's callback: hand the event to the event loop."""
        self.post_message(self.Progress(update))

    # -- progress

    def _reset(self) -> None:
        self.totals.clear()
        self.finished_steps.clear()
        self.query_one("#build-images", DataTable).clear()
        self.query_one("#build-steps", DataTable).clear()
        self.query_one("#build-log", RichLog).clear()
        failure = self.query_one("#build-failure", Static)
        failure.update("")
        failure.remove_class("-shown")

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        update = message.update
        log = self.query_one("#build-log", RichLog)
        images = self.query_one("#build-images", DataTable)
        steps = self.query_one("#build-steps", DataTable)

        if update.image not in self.finished_steps:
            self.finished_steps[update.image] = set()
            images.add_row(update.image, bar(0, 0), "queued", key=update.image)

        if update.kind in ("log", "message"):
            prefix = f"{update.image} | " if update.image else ""
            log.write(prefix + update.text)
            return

        if update.step:
            match = _STEP_RE.match(update.step)
            if match:
                self.totals[update.image] = int(match.group(2))
            key = f"{update.image}\0{update.step}"
            took = f"{update.seconds:.1f} s" if update.seconds is not None else ""
            state = _MARKS.get(update.kind, update.kind)
            if key in steps.rows:
                steps.update_cell(key, "state", state)
                steps.update_cell(key, "time", took)
            else:
                steps.add_row(update.image, update.step, state, took, key=key)
            steps.move_cursor(row=steps.get_row_index(key))
            if update.kind in ("done", "cached", "failed"):
                self.finished_steps[update.image].add(update.step)
            if update.kind == "failed":
                log.write(f"{update.image} | FAILED {update.step}: {update.text}")

        done = len(self.finished_steps[update.image])
        state = {"finished": "built", "failed": "failed"}.get(update.kind, "building")
        if update.kind == "queued":
            state = "queued"
        images.update_cell(
            update.image, "progress", bar(done, self.totals.get(update.image, 0))
        )
        images.update_cell(update.image, "state", state)
