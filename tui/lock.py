"""The lock tab: every pinned package, filtered, and re-locking.

A re-lock always shows its changes first: the pane resolves in a worker
(``Backend.plan_lock``), lists what would be added, removed, upgraded or
downgraded, and writes only after the user says yes in a modal.
"""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, Static

from envspec.errors import EnvspecError
from tui.actions import bindings_for
from tui.modals import ConfirmScreen
from tui.models import LockPlan, LockRow
from tui.pane import Pane
from tui.table import Table


def describe_plan(plan: LockPlan) -> str:
    """The changes of a planned lock, one per line, grouped by interpreter."""
    if not plan.changes:
        return "No package changes."
    lines: list[str] = []
    current = None
    for change in plan.changes:
        if change.interpreter != current:
            current = change.interpreter
            lines.append(
                f"Python {current}:" if current[:1].isdigit() else f"{current}:"
            )
        lines.append(f"  {change.describe()}")
    return "\n".join(lines)


def via_text(via: tuple[str, ...], width: int) -> str:
    """What pulled a package in, in at most ``width`` characters.

    Names that do not fit are counted instead ("django +2"); the filter
    still matches every one of them.
    """
    for shown in range(len(via), 0, -1):
        rest = len(via) - shown
        text = ", ".join(via[:shown]) + (f" +{rest}" if rest else "")
        if len(text) <= width:
            return text
    text = via[0] if via else ""
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def matches(row: LockRow, needle: str) -> bool:
    """Whether a row's package, version or origin contains the filter text."""
    needle = needle.strip().lower()
    if not needle:
        return True
    haystack = " ".join((row.name, row.version, *row.via)).lower()
    return all(word in haystack for word in needle.split())


class LockPane(Pane):
    """The locked packages per interpreter, and re-locking all or one."""

    FOCUS = "#lock-table"
    BINDINGS = bindings_for("lock")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[LockRow] = []

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="Filter packages by name, version or origin (/)",
            id="lock-filter",
            compact=True,
        )
        yield Table(id="lock-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="lock-changes", markup=False)

    def on_mount(self) -> None:
        self._fill()  # the headers, until the rows arrive
        self.load_after_overview()

    def reload(self) -> None:
        self.load_rows()

    @work(exclusive=True, group="lock-rows")
    async def load_rows(self) -> None:
        try:
            rows = await asyncio.to_thread(self.backend.lock_rows)
        except EnvspecError as exc:
            self.rows = []
            self._fill()
            self.query_one("#lock-changes", Static).update(
                f"{exc.title}: {exc.message}"
            )
            self.query_one("#lock-changes").add_class("-shown")
            return
        self.rows = rows
        self._fill()

    def _fill(self) -> None:
        needle = self.query_one("#lock-filter", Input).value
        table = self.query_one("#lock-table", Table)
        keep = self.selected()
        # Columns only ever widen; new ones start from the new rows' widths.
        table.clear(columns=True)
        for label in ("Python", "Package", "Version", "Via"):
            table.add_column(label, key=label.lower())
        width = self._via_width(table)
        for row in self.rows:
            if matches(row, needle):
                table.add_text_row(
                    row.interpreter,
                    row.name,
                    row.version,
                    via_text(row.via, width),
                    key=f"{row.interpreter}:{row.name}",
                )
        if keep is not None:
            key = f"{keep.interpreter}:{keep.name}"
            if key in table.rows:
                table.move_cursor(row=table.get_row_index(key), scroll=False)
        self.border_subtitle = f"{table.row_count} of {len(self.rows)} packages"

    def _via_width(self, table: Table) -> int:
        """Room left for the Via column once the others are laid out."""
        if not table.size.width:
            return 80  # not laid out yet; the resize that follows refills
        widest = [
            max([len(label), *(len(getattr(r, attr)) for r in self.rows)])
            for label, attr in (
                ("Python", "interpreter"),
                ("Package", "name"),
                ("Version", "version"),
            )
        ]
        # Two columns of padding per cell, two for the vertical scrollbar.
        return max(table.size.width - sum(widest) - 2 * 4 - 2, 12)

    def on_resize(self) -> None:
        if self.rows:
            self._fill()

    @on(Input.Changed, "#lock-filter")
    def _filter(self) -> None:
        self._fill()
        self.refresh_bindings()  # Esc clears a filter that has text

    @on(Input.Submitted, "#lock-filter")
    def _done_filtering(self) -> None:
        self.query_one("#lock-table").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        # Esc leaves the filter, then clears it; only one of them is offered.
        field = self.query_one("#lock-filter", Input)
        if action in ("leave_filter", "focus_filter"):
            return field.has_focus == (action == "leave_filter")
        if action == "clear_filter":
            return bool(field.value) and not field.has_focus
        return True

    def selected(self) -> LockRow | None:
        table = self.query_one("#lock-table", Table)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if f"{r.interpreter}:{r.name}" == key), None)

    # -- actions

    def action_focus_filter(self) -> None:
        # At once, so that a letter typed right after the slash is filtered.
        self.screen.set_focus(self.query_one("#lock-filter", Input))

    def action_leave_filter(self) -> None:
        self.screen.set_focus(self.query_one("#lock-table"))

    def action_clear_filter(self) -> None:
        self.query_one("#lock-filter", Input).value = ""

    def action_preview(self) -> None:
        self.plan("", write=False)

    def action_relock(self) -> None:
        self.plan("", write=True)

    def action_upgrade_all(self) -> None:
        self.plan("all", write=True)

    def action_upgrade_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.notify(
                "Select a package in the table first.",
                title="No package",
                severity="warning",
            )
            return
        self.plan(row.name, write=True)

    @work(exclusive=True, group="lock-plan")
    async def plan(self, upgrade: str, write: bool) -> None:
        """Resolve in a thread, show the changes, then ask before writing."""
        what = {"": "the spec", "all": "every package"}.get(upgrade, upgrade)
        doing = {"": "Re-locking", "all": "Upgrading every package"}.get(
            upgrade, f"Upgrading {upgrade}"
        )
        panel = self.query_one("#lock-changes", Static)
        panel.update(f"{doing}: resolving…")
        panel.add_class("-shown")
        try:
            plan = await asyncio.to_thread(self.backend.plan_lock, upgrade)
        except EnvspecError as exc:
            panel.update(f"{exc.title}: {exc.message}")
            self.report(exc)
            return
        text = describe_plan(plan)
        panel.update(
            f"{doing} would make these changes:\n{text}"
            if plan.changes
            else f"{doing} changes no package."
        )
        if not write:
            return
        if not plan.changes and not plan.differs:
            self.notify("envspec.lock already matches the spec.", title="Up to date")
            return
        body = (
            text
            if plan.changes
            else "No package changes; the lock records the new spec."
        )
        confirm = ConfirmScreen(f"Write envspec.lock ({what})?", body)
        if await self.app.push_screen_wait(confirm):
            await self.write(plan)

    async def write(self, plan: LockPlan) -> None:
        try:
            await asyncio.to_thread(self.backend.write_lock, plan)
        except EnvspecError as exc:
            self.report(exc)
            return
        count = len(plan.changes)
        self.notify(
            f"{count} change{'s' if count != 1 else ''} written.", title="Lock written"
        )
        self.query_one("#lock-changes", Static).update("")
        self.query_one("#lock-changes").remove_class("-shown")
        self.post_message(Pane.Changed("lock"))
