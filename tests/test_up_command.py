"""``envspec up`` on the sample over the fake engine: what starts when."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from _sample import copy_sample

from envspec import cli, engine, stack
from envspec.engine import BuildEvent, BuildRequest
from envspec.fake_engine import FakeEngine


class SlowBuilder(FakeEngine):
    """A fake whose build waits (a few seconds at most) for the services to
    be started, and records whether they were."""

    def __init__(self) -> None:
        super().__init__()
        self.services_up = threading.Event()
        self.services_before_build_ended: bool | None = None

    def compose(self, compose_file, project, args, **kw):  # type: ignore[no-untyped-def]
        result = super().compose(compose_file, project, args, **kw)
        if list(args[:1]) == ["up"] and "app" not in args:
            self.services_up.set()
        return result

    def build(
        self, request: BuildRequest, progress: Callable[[BuildEvent], None]
    ) -> None:
        self.services_before_build_ended = self.services_up.wait(timeout=5)
        super().build(request, progress)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SlowBuilder:
    made = SlowBuilder()
    monkeypatch.setattr(engine, "DockerEngine", lambda: made)
    return made


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The sample publishes host port 8000, which a developer's own stack may
    # hold; the port check has its own test on the real engine
    # (test_engine_faults.py), so here it is left out.
    monkeypatch.setattr(stack, "check_ports", lambda project, engine: None)
    return copy_sample(tmp_path / "bookshelf")


def test_services_start_while_the_app_builds(root: Path, fake: SlowBuilder) -> None:
    """The database is started before the app's build has finished, then the
    whole stack is brought up."""
    assert cli.main(["-C", str(root), "up", "--no-wait"]) == 0

    assert fake.services_before_build_ended is True
    ups = [call for call in fake.compose_calls if call[0] == "up"]
    assert ups[0][-1:] == ["db"] and "app" not in ups[0]
    assert ups[1][-2:] == ["app", "db"]


def test_a_failed_build_says_the_services_keep_running(
    root: Path, fake: SlowBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the app's build fails the command exits 1 with the step, the app is
    never started, and the output says the services were left running."""
    fake.fail_build = "uv: no such package"

    assert cli.main(["-C", str(root), "up", "--no-wait"]) == 1

    err = capsys.readouterr().err
    assert "uv: no such package" in err
    assert "db started and still running" in err and "envspec" in err and "down" in err
    assert all("app" not in call for call in fake.compose_calls)
