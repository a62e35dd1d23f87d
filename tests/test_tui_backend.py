"""The terminal app's real backend on the sample, over envspec's fake engine.

These hold what the backend adds to envspec's functions (its wording for the
app, its checks before a compose call); the functions themselves have their
own tests. The wizard's tests run on a project layout of tests/projects that
has no spec yet. No Docker is needed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest
from _sample import copy_sample
from test_tui import settle, shown, text_of
from textual.widgets import Static

from envspec import init
from envspec.engine import Port
from envspec.errors import InputError, RunError, StaleError
from envspec.fake_engine import FakeEngine, Phase
from envspec.health import ServiceFailed
from envspec.spec import load_spec
from tui.app import EnvspecApp
from tui.envspec_backend import EnvspecBackend
from tui.models import BuildUpdate, ServiceRow
from tui.wizard import InitScreen

PROJECTS = Path(__file__).resolve().parent / "projects"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the sample, with its committed lock and no generated files."""
    return copy_sample(tmp_path / "bookshelf")


@pytest.fixture
def unspecified(tmp_path: Path) -> Path:
    """A copy of the django-compose layout: requirements, compose, .env, no spec."""
    folder = tmp_path / "shop"
    shutil.copytree(PROJECTS / "django-compose", folder)
    return folder


@pytest.fixture
def engine() -> FakeEngine:
    fake = FakeEngine()
    fake.add_service("db", Phase(0.0, health="starting"), Phase(2.0, health="healthy"),
                     ports=[Port(5432, "tcp", "127.0.0.1", 55432)])  # fmt: skip
    fake.add_service("app", Phase(0.0))
    return fake


def test_overview_names_the_folder_absolutely(root: Path, engine: FakeEngine) -> None:
    """Opened on a relative folder, the overview still names where it is."""
    here = Path.cwd()
    os.chdir(root)
    try:
        overview = EnvspecBackend(Path("."), engine).overview()
    finally:
        os.chdir(here)
    assert overview.directory == root
    assert overview.project == "bookshelf"
    assert [i.version for i in overview.interpreters] == ["3.13", "3.12"]
    assert overview.lock.status == "fresh"
    assert overview.files.current is False  # nothing generated yet


def test_a_stale_lock_stops_a_build_with_the_keys_that_fix_it(
    root: Path, engine: FakeEngine
) -> None:
    """Building on a stale lock fails with a hint naming the app's keys."""
    spec = root / "envspec.toml"
    spec.write_text(
        spec.read_text().replace('"gunicorn>=23",', '"gunicorn>=23", "rich",')
    )
    backend = EnvspecBackend(root, engine)
    assert backend.overview().lock.status == "stale"

    with pytest.raises(StaleError) as caught:
        backend.build(lambda _: None, threading.Event())
    assert 'added "rich"' in caught.value.message
    assert caught.value.hint is not None and "then l" in caught.value.hint
    assert engine.builds == []


def test_restart_of_a_stack_that_is_not_running_says_so(
    root: Path, engine: FakeEngine
) -> None:
    """Restart refuses when nothing runs, instead of doing nothing quietly."""
    backend = EnvspecBackend(root, engine)
    with pytest.raises(RunError) as caught:
        backend.restart(None)
    assert caught.value.title == "Not running"
    assert caught.value.hint == "press S to start the stack"
    assert engine.compose_calls == []


def test_start_then_restart_and_stop_one_service(
    root: Path, engine: FakeEngine
) -> None:
    """The stack starts until healthy; one service restarts and stops by name."""
    backend = EnvspecBackend(root, engine)
    backend.start(None)
    rows = {row.name: row for row in backend.services()}
    assert (rows["db"].state, rows["db"].health) == ("running", "healthy")
    assert rows["db"].ports == "127.0.0.1:55432 -> 5432/tcp"

    backend.restart("db")
    backend.stop("db")
    assert engine.compose_calls[-2:] == [["restart", "db"], ["stop", "db"]]


def test_the_app_reads_as_its_url_and_a_stack_taken_down_as_stopped(
    root: Path, engine: FakeEngine
) -> None:
    """Ports read as `envspec status` prints them, the app's as its URL; a
    stack never started, or taken down, reads "stopped" with nothing more."""
    engine.add_service("app", Phase(0.0), ports=[Port(8000, "tcp", "0.0.0.0", 8000)])
    backend = EnvspecBackend(root, engine)
    stopped = [ServiceRow(name, "stopped", "", "", "-") for name in ("app", "db")]
    assert backend.services() == stopped

    engine.compose(None, "bookshelf", ["up", "--detach"])
    engine.now += 5
    rows = {row.name: row for row in backend.services()}
    assert (rows["app"].ports, rows["app"].url) == ("http://127.0.0.1:8000/",) * 2
    assert (rows["db"].ports, rows["db"].url) == ("127.0.0.1:55432 -> 5432/tcp", "")

    backend.stop(None)
    assert backend.services() == stopped


def test_remove_volumes_takes_the_stack_down_with_them(
    root: Path, engine: FakeEngine
) -> None:
    """Removing the volumes is `envspec down --volumes`: compose down with them."""
    EnvspecBackend(root, engine).remove_volumes()
    assert engine.compose_calls == [["down", "--remove-orphans", "--volumes"]]


