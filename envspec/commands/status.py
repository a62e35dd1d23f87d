"""envspec status: each service's state, health, ports and image."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="show the services' state",
                       description="Show each service's state, health, ports and "
                       "image, and whether the image still matches the lock.")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec status is not built yet")
