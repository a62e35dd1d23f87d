"""Faults of the engine, the builder and the host, on the real engine.

Each test gets a small project of its own: a unique compose project name, a
free host port, Redis as its service, and one package (``alpha``) from a
package index that the test serves over HTTP on the Docker bridge, so that
the image build downloads from it too and the test can make it stall or
vanish in the middle of a build. uv's own wheel comes from PyPI (hence the
``network`` mark). Every test ends with ``envspec down --volumes`` and the
removal of every image, container, network and volume of its project.

Only processes that the test started are signalled or killed: envspec, and
the docker CLI and buildx plugin below it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _faults import (
    HttpIndex,
    Running,
    bridge_address,
    dead_socket,
    envspec_process,
    free_port,
    snapshot,
)
from _lockkit import LocalIndex
from _run import docker, envspec, ok, owned, remove_project
from _sample import copy_sample

# --------------------------------------------------------------------------
# The engine out of reach (no engine needed)


@pytest.mark.parametrize("command", [
    ["lock"], ["build"], ["up"], ["status"], ["down"], ["logs"], ["run", "--", "true"],
])
def test_unreachable_engine_is_exit_1_and_changes_nothing(
        command: list[str], tmp_path: Path) -> None:
    """With DOCKER_HOST at a socket nobody listens on, each command that needs
    the engine exits 1 naming DOCKER_HOST with a hint, and the lock, the
    generated files and .env stay as they were."""
    root = copy_sample(tmp_path / "bookshelf")
    assert envspec(root, "generate", timeout=120).returncode == 0
    before = snapshot(root)
    host = dead_socket(tmp_path)

    done = envspec(root, *command, timeout=120, env={"DOCKER_HOST": host})

    assert done.returncode == 1, done.stderr
    assert "cannot reach the Docker Engine at" in done.stderr
    assert host in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert snapshot(root) == before


# --------------------------------------------------------------------------
# A small project on the real engine


@dataclass
class Tiny:
    root: Path
    name: str
    port: int
    index: HttpIndex
    packages: LocalIndex
    env: dict[str, str]

    def envspec(self, *args: str, timeout: float = 600,
                check: bool = False) -> subprocess.CompletedProcess[str]:
        done = envspec(self.root, *args, timeout=timeout, env=self.env)
        return ok(done) if check else done

    def start(self, *args: str) -> Running:
        """``envspec ARGS`` running in a session of its own, to be signalled."""
        return envspec_process("-C", str(self.root), *args, env=self.env,
                               new_session=True)

    def image_id(self) -> str:
        return docker("image", "inspect", "-f", "{{.Id}}",
                       f"{self.name}-app:py3.13").strip()

    def container(self, service: str) -> str:
        found = docker("ps", "-q", "--filter",
                        f"label=com.docker.compose.project={self.name}",
                        "--filter", f"label=com.docker.compose.service={service}")
        assert found.split(), f"no running {service} container of {self.name}"
        return found.split()[0]

    def redis(self, *words: str) -> str:
        return docker("exec", self.container("cache"), "redis-cli", *words).strip()

    def owned(self) -> dict[str, list[str]]:
        return owned(self.name)


def _spec(name: str, port: int, index: HttpIndex, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        [project]
        name = "{name}"

        [python]
        versions = ["3.13"]
        packages = ["alpha"]
        extra-index-urls = ["{index.url}/simple"]

        [services.cache]
        kind = "redis"
        version = "7"

        [app]
        command = "python -m http.server {port}"
        ports = [{port}]
        """) + extra


def _make_tiny(where: Path, extra: str = "") -> Tiny:
    packages = LocalIndex(where / "index")
    packages.add("alpha", "1.0")
    # uv's own wheel comes from PyPI: the index answers 404 for it.
    index = HttpIndex(packages, bridge_address(), hidden=frozenset({"uv"}))
    name = f"es-fault-{uuid.uuid4().hex[:8]}"
    port = free_port()
    root = where / "project"
    root.mkdir()
    (root / "envspec.toml").write_text(_spec(name, port, index, extra))
    tiny = Tiny(root, name, port, index, packages,
                env={"UV_CACHE_DIR": str(where / "uv-cache")})
    tiny.envspec("lock", check=True)
    return tiny


def _remove(tiny: Tiny) -> None:
    """Everything the project made on the engine, whatever state it is in."""
    remove_project(tiny.root, tiny.name, env=tiny.env)
    tiny.index.close()


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Tiny]:
    made = _make_tiny(tmp_path)
    try:
        yield made
    finally:
        _remove(made)


