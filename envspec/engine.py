"""The Docker Engine, behind one small interface.

:class:`Engine` is everything envspec asks of a container engine. The real
implementation, :class:`DockerEngine`, talks to the engine through docker-py
for what its API covers (ping, images, containers and their health, logs,
events) and through the ``docker buildx`` and ``docker compose`` command-line
plugins for what docker-py cannot do: BuildKit builds (its ``images.build``
uses the legacy builder, which has no secret mounts) and compose projects.
Unit tests use :class:`envspec.fake_engine.FakeEngine` instead; BuildKit's
progress stream is parsed in :mod:`envspec.buildkit`.

docker-py is imported inside the methods that need it: the import costs
about 280 ms, which commands such as ``lock --check`` must not pay.

Errors: an engine that cannot be reached, a missing CLI plugin or a failed
engine call is an :class:`~envspec.errors.EngineError` (exit 1) saying what
was tried and what to do; docker-py's and subprocess's errors are translated
here and never leave this module.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Protocol

from envspec.errors import EngineError

log = logging.getLogger("envspec.engine")

# Labels that docker compose puts on what it creates.
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"

DEFAULT_SOCKET = "/var/run/docker.sock"


# --------------------------------------------------------------------------
# What the engine reports


@dataclass(frozen=True)
class Port:
    """A container port published on the host."""

    container_port: int
    protocol: str  # "tcp" or "udp"
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class Container:
    """One container of a compose project, as the engine sees it now."""

    id: str
    name: str
    service: str
    state: str  # created, running, restarting, paused, exited, dead
    exit_code: int | None
    health: str | None  # starting, healthy, unhealthy; None: no health check
    health_output: str | None  # the last health check's output
    ports: tuple[Port, ...]
    image: str  # the reference it was created from
    image_id: str
    oneoff: bool = False


@dataclass(frozen=True)
class Image:
    """A local image."""

    id: str
    labels: Mapping[str, str]
    repo_digests: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildRequest:
    """One BuildKit build of one image."""

    context: Path
    dockerfile: Path
    tag: str
    labels: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, Path] = field(default_factory=dict)  # id -> file
    no_cache: bool = False


@dataclass(frozen=True)
class BuildEvent:
    """A step of a build that started, finished or wrote output."""

    kind: str  # "started", "done", "cached", "failed", "log", "message"
    step: str  # the step's name, e.g. "[3/7] RUN uv pip sync ..."
    text: str = ""  # the error, a log line or a message
    seconds: float | None = None  # how long a finished step took


@dataclass(frozen=True)
class ComposeResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False


class Engine(Protocol):
    """What envspec needs from a container engine."""

    def ping(self) -> None:
        """Check that the engine answers; raise EngineError if not."""

    def image(self, ref: str) -> Image | None:
        """The local image named ``ref``, or None if there is none."""

    def remove_image(self, ref: str) -> None:
        """Remove a local image (a missing image is not an error)."""

    def containers(self, project: str) -> list[Container]:
        """Every container of a compose project, stopped ones too."""

    def logs(self, container_id: str, tail: int) -> str:
        """The last ``tail`` lines a container wrote (stdout and stderr)."""

    def wait_for_change(self, project: str, seconds: float) -> None:
        """Block until a container of the project changes, at most ``seconds``."""

    def build(
        self, request: BuildRequest, progress: Callable[[BuildEvent], None]
    ) -> None:
        """Build one image with BuildKit; raise EngineError if it fails."""

    def compose(
        self,
        compose_file: Path | None,
        project: str,
        args: Sequence[str],
        *,
        capture: bool = True,
        echo: Callable[[str], None] | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ComposeResult:
        """Run a ``docker compose`` command for a project.

        With ``capture`` the output is returned (and each line of stderr is
        passed to ``echo`` as it comes); without, the command shares this
        process's terminal (``logs -f``, ``run``) and only its code returns.
        A command still running after ``timeout`` seconds is stopped.
        """


# --------------------------------------------------------------------------
# The real engine


def _engine_address() -> str:
    host = os.environ.get("DOCKER_HOST")
    return f"DOCKER_HOST={host}" if host else f"the socket {DEFAULT_SOCKET}"


def _unreachable(exc: BaseException | None, what: str) -> EngineError:
    host = os.environ.get("DOCKER_HOST")
    if host:
        hint = (
            f"start the engine that DOCKER_HOST points to, or fix or unset "
            f"DOCKER_HOST (now {host}); `docker info` should then work"
        )
    else:
        hint = (
            f"start the Docker Engine (e.g. `sudo systemctl start docker`) so "
            f"that {DEFAULT_SOCKET} answers, check that you may use it (the "
            "`docker` group), or set DOCKER_HOST to where it listens"
        )
    detail = f": {_short(exc)}" if exc else ""
    return EngineError(
        f"cannot reach the Docker Engine at {_engine_address()} ({what}){detail}",
        hint=hint,
        title="Engine unreachable",
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__


class DockerEngine:
    """The Docker Engine, through docker-py and the docker CLI plugins."""

    def __init__(self, docker_cli: str | None = None) -> None:
        self._docker_cli = docker_cli

    # -- the API client

    @cached_property
    def _client(self) -> Any:
        try:
            import docker
        except ImportError as exc:  # a broken install, not a user mistake
            raise EngineError(
                "docker-py is not installed", hint="pip install 'docker>=7.1'"
            ) from exc
        try:
            return docker.from_env(timeout=30)
        except docker.errors.DockerException as exc:
            raise _unreachable(exc, "connecting") from exc

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one docker-py call; translate its errors into EngineError."""
        import docker

        try:
            return fn()
        except docker.errors.NotFound:
            raise
        except docker.errors.APIError as exc:
            raise EngineError(
                f"the Docker Engine refused to {what}: {exc.explanation or exc}"
            ) from exc
        except (docker.errors.DockerException, OSError) as exc:
            raise _unreachable(exc, what) from exc

    def ping(self) -> None:
        self._call("answer a ping", self._client.ping)

    # -- images

    def image(self, ref: str) -> Image | None:
        import docker

        try:
            img = self._call(
                f"inspect the image {ref}", lambda: self._client.images.get(ref)
            )
        except docker.errors.NotFound:
            return None
        attrs = img.attrs
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        return Image(
            id=attrs["Id"],
            labels=dict(labels),
            repo_digests=tuple(attrs.get("RepoDigests") or ()),
        )

    def remove_image(self, ref: str) -> None:
        import docker

        try:
            self._call(
                f"remove the image {ref}",
                lambda: self._client.images.remove(ref, force=True),
            )
        except docker.errors.NotFound:
            return

    # -- containers

    def containers(self, project: str) -> list[Container]:
        found = self._call(
            f"list the containers of {project}",
            # A container removed while the list is read (a `down` running
            # meanwhile) is left out rather than failing the whole list.
            lambda: self._client.containers.list(
                all=True,
                filters={"label": f"{PROJECT_LABEL}={project}"},
                ignore_removed=True,
            ),
        )
        return sorted(
            (_container(c.attrs) for c in found), key=lambda c: (c.service, c.name)
        )

    def logs(self, container_id: str, tail: int) -> str:
        import docker

        def read() -> bytes:
            return self._client.api.logs(
                container_id, tail=tail, stdout=True, stderr=True
            )

        try:
            data = self._call("read the logs", read)
        except docker.errors.NotFound:
            return ""
        return bytes(data).decode("utf-8", "replace")

    def wait_for_change(self, project: str, seconds: float) -> None:
        # The events stream ends by itself at ``until``; the first event of
        # the project (start, die, health_status...) ends the wait early.
        now = time.time()
        stream = self._call(
            "stream events",
            lambda: self._client.api.events(
                since=f"{now:.3f}",
                until=f"{now + seconds:.3f}",
                decode=True,
                filters={"type": "container", "label": f"{PROJECT_LABEL}={project}"},
            ),
        )
        try:
            for _event in stream:
                return
        except OSError as exc:
            raise _unreachable(exc, "stream events") from exc
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()

    # -- the CLI plugins

    @cached_property
    def docker_cli(self) -> str:
        found = self._docker_cli or shutil.which("docker")
        if not found:
            raise EngineError(
                "the `docker` command is not installed",
                hint="install the Docker CLI with its buildx and compose plugins: "
                "https://docs.docker.com/engine/install/ (Debian: apt-get install "
                "docker.io docker-buildx docker-compose)",
                title="No docker CLI",
            )
        return found

    @cached_property
    def compose_argv(self) -> list[str]:
        """``docker compose`` (v2), else ``docker-compose`` (v1)."""
        if _works([self.docker_cli, "compose", "version"]):
            return [self.docker_cli, "compose"]
        legacy = shutil.which("docker-compose")
        if legacy and _works([legacy, "version"]):
            log.warning(
                "compose v2 is missing; using docker-compose v1", extra={"path": legacy}
            )
            return [legacy]
        raise EngineError(
            "Docker Compose is missing: neither `docker compose` (v2) nor "
            "`docker-compose` works",
            hint="install the compose v2 plugin: Debian 13/Ubuntu `apt-get install "
            "docker-compose`, Docker's repository `apt-get install "
            "docker-compose-plugin`, or see https://docs.docker.com/compose/install/",
            title="No compose",
        )

    @cached_property
    def buildx_argv(self) -> list[str]:
        """``docker buildx``. Not probed up front (that costs a process start
        on every build): :meth:`_missing_buildx` explains a build that failed
        because the plugin is not there."""
        return [self.docker_cli, "buildx"]

    def _missing_buildx(self) -> EngineError | None:
        if _works([self.docker_cli, "buildx", "version"]):
            return None
        return EngineError(
            "the buildx plugin is missing: `docker buildx version` fails, and "
            "BuildKit builds (cache and secret mounts) need it",
            hint="install it: Debian/Ubuntu `apt-get install docker-buildx`, "
            "Docker's repository `apt-get install docker-buildx-plugin`, or see "
            "https://github.com/docker/buildx#installing",
            title="No buildx",
        )

    def build(
        self, request: BuildRequest, progress: Callable[[BuildEvent], None]
    ) -> None:
        argv = [
            *self.buildx_argv,
            "build",
            "--progress=rawjson",
            "--load",
            "--file",
            str(request.dockerfile),
            "--tag",
            request.tag,
        ]
        for key, value in sorted(request.labels.items()):
            argv += ["--label", f"{key}={value}"]
        for ident, path in sorted(request.secrets.items()):
            argv += ["--secret", f"id={ident},src={path}"]
        if request.no_cache:
            argv.append("--no-cache")
        argv.append(str(request.context))
        log.info("build started", extra={"tag": request.tag, "argv": argv})

        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            raise EngineError(f"could not start `{' '.join(argv[:3])}`: {exc}") from exc
        assert proc.stderr is not None and proc.stdout is not None
        from envspec.buildkit import RawJsonProgress, build_failure

        # TODO: a step that waits on a stalled package index runs until uv's
        # own timeouts inside the build (minutes, with retries) and envspec
        # says nothing meanwhile; the next step is to pass UV_HTTP_TIMEOUT as
        # a build setting and to report a step that has been silent too long.

        parser = RawJsonProgress(progress)
        try:
            parser.feed_stream(proc.stderr)
            proc.stdout.read()
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if code != 0:
            if not parser.names and any("Cannot connect" in t for t in parser.text):
                raise _unreachable(None, f"build {request.tag}")
            missing = None if parser.names else self._missing_buildx()
            if missing is not None:
                raise missing
            raise build_failure(request.tag, parser, _engine_address(), code)

    def compose(
        self,
        compose_file: Path | None,
        project: str,
        args: Sequence[str],
        *,
        capture: bool = True,
        echo: Callable[[str], None] | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ComposeResult:
        argv = [*self.compose_argv, "--project-name", project]
        if compose_file is not None:
            argv += ["--file", str(compose_file)]
        argv += list(args)
        log.info("compose", extra={"argv": argv})
        full_env = {**os.environ, **(env or {})}
        try:
            if not capture:
                return ComposeResult(_passthrough(argv, full_env))
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=full_env,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            raise EngineError(f"could not start `{' '.join(argv[:2])}`: {exc}") from exc
        return _collect(proc, echo, timeout)


def _passthrough(argv: list[str], env: Mapping[str, str]) -> int:
    """Run a command on this terminal; its code. Output to a pipe is cleaned.

    compose 2.26 starts each line of ``logs`` with an erase-line escape even
    when its output is not a terminal; piped output should be plain text.
    """
    if sys.stdout.isatty():
        return subprocess.call(argv, env=env)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            sys.stdout.buffer.write(line.replace(b"\x1b[2K", b""))
            sys.stdout.flush()
        return proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _collect(
    proc: subprocess.Popen[str],
    echo: Callable[[str], None] | None,
    timeout: float | None,
) -> ComposeResult:
    """Wait for a command, passing its stderr lines on while collecting both."""
    out: list[str] = []
    err: list[str] = []

    def pump(
        stream: IO[str] | None, into: list[str], each: Callable[[str], None] | None
    ) -> None:
        assert stream is not None
        for line in stream:
            into.append(line)
            if each is not None and line.strip():
                each(line.rstrip("\n"))

    threads = [
        threading.Thread(target=pump, args=(proc.stdout, out, None), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, err, echo), daemon=True),
    ]
    for thread in threads:
        thread.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    for thread in threads:
        thread.join(timeout=5)
    return ComposeResult(proc.returncode, "".join(out), "".join(err), timed_out)


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _container(attrs: Mapping[str, Any]) -> Container:
    """A Container from the engine's inspect data."""
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    labels = config.get("Labels") or {}
    health = state.get("Health") or None
    output = None
    if health and health.get("Log"):
        output = (health["Log"][-1].get("Output") or "").strip()

    ports: list[Port] = []
    published = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for key, bindings in sorted(published.items()):
        number, _, proto = key.partition("/")
        for binding in bindings or ():
            ports.append(
                Port(
                    int(number),
                    proto or "tcp",
                    binding.get("HostIp") or "0.0.0.0",
                    int(binding.get("HostPort") or 0),
                )
            )

    return Container(
        id=attrs["Id"],
        name=str(attrs.get("Name", "")).lstrip("/"),
        service=labels.get(SERVICE_LABEL, ""),
        state=state.get("Status", "unknown"),
        exit_code=state.get("ExitCode"),
        health=health.get("Status") if health else None,
        health_output=output,
        ports=tuple(ports),
        image=config.get("Image", ""),
        image_id=attrs.get("Image", ""),
        oneoff=labels.get(ONEOFF_LABEL) == "True",
    )
