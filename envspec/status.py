"""What a stack runs and where: each service's state, health, ports and image.

:func:`status` also says whether each running image still matches the lock:
for the app, whether its container runs the image last built, from this
lock, with these generated files and this source tree (its fingerprint); for
a service, whether its image is the one the lock pins by digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from envspec.engine import Container, Engine
from envspec.stack import (
    APP,
    FINGERPRINT_LABEL,
    LOCK_LABEL,
    AppImage,
    Project,
    fingerprint,
)


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
        return {
            "service": self.service,
            "state": self.state,
            "health": self.health,
            "ports": list(self.ports),
            "image": self.image,
            "image_id": self.image_id,
            "matches_lock": self.matches_lock,
            "note": self.note,
        }


def port_entries(service: str, container: Container) -> tuple[dict[str, Any], ...]:
    """A container's published ports, each with a URL a person can use."""
    out = []
    for port in container.ports:
        host = "127.0.0.1" if port.host_ip in ("0.0.0.0", "", "::") else port.host_ip
        if ":" in host:
            host = f"[{host}]"
        scheme = "http" if service == APP or service.startswith(APP + "-") else "tcp"
        out.append(
            {
                "container_port": port.container_port,
                "protocol": port.protocol,
                "host_ip": port.host_ip,
                "host_port": port.host_port,
                "url": f"{scheme}://{host}:{port.host_port}/",
            }
        )
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
        out.append(
            ServiceStatus(
                service,
                container.state,
                container.health,
                port_entries(service, container),
                container.image,
                container.image_id,
                matches,
                note,
            )
        )
    return out


def _app_matches(
    project: Project, engine: Engine, image: AppImage, container: Container
) -> tuple[bool | None, str]:
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


def _service_matches(
    project: Project, engine: Engine, service: str, container: Container
) -> tuple[bool | None, str]:
    try:
        locked = project.lock.service(service)
    except KeyError:
        return None, "not a service of the lock"
    if locked.digest in container.image:
        return True, ""
    image = engine.image(container.image_id)
    if image is not None and any(
        d.endswith("@" + locked.digest) for d in image.repo_digests
    ):
        return True, ""
    return False, f"the lock pins {locked.reference}; run `envspec up`"


def reach(port: dict[str, Any]) -> str:
    """Where a port of :func:`port_entries` is reached: an app's URL, else the port."""
    if port["url"].startswith("http"):
        return str(port["url"])
    host = port["host_ip"] or "0.0.0.0"
    return f"{host}:{port['host_port']} -> {port['container_port']}/{port['protocol']}"


def summary_lines(statuses: Sequence[ServiceStatus]) -> list[str]:
    """The services as aligned lines: name, state and health, where to reach it."""
    width = max((len(s.service) for s in statuses), default=0)
    lines = []
    for st in statuses:
        state = st.state if st.health is None else f"{st.state}, {st.health}"
        where = "  ".join(reach(p) for p in st.ports)
        fresh = "" if st.matches_lock in (True, None) else f"  ({st.note})"
        lines.append(f"  {st.service:<{width}}  {state:<18} {where}{fresh}".rstrip())
    return lines
