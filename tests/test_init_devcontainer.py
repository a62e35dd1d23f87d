"""The Dev Containers files point an editor at envspec's own stack."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _sample import SAMPLE, copy_sample

from envspec import devcontainer, header
from envspec.spec import parse_spec_text

LOCK = "sha256:" + "1" * 64
RENDERER = "sha256:" + "2" * 64


def _spec(root: Path, generate: str) -> Any:
    text = (SAMPLE / "envspec.toml").read_text() + f"\n[generate]\n{generate}\n"
    return parse_spec_text(text, root / "envspec.toml")


def test_no_files_unless_asked(tmp_path: Path) -> None:
    """Without generate.devcontainer = true nothing is rendered."""
    assert devcontainer.render_files(_spec(tmp_path, ""), LOCK, RENDERER) == {}


def test_devcontainer_json_points_at_the_generated_compose(tmp_path: Path) -> None:
    """devcontainer.json names the generated compose file, the app and its services."""
    files = devcontainer.render_files(_spec(tmp_path, "devcontainer = true"), LOCK,
                                      RENDERER)
    assert sorted(files) == [".devcontainer/compose.yaml",
                             ".devcontainer/devcontainer.json"]
    doc = json.loads(files[".devcontainer/devcontainer.json"])
    assert doc["dockerComposeFile"] == ["../.envspec/compose.yaml", "compose.yaml"]
    assert doc["service"] == "app"
    assert doc["runServices"] == ["app", "db"]
    assert doc["workspaceFolder"] == "/app"
    assert doc["_generated"]["lock"] == LOCK

    for data in files.values():
        head = header.read_header(data)
        assert head is not None and head.intact and head.renderer == RENDERER


def test_override_mounts_the_project_from_a_deeper_output_folder(tmp_path: Path) -> None:
    """The bind mount climbs from the output folder to the project, however deep."""
    spec = _spec(tmp_path, 'devcontainer = true\ndir = "build/env"')
    files = devcontainer.render_files(spec, LOCK, RENDERER)
    doc = json.loads(files[".devcontainer/devcontainer.json"])
    assert doc["dockerComposeFile"][0] == "../build/env/compose.yaml"
    assert 'source: "../.."' in files[".devcontainer/compose.yaml"].decode()


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    """Rendering is pure: the same spec and hashes give the same bytes."""
    spec = _spec(tmp_path, "devcontainer = true")
    assert (devcontainer.render_files(spec, LOCK, RENDERER)
            == devcontainer.render_files(spec, LOCK, RENDERER))


@pytest.mark.docker
def test_compose_merges_the_override(tmp_path: Path, envspec_cli: Any) -> None:
    """docker compose reads both files and mounts the project over the workdir."""
    root = copy_sample(tmp_path / "sample")
    assert envspec_cli("-C", str(root), "generate", timeout=120).returncode == 0
    spec = _spec(root, "devcontainer = true")
    for name, data in devcontainer.render_files(spec, LOCK, RENDERER).items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(data)

    done = subprocess.run(
        ["docker", "compose", "-f", ".envspec/compose.yaml", "-f",
         ".devcontainer/compose.yaml", "config", "--format", "json"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={"DB_PASSWORD": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert done.returncode == 0, done.stderr
    app = json.loads(done.stdout)["services"]["app"]
    mounts = [v for v in app.get("volumes", []) if v.get("type") == "bind"]
    assert mounts and mounts[0]["source"] == str(root.resolve())
    assert mounts[0]["target"] == "/app"
