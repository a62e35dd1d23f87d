"""envspec doctor: check what a first `envspec up` needs."""

from __future__ import annotations

import argparse
from typing import Any

from envspec.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[common],
        help="check this machine and project",
        description="Check the engine, buildx, compose, disk, ports, "
        "CA bundle, lock and generated files; say how to fix each.",
    )
    p.set_defaults(handler=run)


_MARKS = {"ok": "✔", "warn": "!", "fail": "✘", "skip": "-"}
_PLAIN = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}


def run(ctx: Context, args: argparse.Namespace) -> int:
    from envspec import doctor

    checks = doctor.run_checks(ctx.directory, doctor.Machine(doctor.DockerProbe()))
    bad = doctor.failed(checks)
    ctx.emit({"ok": not bad, "checks": [c.as_dict() for c in checks]})

    marks = _MARKS if _can_print(ctx, "✔✘") else _PLAIN
    width = max(len(c.name) for c in checks)
    for check in checks:
        ctx.echo(f"{marks[check.status]} {check.name:<{width}}  {check.finding}")
        if check.fix and check.status != "ok":
            ctx.echo(f"  {'':<{width}}  fix: {check.fix}")
    return 1 if bad else 0


def _can_print(ctx: Context, text: str) -> bool:
    encoding = getattr(ctx.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
