"""A project's stack: building its images, starting it, waiting for it, reporting on it.

The commands ``build``, ``up``, ``down``, ``status``, ``logs`` and ``run``
are thin layers over this module, and so is the TUI. Everything here talks
to the engine through :class:`envspec.engine.Engine`, so unit tests drive it
with a fake engine and a fake clock.

- :func:`build_images` skips the builder for an image whose fingerprint label
  (see :mod:`envspec.fingerprint`) matches its build inputs.
- :func:`start` runs ``docker compose up -d`` and :func:`wait_healthy`
  follows the containers until every service passes its health check, and
  fails with the service's last health output and log lines when one cannot.
- :func:`status` says what runs, where, and whether its image still matches
  the lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envspec.engine import BuildEvent, BuildRequest, Container, Engine
from envspec.errors import RunError, StaleError
from envspec.fingerprint import build_fingerprint
from envspec.lockfile import Lock
from envspec.spec import Spec

log = logging.getLogger("envspec.stack")

Report = Callable[[str], None]

COMPOSE_FILE = "compose.yaml"
APP = "app"
CA_SECRET = "ca"
FINGERPRINT_LABEL = "org.envspec.fingerprint"
LOCK_LABEL = "org.envspec.lock"
PROJECT_LABEL = "org.envspec.project"
LOG_LINES = 20  # log lines shown for a service that failed


# --------------------------------------------------------------------------
# The project and its images


@dataclass(frozen=True)
class AppImage:
    """The app image of one interpreter of ``python.versions``."""

    version: str  # "3.13"
    service: str  # "app", or "app-py3.12" for the test matrix
    tag: str  # "bookshelf-app:py3.13"
    dockerfile: Path


@dataclass(frozen=True)
class Project:
    spec: Spec
    lock: Lock

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def compose_file(self) -> Path:
        return self.spec.output_dir / COMPOSE_FILE

    def images(self) -> list[AppImage]:
        from envspec import render  # the generated files' names live there

        spec = self.spec
        return [AppImage(v, render.app_service(spec, v), render.app_image(spec, v),
                         spec.output_dir / render.dockerfile_name(v))
                for v in spec.python.versions]

    def image_for(self, version: str | None) -> AppImage:
        images = self.images()
        if version is None:
            return images[0]
        for image in images:
            if image.version == version:
                return image
        from envspec.errors import UsageError

        raise UsageError(f"Python {version} is not in python.versions",
                         hint="use one of " + ", ".join(i.version for i in images))

    def services(self) -> list[str]:
        """The services ``up`` starts: the app, then the spec's services."""
        return [APP, *sorted(s.name for s in self.spec.services)]


def load_project(spec: Spec) -> Project:
    from envspec.lockfile import lock_path, read_lock

    return Project(spec, read_lock(lock_path(spec.path)))


def command_for(directory: Path, command: str) -> str:
    """``envspec COMMAND`` as the user should type it, with ``-C`` if needed."""
    where = "" if directory == Path(".") else f" -C {directory}"
    return f"envspec{where} {command}"


def check_lock(project: Project, fix: str) -> None:
    """Refuse a lock that is out of date with the spec, saying what changed."""
    from envspec.locking import check_lock as reasons_of

    reasons = reasons_of(project.spec, project.lock)
    if reasons:
        account = "\n".join(f"  {r}" for r in reasons)
        raise StaleError(f"envspec.lock is out of date with envspec.toml:\n{account}",
                         hint=f"run `{fix}` to update the lock, then run this "
                         "command again", title="Stale lock")


def ensure_generated(project: Project, report: Report) -> None:
    """Regenerate the files in ``.envspec/`` when the lock moved on; make ``.env``.

    Files edited by hand are not overwritten: that is an EditedError, as
    with ``envspec generate``.
    """
    from envspec import generate, secrets

    plan = generate.plan(project.spec, project.lock)
    if plan.up_to_date:
        changed = secrets.ensure_env(project.spec)
        if changed:
            report(f"set {', '.join(changed)} in {project.spec.output}/.env")
        return
    done = generate.apply(plan)
    written = ", ".join(done.written) or "nothing"
    report(f"regenerated {project.spec.output}/: {written}")


def fingerprint(project: Project, image: AppImage) -> str:
    return build_fingerprint(project.spec.root, image.dockerfile,
                             project.lock.content_hash(), extra=(image.tag,))


