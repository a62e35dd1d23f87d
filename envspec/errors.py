"""The errors envspec reports to its users.

Every error a user can see derives from :class:`EnvspecError`. It carries a
short ``title`` (for the TUI's toasts and modals), a ``message`` saying what
failed, an optional ``hint`` saying what to do, and the process exit code the
CLI uses for it:

    EnvspecError
    ├── UsageError        exit 2: bad command-line usage
    ├── InputError        exit 2: a bad spec, lock or requirement file
    │   └── SpecError     exit 2: one or more positioned problems in a file
    ├── ResolutionError   exit 2: the resolver could not satisfy the spec
    ├── StaleError        exit 1: a --check found something out of date
    └── RunError          exit 1: a run failed (build, start, engine)
        └── EngineError   exit 1: the Docker Engine is unreachable or failed

Third-party errors (TOML, Docker, uv) are translated into these once, at the
boundary where they are caught, with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class EnvspecError(Exception):
    """Base of every error envspec reports to a user."""

    exit_code = 1
    default_title = "envspec failed"

    def __init__(
        self, message: str, *, hint: str | None = None, title: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.title = title or self.default_title

    def render(self) -> str:
        """The full text shown on a terminal: message, then the hint."""
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(EnvspecError):
    exit_code = 2
    default_title = "Bad usage"


class InputError(EnvspecError):
    exit_code = 2
    default_title = "Bad input"


class ResolutionError(EnvspecError):
    exit_code = 2
    default_title = "Resolution failed"


class StaleError(EnvspecError):
    exit_code = 1
    default_title = "Out of date"


class RunError(EnvspecError):
    exit_code = 1
    default_title = "Run failed"


class EngineError(RunError):
    default_title = "Docker Engine"


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, at a line and column (both 1-based)."""

    file: Path
    line: int
    column: int
    message: str
    hint: str | None = None

    def render(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SpecError(InputError):
    """All the problems found in one input file, reported together."""

    default_title = "Invalid spec"

    def __init__(self, problems: list[Problem], *, title: str | None = None) -> None:
        problems = sorted(problems, key=lambda p: (str(p.file), p.line, p.column))
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        where = problems[0].file if problems else "input"
        super().__init__(f"{where}: {count} {noun}", title=title)
        self.problems = problems

    def render(self) -> str:
        lines = [f"error: {p.render()}" for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s) in {self.problems[0].file}")
        return "\n".join(lines)
