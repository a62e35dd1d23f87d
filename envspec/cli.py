"""The ``envspec`` command line.

Each sub-command lives in ``envspec/commands/<name>.py`` with a ``register``
function that adds its parser and a ``run(ctx, args)`` that returns the exit
code. Command modules import heavy libraries (docker-py, Textual, Jinja2)
inside ``run`` only, so that quick commands such as ``envspec lock --check``
start fast.

Exit codes: 0 success; 1 a run failed or a ``--check`` found something out
of date; 2 bad usage or bad input (spec, lock, requirements, resolution);
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from envspec import __version__
from envspec.context import Context
from envspec.errors import EnvspecError

COMMANDS = (
    "lock",
    "generate",
    "build",
    "up",
    "down",
    "status",
    "logs",
    "run",
    "init",
    "doctor",
    "tui",
)

log = logging.getLogger("envspec")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="write one JSON result document to stdout",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="say more (-vv shows tracebacks)",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print results and errors only",
    )

    parser = argparse.ArgumentParser(
        prog="envspec",
        description="Lock, generate, build and run a Python project's whole "
        "environment from envspec.toml.",
        parents=[common],
        epilog="exit codes: 0 ok, 1 a run failed or --check found drift, "
        "2 bad usage or input",
    )
    parser.add_argument("--version", action="version", version=f"envspec {__version__}")
    parser.add_argument(
        "-C",
        dest="directory",
        metavar="DIR",
        default=".",
        help="run as if started in DIR (the project folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"envspec.commands.{name}")
        module.register(sub, common)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING
    if verbosity > 0:
        level = logging.INFO if verbosity == 1 else logging.DEBUG
    elif verbosity < 0:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("envspec")
    root.handlers[:] = [handler]
    root.setLevel(level)


def interrupted(command: str, directory: Path, written: Sequence[Path]) -> str:
    """What an interrupted command had done, and what is left as it was."""
    lines = [f"interrupted: `envspec {command}` stopped before it finished."]
    if written:
        names = ", ".join(
            sorted({os.path.relpath(p.resolve(), directory.resolve()) for p in written})
        )
        lines.append(
            f"It had already written {names}, each complete; every other "
            "file is as it was."
        )
    else:
        lines.append(
            "Nothing on disk was changed: the lock, the generated files and "
            ".env are as they were."
        )
    if command in ("build", "up"):
        lines.append("Every image keeps its tag until a build of it completes.")
    if command == "up":
        lines.append(
            "Containers it started keep running (`envspec status` shows them, "
            "`envspec down` stops them); no data volume was touched."
        )
    lines.append("  hint: run the command again to finish it")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbosity = -1 if getattr(args, "quiet", False) else getattr(args, "verbose", 0)
    _configure_logging(verbosity)

    if args.command is None:
        if sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI"):
            args = parser.parse_args([*(sys.argv[1:] if argv is None else argv), "tui"])
        else:
            parser.print_help()
            return 0

    ctx = Context(
        directory=Path(args.directory),
        json=getattr(args, "json", False),
        verbosity=verbosity,
    )
    if not ctx.directory.is_dir():
        print(f"error: -C {args.directory}: no such folder", file=sys.stderr)
        return 2

    from envspec import fsutil, procs

    already = len(fsutil.committed())
    try:
        with procs.stop_children_on_sigint():
            return int(args.handler(ctx, args))
    except EnvspecError as exc:
        print(exc.render(), file=sys.stderr)
        if ctx.json:
            ctx.emit(
                {
                    "ok": False,
                    "error": {
                        "title": exc.title,
                        "message": exc.message,
                        "hint": exc.hint,
                    },
                }
            )
        if verbosity >= 2:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        written = fsutil.committed()[already:]
        print("\n" + interrupted(args.command, ctx.directory, written), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: no traceback by default
        print(f"error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "  hint: this is a bug in envspec; run again with -vv for the "
            "traceback and report it",
            file=sys.stderr,
        )
        if verbosity >= 2:
            traceback.print_exc()
        return 1
