"""generate writes the Dev Containers files at the project root, and removes them."""

from __future__ import annotations

import json
from pathlib import Path

from render_fixtures import fake_lock

from envspec import generate
from envspec.spec import load_spec

SPEC = """\
[project]
name = "dc"

[python]
versions = ["3.13"]
packages = ["requests"]

[app]
workdir = "/srv/app"

[generate]
devcontainer = {flag}
"""


def _generate(folder: Path, flag: str) -> generate.Applied:
    (folder / "envspec.toml").write_text(SPEC.format(flag=flag))
    spec = load_spec(folder / "envspec.toml")
    return generate.apply(generate.plan(spec, fake_lock(spec)))


def test_devcontainer_lands_at_the_project_root(tmp_path: Path) -> None:
    """With devcontainer = true, .devcontainer/ at the root points at the generated compose file."""
    _generate(tmp_path, "true")

    document = json.loads((tmp_path / ".devcontainer" / "devcontainer.json").read_text())
    assert document["dockerComposeFile"][0] == "../.envspec/compose.yaml"
    assert document["workspaceFolder"] == "/srv/app"
    assert (tmp_path / ".devcontainer" / "compose.yaml").is_file()
    assert not (tmp_path / ".envspec" / "devcontainer.json").exists()


def test_turning_devcontainer_off_removes_its_files(tmp_path: Path) -> None:
    """Once the spec stops asking for them, the next generate removes the files it wrote."""
    _generate(tmp_path, "true")
    applied = _generate(tmp_path, "false")

    assert sorted(applied.removed) == ["../.devcontainer/compose.yaml",
                                       "../.devcontainer/devcontainer.json"]
    assert not (tmp_path / ".devcontainer" / "devcontainer.json").exists()
