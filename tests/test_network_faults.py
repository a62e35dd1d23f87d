"""The package index slow or out of reach while locking: exit 1, what to check,
and the old lock kept.

The faults are real network faults on this machine: an index server that
accepts connections and never answers, and a proxy (set through the
environment, as on a corporate network) where nothing listens. uv runs for
real; image digests come from a FakeRegistry. Neither PyPI nor an engine is
needed. An unreachable engine and registry are in test_engine_faults.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _faults import StallingServer, fake_registry_cli, free_port
from _lockkit import lock_alpha


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project locked against a local index; its spec then asks for more."""
    project = tmp_path / "project"
    lock_alpha(project, tmp_path, monkeypatch)
    return project


def _point_index_at(project: Path, url: str) -> None:
    spec = project / "envspec.toml"
    spec.write_text(re.sub(r'index-url = "[^"]+"', f'index-url = "{url}"',
                           spec.read_text()))


def test_index_that_never_answers_fails_with_exit_1(locked: Path, tmp_path: Path) -> None:
    """An index that accepts but never answers fails the lock once uv's timeout
    passes: exit 1, the URL, the timeout to raise, and the old lock kept."""
    before = (locked / "envspec.lock").read_bytes()
    with StallingServer() as index:
        _point_index_at(locked, f"{index.url}/simple")
        with fake_registry_cli(
            "-C", str(locked), "lock",
            env={"UV_HTTP_TIMEOUT": "2", "UV_HTTP_RETRIES": "0",
                 "UV_CACHE_DIR": str(tmp_path / "uv-cache")}) as run:
            code = run.finish(deadline=120)
        assert index.connections > 0, "uv never reached the stalled index"

    assert code == 1, run.stderr
    assert "uv could not reach the package index" in run.stderr
    assert f"{index.url}/simple/alpha/" in run.stderr
    assert "timed out" in run.stderr and "UV_HTTP_TIMEOUT" in run.stderr
    assert "The old lock is unchanged." in run.stderr
    assert (locked / "envspec.lock").read_bytes() == before


def test_proxy_that_is_not_there_fails_with_exit_1_naming_it(
        locked: Path, tmp_path: Path) -> None:
    """With HTTPS_PROXY pointing where nothing listens, the lock fails at once
    with exit 1, names the proxy variable, and keeps the old lock."""
    before = (locked / "envspec.lock").read_bytes()
    _point_index_at(locked, "https://pypi.org/simple")
    proxy = f"http://127.0.0.1:{free_port()}"

    with fake_registry_cli(
        "-C", str(locked), "lock",
        env={"HTTPS_PROXY": proxy, "UV_HTTP_RETRIES": "0", "NO_PROXY": "",
             "UV_CACHE_DIR": str(tmp_path / "uv-cache")}) as run:
        code = run.finish(deadline=120)

    assert code == 1, run.stderr
    assert "uv could not reach the package index" in run.stderr
    assert f"check the proxy (HTTPS_PROXY={proxy})" in run.stderr
    assert "Traceback" not in run.stderr
    assert (locked / "envspec.lock").read_bytes() == before
