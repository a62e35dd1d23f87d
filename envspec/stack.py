"""A project's stack: building its images, starting it, waiting for it, reporting on it.

The commands ``build``, ``up``, ``down``, ``status``, ``logs`` and ``run``
are thin layers over this module, and so is the TUI. Everything here talks
to the engine through :class:`envspec.engine.Engine`, so unit tests drive it
with a fake engine and a fake clock.

- :func:`build_images` skips the builder for an image whose fingerprint label
  (see :mod:`envspec.fingerprint`) matches its build inputs.
- :func:`start` runs ``docker compose up -d``; :mod:`envspec.health` then
  waits until every service passes its health check.
- :mod:`envspec.status` says what runs, where, and whether its image still
  matches the lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envspec.engine import BuildEvent, BuildRequest, Engine
from envspec.errors import RunError, StaleError
from envspec.fingerprint import build_fingerprint
from envspec.lockfile import Lock
from envspec.spec import Spec

if TYPE_CHECKING:
    from envspec.status import ServiceStatus

log = logging.getLogger("envspec.stack")

Report = Callable[[str], None]

COMPOSE_FILE = "compose.yaml"
APP = "app"
CA_SECRET = "ca"
FINGERPRINT_LABEL = "org.envspec.fingerprint"
LOCK_LABEL = "org.envspec.lock"
PROJECT_LABEL = "org.envspec.project"


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
        return [
            AppImage(
                v,
                render.app_service(spec, v),
                render.app_image(spec, v),
                spec.output_dir / render.dockerfile_name(v),
            )
            for v in spec.python.versions
        ]

    def image_for(self, version: str | None) -> AppImage:
        images = self.images()
        if version is None:
            return images[0]
        for image in images:
            if image.version == version:
                return image
        from envspec.errors import UsageError

        raise UsageError(
            f"Python {version} is not in python.versions",
            hint="use one of " + ", ".join(i.version for i in images),
        )

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
        raise StaleError(
            f"envspec.lock is out of date with envspec.toml:\n{account}",
            hint=f"run `{fix}` to update the lock, then run this command again",
            title="Stale lock",
        )


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
    return build_fingerprint(
        project.spec.root,
        image.dockerfile,
        project.lock.content_hash(),
        extra=(image.tag,),
    )


# --------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class BuildOutcome:
    image: AppImage
    built: bool  # False: an image with the same fingerprint was already there
    seconds: float
    fingerprint: str


def build_images(
    project: Project,
    engine: Engine,
    images: Sequence[AppImage],
    *,
    ca_bundle: Path | None,
    no_cache: bool = False,
    report: Report,
    verbose: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> list[BuildOutcome]:
    """Build each image whose inputs changed since it was last built."""
    outcomes = []
    for image in images:
        began = clock()
        wanted = fingerprint(project, image)
        existing = engine.image(image.tag)
        if (
            existing is not None
            and not no_cache
            and existing.labels.get(FINGERPRINT_LABEL) == wanted
        ):
            log.info("build skipped", extra={"tag": image.tag, "fingerprint": wanted})
            report(f"{image.tag}: up to date, not rebuilt")
            outcomes.append(BuildOutcome(image, False, clock() - began, wanted))
            continue

        report(f"{image.tag}: building with BuildKit (Python {image.version})")
        request = BuildRequest(
            context=project.spec.root,
            dockerfile=image.dockerfile,
            tag=image.tag,
            labels={
                FINGERPRINT_LABEL: wanted,
                LOCK_LABEL: project.lock.content_hash(),
                PROJECT_LABEL: project.name,
            },
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
        if event.kind == "started" and " RUN " in f" {event.step} ":
            # Only RUN steps take long enough for a "started" line to help.
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


def check_ports(
    project: Project,
    engine: Engine,
    problem: Callable[[str, int], str | None] | None = None,
) -> None:
    """Refuse to start when a fixed host port is taken by something else.

    Compose would otherwise create the containers and fail on the first one
    that cannot bind, leaving it behind. A port this project's own running
    stack holds is fine: ``up`` recreates those containers.
    """
    from envspec import ports

    problem = problem or ports.bind_problem
    own: set[int] | None = None
    busy: list[tuple[ports.FixedPort, str]] = []
    for fixed in ports.fixed_ports(project.spec):
        why = problem(fixed.host, fixed.port)
        if why is None:
            continue
        if why == "in use":
            if own is None:
                own = {
                    p.host_port
                    for c in engine.containers(project.name)
                    if c.state == "running"
                    for p in c.ports
                }
            if fixed.port in own:
                continue
        busy.append((fixed, why))
    if busy:
        lines = [
            f"  {f.host}:{f.port} ({f.owner}): {why}, by another program or stack"
            for f, why in busy
        ]
        raise RunError(
            f"cannot start {project.name}: a host port of the stack is taken\n"
            + "\n".join(lines),
            hint="; ".join(dict.fromkeys(f.fix() for f, _ in busy))
            + "; `docker ps` shows the containers that publish ports",
            title="Port taken",
        )


def start(
    project: Project,
    engine: Engine,
    *,
    timeout: float,
    report: Report,
    services: Sequence[str] | None = None,
) -> None:
    """``docker compose up -d`` without building; explain a failure.

    ``services`` starts only those (default: the app and every service).
    """
    from envspec.health import failure, phase

    names = list(services) if services is not None else project.services()
    result = engine.compose(
        project.compose_file,
        project.name,
        ["up", "--detach", "--no-build", "--remove-orphans", *names],
        echo=report,
        timeout=timeout,
    )
    if result.timed_out:
        raise failure(
            engine,
            project,
            names,
            f"`docker compose up` did not finish within {timeout:.0f} s",
        )
    if result.returncode != 0:
        containers = {c.service: c for c in engine.containers(project.name)}
        broken = [
            s for s in names if s in containers and phase(containers[s])[0] == "failed"
        ]
        if broken:
            raise failure(engine, project, broken, "the stack did not start")
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        if result.returncode < 0:
            import signal

            name = signal.Signals(-result.returncode).name
            tail = f"(compose was killed by {name} before it finished)\n{tail}"
        raise RunError(
            f"`docker compose up` failed for {project.name}:\n{tail}",
            hint=_compose_hint(result.stderr),
            title="Start failed",
        )


def _compose_hint(stderr: str) -> str:
    if "port is already allocated" in stderr or "address already in use" in stderr:
        return (
            "a host port of the stack is taken by another program or stack; "
            "stop it, or change the port in envspec.toml and run `envspec lock`"
        )
    if "@sha256:" in stderr and ("manifest unknown" in stderr or "not found" in stderr):
        from envspec.buildkit import PINNED_IMAGE_HINT

        return PINNED_IMAGE_HINT
    if "No such image" in stderr or "pull access denied" in stderr:
        return "run `envspec build`, and check the engine's registry access"
    return "see compose's message above; `envspec status` shows what runs"


def status(project: Project, engine: Engine) -> list[ServiceStatus]:
    """Each service's state, ports and freshness; see :func:`envspec.status.status`.

    Kept here because the TUI asks the stack for it; the work is done in
    :mod:`envspec.status`, which builds on this module.
    """
    from envspec import status as report

    return report.status(project, engine)


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


def down(
    project_name: str,
    compose_file: Path | None,
    engine: Engine,
    *,
    volumes: bool,
    report: Report,
) -> None:
    """Stop and remove the stack's containers and network (and volumes if asked)."""
    args = ["down", "--remove-orphans"]
    if volumes:
        args.append("--volumes")
    result = engine.compose(compose_file, project_name, args, echo=report)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise RunError(
            f"`docker compose down` failed for {project_name}:\n{tail}",
            hint="`envspec status` shows what still runs",
            title="Stop failed",
        )
