"""``envspec lock`` against the real world: PyPI, and a Docker Engine's registry."""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from _lockkit import FakeRegistry, LocalIndex, write_spec

from envspec import cli, images
from envspec.lockfile import read_lock


@pytest.mark.network
def test_lock_a_real_set_from_pypi(tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A small real set resolves from PyPI for two platforms, every package
    hashed and annotated, and the uv installer wheel hashed."""
    fake = FakeRegistry()
    monkeypatch.setattr(images, "DockerRegistry", lambda: fake)
    project = tmp_path / "project"
    project.mkdir()
    (project / "envspec.toml").write_text(textwrap.dedent("""\
        [python]
        versions = ["3.13", "3.11"]
        packages = ["requests>=2.31", "attrs"]
        platforms = ["linux/amd64", "linux/arm64"]
        """))

    assert cli.main(["-C", str(project), "lock"]) == 0

    lock = read_lock(project / "envspec.lock")
    for interp in lock.interpreters:
        pins = {p.name: p for p in interp.packages}
        assert {"requests", "attrs", "urllib3", "idna", "certifi",
                "charset-normalizer"} <= set(pins)
        assert all(p.hashes for p in pins.values())
        assert pins["requests"].via == ("envspec.toml",)
        assert "requests" in pins["urllib3"].via
    assert lock.installer.hashes
    assert cli.main(["-C", str(project), "lock", "--check"]) == 0


@pytest.mark.docker
def test_lock_pins_real_digests_through_the_engine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Image digests come from the registry through the engine, match what the
    engine pulls, and the Python version is read from the pinned image."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    index = LocalIndex(tmp_path / "index")
    index.add("alpha", "1.0")
    project = tmp_path / "project"
    write_spec(project, index, ["alpha"], versions=("3.13",),
               services='\n[services.db]\nkind = "postgres"\nversion = "17"\n')

    assert cli.main(["-C", str(project), "lock"]) == 0

    lock = read_lock(project / "envspec.lock")
    interp = lock.interpreter("3.13")
    assert re.fullmatch(r"3\.13\.\d+", interp.python)
    for ref, digest in ((interp.image, interp.digest),
                        (lock.service("db").image, lock.service("db").digest)):
        subprocess.run(["docker", "pull", "-q", ref], check=True,
                       capture_output=True, timeout=300)
        repo_digests = subprocess.run(
            ["docker", "image", "inspect", "--format",
             "{{range .RepoDigests}}{{println .}}{{end}}", ref],
            check=True, capture_output=True, text=True).stdout.split()
        assert f"{images.split_reference(ref)[0]}@{digest}" in repo_digests
    version_inside = subprocess.run(
        ["docker", "run", "--rm", interp.reference, "python", "-c",
         "import platform; print(platform.python_version())"],
        check=True, capture_output=True, text=True, timeout=300).stdout.strip()
    assert version_inside == interp.python