def _built_then_moved_on(tiny: Tiny) -> str:
    """Build the image, then lock a new alpha: the next build must download it.

    Returns the id of the image built first.
    """
    tiny.envspec("build", check=True)
    old = tiny.image_id()
    tiny.packages.add("alpha", "1.1")
    tiny.envspec("lock", "--upgrade-package", "alpha", check=True)
    assert 'version = "1.1"' in (tiny.root / "envspec.lock").read_text()
    return old


def _wait_until_stalled(tiny: Tiny, run: Running) -> None:
    """Block until the build's install step waits on the stalled index."""
    run.wait_for("[app 2/4] RUN", deadline=600)
    deadline = time.monotonic() + 300
    while tiny.index.stalled_requests == 0:
        assert time.monotonic() < deadline, run.stderr
        assert run.proc.poll() is None, run.stderr
        time.sleep(0.1)


# --------------------------------------------------------------------------
# The builder failing or stopped in the middle of a build


@pytest.mark.docker
@pytest.mark.network
def test_failing_run_step_keeps_the_old_image_and_names_the_step(tiny: Tiny) -> None:
    """With the package index gone, the install step fails: exit 1, the step
    and uv's error are shown, and the tag still names the old image."""
    old = _built_then_moved_on(tiny)
    lock = (tiny.root / "envspec.lock").read_bytes()
    tiny.index.close()  # nothing listens there any more

    done = tiny.envspec("build", timeout=900)

    assert done.returncode == 1, done.stderr
    assert f"building {tiny.name}-app:py3.13 failed at step [app 2/4] RUN" in done.stderr
    assert "uv pip sync" in done.stderr and "alpha" in done.stderr
    assert "Traceback" not in done.stderr
    assert tiny.image_id() == old
    assert (tiny.root / "envspec.lock").read_bytes() == lock


@pytest.mark.docker
@pytest.mark.network
@pytest.mark.parametrize("victim", ["buildx-plugin", "docker-cli"])
def test_builder_killed_mid_build_keeps_the_old_image(tiny: Tiny, victim: str) -> None:
    """SIGKILL to the buildx plugin, or to the docker CLI that runs it, while a
    step waits on a stalled index: exit 1 saying the builder stopped and that
    the old image keeps its tag, and no builder process is left."""
    old = _built_then_moved_on(tiny)
    tiny.index.stall()
    with tiny.start("build") as run:
        _wait_until_stalled(tiny, run)
        if victim == "buildx-plugin":
            targets = run.descendants("cli-plugins/docker-buildx")
        else:
            direct = set(run.children())
            targets = [pid for pid in run.descendants("buildx build") if pid in direct]
        assert len(targets) == 1, targets
        os.kill(targets[0], signal.SIGKILL)
        code = run.finish(deadline=120)

    assert code == 1, run.stderr
    assert f"{tiny.name}-app:py3.13 keeps its previous image" in run.stderr
    if victim == "buildx-plugin":
        assert "the builder stopped before" in run.stderr
    else:
        assert "context canceled" in run.stderr
    assert "Traceback" not in run.stderr
    assert tiny.image_id() == old
    assert run.descendants() == []


@pytest.mark.docker
@pytest.mark.network
def test_ctrl_c_during_build_exits_130_and_keeps_the_old_image(tiny: Tiny) -> None:
    """Ctrl-C (SIGINT to the process group) while a step waits on a stalled
    index exits 130 with what happened, and the tag names the old image."""
    old = _built_then_moved_on(tiny)
    tiny.index.stall()
    with tiny.start("build") as run:
        _wait_until_stalled(tiny, run)
        run.interrupt(group=True)
        code = run.finish(deadline=120)

    assert code == 130, run.stderr
    assert "interrupted: `envspec build` stopped before it finished." in run.stderr
    assert "Every image keeps its tag until a build of it completes." in run.stderr
    assert tiny.image_id() == old


# --------------------------------------------------------------------------
# Starting: a taken port, a service that never turns healthy, Ctrl-C


@pytest.mark.docker
@pytest.mark.network
def test_taken_port_fails_up_and_the_data_survives(tiny: Tiny) -> None:
    """A host port held by another program fails `up` with exit 1, the port
    and what to do; the data volume and its data are still there after."""
    tiny.envspec("up", check=True)
    tiny.redis("SET", "kept", "yes")
    tiny.redis("SAVE")
    tiny.envspec("down", check=True)
    volumes = tiny.owned()["volumes"]
    assert volumes

    with socket.socket() as holder:
        # The app's last connections may linger in TIME_WAIT on that port.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", tiny.port))
        holder.listen()
        done = tiny.envspec("up", timeout=600)

    assert done.returncode == 1, done.stderr
    assert str(tiny.port) in done.stderr
    assert "a host port of the stack is taken" in done.stderr
    assert "Traceback" not in done.stderr
    assert tiny.owned()["volumes"] == volumes
    tiny.envspec("up", check=True)
    assert tiny.redis("GET", "kept") == "yes"


