"""Snapshot (SVG) tests: every screen of the terminal app, at two sizes.

Each test drives the app on the fake backend to one screen and compares it,
at 120x36 and at 80x24, with the SVG kept under ``__snapshots__/``. After a
change to the screens, look at the new pictures and accept them with
``pytest tests/test_tui_snapshots.py --snapshot-update``.

What makes them repeatable: the fake backend's fixed folder and data, no
clock in the header, no cursor blink, and every worker finished (or waiting
on a modal) before the picture is taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from test_tui import settle
from textual.pilot import Pilot
from textual.widgets import Input, RichLog

from envspec.errors import EngineError, InputError, Problem, SpecError
from tui.app import EnvspecApp
from tui.fake import FakeBackend

SIZES = [
    pytest.param((120, 36), id="120x36"),
    pytest.param((80, 24), id="80x24"),
]

Snap = Callable[..., bool]
Steps = Callable[[Pilot[None]], Awaitable[None]]


def app_on(backend: FakeBackend | None = None) -> EnvspecApp:
    return EnvspecApp(backend or FakeBackend(Path("/work/bookshelf")))


async def steady(pilot: Pilot[None]) -> None:
    """Stop every cursor from blinking, on every screen, then repaint."""
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot.pause()


def driven(*keys: str, then: Steps | None = None) -> Steps:
    """Press keys with the workers settled after each, then run ``then``."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await then(pilot)
        await steady(pilot)

    return run


