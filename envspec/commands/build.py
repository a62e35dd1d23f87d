"""envspec build: build the lock's images with BuildKit."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from envspec.context import Context

if TYPE_CHECKING:
    from envspec import stack


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "build",
        parents=[common],
        help="build the images with BuildKit",
        description="Build every image of the lock with BuildKit; "
        "images already built for this lock are not rebuilt.",
    )
    p.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help="build only these app services (app, or app-pyX.Y of the test "
        "matrix); default: every image",
    )
    p.add_argument("--no-cache", action="store_true", help="build without the cache")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import secrets, stack
    from envspec.engine import DockerEngine

    project = stack.load_project(ctx.spec)
    images = _chosen(project.images(), args.services)
    stack.check_lock(project, fix=stack.command_for(ctx.directory, "lock"))
    engine = DockerEngine()
    engine.ping()  # first: an unreachable engine must leave every file as it was
    stack.ensure_generated(project, ctx.info)

    ca = secrets.ca_bundle(project.spec)
    outcomes = stack.build_images(
        project,
        engine,
        images,
        ca_bundle=ca,
        no_cache=args.no_cache,
        report=ctx.info,
        verbose=ctx.verbosity > 0,
    )

    for outcome in outcomes:
        done = "built" if outcome.built else "up to date"
        ctx.echo(f"{outcome.image.tag}  {done}  ({outcome.seconds:.1f} s)")
    ctx.emit(
        {
            "ok": True,
            "images": [
                {
                    "tag": o.image.tag,
                    "python": o.image.version,
                    "built": o.built,
                    "seconds": round(o.seconds, 3),
                    "fingerprint": o.fingerprint,
                }
                for o in outcomes
            ],
        }
    )
    return 0


def _chosen(images: list[stack.AppImage], services: list[str]) -> list[stack.AppImage]:
    """The images of the named app services, in the lock's order."""
    if not services:
        return images
    known = {i.service for i in images}
    unknown = [s for s in services if s not in known]
    if unknown:
        from envspec.errors import UsageError

        raise UsageError(
            f"{', '.join(unknown)} is not an app service of this project",
            hint="name one of " + ", ".join(sorted(known)) + "; service images "
            "such as postgres are pulled, not built",
        )
    return [i for i in images if i.service in services]
