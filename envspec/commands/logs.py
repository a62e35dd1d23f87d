"""envspec logs: show or follow the services' logs."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "logs",
        parents=[common],
        help="show the services' logs",
        description="Show the logs of one service, or of all.",
    )
    p.add_argument("service", nargs="?", help="a service name, or app")
    p.add_argument("-f", "--follow", action="store_true", help="keep following")
    p.add_argument(
        "-n",
        "--tail",
        type=int,
        default=200,
        metavar="N",
        help="lines from the end (default 200)",
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import stack
    from envspec.engine import DockerEngine
    from envspec.errors import UsageError

    spec = ctx.spec
    known = ["app", *sorted(s.name for s in spec.services)]
    if (
        args.service
        and args.service not in known
        and not args.service.startswith("app-py")
    ):
        raise UsageError(
            f"no service {args.service!r} in {spec.path.name}",
            hint=f"name one of {', '.join(known)}",
        )
    if args.tail < 0:
        raise UsageError("--tail must be 0 or more")

    engine = DockerEngine()
    engine.ping()
    argv = ["logs", "--tail", str(args.tail)]
    if args.follow:
        argv.append("--follow")
    if args.service:
        argv.append(args.service)
    result = engine.compose(
        stack.usable_compose_file(spec), spec.name, argv, capture=False
    )
    return 0 if result.returncode in (0, 130) else 1
