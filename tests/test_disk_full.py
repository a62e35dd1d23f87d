"""A full disk while writing the lock, the generated files or .env: exit 1,
the file named, the old files kept, no temporary file left.

The disk is real: a small tmpfs mounted for the test and filled to its last
byte, so write() fails with ENOSPC as it does on a full disk (the test is
skipped where mounting is not allowed). A mocked failure of os.write or
os.fsync is in test_fsutil.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _faults import fill, snapshot, tiny_disk
from _lockkit import lock_alpha, move_lock_on
from _run import envspec
from _sample import copy_sample

from envspec import cli


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tiny_disk(tmp_path / "disk", size="2m") as where:
        yield where


def test_full_disk_during_generate_keeps_the_old_files(disk: Path) -> None:
    """generate on a full disk exits 1 naming the file and the cause, keeps
    every generated file as it was, and works once there is room again."""
    root = copy_sample(disk / "bookshelf")
    assert envspec(root, "generate").returncode == 0
    move_lock_on(root / "envspec.lock")
    before = snapshot(root)
    filler = fill(disk)

    done = envspec(root, "generate")

    assert done.returncode == 1, done.stderr
    assert "could not write" in done.stderr and ".envspec/" in done.stderr
    assert "No space left on device" in done.stderr
    assert "the previous files are unchanged; free disk space" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(root) == before, "a file changed or a temporary file was left"

    filler.unlink()
    assert envspec(root, "generate").returncode == 0
    assert envspec(root, "generate", "--check").returncode == 0


def test_full_disk_when_env_is_first_written(disk: Path) -> None:
    """With the generated files in place but no room for .env, generate exits
    1 and leaves no .env (neither empty nor partial) behind."""
    root = copy_sample(disk / "bookshelf")
    assert envspec(root, "generate").returncode == 0
    (root / ".envspec" / ".env").unlink()
    before = snapshot(root)
    fill(disk)

    done = envspec(root, "generate")

    assert done.returncode == 1, done.stderr
    assert "could not write" in done.stderr and ".env" in done.stderr
    assert "No space left on device" in done.stderr
    assert snapshot(root) == before


def test_full_disk_during_lock_keeps_the_old_lock(
        disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """lock on a full disk resolves, then fails to write with exit 1, and the
    old lock stays byte for byte."""
    project = disk / "project"
    index = lock_alpha(project, tmp_path, monkeypatch)  # the index off the disk
    index.add("alpha", "2.0")
    before = snapshot(project)
    fill(disk)
    capsys.readouterr()

    assert cli.main(["-C", str(project), "lock", "--upgrade"]) == 1

    err = capsys.readouterr().err
    assert "could not write" in err and "envspec.lock" in err
    assert "No space left on device" in err
    assert snapshot(project) == before
