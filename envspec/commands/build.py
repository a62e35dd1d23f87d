"""envspec build: build the lock's images with BuildKit."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("build", parents=[common], help="build the images with BuildKit",
                       description="Build every image of the lock with BuildKit; "
                       "images already built for this lock are not rebuilt.")
    p.add_argument("--no-cache", action="store_true", help="build without the cache")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec build is not built yet")
