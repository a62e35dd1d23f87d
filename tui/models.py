"""What the app shows, as plain data: the backend's answers.

These values are built by a :class:`~tui.backend.Backend` from envspec's own
models (Spec, Lock, the generate plan, the engine's containers) and read by
the widgets. They import nothing from Textual, so a backend can be built and
tested without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class InterpreterInfo:
    version: str  # as in the spec, "3.13"
    image: str  # "python:3.13-slim"
    python: str | None = None  # exact version in the locked image
    packages: int = 0  # locked packages


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    kind: str
    image: str


@dataclass(frozen=True)
class LockState:
    """Whether the lock matches the spec, and why not."""

    status: str  # "fresh", "stale", "missing" or "unusable"
    reasons: tuple[str, ...] = ()  # diff_meaning lines, or the read error


@dataclass(frozen=True)
class FilesState:
    """Whether the generated files on disk match what the lock renders."""

    current: bool | None  # None: cannot tell (no lock)
    details: tuple[str, ...] = ()  # "compose.yaml: changed", ...


@dataclass(frozen=True)
class Overview:
    project: str
    directory: Path
    interpreters: tuple[InterpreterInfo, ...]
    services: tuple[ServiceInfo, ...]
    lock: LockState
    files: FilesState


@dataclass(frozen=True)
class EngineState:
    reachable: bool
    detail: str  # the engine's address, or why it cannot be reached


@dataclass(frozen=True)
class LockRow:
    """One locked package of one interpreter."""

    interpreter: str
    name: str
    version: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One difference a re-lock would make to one interpreter's pins."""

    interpreter: str  # "3.13", or "services" for an image digest
    name: str
    kind: str  # "added", "removed", "upgraded", "downgraded", "changed"
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        if self.kind == "added":
            return f"+ {self.name} {self.new}"
        if self.kind == "removed":
            return f"- {self.name} {self.old}"
        return f"~ {self.name} {self.old} -> {self.new} ({self.kind})"


@dataclass(frozen=True)
class LockPlan:
    """A resolved lock not yet written, with what it would change.

    ``payload`` is the backend's own object (envspec's new Lock); the app
    only hands it back to :meth:`~tui.backend.Backend.write_lock`.
    """

    changes: tuple[Change, ...]
    upgrade: str  # "" (keep pins), "all", or a package name
    differs: bool = True  # whether the new lock's bytes differ from disk
    payload: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FileView:
    """One generated file: what the lock renders, and how disk differs."""

    path: str  # relative to the project folder
    status: str  # "new", "current", "changed" or "edited" (by hand)
    text: str  # the rendered content
    disk_diff: str = ""  # unified diff, disk -> rendered; "" when equal
    previous_diff: str | None = None  # previous lock's render -> rendered

    @property
    def language(self) -> str:
        """The Pygments lexer name for the file."""
        name = Path(self.path).name.lower()
        if name.startswith("dockerfile") or name.endswith(".dockerfile"):
            return "docker"
        suffix = Path(name).suffix
        return {
            ".yaml": "yaml",
            ".yml": "yaml",
            ".toml": "toml",
            ".json": "json",
            ".txt": "text",
            ".sh": "bash",
            ".py": "python",
            ".env": "bash",
            ".example": "bash",
        }.get(suffix, "text")


@dataclass(frozen=True)
class BuildUpdate:
    """One event of a build, for one image."""

    image: str  # the image's tag or role, e.g. "app (3.13)"
    kind: str  # "queued", "started", "done", "cached", "failed", "log", "finished"
    step: str = ""
    text: str = ""
    seconds: float | None = None


@dataclass(frozen=True)
class ServiceRow:
    name: str
    state: str  # running, exited, ..., or "stopped" (no container)
    health: str  # healthy, starting, unhealthy, or "" without a check
    ports: str  # "http://127.0.0.1:8000/", "127.0.0.1:55432 -> 5432/tcp"
    image: str  # "current", "stale", "missing" (against the lock)
    detail: str = ""  # the last health check's output, or the exit code
    url: str = ""  # where a person opens it: the app's address while it runs


@dataclass(frozen=True)
class SpecDraft:
    """A spec drafted from what the project has, validated, not yet written.

    ``payload`` is the backend's own object (envspec's init proposal); the
    app only hands it back to :meth:`~tui.backend.Backend.write_spec`.
    """

    path: Path  # where it would be written
    text: str  # the drafted envspec.toml, with its comments
    read: tuple[str, ...]  # the project files it was drafted from, in order
    found: tuple[tuple[str, str], ...]  # ("Services", "db (postgres 16)"), ...
    payload: Any = field(default=None, compare=False, repr=False)
