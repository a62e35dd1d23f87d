"""Atomic file writes: old files stay intact until their replacement is complete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envspec import fsutil
from envspec.errors import RunError


def test_write_many_replaces_all_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    """Every file gets its new bytes and no temporary file remains."""
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    a.write_text("old")
    fsutil.write_many({a: b"new a", b: b"new b"})

    assert a.read_bytes() == b"new a"
    assert b.read_bytes() == b"new b"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.txt", "sub"]


def test_failure_while_writing_keeps_every_old_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails (a full disk) leaves all old files as they were."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    b.write_text("old b")
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device", str(b))
        real_fsync(fd)

    monkeypatch.setattr(fsutil.os, "fsync", failing_fsync)
    with pytest.raises(RunError) as info:
        fsutil.write_many({a: b"new a", b: b"new b"})

    assert "No space left on device" in info.value.message
    assert a.read_text() == "old a"
    assert b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_mode_is_kept_or_set(tmp_path: Path) -> None:
    """A replaced file keeps its mode; an explicit mode (0600 for secrets) is applied."""
    a = tmp_path / "a"
    a.write_text("x")
    a.chmod(0o640)
    fsutil.atomic_write(a, b"y")
    secret = tmp_path / "secret"
    fsutil.atomic_write(secret, b"z", mode=0o600)

    assert a.stat().st_mode & 0o777 == 0o640
    assert secret.stat().st_mode & 0o777 == 0o600
