"""envspec doctor: check what a first `envspec up` needs."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("doctor", parents=[common], help="check this machine and project",
                       description="Check the engine, buildx, compose, disk, ports, "
                       "CA bundle, lock and generated files; say how to fix each.")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec doctor is not built yet")
