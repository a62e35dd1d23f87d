"""The operations the app performs, behind one small interface.

:class:`Backend` is everything the screens ask of envspec. Its methods block
(they read files, resolve packages, talk to Docker), so the app calls them
from workers only, never on the event loop. :class:`~tui.envspec_backend.
EnvspecBackend` implements it with the same ``envspec`` functions the CLI
calls; :class:`~tui.fake.FakeBackend` implements it in memory for tests.

The one exception is :meth:`Backend.has_spec`, a single stat the app makes
while composing its first screen, to choose between its tabs and the wizard
that drafts a spec.

Every method raises :class:`~envspec.errors.EnvspecError` (with a ``title``
for the toast) when it fails; anything else is a bug.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tui.models import (
    BuildUpdate,
    EngineState,
    FileView,
    LockPlan,
    LockRow,
    Overview,
    ServiceRow,
    SpecDraft,
)


class Cancelled(Exception):
    """A build or a log stream was stopped by the user."""


class Backend(Protocol):
    """What the app needs from envspec for one project folder."""

    @property
    def directory(self) -> Path:
        """The project folder."""

    def has_spec(self) -> bool:
        """Whether the folder has an envspec.toml (cheap: called on the loop)."""

    def draft_spec(self) -> SpecDraft:
        """Draft a spec from the project's files, as `envspec init` does."""

    def write_spec(self, draft: SpecDraft) -> Path:
        """Write a draft as the folder's envspec.toml, never over one."""

    def overview(self) -> Overview:
        """The spec, the lock's freshness and the generated files' state."""

    def engine_state(self) -> EngineState:
        """Whether the container engine answers."""

    def lock_rows(self) -> list[LockRow]:
        """Every locked package of every interpreter."""

    def plan_lock(self, upgrade: str = "") -> LockPlan:
        """Resolve without writing: "" keeps pins, "all" or a package upgrades."""

    def write_lock(self, plan: LockPlan) -> None:
        """Write a planned lock to envspec.lock."""

    def files(self) -> list[FileView]:
        """Each generated file with its status and diffs."""

    def write_files(self, force: bool = False) -> list[str]:
        """Write the generated files; ``force`` overwrites hand edits."""

    def build(
        self, progress: Callable[[BuildUpdate], None], cancel: threading.Event
    ) -> None:
        """Build every image, reporting each step; raise Cancelled if asked to."""

    def services(self) -> list[ServiceRow]:
        """Each service's (and the app's) state, health, ports and image."""

    def start(self, service: str | None = None) -> None:
        """Start one service, or the whole stack (None)."""

    def stop(self, service: str | None = None) -> None:
        """Stop one service, or the whole stack (None)."""

    def restart(self, service: str | None = None) -> None:
        """Restart one service, or the whole stack (None)."""

    def remove_volumes(self) -> None:
        """Stop the stack and delete its data volumes (`envspec down --volumes`)."""

    def watch_services(
        self, changed: Callable[[], None], stop: threading.Event
    ) -> None:
        """Call ``changed`` as the stack's containers change, until ``stop`` is set.

        The engine's events (a container started, a health check passed)
        end each wait early; ``changed`` is called at least once a second.
        """

    def follow_logs(
        self, service: str, line: Callable[[str], None], stop: threading.Event
    ) -> None:
        """Send a service's log lines to ``line`` until ``stop`` is set."""
