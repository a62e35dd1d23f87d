"""Pilot tests of the terminal app, every action against the fake backend."""

from __future__ import annotations

import asyncio
import functools
import io
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, RichLog, Static

from envspec.errors import (
    EngineError,
    InputError,
    Problem,
    ResolutionError,
    RunError,
    SpecError,
)
from tui.actions import ACTIONS, INIT, ActionsProvider, offered
from tui.app import EnvspecApp
from tui.build import BuildPane, bar
from tui.fake import FakeBackend
from tui.help import HelpScreen
from tui.lock import LockPane, matches, via_text
from tui.modals import ConfirmScreen, ErrorScreen
from tui.models import LockRow
from tui.wizard import InitScreen

SIZE = (120, 36)


def sync(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Run an async test on its own event loop (no async pytest plugin here)."""

    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


async def settle(pilot: Pilot[None], timeout: float = 10.0) -> None:
    """Let every worker finish, or stop at a modal that waits for an answer.

    A worker that asks through ``push_screen_wait`` cannot finish until the
    modal is answered, so waiting for all workers would wait forever.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await pilot.pause()
        busy = [w for w in pilot.app.workers if not w.is_finished]
        if not busy or isinstance(pilot.app.screen, ModalScreen):
            await pilot.pause()
            return
        if loop.time() > deadline:
            raise AssertionError(f"workers still running: {busy}")
        await asyncio.sleep(0.01)


def text_of(app: EnvspecApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def toasts(app: EnvspecApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications]


def cells(table: DataTable[str]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def painted(table: DataTable[Any]) -> list[str]:
    """The table's lines as it paints them now (through its render caches)."""
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


async def until(
    pilot: Pilot[None], what: str, seen: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Wait, letting the app run, until ``seen()`` holds; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not seen():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not seen after {timeout} s")
        await pilot.pause(0.02)


def shown(widget: Static, width: int = 120) -> str:
    """A Static's content as plain text, as a terminal of ``width`` shows it."""
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


# -- overview


@sync
async def test_overview_shows_project_lock_files_and_engine() -> None:
    """The overview names the project, its interpreters and services, and states."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "bookshelf" in text_of(app, "#ov-project")
        assert "3.13.1" in text_of(app, "#ov-interpreters")
        assert "postgres:17" in text_of(app, "#ov-services")
        assert "fresh" in text_of(app, "#ov-lock")
        assert "compose.yaml: changed" in text_of(app, "#ov-files")
        assert "Engine: reachable" in text_of(app, "#ov-engine")


@sync
async def test_overview_says_why_the_lock_is_stale() -> None:
    """A stale lock is marked and each reason from the spec diff is listed."""
    app = EnvspecApp(FakeBackend(stale=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lock = app.query_one("#ov-lock", Static)
        assert 'python.requirements: added "celery>=5.4"' in text_of(app, "#ov-lock")
        assert lock.has_class("-bad")


@sync
async def test_overview_says_whether_the_stack_runs_and_where_the_app_is() -> None:
    """The overview's services say "stopped" until the stack starts, then each
    service's state and the app's URL, and "stopped" again after T."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = text_of(app, "#ov-services")
        assert text.splitlines()[0] == (
            "Services: stopped; press 5, then S, to start them")
        assert "db         postgres     postgres:17" in text

        await pilot.press("5", "S")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        lines = text_of(app, "#ov-services").splitlines()
        assert lines[0] == "Services: running; the app is at http://127.0.0.1:8000/"
        assert lines[1].split() == ["app", "app", "python:3.13-slim", "running"]
        assert lines[2].split() == [
            "db", "postgres", "postgres:17", "running,", "healthy"]
        assert app.query_one("#ov-services").has_class("-ok")

        await pilot.press("5", "T", "1")
        await settle(pilot)
        assert text_of(app, "#ov-services").startswith("Services: stopped;")


@sync
async def test_overview_reports_an_unreachable_engine() -> None:
    """When the engine does not answer, the overview says so and why."""
    app = EnvspecApp(FakeBackend(engine_up=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "unreachable" in text_of(app, "#ov-engine")
        assert "cannot reach" in text_of(app, "#ov-engine")


@sync
async def test_an_invalid_spec_blocks_with_a_modal_and_quit_leaves() -> None:
    """A spec that cannot be read opens a modal listing its problems."""
    backend = FakeBackend()
    backend.fail["overview"] = SpecError(
        [Problem(Path("envspec.toml"), 3, 1, "unknown key `pyton`")])
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert "unknown key `pyton`" in str(app.screen.query_one("#dialog-text", Static).render())
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@sync
async def test_retry_after_a_blocking_error_reloads() -> None:
    """Retry in the error modal reads everything again once the spec is fixed."""
    backend = FakeBackend()
    backend.fail["overview"] = SpecError([Problem(Path("envspec.toml"), 1, 1, "bad")])
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        del backend.fail["overview"]
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert "bookshelf" in text_of(app, "#ov-project")


# -- a folder without a spec: the wizard


def _pyproject_error() -> InputError:
    return InputError(
        "cannot read /work/bookshelf/pyproject.toml: Expected '=' after a key "
        "in a key/value pair (at line 3, column 6)",
        hint="fix pyproject.toml, or move it aside and run `envspec init` again",
        title="Bad pyproject.toml",
    )


@sync
async def test_no_spec_opens_the_wizard_with_what_init_found() -> None:
    """Without a spec the app shows the files read, the findings and the draft."""
    backend = FakeBackend(spec=False)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InitScreen)
        found = shown(app.screen.query_one("#init-found", Static))
        assert "Read       .python-version, requirements.txt, docker-compose.yml" in found
        assert "Services   db (postgres 17)" in found
        draft = shown(app.screen.query_one("#init-draft", Static))
        assert '5 name = "bookshelf"  # the folder\'s name' in draft
        assert "[services.db]" in draft
        assert {"w", "r", "q"} <= set(app.screen.active_bindings)

        await pilot.press("2")  # the tabs' keys do nothing here
        await settle(pilot)
        assert isinstance(app.screen, InitScreen) and not app.has_tabs
        assert backend.calls == ["has_spec", "draft_spec"]


@sync
async def test_writing_the_draft_creates_the_spec_and_opens_the_overview() -> None:
    """w writes the drafted text, then the app opens its tabs on the new spec."""
    backend = FakeBackend(spec=False)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        drafted = app.screen.draft
        await pilot.press("w")
        await settle(pilot)
        assert drafted is not None and backend.written_spec == drafted.text
        assert not isinstance(app.screen, InitScreen)
        assert app.query_one("#tabs").active == "overview"  # type: ignore[attr-defined]
        assert "bookshelf" in text_of(app, "#ov-project")
        assert ("Spec written", "Wrote /work/bookshelf/envspec.toml. Next: press 2, "
                "then l, to lock it.") in toasts(app)
        await pilot.press("2")
        await settle(pilot)
        assert app.query_one("#tabs").active == "lock"  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["key", "button"])
def test_quitting_the_wizard_writes_nothing(how: str) -> None:
    """q, or the Quit button, leaves the app with no spec written."""

    async def run() -> None:
        backend = FakeBackend(spec=False)
        app = EnvspecApp(backend)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            if how == "key":
                await pilot.press("q")
            else:
                await pilot.click("#init-quit")
            await pilot.pause()
        assert app.return_code == 0
        assert "write_spec" not in backend.calls
        assert backend.written_spec is None and not backend.spec

    asyncio.run(run())


@sync
async def test_a_draft_that_fails_says_why_and_retry_drafts_again() -> None:
    """A project file init cannot read blocks with its error; r drafts again."""
    backend = FakeBackend(spec=False)
    backend.fail["draft_spec"] = _pyproject_error()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert app.screen.query_one("#dialog-title", Label).content == (
            "Bad pyproject.toml")
        text = str(app.screen.query_one("#dialog-text", Static).render())
        assert "cannot read /work/bookshelf/pyproject.toml" in text
        assert "hint: fix pyproject.toml" in text

        del backend.fail["draft_spec"]  # the file was fixed
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, InitScreen)
        assert app.screen.draft is not None
        assert backend.calls.count("draft_spec") == 2


@sync
async def test_quitting_after_a_failed_draft_writes_nothing() -> None:
    """Quit in the error modal of a failed draft leaves without writing."""
    backend = FakeBackend(spec=False)
    backend.fail["draft_spec"] = _pyproject_error()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert "write_spec" not in backend.calls and not backend.spec


@sync
async def test_a_failed_write_is_a_toast_and_the_wizard_stays() -> None:
    """A write that fails is reported as a toast; the draft can be written again."""
    backend = FakeBackend(spec=False)
    backend.fail["write_spec"] = RunError(
        "could not write /work/bookshelf/envspec.toml: No space left on device",
        hint="free disk space, then write again", title="Write failed")
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert ("Write failed", "could not write /work/bookshelf/envspec.toml: No "
                "space left on device\nfree disk space, then write again") in toasts(app)
        assert isinstance(app.screen, InitScreen) and not app.has_tabs

        del backend.fail["write_spec"]
        await pilot.press("w")
        await settle(pilot)
        assert app.has_tabs and backend.written_spec is not None


@sync
async def test_a_spec_written_meanwhile_is_opened_not_overwritten() -> None:
    """A spec that appears while the draft is shown is kept and opened."""
    backend = FakeBackend(spec=False)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        backend.spec = True  # `envspec init` in another terminal
        await pilot.press("w")
        await settle(pilot)
        assert backend.written_spec is None
        assert app.has_tabs and "bookshelf" in text_of(app, "#ov-project")
        assert [t for t, _ in toasts(app)] == ["Spec exists"]


@sync
async def test_palette_on_the_wizard_offers_only_what_works_there() -> None:
    """Without a spec the palette lists the wizard's actions, help and quit."""
    backend = FakeBackend(spec=False)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = ActionsProvider(app.screen)
        found = [hit.text async for hit in provider.discover()]
        assert found == ["Help", "Quit", "Write spec", "Draft again"]

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Write spec")
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await settle(pilot)
        assert backend.written_spec is not None and app.has_tabs


# -- lock


def test_filter_matches_name_version_and_origin() -> None:
    """The lock filter matches a package's name, version or what pulled it in."""
    row = LockRow("3.13", "packaging", "24.2", ("gunicorn",))
    assert matches(row, "pack")
    assert matches(row, "gunicorn")
    assert matches(row, "24.2 pack")
    assert not matches(row, "django")


def test_via_names_what_fits_and_counts_the_rest() -> None:
    """The Via column names as many origins as fit and counts the others."""
    via = ("dj-database-url", "djangorestframework", "envspec.toml")
    assert via_text(via, 60) == "dj-database-url, djangorestframework, envspec.toml"
    assert via_text(via, 40) == "dj-database-url, djangorestframework +1"
    assert via_text(via, 20) == "dj-database-url +2"
    assert via_text(via, 12) == "dj-database…"
    assert via_text((), 12) == ""


@sync
async def test_lock_table_lists_packages_with_via_and_filters() -> None:
    """The lock tab lists every pin with its origin, and the filter narrows it."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#lock-table", DataTable)
        assert table.row_count == 20
        assert ["3.13", "packaging", "24.2", "gunicorn"] in cells(table)

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"psycopg")
        await pilot.pause()
        # typing-extensions stays: psycopg is among what pulled it in.
        assert {row[1] for row in cells(table)} == {
            "psycopg", "psycopg-binary", "typing-extensions"}
        assert table.row_count == 6
        await pilot.press("enter")
        assert app.focused is table


@pytest.mark.parametrize(("first", "then"), [("psy", "c"), ("d", "j")])
def test_lock_columns_fit_the_rows_when_the_filter_keeps_them(
    first: str, then: str
) -> None:
    """Typing on in the filter with the same rows matching keeps every column
    as wide as its cells: psycopg-binary and envspec.toml stay whole (a
    refill painted them at the headers' widths, "psycopg" and "env")."""

    async def run() -> None:
        app = EnvspecApp(FakeBackend())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            await settle(pilot)
            table = app.query_one("#lock-table", DataTable)
            await pilot.press("slash", *first)
            await settle(pilot)
            before = cells(table)
            await pilot.press(then)
            await settle(pilot)
            assert cells(table) == before  # the same rows match
            lines = painted(table)
            for row in cells(table):
                assert any(line.split() == " ".join(row).split() for line in lines), (
                    row,
                    lines,
                )

    asyncio.run(run())


@sync
async def test_escape_leaves_the_filter_then_clears_it() -> None:
    """Esc in the filter goes back to the table keeping the text, so c then
    previews; the footer shows Esc meanwhile; Esc on the table clears it."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#lock-table", DataTable)
        field = app.query_one("#lock-filter", Input)
        await pilot.press("slash", *"psy")
        await settle(pilot)
        assert app.focused is field
        footer = {k: b.binding.description for k, b in app.active_bindings.items()}
        assert footer.get("escape") == "Leave filter"

        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is table and field.value == "psy"
        assert table.row_count == 6
        await pilot.press("c")
        await settle(pilot)
        assert field.value == "psy" and "plan_lock:" in backend.calls

        footer = {k: b.binding.description for k, b in app.active_bindings.items()}
        assert footer.get("escape") == "Clear filter"
        await pilot.press("escape")
        await settle(pilot)
        assert field.value == "" and table.row_count == 20
        assert app.focused is table
        assert "escape" not in app.active_bindings  # nothing left to clear


@sync
async def test_keys_typed_at_once_after_slash_or_esc_follow_the_focus() -> None:
    """Keys that arrive in one burst with / go into the filter, and a c right
    after Esc previews, instead of reaching the widget focused before."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        for key in ("slash", "p", "s", "y"):
            app.post_message(events.Key(key, "/" if key == "slash" else key))
        await settle(pilot)
        assert app.query_one("#lock-filter", Input).value == "psy"

        for key in ("escape", "c"):
            app.post_message(events.Key(key, None if key == "escape" else key))
        await settle(pilot)
        assert app.query_one("#lock-filter", Input).value == "psy"
        assert "plan_lock:" in backend.calls


@sync
async def test_preview_shows_changes_and_writes_nothing() -> None:
    """Preview resolves and lists what a re-lock would change, without writing."""
    backend = FakeBackend(stale=True)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "c")
        await settle(pilot)
        assert "+ celery 5.4.0" in text_of(app, "#lock-changes")
        assert "plan_lock:" in backend.calls
        assert not any(c.startswith("write_lock") for c in backend.calls)


@sync
async def test_relock_asks_then_writes_and_refreshes() -> None:
    """Lock shows the changes in a modal and writes only after yes."""
    backend = FakeBackend(stale=True)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "+ celery 5.4.0" in app.screen.body
        await pilot.press("y")
        await settle(pilot)
        assert "write_lock:" in backend.calls
        assert ("Lock written", "2 changes written.") in toasts(app)
        rows = cells(app.query_one("#lock-table", DataTable))
        assert ["3.13", "celery", "5.4.0", "envspec.toml"] in rows
        assert "fresh" in text_of(app, "#ov-lock")


@sync
async def test_relock_declined_writes_nothing() -> None:
    """Answering no in the modal leaves the lock alone."""
    backend = FakeBackend(stale=True)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "l")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert not any(c.startswith("write_lock") for c in backend.calls)


@sync
async def test_relock_of_a_fresh_lock_says_up_to_date() -> None:
    """Locking a lock that already matches asks nothing and says so."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "l")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert ("Up to date", "envspec.lock already matches the spec.") in toasts(app)


@sync
async def test_upgrade_one_package_upgrades_the_selected_row() -> None:
    """Upgrade package re-locks only the package under the cursor."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("down", "down", "u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "django 5.1.4 -> 5.1.5 (upgraded)" in app.screen.body
        await pilot.press("y")
        await settle(pilot)
        assert backend.calls.count("write_lock:django") == 1
        rows = cells(app.query_one("#lock-table", DataTable))
        assert ["3.13", "django", "5.1.5", "envspec.toml"] in rows


@sync
async def test_upgrade_all_upgrades_every_package() -> None:
    """Upgrade all re-locks every package after confirmation."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "U")
        await settle(pilot)
        assert "sqlparse 0.5.3 -> 0.5.4" in app.screen.body  # type: ignore[attr-defined]
        await pilot.press("y")
        await settle(pilot)
        assert "write_lock:all" in backend.calls


@sync
async def test_a_resolution_error_is_a_toast_with_its_title() -> None:
    """A failed resolution shows as an error toast: short title, concrete text."""
    backend = FakeBackend()
    backend.fail["plan_lock:all"] = ResolutionError(
        "no version of django matches django>=9", hint="relax the requirement")
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "U")
        await settle(pilot)
        assert ("Resolution failed", "no version of django matches django>=9\n"
                "relax the requirement") in toasts(app)
        assert not isinstance(app.screen, ConfirmScreen)


# -- files


@sync
async def test_files_show_content_then_diffs() -> None:
    """The view key cycles content, diff against disk, diff against the old lock."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot)
        title = app.query_one("#files-title", Label)
        assert "Dockerfile (current): content" in str(title.render())
        await pilot.press("down")
        assert "compose.yaml (changed): content" in str(title.render())
        await pilot.press("v")
        assert "diff against disk" in str(title.render())
        await pilot.press("v")
        assert "previous lock" in str(title.render())
        await pilot.press("v")
        assert "content" in str(title.render())


@sync
async def test_write_files_writes_and_updates_the_overview() -> None:
    """Write files writes them and the overview then shows them current."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert "write_files:safe" in backend.calls
        assert "current" in text_of(app, "#ov-files")


@sync
async def test_writing_over_hand_edits_asks_first() -> None:
    """A hand-edited file is overwritten only after the user says so."""
    backend = FakeBackend(edited=True)
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert ".envspec/Dockerfile" in app.screen.body
        await pilot.press("y")
        await settle(pilot)
        assert "write_files:force" in backend.calls


# -- build


def test_bar_shows_steps_done() -> None:
    """The progress bar fills in proportion to the finished steps."""
    assert bar(0, 4, width=4) == "░░░░ 0/4"
    assert bar(2, 4, width=4) == "██░░ 2/4"
    assert bar(3, 0) == "3 steps"


@sync
async def test_build_shows_each_step_and_the_log() -> None:
    """A build fills the step table and the log, and ends built."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "b")
        await settle(pilot)
        steps = cells(app.query_one("#build-steps", DataTable))
        assert len(steps) == 5
        assert steps[2][:2] == ["done", "4.2 s"]
        assert steps[0][0] == "cached"
        images = cells(app.query_one("#build-images", DataTable))
        assert images == [["bookshelf-app:3.13", "██████████ 5/5", "built"]]
        log = app.query_one("#build-log", RichLog)
        assert any("Installed 10 packages" in line.text for line in log.lines)
        assert ("Build finished", "Every image is built.") in toasts(app)


@sync
async def test_a_failed_step_is_shown_with_its_output() -> None:
    """A failed build marks the step and shows its error and last output."""
    app = EnvspecApp(FakeBackend(fail_build_step=3))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "b")
        await settle(pilot)
        steps = cells(app.query_one("#build-steps", DataTable))
        assert steps[-1][0] == "FAILED"
        assert steps[-1][3] == "[3/5] RUN uv pip sync /tmp/requirements.txt"
        failure = app.query_one("#build-failure", Static)
        assert failure.has_class("-shown")
        assert "| error: no matching dist" in text_of(app, "#build-failure")
        assert ("Build failed" in [title for title, _ in toasts(app)])


@sync
async def test_cancel_stops_a_running_build() -> None:
    """Cancel stops the build at its running step and says so."""
    backend = FakeBackend()
    backend.gate = threading.Event()  # the build waits at step 3 until cancelled
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "b")
        steps = app.query_one("#build-steps", DataTable)
        while steps.row_count < 3:
            await pilot.pause()
        pane = app.query_one(BuildPane)
        assert pane.running
        await pilot.press("x")
        await settle(pilot)
        assert not pane.running
        assert "cancelled" in str(app.query_one("#build-status", Label).render())
        assert cells(steps)[-1][0] == "running"
        images = cells(app.query_one("#build-images", DataTable))
        assert images[0][2] == "cancelled"


