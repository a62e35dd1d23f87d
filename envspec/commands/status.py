"""envspec status: each service's state, health, ports and image."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "status",
        parents=[common],
        help="show the services' state",
        description="Show each service's state, health, ports and "
        "image, and whether the image still matches the lock.",
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import stack, status
    from envspec.engine import DockerEngine

    project = stack.load_project(ctx.spec)
    engine = DockerEngine()
    engine.ping()
    statuses = status.status(project, engine)

    running = [s for s in statuses if s.state == "running"]
    if not running:
        ctx.echo(
            f"{project.name} is not running "
            f"(start it with `{stack.command_for(ctx.directory, 'up')}`)"
        )
    else:
        ctx.echo(f"{project.name}: {len(running)} of {len(statuses)} running")
    if running or any(s.state != "absent" for s in statuses):
        for line in status.summary_lines(statuses):
            ctx.echo(line)
    ctx.emit(
        {
            "ok": True,
            "project": project.name,
            "services": [s.to_json() for s in statuses],
        }
    )
    return 0