# --------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class BuildOutcome:
    image: AppImage
    built: bool  # False: an image with the same fingerprint was already there
    seconds: float
    fingerprint: str


def build_images(project: Project, engine: Engine, images: Sequence[AppImage],
                 *, ca_bundle: Path | None, no_cache: bool = False,
                 report: Report, verbose: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> list[BuildOutcome]:
    """Build each image whose inputs changed since it was last built."""
    outcomes = []
    for image in images:
        began = clock()
        wanted = fingerprint(project, image)
        existing = engine.image(image.tag)
        if (existing is not None and not no_cache
                and existing.labels.get(FINGERPRINT_LABEL) == wanted):
            log.info("build skipped", extra={"tag": image.tag, "fingerprint": wanted})
            report(f"{image.tag}: up to date, not rebuilt")
            outcomes.append(BuildOutcome(image, False, clock() - began, wanted))
            continue

        report(f"{image.tag}: building with BuildKit (Python {image.version})")
        request = BuildRequest(
            context=project.spec.root, dockerfile=image.dockerfile, tag=image.tag,
            labels={FINGERPRINT_LABEL: wanted,
                    LOCK_LABEL: project.lock.content_hash(),
                    PROJECT_LABEL: project.name},
            secrets={CA_SECRET: ca_bundle} if ca_bundle else {},
            no_cache=no_cache,
        )
        engine.build(request, BuildView(image, report, verbose).event)
        seconds = clock() - began
        report(f"{image.tag}: built in {seconds:.1f} s")
        outcomes.append(BuildOutcome(image, True, seconds, wanted))
    return outcomes


class BuildView:
    """Build progress as lines on stderr: one per step that starts or ends."""

    def __init__(self, image: AppImage, report: Report, verbose: bool) -> None:
        self.prefix = f"  [py{image.version}]"
        self.report = report
        self.verbose = verbose

    def event(self, event: BuildEvent) -> None:
        if event.kind == "started" and not _internal(event.step):
            self.report(f"{self.prefix} {_short_step(event.step)} ...")
        elif event.kind == "done" and not _internal(event.step):
            took = f" ({event.seconds:.1f} s)" if event.seconds is not None else ""
            self.report(f"{self.prefix} {_short_step(event.step)} done{took}")
        elif event.kind == "cached" and not _internal(event.step):
            self.report(f"{self.prefix} {_short_step(event.step)} cached")
        elif event.kind == "failed":
            self.report(f"{self.prefix} {_short_step(event.step)} FAILED")
        elif event.kind == "log" and self.verbose:
            self.report(f"{self.prefix}   | {event.text}")


def _internal(step: str) -> bool:
    return step.startswith("[internal]") or not step


def _short_step(step: str) -> str:
    step = " ".join(step.split())
    return step if len(step) <= 100 else step[:97] + "..."


# --------------------------------------------------------------------------
# Starting and waiting


class ServiceFailed(RunError):
    """One or more services did not become healthy."""

    default_title = "Service unhealthy"


def start(project: Project, engine: Engine, *, timeout: float,
          report: Report) -> None:
    """``docker compose up -d`` without building; explain a failure."""
    result = engine.compose(
        project.compose_file, project.name,
        ["up", "--detach", "--no-build", "--remove-orphans", *project.services()],
        echo=report, timeout=timeout)
    if result.timed_out:
        raise _failure(engine, project, project.services(),
                       f"`docker compose up` did not finish within {timeout:.0f} s")
    if result.returncode != 0:
        containers = {c.service: c for c in engine.containers(project.name)}
        broken = [s for s in project.services() if s in containers
                  and phase(containers[s])[0] == "failed"]
        if broken:
            raise _failure(engine, project, broken, "the stack did not start")
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise RunError(f"`docker compose up` failed for {project.name}:\n{tail}",
                       hint=_compose_hint(result.stderr), title="Start failed")


def _compose_hint(stderr: str) -> str:
    if "port is already allocated" in stderr or "address already in use" in stderr:
        return ("a host port of the stack is taken by another program or stack; "
                "stop it, or change the port in envspec.toml and run `envspec lock`")
    if "No such image" in stderr or "pull access denied" in stderr:
        return "run `envspec build`, and check the engine's registry access"
    return "see compose's message above; `envspec status` shows what runs"


def phase(container: Container | None) -> tuple[str, str]:
    """Whether a service's container is "ready", "waiting" or "failed", and why."""
    if container is None:
        return "waiting", "no container yet"
    if container.state in ("exited", "dead"):
        return "failed", f"{container.state} with code {container.exit_code}"
    if container.state != "running":
        return "waiting", container.state
    if container.health is None:
        return "ready", "running"
    if container.health == "healthy":
        return "ready", "running, healthy"
    if container.health == "unhealthy":
        return "failed", "unhealthy"
    return "waiting", f"running, health {container.health}"


def http_answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts)."""
    import http.client
    import urllib.error
    import urllib.request

    # Straight to the published port: a proxy from the environment must not
    # stand in for the app.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        opener.open(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, http.client.HTTPException):
        return False
    return True


def _app_phase(container: Container | None,
               probe: Callable[[str], bool]) -> tuple[str, str]:
    """The app's phase; with no health check, "ready" once its port answers."""
    current = phase(container)
    if container is None or current[1] != "running":
        return current
    urls = [p["url"] for p in port_entries(APP, container)]
    if not urls:
        return current
    if probe(urls[0]):
        return "ready", f"running, answering at {urls[0]}"
    return "waiting", f"running, not answering at {urls[0]} yet"


