"""envspec generate: render Dockerfiles and the compose file from the lock."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("generate", parents=[common],
                       help="render Dockerfiles and compose.yaml from the lock",
                       description="Render the files that build and run the "
                       "environment from envspec.lock.")
    p.add_argument("--check", action="store_true",
                   help="exit 1 with a diff if the files on disk are out of date")
    p.add_argument("--diff", action="store_true", help="print the diff, write nothing")
    p.add_argument("--force", action="store_true",
                   help="overwrite generated files that were edited by hand")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec generate is not built yet")
