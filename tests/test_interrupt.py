"""Ctrl-C during lock and generate: exit 130, a sentence saying what happened,
and the lock and generated files as they were (or complete).

The signals here are real SIGINTs sent to a real envspec process: to envspec
alone (``kill -INT``, an editor's stop button) and to its whole process group
(Ctrl-C on a terminal). For ``lock`` the package index is a server that
accepts connections and never answers, so the interrupt lands while uv waits
on it; image digests come from a FakeRegistry (tests/_faults.py). Ctrl-C
during build and up, which need the engine, is in test_engine_faults.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _faults import StallingServer, fake_registry_cli, snapshot
from _lockkit import lock_alpha, move_lock_on
from _sample import copy_sample

from envspec import cli


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project locked for two interpreters against a local index."""
    project = tmp_path / "project"
    lock_alpha(project, tmp_path, monkeypatch, versions=("3.13", "3.12"))
    return project


@pytest.mark.parametrize("group", [False, True], ids=["kill-int", "terminal-ctrl-c"])
def test_interrupted_lock_exits_130_at_once_and_keeps_the_lock(
        locked: Path, tmp_path: Path, group: bool) -> None:
    """SIGINT while uv waits on an index that never answers stops envspec and
    every uv it started, exits 130 saying nothing changed, and leaves the lock
    byte for byte as it was."""
    before = snapshot(locked)
    with StallingServer() as index:
        spec = locked / "envspec.toml"
        spec.write_text(re.sub(r'index-url = "[^"]+"',
                               f'index-url = "{index.url}/simple"', spec.read_text()))
        before["envspec.toml"] = spec.read_bytes()
        with fake_registry_cli("-C", str(locked), "lock", new_session=True,
                               env={"UV_CACHE_DIR": str(tmp_path / "uv-cache")}) as run:
            run.wait_for("resolving packages for Python 3.12")
            deadline = time.monotonic() + 60
            while index.connections == 0:  # uv is really waiting on the index
                assert time.monotonic() < deadline, run.stderr
                time.sleep(0.05)
            children = run.children()
            assert children, "uv is not running"

            run.interrupt(group=group)
            code = run.finish(deadline=30)

    assert code == 130, run.stderr
    assert "interrupted: `envspec lock` stopped before it finished." in run.stderr
    assert "Nothing on disk was changed" in run.stderr
    assert "Traceback" not in run.stderr
    assert snapshot(locked) == before
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or \
            "zombie" in Path(f"/proc/{pid}/status").read_text(), f"uv {pid} still runs"


def _sample(tmp_path: Path) -> Path:
    """The sample with its files generated, then its lock moved on (still fresh)."""
    root = copy_sample(tmp_path / "bookshelf")
    assert cli.main(["-C", str(root), "generate"]) == 0
    move_lock_on(root / "envspec.lock")
    return root


_SIGNAL_AT = """
import os, signal, sys
from envspec import cli
real = os.{call}
calls = []
def patched(*args):
    calls.append(args)
    if len(calls) == {nth}:
        os.kill(os.getpid(), signal.SIGINT)  # a real signal, in the middle of it
    return real(*args)
os.{call} = patched
sys.exit(cli.main(["-C", {root!r}, "generate"]))
"""


def _generate_signalled_at(root: Path, call: str, nth: int) -> subprocess.CompletedProcess[str]:
    code = _SIGNAL_AT.format(call=call, nth=nth, root=str(root))
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120)


def test_interrupt_while_writing_generated_files_keeps_the_old_ones(
        tmp_path: Path) -> None:
    """SIGINT between two generated files being flushed exits 130 and leaves
    every old file byte for byte, with no temporary file left behind."""
    root = _sample(tmp_path)
    before = snapshot(root / ".envspec")

    done = _generate_signalled_at(root, "fsync", 2)

    assert done.returncode == 130, done.stderr
    assert "interrupted: `envspec generate` stopped before it finished." in done.stderr
    assert "Nothing on disk was changed" in done.stderr
    assert snapshot(root / ".envspec") == before


def test_interrupt_while_renaming_finishes_the_set_and_says_so(tmp_path: Path) -> None:
    """SIGINT while the new files are renamed into place is held until all are
    in place: every file is the new one, and the message names them."""
    root = _sample(tmp_path)
    before = snapshot(root / ".envspec")

    done = _generate_signalled_at(root, "replace", 1)

    assert done.returncode == 130, done.stderr
    after = snapshot(root / ".envspec")
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed and ".env" not in changed
    assert "It had already written .envspec" in done.stderr
    for name in changed:
        assert f".envspec{os.sep}{name}" in done.stderr
    assert cli.main(["-C", str(root), "generate", "--check"]) == 0, \
        "the files written are not the complete new set"
