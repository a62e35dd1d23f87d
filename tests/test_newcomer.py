"""A newcomer's path: doctor, lock and up on a fresh copy of a sample."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "django-drf"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    tmp_path: Path, envspec_cli: Any
) -> None:
    """A copy without lock or generated files runs after doctor, lock and up only."""
    root = tmp_path / "bookshelf"
    shutil.copytree(SAMPLE, root,
                    ignore=shutil.ignore_patterns(".envspec", "envspec.lock"))
    # A unique name and a free port, so that parallel runs never collide.
    name = f"newcomer-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    spec = root / "envspec.toml"
    text = spec.read_text().replace('name = "bookshelf"', f'name = "{name}"')
    spec.write_text(text.replace("8000", str(port)))

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

    try:
        locked = envspec("lock")
        assert locked.returncode == 0, locked.stderr
        up = envspec("up", "--timeout", "300")
        assert up.returncode == 0, up.stdout + up.stderr

        status, body = _get(f"http://127.0.0.1:{port}/api/books/")
        assert status == 200
        assert isinstance(json.loads(body), list | dict)

        after = envspec("doctor", timeout=120)
        assert after.returncode == 0, after.stdout
    finally:
        envspec("down", "--volumes", timeout=300)
        images = subprocess.run(
            ["docker", "images", "-q", "--filter", f"reference={name}-app"],
            capture_output=True, text=True, timeout=60).stdout.split()
        if images:
            subprocess.run(["docker", "image", "rm", "-f", *images],
                           capture_output=True, timeout=120)
