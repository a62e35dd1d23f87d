"""envspec logs: show or follow the services' logs."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("logs", parents=[common], help="show the services' logs",
                       description="Show the logs of one service, or of all.")
    p.add_argument("service", nargs="?", help="a service name, or app")
    p.add_argument("-f", "--follow", action="store_true", help="keep following")
    p.add_argument("-n", "--tail", type=int, default=200, metavar="N",
                   help="lines from the end (default 200)")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec logs is not built yet")
