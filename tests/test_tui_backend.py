"""The terminal app's real backend on the sample, over envspec's fake engine.

These hold what the backend adds to envspec's functions (its wording for the
app, its checks before a compose call); the functions themselves have their
own tests. No Docker is needed.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from envspec.engine import Port
from envspec.errors import RunError, StaleError
from envspec.fake_engine import FakeEngine, Phase
from envspec.health import ServiceFailed
from tui.envspec_backend import EnvspecBackend
from tui.models import BuildUpdate

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "django-drf"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the sample, with its committed lock and no generated files."""
    folder = tmp_path / "bookshelf"
    shutil.copytree(
        SAMPLE, folder, ignore=shutil.ignore_patterns(".envspec", "__pycache__")
    )
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
    assert rows["db"].ports == "127.0.0.1:55432->5432"

    backend.restart("db")
    backend.stop("db")
    assert engine.compose_calls[-2:] == [["restart", "db"], ["stop", "db"]]


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