STUCK = textwrap.dedent("""
    [services.stuck]
    image = "redis:7"
    healthcheck = "exit 1"
    """)


@pytest.fixture
def stuck(tmp_path: Path) -> Iterator[Tiny]:
    """A small project with a service whose health check never passes."""
    made = _make_tiny(tmp_path, extra=STUCK)
    try:
        yield made
    finally:
        _remove(made)


@pytest.mark.docker
@pytest.mark.network
def test_service_that_never_turns_healthy_fails_up(stuck: Tiny) -> None:
    """A service whose health check never passes fails `up --timeout` with
    exit 1, naming it with its health check's output and a hint."""
    done = stuck.envspec("up", "--timeout", "20", timeout=600)

    assert done.returncode == 1, done.stderr
    assert "stuck: running, health starting" in done.stderr
    assert "envspec logs" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr
    status = json.loads(stuck.envspec("status", "--json", check=True).stdout)
    health = {s["service"]: s["health"] for s in status["services"]}
    assert health["stuck"] != "healthy" and health["cache"] == "healthy"


@pytest.mark.docker
@pytest.mark.network
def test_ctrl_c_during_up_leaves_containers_volumes_and_files(stuck: Tiny) -> None:
    """Ctrl-C while `up` waits for a service to turn healthy exits 130 saying
    what runs; the lock, the generated files, .env and the data volume are as
    they were."""
    stuck.envspec("generate", check=True)
    before = snapshot(stuck.root)
    with stuck.start("up") as run:
        # compose starts the app only once every service is healthy.
        run.wait_for(f"Container {stuck.name}-stuck-1  Waiting", deadline=600)
        run.interrupt(group=True)
        code = run.finish(deadline=120)

    assert code == 130, run.stderr
    assert "interrupted: `envspec up` stopped before it finished." in run.stderr
    assert "Containers it started keep running" in run.stderr
    assert snapshot(stuck.root) == before
    assert stuck.owned()["volumes"], "the data volume is gone"
    assert stuck.redis("PING") == "PONG"


# --------------------------------------------------------------------------
# Two projects at once


@pytest.mark.docker
@pytest.mark.network
def test_two_projects_up_at_once_do_not_collide(tmp_path: Path) -> None:
    """Two projects with the same service names, started at the same moment,
    get their own containers, network, volume and host ports; taking one
    down with its volumes leaves the other running with its data."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = _make_tiny(tmp_path / "a")
    two = _make_tiny(tmp_path / "b")
    try:
        runs = [one.start("up"), two.start("up")]
        codes = [run.finish(deadline=900) for run in runs]
        assert codes == [0, 0], [run.stderr for run in runs]

        owned = [one.owned(), two.owned()]
        for kind in ("containers", "networks", "volumes"):
            assert owned[0][kind] and owned[1][kind]
            assert not set(owned[0][kind]) & set(owned[1][kind]), kind
        ports = [docker("port", tiny.container("cache"), "6379").strip()
                 for tiny in (one, two)]
        assert ports[0] != ports[1]

        one.redis("SET", "owner", "one")
        assert two.redis("GET", "owner") == ""
        one.envspec("down", "--volumes", check=True)
        assert one.owned() == {"containers": [], "networks": [], "volumes": []}
        assert two.redis("PING") == "PONG"
        assert two.owned()["volumes"] == owned[1]["volumes"]
    finally:
        _remove(one)
        _remove(two)


# --------------------------------------------------------------------------
# The registry out of reach


@pytest.mark.docker
def test_unreachable_registry_fails_lock_with_exit_1(tmp_path: Path) -> None:
    """An interpreter image on a registry where nothing listens fails `lock`
    with exit 1 naming the image, and writes no lock."""
    root = tmp_path / "project"
    root.mkdir()
    port = free_port()
    (root / "envspec.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "es-fault-registry"

        [python]
        versions = ["3.13"]
        image = "127.0.0.1:{port}/python:{{version}}-slim"
        """))

    done = envspec(root, "lock", timeout=300)

    assert done.returncode == 1, done.stderr
    assert f"127.0.0.1:{port}/python:3.13-slim" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr
    assert not (root / "envspec.lock").exists()
