"""envspec lock: resolve the spec and write envspec.lock."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from envspec.context import Context
from envspec.errors import UsageError

log = logging.getLogger("envspec.lock")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "lock",
        parents=[common],
        help="pin everything into envspec.lock",
        description="Resolve the spec's Python packages for each "
        "interpreter and pin images by digest into envspec.lock.",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the lock does not match the spec (no network)",
    )
    p.add_argument("--upgrade", action="store_true", help="re-resolve every package")
    p.add_argument(
        "--upgrade-package",
        "-P",
        action="append",
        default=[],
        metavar="NAME",
        help="re-resolve one package (repeatable)",
    )
    p.add_argument(
        "--upgrade-images",
        action="store_true",
        help="re-pin every image to the digest its tag points at now",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would change without writing"
    )
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.check:
        if args.upgrade or args.upgrade_package or args.upgrade_images or args.dry_run:
            raise UsageError(
                "--check cannot be combined with --upgrade, "
                "--upgrade-package, --upgrade-images or --dry-run",
                hint="run `envspec lock --check` on its own",
            )
        return _check(ctx)
    return _lock(ctx, args)


def _fix_command(ctx: Context) -> str:
    where = "" if ctx.directory == Path(".") else f" -C {ctx.directory}"
    return f"envspec{where} lock"


def _check(ctx: Context) -> int:
    """Answer from the spec and the lock only: no network, engine or uv."""
    from envspec.lockfile import lock_path, read_lock
    from envspec.locking import check_lock

    spec = ctx.spec
    path = lock_path(spec.path)
    fix = _fix_command(ctx)
    if not path.is_file():
        reasons: tuple[str, ...] = (f"there is no {path.name} beside {spec.path.name}",)
    else:
        reasons = check_lock(spec, read_lock(path))

    if ctx.json:
        ctx.emit(
            {
                "ok": not reasons,
                "fresh": not reasons,
                "lock": str(path),
                "reasons": list(reasons),
                "fix": None if not reasons else fix,
            }
        )
    elif not reasons:
        ctx.echo(f"{path.name} is up to date with {spec.path.name}")
    else:
        ctx.echo(f"{path.name} is out of date with {spec.path.name}:")
        for reason in reasons:
            ctx.echo(f"  {reason}")
        ctx.echo(f"run `{fix}` to update it")
    return 1 if reasons else 0


def _lock(ctx: Context, args: argparse.Namespace) -> int:
    from envspec.errors import EnvspecError
    from envspec.fsutil import atomic_write
    from envspec.images import DockerRegistry
    from envspec.lockdiff import diff_locks
    from envspec.lockfile import Lock, lock_path, read_lock
    from envspec.locking import Options, make_lock

    spec = ctx.spec
    path = lock_path(spec.path)
    previous: Lock | None = None
    if path.is_file():
        try:
            previous = read_lock(path)
        except EnvspecError as exc:
            from envspec.errors import SpecError

            why = (
                "; ".join(f"{p.file}:{p.line}: {p.message}" for p in exc.problems)
                if isinstance(exc, SpecError)
                else exc.message
            )
            ctx.warn(
                f"ignoring the existing {path.name}, it cannot be read: {why}\n"
                "every pin is resolved afresh; the old file stays until the new "
                "one is complete"
            )

    options = Options(
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        upgrade_images=args.upgrade_images,
    )
    lock = make_lock(spec, previous, DockerRegistry(), options, progress=ctx.info)
    text = lock.dumps()
    changes = diff_locks(previous, lock)
    unchanged = previous is not None and previous._text == text

    written = False
    if not args.dry_run and not unchanged:
        atomic_write(path, text.encode("utf-8"))
        written = True
    log.info("lock finished", extra={"written": written, "dry_run": args.dry_run})

    if ctx.json:
        ctx.emit(
            {
                "ok": True,
                "lock": str(path),
                "dry_run": args.dry_run,
                "written": written,
                "changes": changes.as_json(),
                "content_hash": lock.content_hash(),
            }
        )
        return 0
    if changes.empty and unchanged:
        ctx.echo(f"{path.name} is already up to date; nothing changed")
        return 0
    heading = "would change" if args.dry_run else "updated"
    ctx.echo(
        f"{path.name} {heading}:"
        if previous
        else f"{path.name} {'would be written' if args.dry_run else 'written'}:"
    )
    for line in changes.lines() or ["(only the layout or annotations changed)"]:
        ctx.echo(f"  {line}")
    return 0
