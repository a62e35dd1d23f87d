"""Helpers that make faults happen for real: a server that never answers, a
socket with no engine behind it, a tiny disk, an envspec process to interrupt;
and a snapshot of a folder's files, to show that a fault changed none.

Run as a script, this module is the envspec CLI with image digests from a
FakeRegistry (``python tests/_faults.py -C DIR lock``), so that a test can
send signals to a real ``envspec lock`` process without an engine.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent


class StallingServer:
    """A TCP server that accepts every connection and never answers."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    @property
    def connections(self) -> int:
        return len(self._held)

    def close(self) -> None:
        for conn in self._held:
            conn.close()
        self._sock.close()

    def __enter__(self) -> StallingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpIndex:
    """A LocalIndex (tests/_lockkit.py) served over HTTP on every interface,
    so that image builds reach it too; ``stall()`` makes it stop answering.

    Its pages link wheels by file:// URL; they are rewritten to this server's
    address as they are served.
    """

    def __init__(self, index: Any, host: str, hidden: frozenset[str] = frozenset()) -> None:
        import http.server

        self.index = index
        self.hidden = hidden  # projects answered with 404 (uv: take PyPI's)
        self.host = host  # the address builds and the host both reach
        self.stalled = threading.Event()
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                outer.requests.append(self.path)
                if outer.stalled.is_set():
                    outer.stalled_requests += 1
                    threading.Event().wait(600)  # hold the request, answer nothing
                    return
                parts = self.path.strip("/").split("?")[0].split("/")
                path = outer.index.root.joinpath(*parts)
                if path.is_dir():
                    path = path / "index.html"
                if not path.is_file() or set(parts) & outer.hidden:
                    self.send_error(404)
                    return
                body = path.read_bytes()
                kind = "application/octet-stream"
                if path.suffix == ".html":
                    kind = "text/html"
                    body = body.replace(outer.index.root.as_uri().encode(),
                                        outer.url.encode())
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.stalled_requests = 0
        self.server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stall(self) -> None:
        self.stalled.set()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bridge_address() -> str:
    """The host's address on Docker's default bridge, which build steps reach."""
    import ipaddress
    import json

    done = subprocess.run(["docker", "network", "inspect", "bridge", "-f",
                           "{{json .IPAM.Config}}"], capture_output=True, text=True,
                          check=True, timeout=60)
    config = json.loads(done.stdout)[0]
    if config.get("Gateway"):
        return str(config["Gateway"])
    return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


def dead_socket(folder: Path) -> str:
    """A DOCKER_HOST whose socket file exists but has nobody listening."""
    path = folder / "dead-engine.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the file stays; connecting to it is refused
    return f"unix://{path}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to show a fault changed none."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class Running:
    """An envspec process whose stderr is read line by line as it comes.

    As a context manager, it kills the process on the way out, whatever
    happened, so that no test leaves one running.
    """

    def __init__(self, argv: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None, new_session: bool = False) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=cwd,
            env={**os.environ, **(env or {})}, start_new_session=new_session,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stdout = ""

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, deadline: float = 300) -> str:
        """Block until a stderr line holds ``text``; fail at the deadline."""
        end = time.monotonic() + deadline
        for line in self.lines:
            if text in line:
                return line
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} on stderr within {deadline} s:\n"
                                     + "".join(self.lines))
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited ({self.proc.wait()}) before {text!r}:\n"
                                     + "".join(self.lines))
            self.lines.append(line)
            if text in line:
                return line

    def interrupt(self, group: bool = False) -> None:
        """SIGINT to envspec alone, or (``group``) to it and its children, as
        Ctrl-C on a terminal does."""
        if group:
            os.killpg(self.proc.pid, signal.SIGINT)
        else:
            self.proc.send_signal(signal.SIGINT)

    def finish(self, deadline: float = 60) -> int:
        """Wait for the exit (failing at the deadline); the exit code."""
        try:
            assert self.proc.stdout is not None
            self.stdout = self.proc.stdout.read()
            code = self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._reader.join(timeout=10)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return code

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def children(self) -> list[int]:
        """The pids of this process's children (from /proc)."""
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            kids = (task / "children").read_text().split()
            found += [int(k) for k in kids]
        return found

    def descendants(self, matching: str = "") -> list[int]:
        """The pids of this process's children, theirs and so on, whose command
        line holds ``matching``: only what this test started."""
        found: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    kids = [int(k) for k in (task / "children").read_text().split()]
                except OSError:
                    continue
                todo += kids
                found += kids
        out = []
        for pid in found:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if matching in argv.decode("utf-8", "replace"):
                out.append(pid)
        return out

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()


def fake_registry_cli(*args: str, env: dict[str, str] | None = None,
                      new_session: bool = False) -> Running:
    """``envspec ARGS`` in a process of its own, with a FakeRegistry for digests."""
    return Running([sys.executable, str(TESTS / "_faults.py"), *args], env=env,
                   new_session=new_session)


def envspec_process(*args: str, env: dict[str, str] | None = None,
                    new_session: bool = False) -> Running:
    """``envspec ARGS`` (the real CLI, real engine) in a process of its own."""
    return Running([sys.executable, "-m", "envspec", *args], env=env,
                   new_session=new_session)


@contextlib.contextmanager
def tiny_disk(where: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where``; skips the test if mounting is
    not allowed here (it needs root)."""
    import pytest

    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; returns that file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):  # what is left is smaller than a block
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
    from _lockkit import FakeRegistry

    from envspec import cli, images

    images.DockerRegistry = FakeRegistry  # type: ignore[assignment,misc]
    sys.exit(cli.main(sys.argv[1:]))
