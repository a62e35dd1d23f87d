"""The real backend: the app's operations done by envspec's own functions.

Every method here is a thin translation between the app's view models
(:mod:`tui.models`) and the functions the CLI commands call: ``load_spec``
and ``read_lock``, ``locking.check_lock`` and ``make_lock``,
``lockdiff.diff_locks``, ``generate.plan`` and ``apply``, ``render.render``,
and ``stack``'s build, start, status and down over an
:class:`~envspec.engine.Engine`. Nothing here decides anything envspec
decides elsewhere.

Heavy modules (docker-py, uv, Jinja2) are imported inside the methods that
need them, so that the app paints its first screen before they load.
"""

from __future__ import annotations

import difflib
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envspec.errors import EnvspecError, InputError, RunError, StaleError
from envspec.lockfile import Lock, loads, lock_path, read_lock
from envspec.spec import SPEC_NAME, Spec, find_spec, load_spec
from tui import envspec_init
from tui.backend import Cancelled
from tui.models import (
    BuildUpdate,
    Change,
    EngineState,
    FilesState,
    FileView,
    InterpreterInfo,
    LockPlan,
    LockRow,
    LockState,
    Overview,
    ServiceInfo,
    ServiceRow,
    SpecDraft,
)

if TYPE_CHECKING:
    from envspec.engine import BuildEvent, BuildRequest, Engine
    from envspec.lockdiff import Changes
    from envspec.stack import Project

LOG_TAIL = 200  # log lines shown when following a service starts
START_TIMEOUT = 300.0  # seconds for the stack to start and become healthy
LOG_POLL_SECONDS = 1.0
WATCH_SECONDS = 1.0  # longest wait for an engine event while watching services
WATCH_GAP_SECONDS = 0.2  # shortest time between two changes reported


