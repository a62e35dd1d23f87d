"""External checkers on the generated files: hadolint and `docker compose config`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from render_fixtures import ROOT, SPEC_DIRS, load, project

from envspec import generate, render

HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def _dockerfiles() -> list[tuple[str, str, bytes]]:
    out = []
    for name in sorted(SPEC_DIRS):
        for path, data in render.render(*load(name)).items():
            if path.startswith("Dockerfile.") and not path.endswith(".dockerignore"):
                out.append((name, path, data))
    return out


@pytest.mark.parametrize(("sample", "path", "data"), _dockerfiles(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_hadolint_passes(sample: str, path: str, data: bytes, tmp_path: Path) -> None:
    """hadolint finds no warning or error in any generated Dockerfile, with the repo's .hadolint.yaml."""
    target = tmp_path / path
    target.write_bytes(data)
    done = subprocess.run([HADOLINT, "--config", str(ROOT / ".hadolint.yaml"),
                           "--failure-threshold", "warning", "--no-color", str(target)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.docker
@pytest.mark.parametrize("sample", sorted(SPEC_DIRS))
def test_compose_config_accepts(sample: str, tmp_path: Path) -> None:
    """`docker compose config` accepts each generated compose file and reads the app's env back."""
    spec, lock = project(tmp_path, sample)
    generate.apply(generate.plan(spec, lock))
    compose = spec.output_dir / render.COMPOSE
    done = subprocess.run(["docker", "compose", "-f", str(compose), "--profile",
                           "matrix", "config", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    app = config["services"]["app"]
    assert app["image"] == render.app_image(spec, spec.python.app_version)
    environment = app.get("environment", {})
    for key, value in spec.app.env:
        # compose prints a literal `$` as `$$` again, so that its output is
        # itself a valid compose file: the value was taken literally.
        assert environment[key] == value.replace("$", "$$")
    for key, value in environment.items():
        if key.endswith("_URL"):
            assert "${" not in value  # the .env password went in
    for svc in spec.services:
        assert config["services"][svc.name]["image"] == lock.service(svc.name).reference
