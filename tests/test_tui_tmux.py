"""The terminal app in a real terminal (tmux) on the real engine.

The bookshelf sample is copied under a project name of its own and a free
port, and locked again since both are part of the spec. ``envspec tui`` runs
in a tmux session on a private tmux server; the test types the keys a person
would and reads the screen with ``capture-pane``, waiting for each state with
a deadline. Whatever happens, the stack is taken down with its volumes, the
tmux server is killed and the images are removed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from _run import docker, envspec, ok
from _sample import SampleCopy

SIZE = (120, 36)  # wide enough that no table column is cut
START_TIMEOUT = 600  # seconds; a first build on a cold cache is the slow part


@dataclass
class Terminal:
    """One tmux session on a tmux server of its own."""

    server: str
    session: str

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.server, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(
        self, what: str, seen: Callable[[str], bool], timeout: float = 30
    ) -> str:
        """The screen once ``seen`` holds for it; fail with it after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if seen(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not on screen after {timeout} s:\n{screen}")
            time.sleep(0.2)


def service_row(screen: str, service: str) -> list[str]:
    """The services table's row of one service, split into its cells."""
    for line in screen.splitlines():
        cells = line.split()
        if cells and cells[0] == service:
            return cells
    return []


@pytest.fixture
def bookshelf(unique_sample: Callable[..., SampleCopy]) -> SampleCopy:
    """A locked copy of the sample with its own name and port; torn down after."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (.ci/run installs it)")
    sample = unique_sample("es-tui")
    ok(envspec(sample.root, "lock"))
    return sample


@pytest.fixture
def terminal(bookshelf: SampleCopy) -> Iterator[Terminal]:
    """``envspec tui`` running in the copy, in a 120x36 tmux session."""
    root, project, _ = bookshelf
    term = Terminal(server=f"envspec-{project}", session=project)
    app = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "envspec", "tui"))
    # The shell stays after the app ends, so that its last words stay readable.
    command = f"{app}; echo envspec-exited-$?; sleep 3600"
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    width, height = SIZE
    subprocess.run(
        ["tmux", "-L", term.server, "new-session", "-d", "-s", term.session,
         "-x", str(width), "-y", str(height), "-c", str(root), command],
        check=True, env=env, timeout=30,
    )  # fmt: skip
    try:
        yield term
    finally:
        subprocess.run(
            ["tmux", "-L", term.server, "kill-server"], capture_output=True, timeout=30
        )


@pytest.mark.docker
@pytest.mark.network
def test_start_and_stop_the_stack_from_the_services_tab(
    bookshelf: SampleCopy, terminal: Terminal
) -> None:
    """In a real terminal, S starts the sample until its db is healthy, the app
    reads as its URL on the services tab and the overview; T stops it, and D
    takes it down with its volumes."""
    root, project, port = bookshelf
    url = f"http://127.0.0.1:{port}/"
    label = f"label=com.docker.compose.project={project}"

    screen = terminal.wait_for(
        "the overview", lambda s: project in s and "Engine: reachable" in s
    )
    assert str(root) in screen  # the folder, not "."

    terminal.keys("5")
    terminal.wait_for(
        "the services table", lambda s: service_row(s, "db")[1:2] == ["stopped"]
    )

    terminal.keys("S")
    screen = terminal.wait_for(
        "the db turning healthy",
        lambda s: service_row(s, "db")[1:3] == ["running", "healthy"],
        timeout=START_TIMEOUT,
    )
    assert "unhealthy" not in screen
    running = docker("ps", "--filter", label, "--format", "{{.Names}} {{.Status}}")
    assert re.search(rf"^{project}-db-1 Up .*\(healthy\)$", running, re.M), running
    terminal.wait_for(
        "the start's outcome", lambda s: "The stack is up: every service is ready." in s
    )
    app = service_row(terminal.screen(), "app")
    assert app[1:2] == ["running"] and url in app

    terminal.keys("1")
    terminal.wait_for(
        "the overview's running stack",
        lambda s: f"Services: running; the app is at {url}" in s,
    )
    terminal.keys("5")
    terminal.wait_for("the services tab again", lambda s: "Service  State" in s)

    terminal.keys("T")
    terminal.wait_for("the stop's outcome", lambda s: "The stack stopped." in s)
    terminal.wait_for(
        "both services stopped",
        lambda s: service_row(s, "db")[1:] == service_row(s, "app")[1:] == [
            "stopped", "-", "-", "-"],
    )  # fmt: skip
    assert docker("ps", "-a", "-q", "--filter", label).split() == []
    assert docker("volume", "ls", "-q", "--filter", label).split() != []

    terminal.keys("D")
    terminal.wait_for("the volumes' modal", lambda s: "delete its data?" in s)
    terminal.keys("y")
    terminal.wait_for(
        "the volumes removed",
        lambda s: "The stack stopped; its volumes are removed" in s,
    )
    assert docker("volume", "ls", "-q", "--filter", label).split() == []

    terminal.keys("q")
    terminal.wait_for("the app's exit", lambda s: "envspec-exited-0" in s)