class EnvspecBackend:
    """One project folder, worked on through ``envspec``'s functions."""

    def __init__(self, directory: Path, engine: Engine | None = None) -> None:
        # Absolute, so that the header and the overview name the folder
        # rather than ".".
        self._directory = directory.resolve()
        self._engine = engine
        # The lock as it was before this session last wrote one: the files
        # tab diffs against its render. Until then, git's committed lock.
        self._previous: Lock | None = None

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from envspec.engine import DockerEngine

            self._engine = DockerEngine()
        return self._engine

    def _spec(self) -> Spec:
        return load_spec(find_spec(self._directory))

    def _lock(self, spec: Spec) -> Lock:
        return read_lock(lock_path(spec.path))

    # -- a folder without a spec (tui/envspec_init.py)

    def has_spec(self) -> bool:
        return (self._directory / SPEC_NAME).is_file()

    def draft_spec(self) -> SpecDraft:
        return envspec_init.draft_spec(self._directory)

    def write_spec(self, draft: SpecDraft) -> Path:
        return envspec_init.write_spec(self._directory, draft)

    # -- overview

    def overview(self) -> Overview:
        from envspec.locking import check_lock

        spec = self._spec()
        lock: Lock | None = None
        try:
            lock = self._lock(spec)
        except InputError as exc:
            missing = not lock_path(spec.path).is_file()
            state = LockState(
                "missing" if missing else "unusable", () if missing else (exc.message,)
            )
        else:
            reasons = check_lock(spec, lock)
            state = LockState("stale" if reasons else "fresh", reasons)

        interpreters = []
        for version in spec.python.versions:
            locked = None
            if lock is not None:
                locked = next(
                    (i for i in lock.interpreters if i.version == version), None
                )
            interpreters.append(
                InterpreterInfo(
                    version,
                    spec.python.image_for(version),
                    locked.python if locked else None,
                    len(locked.packages) if locked else 0,
                )
            )
        services = tuple(ServiceInfo(s.name, s.kind, s.image) for s in spec.services)
        return Overview(
            spec.name,
            spec.root,
            tuple(interpreters),
            services,
            state,
            self._files_state(spec, lock, state),
        )

    def _files_state(
        self, spec: Spec, lock: Lock | None, state: LockState
    ) -> FilesState:
        from envspec import generate

        if lock is None or state.status != "fresh":
            return FilesState(None, ("they are rendered from the lock",))
        plan = generate.plan(spec, lock)
        details = tuple(
            f"{spec.output}/{f.path}: {f.state.value}" for f in plan.pending
        )
        return FilesState(plan.up_to_date, details)

    def engine_state(self) -> EngineState:
        from envspec.images import engine_address

        try:
            self.engine.ping()
        except EnvspecError as exc:
            return EngineState(False, exc.message)
        return EngineState(True, engine_address())

    # -- the lock

    def lock_rows(self) -> list[LockRow]:
        lock = self._lock(self._spec())
        return [
            LockRow(interp.version, pkg.name, pkg.version, pkg.via)
            for interp in lock.interpreters
            for pkg in interp.packages
        ]

    def plan_lock(self, upgrade: str = "") -> LockPlan:
        from envspec.images import DockerRegistry
        from envspec.lockdiff import diff_locks
        from envspec.locking import Options, make_lock

        spec = self._spec()
        path = lock_path(spec.path)
        previous: Lock | None = None
        if path.is_file():
            try:
                previous = read_lock(path)
            except EnvspecError:
                previous = None  # as `envspec lock`: resolve every pin afresh
        if upgrade == "all":
            options = Options(upgrade=True)
        elif upgrade:
            options = Options(upgrade_packages=(upgrade,))
        else:
            options = Options()

        lock = make_lock(spec, previous, DockerRegistry(), options)
        old_text = path.read_text(encoding="utf-8") if path.is_file() else None
        return LockPlan(
            _changes(diff_locks(previous, lock)),
            upgrade,
            differs=old_text != lock.dumps(),
            payload=(previous, lock),
        )

    def write_lock(self, plan: LockPlan) -> None:
        from envspec.fsutil import atomic_write

        previous, lock = plan.payload
        spec = self._spec()
        atomic_write(lock_path(spec.path), lock.dumps().encode("utf-8"))
        if previous is not None:
            self._previous = previous

    # -- generated files

    def files(self) -> list[FileView]:
        from envspec import generate

        spec = self._spec()
        lock = generate.load_lock(spec)
        plan = generate.plan(spec, lock)
        previous = self._previous_render(spec, lock)

        views = []
        for item in plan.files:
            current = item.wanted if item.wanted is not None else item.on_disk or b""
            disk_diff = (
                ""
                if item.state.value == "current"
                else replace(plan, files=(item,)).diff()
            )
            prev_diff = None
            if previous is not None:
                prev_diff = _text_diff(
                    previous.get(item.path), item.wanted, f"{spec.output}/{item.path}"
                )
            views.append(
                FileView(
                    f"{spec.output}/{item.path}",
                    item.state.value,
                    current.decode("utf-8", "replace"),
                    disk_diff,
                    prev_diff,
                )
            )
        return views

    def _previous_render(self, spec: Spec, lock: Lock) -> dict[str, bytes] | None:
        """The files the previous lock renders, or None without one."""
        from envspec import render

        previous = self._previous or _committed_lock(spec)
        if previous is None or previous.dumps() == lock.dumps():
            return None
        try:
            return render.render(spec, previous)
        except (EnvspecError, KeyError, ValueError):
            # The old lock may not cover today's spec (a dropped interpreter);
            # then there is no fair comparison to show.
            return None

    def write_files(self, force: bool = False) -> list[str]:
        from envspec import generate

        spec = self._spec()
        plan = generate.plan(spec, generate.load_lock(spec))
        done = generate.apply(plan, force=force)
        return [f"{spec.output}/{p}" for p in (*done.written, *done.removed)]

    # -- build

    # TODO: envspec's errors carry hints for the CLI ("run `envspec lock`",
    # "`envspec generate --force`"). The app rewords the two it meets most
    # (a stale lock here, a failed service in start) to name its keys; an
    # edited file or a resolution conflict still names the CLI command. The
    # next step is a table from error class to the app's own hint, applied
    # where Pane.report shows the toast.
    def _project(self) -> Project:
        from envspec import stack

        project = stack.load_project(self._spec())
        try:
            stack.check_lock(project, fix="envspec lock")
        except StaleError as exc:
            # The CLI's hint names a command; here the fix is two keys away.
            raise StaleError(
                exc.message,
                hint="press 2 for the Lock tab, then l to re-lock (or U to upgrade)",
                title=exc.title,
            ) from exc
        return project

    def build(
        self, progress: Callable[[BuildUpdate], None], cancel: threading.Event
    ) -> None:
        from envspec import secrets, stack

        project = self._project()
        stack.ensure_generated(
            project, lambda text: progress(BuildUpdate("", "message", text=text))
        )
        engine = self.engine
        engine.ping()
        images = project.images()
        for image in images:
            progress(BuildUpdate(image.tag, "queued"))
        watched = _WatchedEngine(engine, progress, cancel)
        for image in images:
            if cancel.is_set():
                raise Cancelled(image.tag)
            outcomes = stack.build_images(
                project,
                watched,
                [image],
                ca_bundle=secrets.ca_bundle(project.spec),
                report=lambda text: progress(BuildUpdate("", "message", text=text)),
            )
            took = outcomes[0].seconds if outcomes else None
            word = "built" if outcomes and outcomes[0].built else "up to date"
            progress(BuildUpdate(image.tag, "finished", text=word, seconds=took))

    # -- services

    def services(self) -> list[ServiceRow]:
        from envspec import stack, status

        project = stack.load_project(self._spec())
        rows = []
        for st in stack.status(project, self.engine):
            if st.state == "absent":
                # No container: never started, or taken down. `envspec status`
                # calls that "not running"; the table says "stopped".
                rows.append(ServiceRow(st.service, "stopped", "", "", "-"))
                continue
            ports = ", ".join(status.reach(p) for p in st.ports)
            image = "-"  # envspec cannot tell
            if st.matches_lock is not None:
                image = "current" if st.matches_lock else "stale"
            running = st.state == "running"
            # A stopped container keeps its last health; it says nothing now.
            health = (st.health or "") if running else ""
            urls = [p["url"] for p in st.ports if p["url"].startswith("http")]
            url = urls[0] if urls and running else ""
            rows.append(
                ServiceRow(st.service, st.state, health, ports, image, st.note, url)
            )
        return rows

    def watch_services(
        self, changed: Callable[[], None], stop: threading.Event
    ) -> None:
        spec = self._spec()
        engine = self.engine
        while not stop.is_set():
            engine.wait_for_change(spec.name, WATCH_SECONDS)
            if stop.is_set():
                return
            changed()
            # A burst of events (a health check runs an exec each time) is
            # read as one change; the fake engine's waits return at once.
            stop.wait(WATCH_GAP_SECONDS)

    def start(self, service: str | None = None) -> None:
        """Start one service; or the stack as `envspec up` does, until healthy.

        A service that fails to become ready raises ServiceFailed with its
        health output and last log lines, as `envspec up` reports it.
        """
        from envspec import health, secrets, stack

        project = self._project()
        stack.ensure_generated(project, lambda _text: None)
        engine = self.engine
        engine.ping()
        if service is None or service == stack.APP:
            stack.build_images(
                project,
                engine,
                [project.image_for(None)],
                ca_bundle=secrets.ca_bundle(project.spec),
                report=lambda _text: None,
            )
        if service is None:
            began = time.monotonic()
            stack.start(project, engine, timeout=START_TIMEOUT, report=lambda _: None)
            left = max(1.0, START_TIMEOUT - (time.monotonic() - began))
            try:
                health.wait_healthy(
                    engine, project, timeout=left, report=lambda _: None
                )
            except health.ServiceFailed as exc:
                raise health.ServiceFailed(
                    exc.message,
                    hint="select the service and press f to follow its logs; "
                    "fix the cause, then press S again (T stops what started)",
                    title=exc.title,
                ) from exc
            return
        self._compose(
            project.compose_file,
            project.name,
            ["up", "--detach", "--no-build", service],
            "start",
        )

    def stop(self, service: str | None = None) -> None:
        from envspec import stack

        spec = self._spec()
        if service is None:
            stack.down(
                spec.name,
                stack.usable_compose_file(spec),
                self.engine,
                volumes=False,
                report=lambda _text: None,
            )
            return
        self._compose(
            stack.usable_compose_file(spec), spec.name, ["stop", service], "stop"
        )

    def remove_volumes(self) -> None:
        from envspec import stack

        spec = self._spec()
        stack.down(
            spec.name,
            stack.usable_compose_file(spec),
            self.engine,
            volumes=True,
            report=lambda _text: None,
        )

    def restart(self, service: str | None = None) -> None:
        from envspec import stack

        spec = self._spec()
        running = {
            c.service
            for c in self.engine.containers(spec.name)
            if c.state == "running" and not c.oneoff
        }
        if not running or (service is not None and service not in running):
            # `docker compose restart` would succeed doing nothing.
            what = "the stack" if service is None else service
            key = "S" if service is None else "s"
            raise RunError(
                f"{what} is not running, so there is nothing to restart",
                hint=f"press {key} to start {what}",
                title="Not running",
            )
        args = ["restart"] if service is None else ["restart", service]
        self._compose(stack.usable_compose_file(spec), spec.name, args, "restart")

    def _compose(
        self, compose_file: Path | None, project: str, args: Sequence[str], verb: str
    ) -> None:
        result = self.engine.compose(compose_file, project, args, timeout=300)
        if result.returncode != 0 or result.timed_out:
            tail = "\n".join(result.stderr.strip().splitlines()[-6:])
            raise RunError(
                f"`docker compose {' '.join(args)}` failed for "
                f"{project}:\n{tail or 'no output'}",
                hint="the Services tab shows what runs now",
                title=f"{verb.capitalize()} failed",
            )

    def follow_logs(
        self, service: str, line: Callable[[str], None], stop: threading.Event
    ) -> None:
        # TODO: the Engine interface has no streaming log call, so this polls
        # the last LOG_TAIL lines every second and prints what is new; lines
        # repeated exactly across a poll boundary can be dropped. The next
        # step is an Engine.follow_logs(container_id, on_line, stop).
        spec = self._spec()
        engine = self.engine
        seen: list[str] = []
        while not stop.is_set():
            container = next(
                (
                    c
                    for c in engine.containers(spec.name)
                    if c.service == service and not c.oneoff
                ),
                None,
            )
            if container is not None:
                lines = engine.logs(container.id, LOG_TAIL).splitlines()
                for text in lines[_new_from(seen, lines) :]:
                    line(text)
                seen = lines
            stop.wait(LOG_POLL_SECONDS)


