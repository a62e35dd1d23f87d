"""envspec down: stop the stack, keeping its data unless asked."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("down", parents=[common], help="stop the stack (data is kept)",
                       description="Stop and remove the stack's containers and "
                       "network; its data volumes stay unless --volumes.")
    p.add_argument("--volumes", action="store_true",
                   help="also remove the data volumes")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec down is not built yet")
