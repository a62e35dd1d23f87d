"""envspec up: build and start the stack, wait until it is healthy."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "up",
        parents=[common],
        help="build and start the stack",
        description="Check the lock, regenerate files if needed, "
        "build, start the services and wait until all are healthy.",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="return once started, without waiting for health",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="how long to wait for health (default 180)",
    )
    p.add_argument("--no-build", action="store_true", help="do not build images")
    p.set_defaults(handler=run)


class _Background:
    """A call running in a thread, whose error ``result()`` raises in the caller."""

    def __init__(self, call: Callable[[], None]) -> None:
        import threading

        self._error: BaseException | None = None

        def body() -> None:
            try:
                call()
            except BaseException as exc:  # handed to the caller in result()
                self._error = exc

        self._thread = threading.Thread(target=body, name="envspec-up-services")
        self._thread.daemon = True  # Ctrl-C in the main thread is not held up
        self._thread.start()

    def join(self) -> bool:
        """Wait for the call; whether it succeeded."""
        self._thread.join()
        return self._error is None

    def result(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def run(ctx: Context, args: argparse.Namespace) -> int:
    import time
    from dataclasses import replace

    from envspec import health, secrets, stack, status
    from envspec.engine import DockerEngine

    began = time.monotonic()
    project = stack.load_project(ctx.spec)
    stack.check_lock(project, fix=stack.command_for(ctx.directory, "lock"))
    engine = DockerEngine()
    engine.ping()  # first: an unreachable engine must leave every file as it was
    stack.ensure_generated(project, ctx.info)
    stack.check_ports(project, engine)  # before anything starts or builds

    # The services need no build: they start (and Postgres runs its first
    # initdb) while the app's image builds, instead of after it.
    started = time.monotonic()
    backing = [s for s in project.services() if s != stack.APP]
    early = None
    if backing:
        ctx.info(f"starting {', '.join(backing)} alongside the app's build")
        early = _Background(
            lambda: stack.start(
                project, engine, timeout=args.timeout, report=ctx.info, services=backing
            )
        )
    try:
        if not args.no_build:
            stack.build_images(
                project,
                engine,
                [project.image_for(None)],
                ca_bundle=secrets.ca_bundle(project.spec),
                report=ctx.info,
                verbose=ctx.verbosity > 0,
            )
    except BaseException:
        # A failed build leaves the services started, as compose would.
        if early is not None and early.join():
            ctx.info(
                f"{', '.join(backing)} started and still running; "
                f"stop with {stack.command_for(ctx.directory, 'down')}"
            )
        raise
    if early is not None:
        early.result()

    ctx.info(f"starting {project.name}: {', '.join(project.services())}")
    stack.start(project, engine, timeout=args.timeout, report=ctx.info)
    if not args.no_wait:
        left = max(1.0, args.timeout - (time.monotonic() - started))
        health.wait_healthy(engine, project, timeout=left, report=ctx.info)

    statuses = status.status(project, engine)
    if not args.no_wait:
        # The wait saw the app answer; its own health check, which probes the
        # same port every few seconds, may not have said so yet.
        statuses = [
            replace(s, health="answering")
            if s.service == stack.APP and s.health == "starting"
            else s
            for s in statuses
        ]
    state = "started" if args.no_wait else "up and healthy"
    ctx.echo(f"{project.name} is {state} ({time.monotonic() - began:.1f} s):")
    for line in status.summary_lines(statuses):
        ctx.echo(line)
    ctx.echo(
        f"logs: {stack.command_for(ctx.directory, 'logs [SERVICE]')}  "
        f"stop: {stack.command_for(ctx.directory, 'down')}"
    )
    ctx.emit(
        {
            "ok": True,
            "project": project.name,
            "waited": not args.no_wait,
            "services": [s.to_json() for s in statuses],
        }
    )
    return 0
