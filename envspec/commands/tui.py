"""envspec tui: the terminal app."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "tui",
        parents=[common],
        help="open the terminal app",
        description="Open the terminal app (also `envspec` alone on a terminal); "
        "in a folder without envspec.toml it first drafts one to write.",
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    # Imported here: Textual costs about half a second that other commands
    # must not pay, and envspec itself never imports it.
    from tui.app import EnvspecApp
    from tui.envspec_backend import EnvspecBackend

    # A folder without a spec opens on the app's wizard, which drafts one
    # as `envspec init` does.
    EnvspecApp(EnvspecBackend(ctx.directory)).run()
    return 0
