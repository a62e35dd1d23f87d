"""A newcomer's path: doctor, lock and up on a fresh copy of a sample."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from _sample import SampleCopy


def _get(url: str, attempts: int = 10) -> tuple[int, bytes]:
    error: Exception | None = None
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read()
        except OSError as exc:  # the app may still be finishing its start
            error = exc
            time.sleep(2)
    raise AssertionError(f"{url} did not answer: {error}")


@pytest.mark.docker
@pytest.mark.network
def test_fresh_clone_goes_from_doctor_to_a_running_app(
    unique_sample: Callable[..., SampleCopy], envspec_cli: Any
) -> None:
    """A copy without lock or generated files runs after doctor, lock and up only."""
    # A unique name and a free port, so that parallel runs never collide.
    root, _, port = unique_sample("newcomer", keep_lock=False)

    def envspec(*args: str, timeout: float = 900) -> Any:
        return envspec_cli("-C", str(root), *args, timeout=timeout)

    doctor = envspec("doctor", "--json", timeout=120)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert doctor.returncode == 1
    assert checks["lock"]["status"] == "fail"
    assert checks["lock"]["finding"] == "no envspec.lock yet"
    assert "envspec lock" in checks["lock"]["fix"]
    failed = [n for n, c in checks.items() if c["status"] == "fail"]
    assert failed == ["lock"], checks

    assert envspec("init", "--yes").returncode == 2  # the sample has its spec

    locked = envspec("lock")
    assert locked.returncode == 0, locked.stderr
    up = envspec("up", "--timeout", "300")
    assert up.returncode == 0, up.stdout + up.stderr

    status, body = _get(f"http://127.0.0.1:{port}/api/books/")
    assert status == 200
    assert isinstance(json.loads(body), list | dict)

    after = envspec("doctor", timeout=120)
    assert after.returncode == 0, after.stdout
