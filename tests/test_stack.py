"""The stack logic (build skip, health wait, failure report, status) on a fake engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _sample import copy_sample

from envspec import health, stack, status
from envspec.engine import Container, Engine, Port
from envspec.errors import RunError, StaleError
from envspec.fake_engine import FakeEngine, Phase
from envspec.lockfile import read_lock
from envspec.spec import load_spec


@pytest.fixture
def project(tmp_path: Path) -> stack.Project:
    """The sample, copied, with its files generated from the committed lock."""
    root = copy_sample(tmp_path / "bookshelf")
    spec = load_spec(root / "envspec.toml")
    proj = stack.Project(spec, read_lock(root / "envspec.lock"))
    stack.ensure_generated(proj, lambda _: None)
    return proj


@pytest.fixture
def engine() -> FakeEngine:
    fake = FakeEngine()
    _check: Engine = fake  # the fake must keep the real interface
    return fake


def _build(project: stack.Project, engine: FakeEngine) -> list[stack.BuildOutcome]:
    return stack.build_images(
        project, engine, project.images(), ca_bundle=None, report=lambda _: None
    )


def test_build_skips_images_whose_fingerprint_matches(project, engine):
    """A second build with nothing changed calls the builder for no image."""
    first = _build(project, engine)
    again = _build(project, engine)

    assert [o.built for o in first] == [True, True]
    assert [o.built for o in again] == [False, False]
    assert len(engine.builds) == 2
    assert {o.fingerprint for o in first} == {o.fingerprint for o in again}


def test_build_reruns_after_a_source_change(project, engine):
    """Editing a source file rebuilds the images; ignored files do not."""
    _build(project, engine)
    cache = project.spec.root / "books" / "__pycache__"
    cache.mkdir()
    (cache / "models.cpython-313.pyc").write_bytes(b"\0compiled")
    (project.spec.output_dir / ".env").write_text("DB_PASSWORD=changed\n")
    assert [o.built for o in _build(project, engine)] == [False, False]

    models = project.spec.root / "books" / "models.py"
    models.write_text(models.read_text() + "\n# a change\n")
    assert [o.built for o in _build(project, engine)] == [True, True]


def test_build_labels_carry_fingerprint_and_lock(project, engine, tmp_path):
    """Each build gets its fingerprint and lock hash as labels, and the CA as secret."""
    ca = tmp_path / "ca.pem"
    ca.write_text("not a real CA\n")
    stack.build_images(
        project, engine, project.images()[:1], ca_bundle=ca, report=lambda _: None
    )

    request = engine.builds[0]
    assert request.labels[stack.LOCK_LABEL] == project.lock.content_hash()
    assert request.labels[stack.FINGERPRINT_LABEL].startswith("sha256:")
    assert request.secrets == {"ca": ca}
    assert request.tag == "bookshelf-app:py3.13"
    assert request.dockerfile == project.spec.output_dir / "Dockerfile.py3.13"


def test_wait_returns_once_every_service_is_healthy(project, engine):
    """The wait follows the database from starting to healthy, then returns."""
    engine.add_service("db", Phase(0, health="starting"), Phase(4.0, health="healthy"))
    engine.add_service("app", Phase(0, state="created"), Phase(1.0))
    engine.compose(None, project.name, ["up"])
    lines: list[str] = []

    ready = health.wait_healthy(
        engine, project, timeout=60, report=lines.append, clock=engine.clock
    )

    assert [c.service for c in ready] == ["app", "db"]
    assert engine.now - 1000.0 == pytest.approx(4.0)
    assert any("db: running, health starting" in line for line in lines)
    assert any("db: running, healthy" in line for line in lines)


def test_wait_reports_an_unhealthy_service_with_output_and_logs(project, engine):
    """An unhealthy service fails the wait with its health output and last logs."""
    engine.add_service(
        "db",
        Phase(0, health="starting"),
        Phase(6.0, health="unhealthy", health_output="127.0.0.1:5432 - no response"),
        logs="".join(f"log line {i}\n" for i in range(40)) + "FATAL: bad config\n",
    )
    engine.add_service("app", Phase(0, state="created"))
    engine.compose(None, project.name, ["up"])

    with pytest.raises(health.ServiceFailed) as caught:
        health.wait_healthy(
            engine, project, timeout=60, report=lambda _: None, clock=engine.clock
        )

    message = caught.value.message
    assert caught.value.exit_code == 1
    assert "db: unhealthy" in message
    assert "127.0.0.1:5432 - no response" in message
    assert "FATAL: bad config" in message
    assert "log line 21" in message and "log line 20" not in message
    assert "envspec logs db" in (caught.value.hint or "")


def test_wait_gives_up_at_the_timeout(project, engine):
    """A service still starting at the timeout fails the wait and is named."""
    engine.add_service("db", Phase(0, health="starting", health_output="no response"))
    engine.add_service("app", Phase(0, state="created"))
    engine.compose(None, project.name, ["up"])

    with pytest.raises(health.ServiceFailed) as caught:
        health.wait_healthy(
            engine, project, timeout=30, report=lambda _: None, clock=engine.clock
        )

    assert "not healthy after 30 s: app, db" in caught.value.message
    assert "no response" in caught.value.message
    assert engine.now - 1000.0 == pytest.approx(30.0)


def test_wait_fails_at_once_when_the_app_exits(project, engine):
    """An app that exits fails the wait with its exit code and its last logs."""
    engine.add_service("db", Phase(0, health="healthy"))
    engine.add_service(
        "app",
        Phase(0),
        Phase(2.0, state="exited", exit_code=3),
        ports=[Port(8000, "tcp", "127.0.0.1", 8000)],
        logs="django.db.utils.OperationalError: no such table\n",
    )
    engine.compose(None, project.name, ["up"])

    with pytest.raises(health.ServiceFailed) as caught:
        health.wait_healthy(
            engine,
            project,
            timeout=100,
            report=lambda _: None,
            clock=engine.clock,
            probe=lambda url: False,
        )

    assert "app: exited with code 3" in caught.value.message
    assert "OperationalError" in caught.value.message
    assert engine.now - 1000.0 == pytest.approx(2.0)


def test_wait_holds_until_the_app_answers_http(project, engine):
    """An app with no health check is ready only once its published port answers."""
    port = Port(8000, "tcp", "127.0.0.1", 8000)
    engine.add_service("db", Phase(0, health="healthy"))
    engine.add_service("app", Phase(0), ports=[port])
    engine.compose(None, project.name, ["up"])
    asked: list[str] = []

    def probe(url: str) -> bool:
        asked.append(url)
        return engine.now - 1000.0 >= 3.0

    health.wait_healthy(
        engine,
        project,
        timeout=60,
        report=lambda _: None,
        clock=engine.clock,
        probe=probe,
    )

    assert set(asked) == {"http://127.0.0.1:8000/"}
    assert engine.now - 1000.0 >= 3.0


def test_app_answering_is_ready_before_its_health_check_says_so():
    """The app's own probe makes it ready while its health check still starts;
    a health check that failed makes it failed whatever the probe says."""
    port = Port(8000, "tcp", "127.0.0.1", 8000)

    def app(health_state: str) -> Container:
        return Container("id", "p-app-1", "app", "running", None, health_state,
                         None, (port,), "p-app:py3.13", "sha256:1")

    assert health._app_phase(app("starting"), lambda url: True)[0] == "ready"
    assert health._app_phase(app("starting"), lambda url: False)[0] == "waiting"
    assert health._app_phase(app("unhealthy"), lambda url: True)[0] == "failed"


def test_status_json_says_whether_images_match_the_lock(project, engine):
    """Status gives state, health, ports and lock freshness for each service."""
    _build(project, engine)
    db_ref = project.lock.service("db").reference
    engine.add_service(
        "db",
        Phase(0, health="healthy"),
        image=db_ref,
        ports=[Port(5432, "tcp", "127.0.0.1", 49153)],
    )
    engine.add_service(
        "app",
        Phase(0),
        image="bookshelf-app:py3.13",
        ports=[Port(8000, "tcp", "127.0.0.1", 8000)],
    )
    engine.compose(None, project.name, ["up"])

    doc = json.loads(json.dumps([s.to_json() for s in status.status(project, engine)]))

    app, db = doc
    assert app["service"] == "app" and app["state"] == "running"
    assert app["matches_lock"] is True
    assert app["ports"][0]["url"] == "http://127.0.0.1:8000/"
    assert db["health"] == "healthy" and db["matches_lock"] is True
    assert db["ports"][0]["host_port"] == 49153

    models = project.spec.root / "books" / "models.py"
    models.write_text(models.read_text() + "\n# changed after the build\n")
    app_after = status.status(project, engine)[0]
    assert app_after.matches_lock is False
    assert "changed" in app_after.note


def test_status_lists_services_that_are_not_running(project, engine):
    """A stack that is down shows each of its services as absent."""
    statuses = status.status(project, engine)

    assert [(s.service, s.state) for s in statuses] == [
        ("app", "absent"),
        ("db", "absent"),
    ]


def test_start_failure_names_a_taken_port(project, engine):
    """compose failing on a taken port becomes a RunError with a hint about ports."""
    engine.compose_returncode = 1
    engine.compose_stderr = (
        "Error response from daemon: driver failed programming "
        "external connectivity: Bind for 127.0.0.1:8000 "
        "failed: port is already allocated\n"
    )

    with pytest.raises(RunError) as caught:
        stack.start(project, engine, timeout=60, report=lambda _: None)

    assert "port is already allocated" in caught.value.message
    assert "port" in (caught.value.hint or "")


def test_a_taken_app_port_is_refused_before_anything_starts(project, engine):
    """A fixed port another program holds stops `up` before compose runs,
    naming the port, its owner and the spec key to change."""
    held = {8000: "in use"}

    with pytest.raises(RunError) as caught:
        stack.check_ports(project, engine, lambda host, port: held.get(port))

    assert "127.0.0.1:8000 (app): in use" in caught.value.message
    assert "app.ports" in (caught.value.hint or "")
    assert engine.compose_calls == []


def test_a_port_held_by_the_projects_own_stack_is_fine(project, engine):
    """The project's own running app holding its port does not stop `up`."""
    port = Port(8000, "tcp", "127.0.0.1", 8000)
    engine.add_service("app", Phase(0), ports=[port])
    engine.compose(None, project.name, ["up"])

    stack.check_ports(project, engine, lambda host, port: "in use")


def test_stale_lock_is_refused_with_what_changed(project):
    """A lock made from another spec is refused, naming the change and the fix."""
    toml = project.spec.path
    toml.write_text(
        toml.read_text().replace('"gunicorn>=23"', '"gunicorn>=23", "requests"')
    )
    changed = stack.Project(load_spec(toml), project.lock)

    with pytest.raises(StaleError) as caught:
        stack.check_lock(changed, fix="envspec lock")

    assert "requests" in caught.value.message
    assert "envspec lock" in (caught.value.hint or "")
