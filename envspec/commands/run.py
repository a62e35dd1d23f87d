"""envspec run: a one-off command in the app's container."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="run a one-off command in the app's container",
        description="Run a command in a new app container, e.g. "
        "`envspec run -- python manage.py createsuperuser`.",
    )
    p.add_argument(
        "--python",
        metavar="VERSION",
        help="use the image of another interpreter of python.versions",
    )
    p.add_argument("argv", nargs=argparse.REMAINDER, help="the command, after --")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    import sys

    from envspec import secrets, stack
    from envspec.engine import DockerEngine
    from envspec.errors import UsageError

    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise UsageError(
            "no command to run",
            hint="give it after --, e.g. `envspec run -- python "
            "manage.py createsuperuser`",
        )

    project = stack.load_project(ctx.spec)
    stack.check_lock(project, fix=stack.command_for(ctx.directory, "lock"))
    engine = DockerEngine()
    engine.ping()  # first: an unreachable engine must leave every file as it was
    stack.ensure_generated(project, ctx.info)
    image = project.image_for(args.python)

    stack.build_images(
        project,
        engine,
        [image],
        ca_bundle=secrets.ca_bundle(project.spec),
        report=ctx.info,
        verbose=ctx.verbosity > 0,
    )

    flags = ["run", "--rm"]  # builds nothing: the image exists by now
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        flags.append("-T")  # no terminal to attach: plain pipes
    result = engine.compose(
        project.compose_file,
        project.name,
        [*flags, image.service, *argv],
        capture=False,
    )
    return result.returncode
