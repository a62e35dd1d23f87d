"""The commands a test runs, as a person would at a shell: envspec and docker
in subprocesses; what a compose project holds on the engine, and its removal;
the files in the layers of a saved image.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def envspec(
    root: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``envspec -C ROOT ARGS`` in a subprocess, its output kept as text;
    ``env`` is added to this process's environment. The timeout leaves room
    for a first build on a cold cache, the slow part."""
    return subprocess.run(
        [sys.executable, "-m", "envspec", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """``done`` if it exited 0; else fail with its command line and output."""
    command = " ".join(str(a) for a in done.args[2:])  # from "envspec" on
    assert done.returncode == 0, (
        f"`{command}` exited {done.returncode}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done


def docker(*args: str, check: bool = True) -> str:
    """What ``docker ARGS`` prints; with ``check``, fail unless it exits 0."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=600
    ).stdout


def owned(project: str) -> dict[str, list[str]]:
    """The ids of the containers, networks and volumes of a compose project."""
    label = f"label=com.docker.compose.project={project}"
    return {
        "containers": docker("ps", "-aq", "--filter", label).split(),
        "networks": docker("network", "ls", "-q", "--filter", label).split(),
        "volumes": docker("volume", "ls", "-q", "--filter", label).split(),
    }


def remove_project(root: Path, project: str, env: dict[str, str] | None = None) -> None:
    """Everything the project in ``root`` made on the engine, whatever state it
    is in: ``envspec down --volumes``, then any container, volume or network
    left with the project's label, and every image envspec built for it."""
    envspec(root, "down", "--volumes", timeout=300, env=env)
    left = owned(project)
    if left["containers"]:
        docker("rm", "-f", *left["containers"], check=False)
    if left["volumes"]:
        docker("volume", "rm", "-f", *left["volumes"], check=False)
    if left["networks"]:
        docker("network", "rm", *left["networks"], check=False)
    label = f"label=org.envspec.project={project}"
    images = docker("images", "-aq", "--filter", label).split()
    images += docker("images", "-q", "--filter", f"reference={project}-app").split()
    if images:
        docker("image", "rm", "-f", *sorted(set(images)), check=False)


def layer_files(archive: tarfile.TarFile, layer: str) -> Iterator[tuple[str, bytes]]:
    """(path, content) of each file in one layer of a ``docker save`` archive."""
    blob = archive.extractfile(layer)
    assert blob is not None
    with tarfile.open(fileobj=blob, mode="r|*") as inner:
        for member in inner:
            if member.isfile():
                body = inner.extractfile(member)
                yield member.name, body.read() if body else b""


def machine_ca_bundle() -> Path:
    """The CA bundle this machine's environment names; skips the test without one."""
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    pytest.skip("no CA bundle in SSL_CERT_FILE, REQUESTS_CA_BUNDLE or PIP_CERT")