def check(
    snap_compare: Snap, app: EnvspecApp, size: tuple[int, int], steps: Steps
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_overview(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The overview tab: bookshelf in /work/bookshelf, two interpreters with
    their exact Pythons and 10 packages each, the services "stopped; press
    5, then S, to start them" over the app on python:3.13-slim and the db on
    postgres:17, the lock fresh (green), compose.yaml out of date (amber)
    and the engine reachable (green); the footer lists the app's keys."""
    check(snap_compare, app_on(), size, driven())


@pytest.mark.parametrize("size", SIZES)
def test_overview_stack_running(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The overview once the stack is up: in green, "Services: running; the
    app is at http://127.0.0.1:8000/", the app running and the db "running,
    healthy" at the end of their lines; the engine's section still fits at
    24 rows."""
    check(snap_compare, app_on(), size, driven("5", "S", "1"))


@pytest.mark.parametrize("size", SIZES)
def test_lock_with_planned_changes(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The lock tab of a stale project after the preview key: a one-line
    filter field, the pins with Python, package, version and what pulled each
    in (django's three origins cut to fit: "dj-database-url +2" at 80 columns),
    no horizontal scrollbar, and under the table "Re-locking would make these
    changes" with celery added to both interpreters; the footer's keys fit."""
    backend = FakeBackend(Path("/work/bookshelf"), stale=True)
    check(snap_compare, app_on(backend), size, driven("2", "c"))


@pytest.mark.parametrize("size", SIZES)
def test_lock_filtering(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The lock filter holding "psyc": six rows (psycopg, psycopg-binary and
    typing-extensions for each interpreter), every column as wide as its
    widest cell, so psycopg-binary, typing-extensions and their origins show
    whole; the footer, while the filter has focus, offers "esc Leave filter"
    and ^r Refresh, none of the letter keys the field takes."""
    check(snap_compare, app_on(), size, driven("2", "slash", *"psyc"))


@pytest.mark.parametrize("size", SIZES)
def test_lock_confirm_modal(snap_compare: Snap, size: tuple[int, int]) -> None:
    """Upgrade all asks first: a dialog titled "Write envspec.lock (every
    package)?" lists django and sqlparse upgraded for 3.13 and 3.12, with
    Write (y) and Cancel (n) buttons."""
    check(snap_compare, app_on(), size, driven("2", "U"))


@pytest.mark.parametrize("size", SIZES)
def test_files_diff_against_disk(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The files tab with compose.yaml selected in the left list (its badge
    "~" in amber) and its diff against disk on the right: the postgres digest
    line removed and its replacement added; the badges' legend under the
    list."""
    check(snap_compare, app_on(), size, driven("3", "down", "v"))


@pytest.mark.parametrize("size", SIZES)
def test_files_content(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The files tab showing the Dockerfile's content, highlighted, with line
    numbers, not wrapped (a horizontal scrollbar at 80 columns); the list
    shows the three generated files, each on one line with its badge."""
    check(snap_compare, app_on(), size, driven("3"))


@pytest.mark.parametrize("size", SIZES)
def test_build_finished(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The build tab after a build: "Build finished", the image at 5/5 built,
    the five steps with state and time first (four cached, the install done
    in 4.2 s) and long steps cut with an ellipsis at 80 columns, the log line
    "Installed 10 packages", and the "Build finished" toast."""
    check(snap_compare, app_on(), size, driven("4", "b"))


@pytest.mark.parametrize("size", SIZES)
def test_build_failed(snap_compare: Snap, size: tuple[int, int]) -> None:
    """A build failing at step 3: the status line names the step, the step is
    marked FAILED, a red panel holds the error and the step's last output,
    and a red "Build failed" toast carries only the error's first line."""
    backend = FakeBackend(Path("/work/bookshelf"), fail_build_step=3)
    check(snap_compare, app_on(backend), size, driven("4", "b"))


async def _follow_db_logs(pilot: Pilot[None]) -> None:
    await pilot.press("down", "f")
    log = pilot.app.query_one("#services-log", RichLog)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(log.lines) < 2:
        assert loop.time() < deadline, "the db's log lines never arrived"
        await pilot.pause(0.01)


@pytest.mark.parametrize("size", SIZES)
def test_services_running_with_logs(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The services tab after start all: app and db running, db healthy, the
    app's port as http://127.0.0.1:8000/ and the db's as "127.0.0.1:55432 ->
    5432/tcp", images current; "The stack is up: every service is ready."
    under the table; the db row selected and its two log lines followed in
    the panel below, titled "Logs of db (following; f stops)"; the footer
    shows "t T D Stop" (D takes the volumes too) and still ends with q Quit
    at 80 columns."""
    app = app_on()

    async def steps(pilot: Pilot[None]) -> None:
        await driven("5", "S")(pilot)
        pilot.app.clear_notifications()
        await _follow_db_logs(pilot)
        await steady(pilot)

    check(snap_compare, app, size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_services_error_toast(snap_compare: Snap, size: tuple[int, int]) -> None:
    """A start that fails shows a red toast titled "Engine unreachable" with
    the sentence "cannot reach the Docker Engine" and the hint under it; the
    line under the table repeats it in red; both services stay "stopped"."""
    backend = FakeBackend(Path("/work/bookshelf"))
    backend.fail["start:all"] = EngineError(
        "cannot reach the Docker Engine at unix:///var/run/docker.sock",
        hint="start the Docker Engine, or set DOCKER_HOST to where it listens",
        title="Engine unreachable",
    )
    check(snap_compare, app_on(backend), size, driven("5", "S"))


@pytest.mark.parametrize("size", SIZES)
def test_services_remove_volumes_modal(
    snap_compare: Snap, size: tuple[int, int]
) -> None:
    """D on the services tab asks first: a red-bordered dialog titled "Remove
    the stack's volumes and delete its data?" says every service stops and
    the data in the volumes is deleted for good, that T keeps it, and offers
    a red Remove (y) and Cancel (n)."""
    check(snap_compare, app_on(), size, driven("5", "D"))


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The help dialog over the overview: keys in one column and what they do
    in another, wrapped under their own column, grouped under Everywhere,
    Lock, Files, ...; the dialog scrolls and "Esc closes this help." stays
    visible under it at 24 rows."""
    check(snap_compare, app_on(), size, driven("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_blocking_error_modal(snap_compare: Snap, size: tuple[int, int]) -> None:
    """A spec that cannot be read: a red-bordered dialog titled with the
    error's title lists both problems with file, line and column, and offers
    Retry (r) and Quit (q)."""
    backend = FakeBackend(Path("/work/bookshelf"))
    backend.fail["overview"] = SpecError(
        [
            Problem(
                Path("envspec.toml"),
                9,
                8,
                "unknown service kind 'postgress'",
                "did you mean 'postgres'?",
            ),
            Problem(
                Path("envspec.toml"),
                14,
                10,
                "port 0 is out of range",
                "use a port from 1 to 65535",
            ),
        ]
    )
    check(snap_compare, app_on(backend), size, driven())


@pytest.mark.parametrize("size", SIZES)
def test_init_wizard(snap_compare: Snap, size: tuple[int, int]) -> None:
    """A folder without a spec: "No envspec.toml here yet" in bold, then Read
    (.python-version, requirements.txt, docker-compose.yml, .env) and what was
    found (Python, Packages, Services, App, Env names) in two columns, then the
    draft in a blue box titled "envspec.toml (draft)", TOML highlighted with
    line numbers, long comments wrapped under their line; one row under it
    says "Quitting writes nothing." beside Write (w), Draft again (r) and
    Quit (q); the footer lists w, r, ? and q. At 24 rows the draft still
    gets nine rows."""
    backend = FakeBackend(Path("/work/bookshelf"), spec=False)
    check(snap_compare, app_on(backend), size, driven())


@pytest.mark.parametrize("size", SIZES)
def test_init_draft_failed(snap_compare: Snap, size: tuple[int, int]) -> None:
    """A draft that fails: over the wizard (its findings line reads "No
    draft (Bad pyproject.toml): ..."), a red-bordered dialog titled "Bad
    pyproject.toml" says which file could not be read and why, the hint on
    how to fix it, that r then reads the project again and q quits writing
    nothing, and offers Retry (r) and Quit (q)."""
    backend = FakeBackend(Path("/work/bookshelf"), spec=False)
    backend.fail["draft_spec"] = InputError(
        "cannot read /work/bookshelf/pyproject.toml: Expected '=' after a key "
        "in a key/value pair (at line 3, column 6)",
        hint="fix pyproject.toml, or move it aside and run `envspec init` again",
        title="Bad pyproject.toml",
    )
    check(snap_compare, app_on(backend), size, driven())
