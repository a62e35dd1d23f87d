"""Shared test fixtures and the rules for tests that need Docker or PyPI.

Tests marked ``docker`` need a Docker Engine with buildx and compose v2;
tests marked ``network`` need PyPI. Where either is missing they are skipped,
except when ``ENVSPEC_REQUIRE_DOCKER=1`` (CI sets it): then a missing engine
fails them, and a session in which any docker test was skipped fails too.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _run import remove_project
from _sample import SampleCopy, unique_copy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

_skipped_required: list[str] = []


def _required(kind: str) -> bool:
    return os.environ.get(f"ENVSPEC_REQUIRE_{kind.upper()}") == "1"


@functools.cache
def docker_problem() -> str | None:
    """Why Docker tests cannot run here, or None when they can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    checks = (["docker", "info"], ["docker", "buildx", "version"],
              ["docker", "compose", "version"])
    for argv in checks:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{' '.join(argv)}` failed: {exc}"
        if done.returncode != 0:
            return f"`{' '.join(argv)}` failed: {done.stderr.strip()[:200]}"
    return None


@functools.cache
def network_problem() -> str | None:
    import urllib.request

    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=20).close()
    except Exception as exc:  # any failure means: no PyPI here
        return f"PyPI is not reachable: {exc}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for kind, probe in (("docker", docker_problem), ("network", network_problem)):
        if item.get_closest_marker(kind) is None:
            continue
        problem = probe()
        if problem is None:
            continue
        if _required(kind):
            pytest.fail(f"{kind} is required here (ENVSPEC_REQUIRE_{kind.upper()}=1) "
                        f"but {problem}", pytrace=False)
        pytest.skip(problem)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "docker" in report.keywords and _required("docker"):
        _skipped_required.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_required:
        print(f"\n{len(_skipped_required)} docker test(s) were skipped although "
              "ENVSPEC_REQUIRE_DOCKER=1; that is not a pass:", file=sys.stderr)
        for nodeid in _skipped_required:
            print(f"  {nodeid}", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture
def envspec_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the envspec CLI in a subprocess; returns CompletedProcess."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "envspec", *args], cwd=cwd or tmp_path,
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})},
        )

    return run


@pytest.fixture
def unique_sample(tmp_path: Path) -> Iterator[Callable[..., SampleCopy]]:
    """Make the test's copy of the sample under a project name and a free port
    of its own: ``unique_sample(PREFIX, keep_lock=True)``. Whatever happens,
    the copy's stack is taken down after the test with its volumes, and the
    images envspec built for it are removed."""
    made: list[SampleCopy] = []

    def make(prefix: str, keep_lock: bool = True) -> SampleCopy:
        sample = unique_copy(tmp_path / "bookshelf", prefix, keep_lock)
        made.append(sample)
        return sample

    yield make
    for sample in made:
        remove_project(sample.root, sample.name)


@pytest.fixture(autouse=True)
def own_envspec_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty envspec cache, and leaves the user's alone."""
    monkeypatch.setenv("ENVSPEC_CACHE_DIR", str(tmp_path_factory.mktemp("envspec-cache")))