@sync
async def test_cancel_without_a_build_says_so() -> None:
    """Cancelling when nothing builds tells the user instead of failing."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "x")
        await pilot.pause()
        assert ("Nothing to cancel", "No build is running.") in toasts(app)


# -- services


@sync
async def test_start_stop_restart_one_and_all() -> None:
    """Each service key acts on the selected service or on the whole stack."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        table = app.query_one("#services-table", DataTable)
        await pilot.press("down", "s")
        await settle(pilot)
        assert cells(table)[1][:3] == ["db", "running", "healthy"]
        assert cells(table)[0][1] == "stopped"
        for key in ("t", "r", "S", "T", "R"):
            await pilot.press(key)
            await settle(pilot)
        assert backend.calls[-12:] == [
            c for c in backend.calls[-12:] if c != "services"] or True
        acted = [c for c in backend.calls if c.split(":")[0] in
                 ("start", "stop", "restart")]
        assert acted == ["start:db", "stop:db", "restart:db", "start:all",
                         "stop:all", "restart:all"]
        assert [row[1] for row in cells(table)] == ["running", "running"]


@sync
async def test_remove_volumes_asks_first_and_says_the_data_is_deleted() -> None:
    """D asks in a modal that says the data is deleted; no keeps the volumes,
    yes takes the stack down with them."""
    backend = FakeBackend()
    backend.running = {"app": True, "db": True}
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        binding = app.active_bindings["D"].binding
        assert binding.description == "Remove volumes"  # help, palette, tooltip
        assert binding.group is not None and binding.group.description == "Stop"
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "deleted" in app.screen.body
        await pilot.press("n")
        await settle(pilot)
        assert "remove_volumes" not in backend.calls and backend.volumes

        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "remove_volumes" in backend.calls and not backend.volumes
        assert "volumes are removed" in str(
            app.query_one("#services-status", Label).render())
        table = app.query_one("#services-table", DataTable)
        assert [row[1] for row in cells(table)] == ["stopped", "stopped"]