def wait_healthy(engine: Engine, project: Project, *, timeout: float,
                 report: Report, clock: Callable[[], float] = time.monotonic,
                 probe: Callable[[str], bool] = http_answers) -> list[Container]:
    """Wait until every service is ready; raise ServiceFailed if one cannot be.

    A service with a health check is ready once it is healthy; the app,
    which usually has none, once it answers HTTP on its first published
    port; any other service once it runs.
    """
    services = project.services()
    began = clock()
    deadline = began + timeout
    seen: dict[str, str] = {}
    while True:
        current = {c.service: c for c in engine.containers(project.name)
                   if not c.oneoff}
        phases = {s: _app_phase(current.get(s), probe) if s == APP
                  else phase(current.get(s)) for s in services}
        for service, (_, why) in phases.items():
            if seen.get(service) != why:
                report(f"  {service}: {why} ({clock() - began:.1f} s)")
                seen[service] = why

        failed = [s for s, (p, _) in phases.items() if p == "failed"]
        if failed:
            raise _failure(engine, project, failed, "a service failed")
        if all(p == "ready" for p, _ in phases.values()):
            return [current[s] for s in services]
        left = deadline - clock()
        if left <= 0:
            waiting = [s for s, (p, _) in phases.items() if p != "ready"]
            raise _failure(engine, project, waiting,
                           f"not healthy after {timeout:.0f} s")
        # Containers report through events; an app's port does not, so poll it.
        engine.wait_for_change(project.name, min(0.5 if phases[APP][0] == "waiting"
                                                 and APP in current else 2.0, left))


def _failure(engine: Engine, project: Project, services: Sequence[str],
             headline: str) -> ServiceFailed:
    """The error for services that failed: health output and last logs of each."""
    current = {c.service: c for c in engine.containers(project.name) if not c.oneoff}
    lines = [f"{headline}: {', '.join(services)}"]
    for service in services:
        container = current.get(service)
        _, why = phase(container)
        lines.append(f"{service}: {why}")
        if container is None:
            continue
        if container.health_output:
            lines.append("  last health check output:")
            lines += [f"    | {line}" for line in
                      container.health_output.splitlines()[-LOG_LINES:]]
        logs = engine.logs(container.id, LOG_LINES).rstrip("\n")
        if logs:
            lines.append(f"  last {LOG_LINES} log lines:")
            lines += [f"    | {line}" for line in logs.splitlines()[-LOG_LINES:]]
        else:
            lines.append("  no log output")
    first = services[0] if services else APP
    return ServiceFailed("\n".join(lines),
                         hint=f"see `envspec logs {first}`; fix the cause and run "
                         "`envspec up` again (`envspec down` stops what did start)")


# --------------------------------------------------------------------------
# Reporting


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    state: str  # the container's state, or "absent"
    health: str | None
    ports: tuple[dict[str, Any], ...] = ()
    image: str = ""
    image_id: str = ""
    matches_lock: bool | None = None  # None: cannot tell
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "state": self.state, "health": self.health,
                "ports": list(self.ports), "image": self.image,
                "image_id": self.image_id, "matches_lock": self.matches_lock,
                "note": self.note}


