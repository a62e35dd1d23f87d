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
from textual.widgets import Label, RichLog, Static

from envspec.errors import EnvspecError
from tui.actions import bindings_for
from tui.backend import Cancelled
from tui.models import BuildUpdate
from tui.pane import Pane
from tui.table import Table

_STEP_RE = re.compile(r"^\[(?:([^\]]*) )?(\d+)/(\d+)\]")
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
        self.totals: dict[str, dict[str, int]] = {}  # image -> stage -> steps
        self.finished_steps: dict[str, set[str]] = {}
        self.failed_step = ""
        self.states: dict[str, str] = {}  # image -> what the images table says

    def compose(self) -> ComposeResult:
        yield Label(
            "No build yet. Press b to build the images.",
            id="build-status",
            markup=False,
        )
        images = Table(id="build-images", cursor_type="none")
        for label in ("Image", "Progress", "State"):
            images.add_column(label, key=label.lower())
        yield images
        steps = Table(id="build-steps", cursor_type="row")
        # The short columns first, so that a long step never pushes them
        # off a narrow screen.
        for label in ("State", "Time", "Image", "Step"):
            steps.add_column(label, key=label.lower())
        yield steps
        yield Static("", id="build-failure", markup=False)
        yield RichLog(id="build-log", max_lines=2000, wrap=True, markup=False)

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
            images = self.query_one("#build-images", Table)
            for image, state in self.states.items():
                if state in ("queued", "building"):
                    images.set_text(image, "state", "cancelled")
            self.notify(
                "The build was stopped.", title="Build cancelled", severity="warning"
            )
        except EnvspecError as exc:
            where = f" at {self.failed_step}" if self.failed_step else ""
            status.update(f"Build failed{where}; what it said is below.")
            failure = self.query_one("#build-failure", Static)
            failure.update(exc.message + (f"\n\nhint: {exc.hint}" if exc.hint else ""))
            failure.add_class("-shown")
            self.report(exc, shown=True)
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
        self.failed_step = ""
        self.states.clear()
        self.query_one("#build-images", Table).clear()
        self.query_one("#build-steps", Table).clear()
        self.query_one("#build-log", RichLog).clear()
        failure = self.query_one("#build-failure", Static)
        failure.update("")
        failure.remove_class("-shown")

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        update = message.update
        if update.kind in ("log", "message"):
            prefix = f"{update.image} | " if update.image else ""
            self.query_one("#build-log", RichLog).write(prefix + update.text)
            return
        if not update.image:
            return

        images = self.query_one("#build-images", Table)
        if update.image not in self.finished_steps:
            self.finished_steps[update.image] = set()
            self.totals[update.image] = {}
            images.add_text_row(update.image, bar(0, 0), "queued", key=update.image)
        if update.step:
            self._step(update)

        done = len(self.finished_steps[update.image])
        total = sum(self.totals[update.image].values())
        if update.kind == "finished" and total:
            # BuildKit reports a base image shared by two stages only once.
            done = total
        self.states[update.image] = _image_state(update)
        progress = bar(done, total)
        if update.kind == "finished" and not total:
            progress = "-"  # up to date: BuildKit was not even asked
        images.set_text(update.image, "progress", progress)
        images.set_text(update.image, "state", self.states[update.image])

    def _step(self, update: BuildUpdate) -> None:
        """Add or update one step's row, and count it when it is over."""
        steps = self.query_one("#build-steps", Table)
        numbered = _STEP_RE.match(update.step)
        if numbered:
            # A multi-stage build numbers each stage's steps on its own:
            # [base 1/2], [app 1/4]. The image's total is their sum.
            stage, total = numbered.group(1) or "", int(numbered.group(3))
            self.totals[update.image][stage] = total

        key = f"{update.image}\0{update.step}"
        took = f"{update.seconds:.1f} s" if update.seconds is not None else ""
        state = _MARKS.get(update.kind, update.kind)
        if key in steps.rows:
            steps.set_text(key, "state", state)
            steps.set_text(key, "time", took)
        else:
            # State, Time and the padding of every cell take 24 columns.
            text = _fit(update.step, steps.size.width - len(update.image) - 24)
            steps.add_text_row(state, took, update.image, text, key=key)
        steps.move_cursor(row=steps.get_row_index(key))

        if numbered and update.kind in ("done", "cached", "failed"):
            self.finished_steps[update.image].add(update.step)
        if update.kind == "failed":
            self.failed_step = update.step
            self.query_one("#build-log", RichLog).write(
                f"{update.image} | FAILED {update.step}: {update.text}"
            )


def _image_state(update: BuildUpdate) -> str:
    """What the images table says of an image after one of its events."""
    if update.kind == "finished":
        return update.text or "built"
    return {"queued": "queued", "failed": "failed"}.get(update.kind, "building")


def _fit(step: str, width: int) -> str:
    """A step's command on one line, cut with an ellipsis to ``width``.

    The table keeps its columns on screen; the log has the whole command.
    The cut follows the table's width when the step first shows; a later
    resize of the terminal does not cut or restore the steps already shown.
    """
    text = " ".join(step.split())
    width = max(width, 24)
    return text if len(text) <= width else text[: width - 1] + "…"
