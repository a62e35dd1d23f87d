"""envspec run: a one-off command in the app's container."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("run", parents=[common],
                       help="run a one-off command in the app's container",
                       description="Run a command in a new app container, e.g. "
                       "`envspec run -- python manage.py createsuperuser`.")
    p.add_argument("--python", metavar="VERSION",
                   help="use the image of another interpreter of python.versions")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="the command, after --")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec run is not built yet")
