"""An engine that runs nothing, for tests of the stack logic and of the TUI.

:class:`FakeEngine` keeps images and containers in memory and has its own
clock. Each service is given a timeline (from how many seconds after
``compose up`` it is in which state and health), so a test can say "the
database turns healthy after 4 s" or "the app exits after 2 s" and run
:func:`envspec.stack.wait_healthy` against it without waiting for real.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from envspec.engine import (
    BuildEvent,
    BuildRequest,
    ComposeResult,
    Container,
    Image,
    Port,
)
from envspec.errors import EngineError


@dataclass(frozen=True)
class Phase:
    """From ``at`` seconds after start, the container is in this state."""

    at: float
    state: str = "running"
    health: str | None = None
    health_output: str | None = None
    exit_code: int | None = None


@dataclass
class FakeService:
    name: str
    timeline: list[Phase]
    ports: tuple[Port, ...] = ()
    image: str = ""
    logs: str = ""


@dataclass
class FakeEngine:
    """An in-memory Engine with a clock that moves only when waited on."""

    reachable: bool = True
    now: float = 1000.0
    images: dict[str, Image] = field(default_factory=dict)
    services: dict[str, FakeService] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)  # service -> start time
    builds: list[BuildRequest] = field(default_factory=list)
    compose_calls: list[list[str]] = field(default_factory=list)
    fail_build: str | None = None  # a step error for the next build
    compose_returncode: int = 0
    compose_stderr: str = ""
    project: str = ""

    # -- set-up helpers for tests

    def clock(self) -> float:
        return self.now

    def add_service(
        self,
        name: str,
        *phases: Phase,
        ports: Sequence[Port] = (),
        image: str = "",
        logs: str = "",
    ) -> None:
        timeline = sorted(phases or (Phase(0.0),), key=lambda p: p.at)
        self.services[name] = FakeService(
            name, timeline, tuple(ports), image or f"{name}:latest", logs
        )

    # -- the Engine interface

    def ping(self) -> None:
        if not self.reachable:
            raise EngineError("cannot reach the Docker Engine (fake)")

    def image(self, ref: str) -> Image | None:
        self.ping()
        if ref in self.images:
            return self.images[ref]
        return next((i for i in self.images.values() if i.id == ref), None)

    def remove_image(self, ref: str) -> None:
        self.images.pop(ref, None)

    def containers(self, project: str) -> list[Container]:
        self.ping()
        out = []
        for name, began in sorted(self.started.items()):
            svc = self.services[name]
            current = [p for p in svc.timeline if p.at <= self.now - began]
            if not current:
                continue
            ph = current[-1]
            image = self.images.get(svc.image)
            out.append(
                Container(
                    id=f"id-{name}",
                    name=f"{project}-{name}-1",
                    service=name,
                    state=ph.state,
                    exit_code=ph.exit_code,
                    health=ph.health,
                    health_output=ph.health_output,
                    ports=svc.ports,
                    image=svc.image,
                    image_id=image.id if image else f"sha256:{name}",
                )
            )
        return out

    def logs(self, container_id: str, tail: int) -> str:
        name = container_id.removeprefix("id-")
        lines = self.services[name].logs.splitlines()[-tail:]
        return "".join(f"{line}\n" for line in lines)

    def wait_for_change(self, project: str, seconds: float) -> None:
        """Move the clock to the next change of any container, at most ``seconds``."""
        upcoming = [
            began + p.at
            for name, began in self.started.items()
            for p in self.services[name].timeline
            if began + p.at > self.now
        ]
        self.now = min([self.now + seconds, *upcoming])

    def build(
        self, request: BuildRequest, progress: Callable[[BuildEvent], None]
    ) -> None:
        self.ping()
        self.builds.append(request)
        step = f"[2/2] RUN install for {request.tag}"
        progress(BuildEvent("started", step))
        if self.fail_build:
            error, self.fail_build = self.fail_build, None
            progress(BuildEvent("failed", step, error))
            raise EngineError(f"building {request.tag} failed at step {step}: {error}")
        progress(BuildEvent("done", step, seconds=1.0))
        ident = hashlib.sha256(repr(sorted(request.labels.items())).encode())
        self.images[request.tag] = Image(
            "sha256:" + ident.hexdigest(), dict(request.labels)
        )

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
        self.ping()
        self.compose_calls.append(list(args))
        self.project = project
        if self.compose_returncode:
            return ComposeResult(self.compose_returncode, "", self.compose_stderr)
        if args and args[0] == "up":
            for name in self.services:
                self.started.setdefault(name, self.now)
        elif args and args[0] == "down":
            self.started.clear()
        return ComposeResult(0)

    # -- for tests that change a service after the fact

    def set_timeline(self, name: str, *phases: Phase) -> None:
        self.services[name] = replace(self.services[name], timeline=list(phases))
