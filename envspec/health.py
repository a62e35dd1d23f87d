"""Waiting until a stack is healthy, and saying why when it is not.

:func:`wait_healthy` follows the containers of a project (woken by the
engine's events, not by sleeping) until every service is ready: healthy when
it has a health check, answering HTTP for the app, running otherwise. A
service that exits, turns unhealthy or is not ready by the timeout fails the
wait with a :class:`ServiceFailed` that shows its health check's last output
and its last log lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from envspec.engine import Container, Engine
from envspec.errors import RunError
from envspec.stack import APP, Project, Report
from envspec.status import port_entries

LOG_LINES = 20  # log lines shown for a service that failed


class ServiceFailed(RunError):
    """One or more services did not become healthy."""

    default_title = "Service unhealthy"


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


def _app_phase(
    container: Container | None, probe: Callable[[str], bool]
) -> tuple[str, str]:
    """The app's phase: "ready" once its published port answers HTTP.

    The port is probed from here even when the app has a health check: the
    check runs every few seconds, the probe as often as the wait polls.
    """
    current = phase(container)
    if container is None or current[0] == "failed" or container.state != "running":
        return current
    urls = [p["url"] for p in port_entries(APP, container)]
    if not urls:
        return current
    if probe(urls[0]):
        return "ready", f"running, answering at {urls[0]}"
    return "waiting", f"running, not answering at {urls[0]} yet"


def wait_healthy(
    engine: Engine,
    project: Project,
    *,
    timeout: float,
    report: Report,
    clock: Callable[[], float] = time.monotonic,
    probe: Callable[[str], bool] = http_answers,
) -> list[Container]:
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
        current = {
            c.service: c for c in engine.containers(project.name) if not c.oneoff
        }
        phases = {
            s: _app_phase(current.get(s), probe) if s == APP else phase(current.get(s))
            for s in services
        }
        for service, (_, why) in phases.items():
            if seen.get(service) != why:
                report(f"  {service}: {why} ({clock() - began:.1f} s)")
                seen[service] = why

        failed = [s for s, (p, _) in phases.items() if p == "failed"]
        if failed:
            raise failure(engine, project, failed, "a service failed")
        if all(p == "ready" for p, _ in phases.values()):
            return [current[s] for s in services]
        left = deadline - clock()
        if left <= 0:
            waiting = [s for s, (p, _) in phases.items() if p != "ready"]
            raise failure(
                engine, project, waiting, f"not healthy after {timeout:.0f} s"
            )
        # Containers report through events; an app's port does not, so poll it.
        engine.wait_for_change(
            project.name,
            min(0.25 if phases[APP][0] == "waiting" and APP in current else 2.0, left),
        )


def failure(
    engine: Engine, project: Project, services: Sequence[str], headline: str
) -> ServiceFailed:
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
            lines += [
                f"    | {line}"
                for line in container.health_output.splitlines()[-LOG_LINES:]
            ]
        logs = engine.logs(container.id, LOG_LINES).rstrip("\n")
        if logs:
            lines.append(f"  last {LOG_LINES} log lines:")
            lines += [f"    | {line}" for line in logs.splitlines()[-LOG_LINES:]]
        else:
            lines.append("  no log output")
    first = services[0] if services else APP
    return ServiceFailed(
        "\n".join(lines),
        hint=f"see `envspec logs {first}`; fix the cause and run "
        "`envspec up` again (`envspec down` stops what did start)",
    )
