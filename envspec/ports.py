"""The spec's fixed host ports, and whether this machine can bind them now.

``envspec doctor`` reports a taken port as a finding; ``envspec up`` refuses
to start with one, before compose would create containers that cannot run.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from envspec.spec import Spec


@dataclass(frozen=True)
class FixedPort:
    owner: str  # "app", or a service's name
    host: str  # the address it is published on
    port: int

    def fix(self) -> str:
        """How to free this port, in the spec's terms."""
        if self.owner == "app":
            return (
                "stop what listens there (`ss -ltnp` shows it), or change "
                "app.ports (and the port in app.command) in envspec.toml"
            )
        return (
            "stop what listens there (`ss -ltnp` shows it), or change "
            f"services.{self.owner}.ports in envspec.toml, or remove it to let "
            "envspec pick a free port"
        )


def fixed_ports(spec: Spec) -> list[FixedPort]:
    """Every host port the spec fixes: the app's, and services' with ``ports``."""
    out = [FixedPort("app", spec.app.bind or spec.bind, p) for p in spec.app.ports]
    for svc in spec.services:
        out += [FixedPort(svc.name, svc.bind or spec.bind, p) for p in svc.ports]
    return out


def bind_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound now, or None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Without SO_REUSEADDR a port in TIME_WAIT would look busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "in use"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"{host} is not an address of this machine"
            if exc.errno == errno.EACCES:
                return "needs root (a port below 1024)"
            return exc.strerror or str(exc)
    return None