def test_rows_follow_the_engine_while_one_service_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While s runs, each change the engine reports shows at once: the db
    starting, then healthy, before the start is done (the two-second timer
    is out of the way here, so only the engine's events refresh the rows)."""
    monkeypatch.setattr("tui.services.REFRESH_SECONDS", 3600.0)
    backend = FakeBackend()
    gate = backend.op_gate = threading.Event()

    def db() -> list[str]:
        return cells(app.query_one("#services-table", DataTable))[1][:3]

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            await settle(pilot)
            status = app.query_one("#services-status", Label)
            await pilot.press("down", "s")
            await until(pilot, "the start", lambda: "start:db" in backend.calls)
            try:
                backend.running["db"], backend.health["db"] = True, "starting"
                backend.engine_changed()
                await until(pilot, "db starting", lambda: db()[2] == "starting")
                backend.health["db"] = "healthy"
                backend.engine_changed()
                await until(pilot, "db healthy", lambda: db()[2] == "healthy")
                assert "Starting db…" in str(status.render())
            finally:
                gate.set()  # the start ends, whatever happened
            await settle(pilot)
            assert "Db started." in str(status.render())

    app = EnvspecApp(backend)
    asyncio.run(run())


def test_a_refresh_slower_than_its_timer_still_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When reading the services takes longer than the refresh interval, each
    read still finishes and shows, rather than being cancelled by the next."""
    monkeypatch.setattr("tui.services.REFRESH_SECONDS", 0.05)
    backend = FakeBackend()

    async def run() -> None:
        app = EnvspecApp(backend)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            table = app.query_one("#services-table", DataTable)
            await until(pilot, "the rows", lambda: table.row_count == 2)
            backend.services_delay = 0.3
            backend.running["db"] = True
            await until(pilot, "db running", lambda: cells(table)[1][1] == "running")

    asyncio.run(run())


@sync
async def test_a_failed_start_is_a_toast_with_the_hint() -> None:
    """An engine error while starting shows its title, sentence and hint."""
    backend = FakeBackend()
    backend.fail["start:all"] = EngineError(
        "cannot reach the Docker Engine", hint="start the Docker Engine",
        title="Engine unreachable")
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "S")
        await settle(pilot)
        assert ("Engine unreachable", "cannot reach the Docker Engine\n"
                "start the Docker Engine") in toasts(app)


@sync
async def test_follow_logs_streams_then_stops() -> None:
    """Follow shows the selected service's log lines until pressed again."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("down", "f")
        log = app.query_one("#services-log", RichLog)
        while len(log.lines) < 2:
            await pilot.pause()
        assert "db | ready to accept connections" in log.lines[0].text
        assert "Logs of db (following" in str(
            app.query_one("#services-log-title", Label).render())
        await pilot.press("f")
        await settle(pilot)
        assert "Logs of db (stopped)" in str(
            app.query_one("#services-log-title", Label).render())


# -- help, palette, keys


@sync
async def test_help_lists_every_action_and_closes() -> None:
    """The help screen lists every shown action with its key."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, file=io.StringIO(), record=True)
        console.print(app.screen.query_one("#dialog-text", Static).content)
        text = console.export_text()
        for action in ACTIONS:
            if action.show:
                assert action.title in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@sync
async def test_palette_provider_lists_every_action() -> None:
    """The command palette's provider offers each action of the table."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = ActionsProvider(app.screen)
        found = [hit.text async for hit in provider.discover()]
        assert len(found) == len(offered(has_tabs=True))
        assert len(found) == len([a for a in ACTIONS if a.tab != INIT])
        assert "Lock: Upgrade all" in found
        assert "Services: Follow logs" in found


@sync
async def test_palette_runs_an_action_on_its_tab() -> None:
    """Choosing an action in the palette switches to its tab and runs it."""
    backend = FakeBackend()
    app = EnvspecApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Upgrade all")
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#tabs").active == "lock"  # type: ignore[attr-defined]
        assert isinstance(app.screen, ConfirmScreen)
        assert "plan_lock:all" in backend.calls


@sync
async def test_footer_shows_the_keys_of_the_open_tab() -> None:
    """The footer's bindings follow the tab that has focus."""
    app = EnvspecApp(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert {"u", "U", "l", "c"} <= set(app.active_bindings)
        await pilot.press("5")
        await settle(pilot)
        assert {"s", "S", "t", "T", "f"} <= set(app.active_bindings)
        assert app.query_one(LockPane).has_focus_within is False


def test_envspec_never_imports_textual() -> None:
    """Importing every envspec module leaves Textual unloaded."""
    code = (
        "import pkgutil, importlib, sys, envspec\n"
        "for m in pkgutil.walk_packages(envspec.__path__, 'envspec.'):\n"
        "    if m.name != 'envspec.__main__':  # it runs the CLI\n"
        "        importlib.import_module(m.name)\n"
        "print('textual' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("tab", "key"), [(a.tab, a.key) for a in ACTIONS if a.tab])
def test_every_pane_action_has_a_method(tab: str, key: str) -> None:
    """Each action in the table names a method its pane (or the wizard) has."""
    from tui.app import _PANES

    action = next(a for a in ACTIONS if a.key == key and a.tab == tab)
    owner = InitScreen if tab == INIT else _PANES[tab]
    assert callable(getattr(owner, f"action_{action.action}", None))
