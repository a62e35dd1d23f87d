"""envspec init: write an envspec.toml from what the project already has."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[common], help="write envspec.toml for a project",
                       description="Read requirements, pyproject.toml, "
                       ".python-version and compose files and write envspec.toml.")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p.add_argument("--force", action="store_true", help="overwrite an existing spec")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import RunError

    raise RunError("envspec init is not built yet")
