"""envspec down: stop the stack, keeping its data unless asked."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "down",
        parents=[common],
        help="stop the stack (data is kept)",
        description="Stop and remove the stack's containers and "
        "network; its data volumes stay unless --volumes.",
    )
    p.add_argument(
        "--volumes", action="store_true", help="also remove the data volumes"
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import stack
    from envspec.engine import DockerEngine

    spec = ctx.spec
    engine = DockerEngine()
    engine.ping()
    stack.down(
        spec.name,
        stack.usable_compose_file(spec),
        engine,
        volumes=args.volumes,
        report=ctx.info,
    )

    kept = "removed its volumes" if args.volumes else "kept its volumes"
    ctx.echo(f"{spec.name} is down ({kept})")
    ctx.emit({"ok": True, "project": spec.name, "volumes_removed": args.volumes})
    return 0
