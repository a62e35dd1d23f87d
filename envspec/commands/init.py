"""envspec init: write an envspec.toml from what the project already has."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="write envspec.toml for a project",
        description="Read requirements, pyproject.toml, .python-version, "
        "runtime.txt, compose files, .env names and Procfile, and write "
        "envspec.toml with a comment naming where each entry came from.",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p.add_argument("--force", action="store_true", help="overwrite an existing spec")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import init

    root = ctx.directory.resolve()
    # Exits 2 before reading anything when the spec exists.
    proposal = init.propose(root, args.force)
    text = proposal.text

    ask = not args.yes and not ctx.json and _on_terminal(ctx)
    if ask:
        ctx.stdout.write(text)
        ctx.stdout.write("\n")
        answer = input(f"Write this to {proposal.path}? [Y/n] ")
        if answer.strip().lower() not in ("", "y", "yes"):
            ctx.info("nothing written")
            return 0

    path = init.write_spec(root, text, force=args.force)
    ctx.emit(
        {
            "ok": True,
            "path": str(path),
            "spec": text,
            "read": proposal.read,
        }
    )
    if not ask:
        # Off a terminal, or with --yes, the result shows what was written.
        ctx.echo(text.rstrip("\n"))
    ctx.info(f"wrote {path}; next: `envspec doctor`, `envspec lock`, `envspec up`")
    return 0


def _on_terminal(ctx: Context) -> bool:
    return sys.stdin.isatty() and ctx.stdout.isatty()
