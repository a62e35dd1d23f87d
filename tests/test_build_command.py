"""``envspec build [SERVICE ...]`` on the sample, over the fake engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _sample import copy_sample

from envspec import cli, engine
from envspec.errors import EnvspecError
from envspec.fake_engine import FakeEngine


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = copy_sample(tmp_path / "bookshelf")
    fake = FakeEngine()
    monkeypatch.setattr(engine, "DockerEngine", lambda: fake)
    return folder


def test_named_service_builds_only_its_image(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build app-py3.12` builds the 3.12 image of the test matrix and no other."""
    assert cli.main(["-C", str(root), "--json", "build", "app-py3.12"]) == 0

    images = json.loads(capsys.readouterr().out)["images"]
    assert [(i["tag"], i["built"]) for i in images] == [("bookshelf-app:py3.12", True)]


def test_without_a_service_every_image_is_built(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain `build` builds the app's image and each one of the matrix."""
    assert cli.main(["-C", str(root), "--json", "build"]) == 0

    tags = [i["tag"] for i in json.loads(capsys.readouterr().out)["images"]]
    assert tags == ["bookshelf-app:py3.13", "bookshelf-app:py3.12"]


def test_a_service_that_is_not_built_is_a_usage_error(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Naming a pulled service exits 2, lists what can be built, writes nothing."""
    assert cli.main(["-C", str(root), "build", "db"]) == 2

    err = capsys.readouterr().err
    assert "db is not an app service" in err and "app, app-py3.12" in err
    assert not (root / ".envspec").exists()


def test_a_missing_buildx_plugin_is_named_with_how_to_install(tmp_path: Path) -> None:
    """A build through a docker CLI without buildx says the plugin is missing
    and how to install it, rather than showing the CLI's own complaint."""
    docker = tmp_path / "docker"
    docker.write_text(
        "#!/bin/sh\necho \"docker: '$1' is not a docker command.\" >&2\nexit 1\n"
    )
    docker.chmod(0o755)
    request = engine.BuildRequest(tmp_path, tmp_path / "Dockerfile", "demo:1")

    with pytest.raises(EnvspecError) as caught:
        engine.DockerEngine(docker_cli=str(docker)).build(request, lambda _e: None)

    assert "the buildx plugin is missing" in caught.value.message
    assert caught.value.hint and "docker-buildx" in caught.value.hint