class _WatchedEngine:
    """An engine whose builds report every event to the app and can be stopped.

    Cancelling raises :class:`Cancelled` from inside the build's progress
    callback; the docker engine then kills the ``buildx`` process.
    """

    def __init__(
        self,
        engine: Engine,
        progress: Callable[[BuildUpdate], None],
        cancel: threading.Event,
    ) -> None:
        self._engine = engine
        self._progress = progress
        self._cancel = cancel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def build(
        self, request: BuildRequest, progress: Callable[[BuildEvent], None]
    ) -> None:
        def event(ev: BuildEvent) -> None:
            if self._cancel.is_set():
                raise Cancelled(request.tag)
            progress(ev)
            if ev.kind == "message" or not ev.step.startswith("[internal]"):
                self._progress(
                    BuildUpdate(request.tag, ev.kind, ev.step, ev.text, ev.seconds)
                )

        if self._cancel.is_set():
            raise Cancelled(request.tag)
        self._engine.build(request, event)


def _changes(changes: Changes) -> tuple[Change, ...]:
    """lockdiff's account as one Change per package, image or interpreter."""
    out: list[Change] = []
    for interp in changes.interpreters:
        if interp.empty:
            continue
        v = interp.version
        if interp.status == "dropped":
            out.append(Change(v, f"Python {v}", "removed", "locked", None))
            continue
        if interp.python:
            out.append(Change(v, "python", "changed", *interp.python))
        if interp.image:
            out.append(Change(v, "image", "changed", *interp.image))
        out += [Change(v, n, "added", None, new) for n, new in interp.added]
        out += [Change(v, n, "removed", old, None) for n, old in interp.removed]
        out += [Change(v, n, "upgraded", a, b) for n, a, b in interp.upgraded]
        out += [Change(v, n, "downgraded", a, b) for n, a, b in interp.downgraded]
        out += [
            Change(v, n, "changed", "hashes", "new hashes") for n in interp.rehashed
        ]
    for name, old, new in changes.services:
        kind = "added" if old is None else "removed" if new is None else "changed"
        out.append(Change("services", name, kind, old, new))
    if changes.installer:
        out.append(Change("installer", "uv", "changed", *changes.installer))
    return tuple(out)


def _committed_lock(spec: Spec) -> Lock | None:
    """envspec.lock as git's HEAD holds it, when the project is in git."""
    path = lock_path(spec.path)
    try:
        done = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        return loads(done.stdout, path)
    except EnvspecError:
        return None


def _text_diff(old: bytes | None, new: bytes | None, name: str) -> str:
    """A unified diff between two renders of one file; "" when equal."""

    def lines(data: bytes | None) -> list[str]:
        return (
            []
            if data is None
            else data.decode("utf-8", "replace").splitlines(keepends=True)
        )

    diff = difflib.unified_diff(
        lines(old), lines(new), f"{name} (previous lock)", f"{name} (this lock)"
    )
    return "".join(diff)


def _new_from(seen: Sequence[str], lines: Sequence[str]) -> int:
    """Where the lines not yet shown start in a new tail of a log."""
    if not seen:
        return 0
    for overlap in range(min(len(seen), len(lines)), 0, -1):
        if list(seen[-overlap:]) == list(lines[:overlap]):
            return overlap
    return 0
