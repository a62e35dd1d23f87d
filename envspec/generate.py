"""Compare the rendered files with the ones on disk, and write them.

:func:`plan` renders the lock and sets each file against what is on disk:

- ``new``: not on disk yet;
- ``current``: on disk with exactly the rendered bytes;
- ``changed``: on disk as envspec wrote it, but the lock (or envspec) has
  moved on since;
- ``edited``: on disk but not as envspec wrote it: its body no longer
  matches its header's hash, or it has no header at all;
- ``obsolete``: written by an earlier run (it has a header) but no longer
  rendered, such as the Dockerfile of a Python version that was dropped.

:func:`apply` writes a plan: all files atomically, after all are complete,
and refuses the whole write when a file was edited by hand, unless forced.
The CLI, the TUI and ``envspec up`` all go through these two functions.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from envspec import __version__, header, render, secrets
from envspec.errors import EnvspecError, RunError, StaleError
from envspec.fsutil import write_many
from envspec.lockfile import Lock, lock_path, read_lock
from envspec.spec import Spec, diff_meaning

log = logging.getLogger("envspec.generate")


class State(enum.StrEnum):
    NEW = "new"
    CURRENT = "current"
    CHANGED = "changed"
    EDITED = "edited"
    OBSOLETE = "obsolete"


class EditedError(EnvspecError):
    """Generated files were edited by hand and would be overwritten."""

    exit_code = 1
    default_title = "Edited by hand"

    def __init__(self, paths: list[str], diff: str) -> None:
        names = ", ".join(paths)
        super().__init__(
            f"{names} {'was' if len(paths) == 1 else 'were'} edited by hand; "
            "nothing was written",
            hint="where envspec.toml has a key for the change, make it there; "
            "then `envspec generate --force` overwrites the file, dropping the "
            "edit (the diff above shows it, from the generated file to yours)",
        )
        self.paths = paths
        self.diff = diff


@dataclass(frozen=True)
class FilePlan:
    """One file of a plan: what is on disk and what the lock renders."""

    path: str  # relative to the output folder
    state: State
    wanted: bytes | None  # None: the file is to be removed
    on_disk: bytes | None  # None: not on disk
    header: header.Header | None = None  # the on-disk file's header


@dataclass(frozen=True)
class Plan:
    """What ``envspec generate`` would do, file by file."""

    spec: Spec
    lock_hash: str
    files: tuple[FilePlan, ...]
    display_dir: str = field(default="")  # the output folder as users see it

    @property
    def output_dir(self) -> Path:
        return self.spec.output_dir

    @property
    def up_to_date(self) -> bool:
        return all(f.state is State.CURRENT for f in self.files)

    @property
    def pending(self) -> list[FilePlan]:
        return [f for f in self.files if f.state is not State.CURRENT]

    @property
    def edited(self) -> list[FilePlan]:
        return [f for f in self.files if f.state is State.EDITED]

    def diff(self) -> str:
        """A unified diff from the files on disk to the rendered ones."""
        return "".join(self._file_diff(f) for f in self.pending)

    def edits(self) -> str:
        """The hand edits: a diff from the rendered files to the edited ones."""
        return "".join(self._file_diff(f, reverse=True) for f in self.edited)

    def _file_diff(self, item: FilePlan, reverse: bool = False) -> str:
        name = f"{self.display_dir}/{item.path}" if self.display_dir else item.path
        old = _lines(item.on_disk)
        new = _lines(item.wanted)
        labels = (f"a/{name}", f"b/{name}")
        if reverse:
            old, new = new, old
            labels = (f"{name} (as generated)", f"{name} (on disk)")
        lines = list(difflib.unified_diff(old, new, *labels))
        if not lines:  # same text, different bytes (a mode or a missing newline)
            return f"--- {labels[0]}\n+++ {labels[1]}\n(differs in bytes only)\n"
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines
        )


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


# --------------------------------------------------------------------------


def load_lock(spec: Spec) -> Lock:
    """The project's lock, refused when it no longer matches the spec."""
    lock = read_lock(lock_path(spec.path))
    if lock.spec_hash != spec.digest():
        changes = diff_meaning(lock.spec, spec.meaning())
        shown = "; ".join(changes[:5]) + ("; ..." if len(changes) > 5 else "")
        raise StaleError(
            f"envspec.lock was made from a different envspec.toml ({shown})",
            hint="run `envspec lock` to update the lock, then `envspec generate`",
            title="Stale lock",
        )
    # The same account as `envspec lock --check`: a lock whose images or
    # interpreters were edited by hand must not reach a Dockerfile.
    from envspec.locking import check_lock

    reasons = check_lock(spec, lock)
    if reasons:
        raise StaleError(
            "envspec.lock does not match envspec.toml: " + "; ".join(reasons),
            hint="run `envspec lock` to rewrite the lock, then `envspec generate`",
            title="Stale lock",
        )
    return lock


