"""envspec lock: resolve the spec and write envspec.lock."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("lock", parents=[common], help="pin everything into envspec.lock",
                       description="Resolve the spec's Python packages for each "
                       "interpreter and pin images by digest into envspec.lock.")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the lock does not match the spec (no network)")
    p.add_argument("--upgrade", action="store_true", help="re-resolve every package")
    p.add_argument("--upgrade-package", "-P", action="append", default=[],
                   metavar="NAME", help="re-resolve one package (repeatable)")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would change without writing")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec lock is not built yet")