def port_entries(service: str, container: Container) -> tuple[dict[str, Any], ...]:
    """A container's published ports, each with a URL a person can use."""
    out = []
    for port in container.ports:
        host = "127.0.0.1" if port.host_ip in ("0.0.0.0", "", "::") else port.host_ip
        if ":" in host:
            host = f"[{host}]"
        scheme = "http" if service == APP or service.startswith(APP + "-") else "tcp"
        out.append({"container_port": port.container_port, "protocol": port.protocol,
                    "host_ip": port.host_ip, "host_port": port.host_port,
                    "url": f"{scheme}://{host}:{port.host_port}/"})
    return tuple(out)


def status(project: Project, engine: Engine) -> list[ServiceStatus]:
    """Each service's state, health, ports and image, and whether it matches the lock."""
    containers = [c for c in engine.containers(project.name) if not c.oneoff]
    by_service = {c.service: c for c in containers}
    images = {i.service: i for i in project.images()}
    names = project.services() + sorted(set(by_service) - set(project.services()))

    out = []
    for service in names:
        container = by_service.get(service)
        if container is None:
            out.append(ServiceStatus(service, "absent", None, note="not started"))
            continue
        if service in images:
            matches, note = _app_matches(project, engine, images[service], container)
        else:
            matches, note = _service_matches(project, engine, service, container)
        out.append(ServiceStatus(
            service, container.state, container.health,
            port_entries(service, container), container.image, container.image_id,
            matches, note))
    return out


def _app_matches(project: Project, engine: Engine, image: AppImage,
                 container: Container) -> tuple[bool | None, str]:
    current = engine.image(image.tag)
    if current is None:
        return False, f"{image.tag} is gone; run `envspec up`"
    if current.id != container.image_id:
        return False, "the container runs an older build; run `envspec up`"
    if current.labels.get(LOCK_LABEL) != project.lock.content_hash():
        return False, "built from another lock; run `envspec up`"
    try:
        wanted = fingerprint(project, image)
    except FileNotFoundError:
        return None, "generated files are missing; run `envspec generate`"
    if current.labels.get(FINGERPRINT_LABEL) != wanted:
        return False, "the source or generated files changed; run `envspec up`"
    return True, ""


def _service_matches(project: Project, engine: Engine, service: str,
                     container: Container) -> tuple[bool | None, str]:
    try:
        locked = project.lock.service(service)
    except KeyError:
        return None, "not a service of the lock"
    if locked.digest in container.image:
        return True, ""
    image = engine.image(container.image_id)
    if image is not None and any(d.endswith("@" + locked.digest)
                                 for d in image.repo_digests):
        return True, ""
    return False, f"the lock pins {locked.reference}; run `envspec up`"


def summary_lines(statuses: Sequence[ServiceStatus]) -> list[str]:
    """The services as aligned lines: name, state and health, where to reach it."""
    width = max((len(s.service) for s in statuses), default=0)
    lines = []
    for st in statuses:
        state = st.state if st.health is None else f"{st.state}, {st.health}"
        where = "  ".join(
            p["url"] if p["url"].startswith("http")
            else f"{p['host_ip'] or '0.0.0.0'}:{p['host_port']} -> "
            f"{p['container_port']}/{p['protocol']}"
            for p in st.ports)
        fresh = "" if st.matches_lock in (True, None) else f"  ({st.note})"
        lines.append(f"  {st.service:<{width}}  {state:<18} {where}{fresh}".rstrip())
    return lines


def usable_compose_file(spec: Spec) -> Path | None:
    """The compose file, when compose can read it; None: go by project name.

    The compose file refers to passwords in ``.env``; without that file
    compose refuses to read it, but ``down`` and ``logs`` still work on the
    project's name alone.
    """
    from envspec import secrets

    compose = spec.output_dir / COMPOSE_FILE
    if compose.is_file() and secrets.env_path(spec).is_file():
        return compose
    return None


def down(project_name: str, compose_file: Path | None, engine: Engine, *,
         volumes: bool, report: Report) -> None:
    """Stop and remove the stack's containers and network (and volumes if asked)."""
    args = ["down", "--remove-orphans"]
    if volumes:
        args.append("--volumes")
    result = engine.compose(compose_file, project_name, args, echo=report)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise RunError(f"`docker compose down` failed for {project_name}:\n{tail}",
                       hint="`envspec status` shows what still runs",
                       title="Stop failed")
