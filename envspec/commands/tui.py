"""envspec tui: the terminal app."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tui", parents=[common], help="open the terminal app",
                       description="Open the terminal app (also `envspec` alone "
                       "on a terminal).")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("the terminal app is not built yet")
