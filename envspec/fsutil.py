"""Writing files so that a reader never sees half of one.

A lock or a generated file is replaced only once its successor is complete:
the new bytes go to a temporary file beside the old one, are flushed to disk,
and then renamed over it. An interrupted run (Ctrl-C, a full disk) leaves the
old file as it was and removes the temporary one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from envspec.errors import RunError

# Every file this process has replaced, in order: what an interrupted command
# had already finished (see :func:`committed`).
_committed: list[Path] = []


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one step."""
    write_many({path: data}, mode=mode)


def write_many(files: Mapping[Path, bytes], mode: int | None = None) -> None:
    """Replace several files, each in one step, after all are safely written.

    Every new file is written and flushed first; only then are they renamed
    into place, so a failure while writing leaves every old file untouched.
    """
    temps: dict[Path, Path] = {}
    current: Path | None = None  # the file being written, for the message
    try:
        for path, data in sorted(files.items()):
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
            )
            temps[path] = Path(name)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            target_mode = mode if mode is not None else _mode_of(path)
            os.chmod(name, target_mode)
        current = None  # a failed rename names its own file
        # Renames in one directory do not fail for want of space; holding
        # Ctrl-C and SIGTERM until they are done keeps the set consistent.
        with _signals_held():
            for path, temp in temps.items():
                os.replace(temp, path)
                _committed.append(path)
    except OSError as exc:
        # A full disk fails write() or fsync(), whose error names no file.
        failed = current if current is not None else exc.filename
        raise RunError(
            f"could not write {failed or 'a file'}: {exc.strerror or exc}",
            hint="the previous files are unchanged; free disk space or fix "
            "permissions, then run the command again",
            title="Write failed",
        ) from exc
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def committed() -> tuple[Path, ...]:
    """The files this process has replaced so far, each complete, in order."""
    return tuple(_committed)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