def test_watching_the_services_reports_each_change_until_stopped(
    root: Path, engine: FakeEngine
) -> None:
    """The watch calls back after each of the engine's waits, and ends when told."""
    stop = threading.Event()
    seen: list[float] = []

    def changed() -> None:
        seen.append(engine.now)
        if len(seen) == 3:
            stop.set()

    engine.compose(None, "bookshelf", ["up", "--detach"])
    watcher = threading.Thread(
        target=EnvspecBackend(root, engine).watch_services, args=(changed, stop)
    )
    watcher.start()
    watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert len(seen) == 3 and seen[0] < seen[-1]  # the fake clock moved on


def test_a_stopped_service_shows_no_health(root: Path, engine: FakeEngine) -> None:
    """A container that exited keeps its last health; the table shows none."""
    engine.set_timeline("db", Phase(0.0, health="healthy"),
                        Phase(1.0, state="exited", health="unhealthy", exit_code=0))  # fmt: skip
    engine.started["db"] = engine.now - 5
    rows = {row.name: row for row in EnvspecBackend(root, engine).services()}
    assert rows["db"].state == "exited"
    assert rows["db"].health == ""


def test_build_reports_each_image_and_its_steps(root: Path, engine: FakeEngine) -> None:
    """A build queues every image, reports its steps, and says each is built."""
    updates: list[BuildUpdate] = []
    EnvspecBackend(root, engine).build(updates.append, threading.Event())
    finished = [u.image for u in updates if u.kind == "finished"]
    assert finished == [request.tag for request in engine.builds]
    assert len(finished) == 2  # one image per interpreter
    assert any(u.kind == "done" and u.step for u in updates)


def test_a_service_that_never_turns_healthy_fails_the_start(
    root: Path, engine: FakeEngine
) -> None:
    """Start waits for health; an unhealthy db fails it with its logs and keys."""
    engine.set_timeline("db", Phase(0.0, health="starting"),
                        Phase(1.0, health="unhealthy", health_output="no route"))  # fmt: skip
    with pytest.raises(ServiceFailed) as caught:
        EnvspecBackend(root, engine).start(None)
    assert "db" in caught.value.message and "no route" in caught.value.message
    assert caught.value.hint is not None and "press f" in caught.value.hint


# -- a folder without a spec


def test_the_wizard_writes_init_s_draft_and_the_app_loads_it(
    unspecified: Path,
) -> None:
    """The app drafts what `envspec init` would, writes it on w, and opens it."""
    expected = init.render(init.draft(unspecified))  # what the CLI would write
    backend = EnvspecBackend(unspecified, FakeEngine())
    app = EnvspecApp(backend)

    async def run() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, InitScreen)
            assert not (unspecified / "envspec.toml").exists()
            found = shown(app.screen.query_one("#init-found", Static))
            assert "requirements.txt, requirements-dev.txt, docker-compose.yml, .env" in found
            assert "db (postgres 16), redis (redis 7-alpine)" in found

            await pilot.press("w")
            await settle(pilot)
            assert app.screen is app.default_screen  # no wizard, no error modal
            assert "shop" in text_of(app, "#ov-project")
            assert "db" in text_of(app, "#ov-services")
            assert "redis" in text_of(app, "#ov-services")
            assert "missing" in text_of(app, "#ov-lock")

    asyncio.run(run())
    assert (unspecified / "envspec.toml").read_text() == expected
    spec = load_spec(unspecified / "envspec.toml")
    assert [s.name for s in spec.services] == ["db", "redis"]


def test_the_draft_names_what_it_read_and_found(unspecified: Path) -> None:
    """The backend's draft carries init's sources and a line per finding."""
    draft = EnvspecBackend(unspecified).draft_spec()
    assert draft.path == unspecified / "envspec.toml"
    assert draft.read == (
        "requirements.txt", "requirements-dev.txt", "docker-compose.yml", ".env")
    found = dict(draft.found)
    assert found["Packages"] == "requirements-dev.txt"
    assert found["App"] == "python manage.py runserver 0.0.0.0:8000 on port 8000"
    assert found["Env names"] == "SECRET_KEY, DEBUG, DATABASE_URL (values not copied)"


def test_writing_a_draft_never_replaces_a_spec(unspecified: Path) -> None:
    """A spec that appeared after the draft is kept as it is."""
    backend = EnvspecBackend(unspecified)
    draft = backend.draft_spec()
    (unspecified / "envspec.toml").write_text("# mine\n")
    with pytest.raises(init.SpecExists):
        backend.write_spec(draft)
    assert (unspecified / "envspec.toml").read_text() == "# mine\n"
    assert backend.has_spec()


def test_an_unreadable_pyproject_fails_the_draft(unspecified: Path) -> None:
    """A pyproject.toml init cannot parse fails the draft with its file named."""
    (unspecified / "pyproject.toml").write_text("[project\nname = 'x'\n")
    with pytest.raises(InputError) as caught:
        EnvspecBackend(unspecified).draft_spec()
    assert caught.value.title == "Bad pyproject.toml"
    assert str(unspecified / "pyproject.toml") in caught.value.message
    assert not (unspecified / "envspec.toml").exists()
