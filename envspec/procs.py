"""Child processes that must not outlive an interrupted command.

Ctrl-C on a terminal reaches the whole foreground process group, children
included; a SIGINT sent to envspec alone (``kill -INT``, an editor's stop
button) does not. Python raises KeyboardInterrupt in the main thread only,
so a child that a worker thread waits for (uv, one per interpreter during
``envspec lock``) would keep running, and the command would hang until it
ends by itself. Children started through :func:`run` are registered here,
and the SIGINT handler that the CLI installs stops them before it raises
KeyboardInterrupt.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()


def run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True)``, stoppable on SIGINT."""
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    ) as proc:
        with _lock:
            _running.add(proc)
        try:
            out, err = proc.communicate()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            with _lock:
                _running.discard(proc)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def stop_all() -> None:
    """Ask every registered child to stop (SIGTERM); they are reaped by their waiters."""
    with _lock:
        running = list(_running)
    for proc in running:
        if proc.poll() is None:
            proc.terminate()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    stop_all()
    raise KeyboardInterrupt


@contextmanager
def stop_children_on_sigint() -> Iterator[None]:
    """While inside, SIGINT stops registered children, then raises KeyboardInterrupt.

    Only the main thread may set signal handlers; elsewhere, and where a
    handler other than Python's default is in place, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