def plan(spec: Spec, lock: Lock) -> Plan:
    """Render the lock and compare every file with the one on disk."""
    quick = _plan_if_current(spec, lock)
    if quick is not None:
        return quick

    rendered = render.render(spec, lock)
    out_dir = spec.output_dir

    files: list[FilePlan] = []
    for name, wanted in rendered.items():
        on_disk = _read(out_dir / name)
        files.append(_classify(name, wanted, on_disk))
    for name in _earlier_outputs(spec):
        if name not in rendered:
            on_disk = _read(out_dir / name)
            head = header.read_header(on_disk or b"")
            state = State.OBSOLETE if head and head.intact else State.EDITED
            files.append(FilePlan(name, state, None, on_disk, head))

    files.sort(key=lambda f: f.path)
    return Plan(spec, lock.content_hash(), tuple(files), display_dir=spec.output)


def _plan_if_current(spec: Spec, lock: Lock) -> Plan | None:
    """A plan of all-current files, when the headers prove it; else None.

    Rendering is a function of the lock (which holds the spec's meaning),
    the envspec version and the renderer. A file whose intact header names
    the same three is what rendering would give, so `generate --check` can
    skip loading Jinja2 and rendering. Any doubt returns None.
    """
    out_dir = spec.output_dir
    names = render.file_names(spec)
    lock_hash, renderer = lock.content_hash(), render.renderer_digest()
    files = []
    for name in names:
        data = _read(out_dir / name)
        if data is None:
            return None
        head = header.read_header(data)
        if name == render.NO_CA:
            if data:
                return None
        elif (
            head is None
            or not head.intact
            or head.lock != lock_hash
            or head.renderer != renderer
            or head.version != __version__
        ):
            return None
        files.append(FilePlan(name, State.CURRENT, data, data, head))
    if set(_earlier_outputs(spec)) - set(names):
        return None
    return Plan(spec, lock_hash, tuple(files), display_dir=spec.output)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise RunError(
            f"{path} is a folder where envspec writes a file",
            hint="move it away and run the command again",
            title="Cannot generate",
        ) from exc


def _classify(name: str, wanted: bytes, on_disk: bytes | None) -> FilePlan:
    if on_disk is None:
        return FilePlan(name, State.NEW, wanted, None)
    head = header.read_header(on_disk)
    if on_disk == wanted:
        return FilePlan(name, State.CURRENT, wanted, on_disk, head)
    if head is not None and head.intact:
        return FilePlan(name, State.CHANGED, wanted, on_disk, head)
    return FilePlan(name, State.EDITED, wanted, on_disk, head)


def _earlier_outputs(spec: Spec) -> list[str]:
    """Files that an earlier run wrote (they have a header), by their name
    relative to the output folder: those in it, and the Dev Containers files
    at the project root."""
    from envspec import devcontainer

    out_dir = spec.output_dir
    folders = [out_dir, spec.root / devcontainer.FOLDER]
    names = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name == secrets.ENV_NAME:
                continue
            with path.open("rb") as handle:
                start = handle.read(512)
            if start.startswith(b"# Generated by envspec ") or b'"_generated"' in start:
                names.append(Path(os.path.relpath(path, out_dir)).as_posix())
    return names


@dataclass(frozen=True)
class Applied:
    """What :func:`apply` did."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    secrets_changed: tuple[str, ...]  # names of .env variables, never values


def apply(plan: Plan, force: bool = False) -> Applied:
    """Write a plan: every new or changed file, atomically, and the secrets.

    Raises :class:`EditedError` and writes nothing when a file was edited by
    hand, unless ``force``. Obsolete files are removed once the new ones are
    in place.
    """
    if plan.edited and not force:
        raise EditedError([f.path for f in plan.edited], plan.edits())

    out_dir = plan.output_dir
    writes = {out_dir / f.path: f.wanted for f in plan.pending if f.wanted is not None}
    write_many(writes)
    removed = []
    for item in plan.pending:
        if item.wanted is None:
            with contextlib.suppress(FileNotFoundError):
                (out_dir / item.path).unlink()
            removed.append(item.path)
    changed = secrets.ensure_env(plan.spec)

    for item in plan.pending:
        log.info(
            "generated file %s",
            item.state.value,
            extra={"path": item.path, "state": item.state.value},
        )
    return Applied(
        tuple(sorted(f.path for f in plan.pending if f.wanted is not None)),
        tuple(removed),
        tuple(changed),
    )
