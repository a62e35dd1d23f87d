"""Checks of what a first ``envspec up`` needs, each with a finding and a fix.

:func:`run_checks` looks at the machine (the Docker Engine, its buildx and
compose plugins, free disk) and at the project (the spec, its fixed host
ports, a CA bundle, the lock, the generated files) and returns one
:class:`Check` per question, never raising: a check that cannot be answered
says so in its finding. What touches the outside world goes through a
:class:`Probe` and a few plain functions, so tests can swap them for fakes.

A check is ``ok``, ``warn`` (up may work, but look), ``fail`` (up will not
work until it is fixed) or ``skip`` (it needs something another check found
missing). The command exits 1 when any check failed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.version import InvalidVersion, Version

from envspec import ports
from envspec.errors import EngineError, EnvspecError, SpecError
from envspec.ports import FixedPort, fixed_ports
from envspec.spec import Spec, find_spec, load_spec

log = logging.getLogger("envspec.doctor")

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
GIB = 1024**3
MIB = 1024**2
# Below these, a build or a database's first start is likely to run out.
DOCKER_DISK_FAIL, DOCKER_DISK_WARN = 2 * GIB, 10 * GIB
PROJECT_DISK_FAIL, PROJECT_DISK_WARN = 100 * MIB, 1 * GIB
OLDEST_ENGINE = Version("20.10")  # BuildKit secrets and compose v2 need it
CA_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")
PROBE_TIMEOUT = 10  # seconds for each engine or plugin question


@dataclass(frozen=True)
class Check:
    """One answered question: its status, what was found, how to fix it."""

    name: str
    status: str  # ok, warn, fail, skip
    finding: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "finding": self.finding,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class EngineFacts:
    """What the engine says about itself."""

    version: str
    address: str
    data_root: str | None = None
    local: bool = True  # whether data_root is a path on this machine


class Probe(Protocol):
    """The questions doctor asks the engine and the docker CLI."""

    def engine(self) -> EngineFacts:
        """The engine's version and address; EngineError if unreachable."""

    def buildx(self) -> str | None:
        """The buildx plugin's version, or None when it is missing."""

    def compose(self) -> tuple[str, str] | None:
        """``("v2", version)`` or ``("v1", version)``, or None when missing."""

    def project_ports(self, project: str) -> set[int]:
        """Host ports the project's own containers publish now."""

    def unavailable(self, pins: list[tuple[str, str]]) -> list[str]:
        """Of ``(image, digest)`` pins, those the engine can neither find
        locally nor fetch, as ``image@digest``; EngineError if it cannot say."""


@dataclass
class Machine:
    """The world outside the project, as doctor sees it; fakes replace it."""

    probe: Probe
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free
    port_problem: Callable[[str, int], str | None] = lambda host, port: (
        ports.bind_problem(host, port)
    )


# --------------------------------------------------------------------------
# The real probe


class DockerProbe:
    """The Docker Engine through docker-py, and the CLI plugins."""

    def engine(self) -> EngineFacts:
        # TODO: envspec.engine.Engine has ping but no version or data root
        # yet; move this docker-py call there when it grows one.
        try:
            import docker
        except ImportError as exc:
            raise EngineError(
                "docker-py is not installed", hint="pip install 'docker>=7.1'"
            ) from exc
        try:
            client = docker.from_env(timeout=PROBE_TIMEOUT)
            try:
                version = client.version()
                info = client.info()
                address = str(client.api.base_url)
            finally:
                client.close()
        except (docker.errors.DockerException, OSError) as exc:
            raise EngineError(_short(exc)) from exc
        if address.startswith("http+docker://"):  # docker-py's name for the socket
            address = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        local = address.startswith(("unix://", "npipe://"))
        desktop = "desktop" in str(info.get("OperatingSystem", "")).lower()
        return EngineFacts(
            version=str(version.get("Version", "unknown")),
            address=address,
            data_root=info.get("DockerRootDir"),
            local=local and not desktop,
        )

    def buildx(self) -> str | None:
        out = _run(["buildx", "version"])
        if out is None:
            return None
        words = out.split()
        return words[1] if len(words) > 1 else out.strip()

    def compose(self) -> tuple[str, str] | None:
        out = _run(["compose", "version", "--short"])
        if out is not None:
            return "v2", out.strip().lstrip("v")
        legacy = shutil.which("docker-compose")
        if legacy:
            out = _run(["version", "--short"], program=legacy)
            if out is not None:
                return "v1", out.strip()
        return None

    def project_ports(self, project: str) -> set[int]:
        from envspec.engine import DockerEngine

        try:
            containers = DockerEngine().containers(project)
        except EngineError:
            return set()
        return {p.host_port for c in containers for p in c.ports}

    def unavailable(self, pins: list[tuple[str, str]]) -> list[str]:
        from envspec.images import DockerRegistry

        registry = DockerRegistry()
        return [
            f"{ref}@{digest}" for ref, digest in pins if not registry.has(ref, digest)
        ]


