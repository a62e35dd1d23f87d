"""envspec generate: render Dockerfiles and the compose file from the lock."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "generate",
        parents=[common],
        help="render Dockerfiles and compose.yaml from the lock",
        description="Render the files that build and run the "
        "environment from envspec.lock.",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 with a diff if the files on disk are out of date",
    )
    p.add_argument("--diff", action="store_true", help="print the diff, write nothing")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite generated files that were edited by hand",
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import generate

    spec = ctx.spec
    lock = generate.load_lock(spec)
    plan = generate.plan(spec, lock)
    files = [
        {"path": f"{spec.output}/{f.path}", "state": f.state.value} for f in plan.files
    ]

    if args.check or args.diff:
        diff = plan.diff()
        if diff and not ctx.json:
            ctx.stdout.write(diff)
        ctx.emit({"ok": plan.up_to_date, "files": files, "diff": diff})
        if args.check and not plan.up_to_date:
            count = len(plan.pending)
            ctx.info(
                f"{count} generated file{'s' if count != 1 else ''} out of "
                "date (the diff goes from the files on disk to what the lock "
                "renders): run `envspec generate`"
            )
            if plan.edited:
                names = ", ".join(f"{spec.output}/{f.path}" for f in plan.edited)
                ctx.info(
                    f"{names} {'was' if len(plan.edited) == 1 else 'were'} edited "
                    "by hand, which `envspec generate` will not overwrite: make "
                    "the change in envspec.toml where it has a key for it, then "
                    "run `envspec generate --force`"
                )
            return 1
        return 0

    try:
        done = generate.apply(plan, force=args.force)
    except generate.EditedError as exc:
        if not ctx.json:
            ctx.stderr.write("the edits, from the generated files to yours:\n")
            ctx.stderr.write(exc.diff)
        raise
    for path in done.written:
        ctx.echo(f"wrote {spec.output}/{path}")
    for path in done.removed:
        ctx.echo(f"removed {spec.output}/{path}")
    for name in done.secrets_changed:
        ctx.info(f"set {name} in {spec.output}/.env")
    if not done.written and not done.removed:
        ctx.info(f"{spec.output}/ is up to date")
    ctx.emit(
        {
            "ok": True,
            "files": files,
            "written": list(done.written),
            "removed": list(done.removed),
            "secrets_changed": list(done.secrets_changed),
        }
    )
    return 0