def _run(args: list[str], program: str | None = None) -> str | None:
    program = program or shutil.which("docker")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, *args],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[-1][:300] if lines else type(exc).__name__


# --------------------------------------------------------------------------
# The checks


def run_checks(directory: Path, machine: Machine) -> list[Check]:
    """Every check, in the order a newcomer would fix them."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        engine = pool.submit(_engine_check, machine.probe)
        buildx = pool.submit(_buildx_check, machine.probe)
        compose = pool.submit(_compose_check, machine.probe)
        spec_check, spec = _spec_check(directory)
        engine_check, facts = engine.result()
        checks = [engine_check, buildx.result(), compose.result()]

    checks.append(_docker_disk_check(facts, machine))
    checks.append(_project_disk_check(directory, machine))
    checks.append(spec_check)
    checks.append(_ports_check(spec, facts, machine))
    checks.append(_ca_check(spec, machine.environ))
    lock_check, lock = _lock_check(spec)
    checks.append(lock_check)
    checks.append(_images_check(lock, facts, machine.probe))
    checks.append(_generated_check(spec, lock))
    return checks


def _engine_check(probe: Probe) -> tuple[Check, EngineFacts | None]:
    try:
        facts = probe.engine()
    except EngineError as exc:
        host = os.environ.get("DOCKER_HOST")
        fix = (
            f"start the engine DOCKER_HOST points to ({host}), or unset it"
            if host
            else "start the Docker Engine (e.g. `sudo systemctl start "
            "docker`) and check you may use its socket (the `docker` group)"
        )
        return Check(
            "engine", FAIL, f"cannot reach the Docker Engine: {exc.message}", fix
        ), None
    finding = f"Docker {facts.version} at {facts.address}"
    try:
        old = Version(facts.version.split("+")[0].split("-")[0]) < OLDEST_ENGINE
    except InvalidVersion:
        old = False
    if old:
        return Check(
            "engine",
            WARN,
            finding + f", older than {OLDEST_ENGINE}",
            "upgrade the Docker Engine: BuildKit secrets and compose v2 "
            "need 20.10 or newer",
        ), facts
    return Check("engine", OK, finding), facts


def _buildx_check(probe: Probe) -> Check:
    version = probe.buildx()
    if version is None:
        return Check(
            "buildx",
            FAIL,
            "the buildx plugin is missing: `docker buildx version` fails",
            "install it: Debian/Ubuntu `apt-get install "
            "docker-buildx`, Docker's repository `docker-buildx-plugin`",
        )
    return Check("buildx", OK, f"buildx {version}")


def _compose_check(probe: Probe) -> Check:
    found = probe.compose()
    if found is None:
        return Check(
            "compose",
            FAIL,
            "Docker Compose is missing: `docker compose version` fails",
            "install the compose v2 plugin: Debian/Ubuntu "
            "`apt-get install docker-compose`, Docker's repository "
            "`docker-compose-plugin`",
        )
    kind, version = found
    if kind == "v1":
        return Check(
            "compose",
            WARN,
            f"only docker-compose {version} (v1) is "
            "installed; envspec uses it, but v1 is no longer maintained",
            "install the compose v2 plugin (`docker compose`)",
        )
    return Check("compose", OK, f"compose {version}")


def _disk(name: str, path: Path, free: int, fail: int, warn: int, fix: str) -> Check:
    finding = f"{_size(free)} free in {path}"
    if free < fail:
        return Check(name, FAIL, finding, fix)
    if free < warn:
        return Check(name, WARN, finding, fix)
    return Check(name, OK, finding)


def _docker_disk_check(facts: EngineFacts | None, machine: Machine) -> Check:
    if facts is None:
        return Check("docker-disk", SKIP, "the engine is unreachable")
    if not facts.data_root or not facts.local:
        return Check(
            "docker-disk",
            SKIP,
            f"the engine's data ({facts.data_root}) "
            "is not on this machine; check its disk where the engine runs",
        )
    root = Path(facts.data_root)
    try:
        free = machine.free_bytes(root)
    except OSError as exc:
        return Check(
            "docker-disk",
            WARN,
            f"cannot read free space of {root}: {exc.strerror or exc}",
        )
    return _disk(
        "docker-disk",
        root,
        free,
        DOCKER_DISK_FAIL,
        DOCKER_DISK_WARN,
        "free space: `docker system prune` removes stopped containers, "
        "unused images and build cache",
    )


def _project_disk_check(directory: Path, machine: Machine) -> Check:
    try:
        free = machine.free_bytes(directory)
    except OSError as exc:
        return Check(
            "project-disk",
            WARN,
            f"cannot read free space of {directory}: {exc.strerror or exc}",
        )
    return _disk(
        "project-disk",
        directory.resolve(),
        free,
        PROJECT_DISK_FAIL,
        PROJECT_DISK_WARN,
        "free space on the disk of the project folder",
    )


def _spec_check(directory: Path) -> tuple[Check, Spec | None]:
    try:
        path = find_spec(directory)
    except EnvspecError as exc:
        return Check(
            "spec",
            FAIL,
            exc.message,
            "run `envspec init` to write one from what the project has",
        ), None
    try:
        spec = load_spec(path)
    except SpecError as exc:
        first = exc.problems[0]
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return Check(
            "spec",
            FAIL,
            f"{first.file.name}:{first.line}:{first.column}: {first.message}{more}",
            first.hint or "fix the spec; `envspec lock --check` lists every problem",
        ), None
    except EnvspecError as exc:
        return Check("spec", FAIL, exc.message, exc.hint), None
    services = len(spec.services)
    return Check(
        "spec",
        OK,
        f"{path.name} is valid: Python "
        f"{', '.join(spec.python.versions)}, {services} "
        f"service{'' if services == 1 else 's'}",
    ), spec


def _ports_check(
    spec: Spec | None, facts: EngineFacts | None, machine: Machine
) -> Check:
    if spec is None:
        return Check("ports", SKIP, "needs a valid spec")
    wanted = fixed_ports(spec)
    if not wanted:
        return Check("ports", OK, "no fixed host ports; envspec picks free ones")
    busy: list[FixedPort] = []
    problems: list[str] = []
    ours: list[int] = []
    own: set[int] | None = None
    for fixed in wanted:
        problem = machine.port_problem(fixed.host, fixed.port)
        if problem is None:
            continue
        if problem == "in use" and facts is not None:
            if own is None:
                own = machine.probe.project_ports(spec.name)
            if fixed.port in own:
                ours.append(fixed.port)
                continue
        busy.append(fixed)
        problems.append(f"{fixed.host}:{fixed.port} ({fixed.owner}) {problem}")
    shown = ", ".join(f"{f.host}:{f.port}" for f in wanted)
    if busy:
        return Check(
            "ports",
            FAIL,
            "; ".join(problems),
            "; ".join(dict.fromkeys(f.fix() for f in busy)),
        )
    if ours:
        return Check(
            "ports", OK, f"{shown}: free, or held by this project's own running stack"
        )
    return Check("ports", OK, f"{shown} free")


def _ca_check(spec: Spec | None, environ: Mapping[str, str]) -> Check:
    sources: list[tuple[str, str]] = []
    if spec is not None and spec.ca_bundle:
        path = Path(spec.ca_bundle).expanduser()
        sources.append(
            ("build.ca-bundle", str(path if path.is_absolute() else spec.root / path))
        )
    sources += [(name, environ[name]) for name in CA_VARS if environ.get(name)]
    proxies = [name for name in PROXY_VARS if environ.get(name)]

    for where, value in sources:
        problem = _ca_problem(Path(value))
        if problem:
            return Check(
                "ca-bundle",
                FAIL,
                f"{where} names {value}, which {problem}",
                f"point {where} at a readable PEM file of your CA "
                "certificates, or unset it",
            )
    if sources:
        where, value = sources[0]
        return Check(
            "ca-bundle", OK, f"{value} (from {where}) is used for HTTPS during builds"
        )
    if proxies:
        return Check(
            "ca-bundle",
            WARN,
            f"{proxies[0]} is set but no CA bundle is: if "
            "the proxy inspects HTTPS, package downloads will fail with "
            "certificate errors",
            "set SSL_CERT_FILE (or build.ca-bundle in "
            "envspec.toml) to your company's CA bundle",
        )
    return Check("ca-bundle", OK, "none needed: no proxy and no CA bundle set")


def _ca_problem(path: Path) -> str | None:
    if not path.is_file():
        return "does not exist"
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return "holds no PEM certificate"
    return None


def _lock_check(spec: Spec | None) -> tuple[Check, Any]:
    if spec is None:
        return Check("lock", SKIP, "needs a valid spec"), None
    from envspec.lockfile import lock_path, read_lock
    from envspec.locking import check_lock

    path = lock_path(spec.path)
    if not path.is_file():
        return Check(
            "lock",
            FAIL,
            f"no {path.name} yet",
            "run `envspec lock` (it needs PyPI and the registries, once)",
        ), None
    try:
        lock = read_lock(path)
    except EnvspecError as exc:
        return Check(
            "lock",
            FAIL,
            f"{path.name} cannot be read: {exc.message}",
            "run `envspec lock` to write it again",
        ), None
    reasons = check_lock(spec, lock)
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        return Check(
            "lock",
            FAIL,
            f"{path.name} is stale: {reasons[0]}{more}",
            "run `envspec lock`; `envspec lock --check` lists every change",
        ), None
    return Check("lock", OK, f"{path.name} matches the spec"), lock


def _images_check(lock: Any, facts: EngineFacts | None, probe: Probe) -> Check:
    """Whether the engine can get every image the lock pins by digest."""
    if lock is None or facts is None:
        return Check("images", SKIP, "needs a fresh lock and a reachable engine")
    pins = [(i.image, i.digest) for i in lock.interpreters]
    pins += [(s.image, s.digest) for s in lock.services]
    try:
        missing = probe.unavailable(pins)
    except EnvspecError as exc:
        return Check("images", WARN, f"could not look the images up: {exc.message}")
    if missing:
        return Check(
            "images",
            FAIL,
            f"the registry does not serve {', '.join(missing)}",
            "run `envspec lock`: it re-pins an image whose digest is gone and "
            "keeps every package pin",
        )
    return Check("images", OK, f"all {len(pins)} pinned images can be had")


def _generated_check(spec: Spec | None, lock: Any) -> Check:
    if spec is None or lock is None:
        return Check("generated", SKIP, "needs a valid spec and a fresh lock")
    from envspec import generate

    try:
        plan = generate.plan(spec, lock)
    except EnvspecError as exc:
        return Check("generated", FAIL, exc.message, exc.hint)
    if plan.up_to_date:
        return Check("generated", OK, f"{spec.output}/ is current")
    edited = [f.path for f in plan.edited]
    if edited:
        return Check(
            "generated",
            FAIL,
            f"{', '.join(edited)} in {spec.output}/ "
            "edited by hand; `envspec up` will not overwrite them",
            "move the change into envspec.toml, then `envspec generate --force`",
        )
    pending = ", ".join(f"{f.path} ({f.state})" for f in plan.pending[:3])
    if len(plan.pending) > 3:
        pending += f" and {len(plan.pending) - 3} more"
    return Check(
        "generated",
        WARN,
        f"{spec.output}/ is not current: {pending}",
        "run `envspec generate`; `envspec up` also does it",
    )


def _size(count: int) -> str:
    if count >= GIB:
        return f"{count / GIB:.1f} GiB"
    return f"{count / MIB:.0f} MiB"


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)
