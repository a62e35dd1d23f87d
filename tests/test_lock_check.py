"""``envspec lock --check``: exit codes and the account it gives, offline.

The locks here are written by ``make_lock`` with a fake registry and a local
index (no PyPI, no engine); the checks themselves touch neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _lockkit import FakeRegistry, LocalIndex, write_spec

from envspec import cli
from envspec.fsutil import atomic_write
from envspec.locking import make_lock
from envspec.spec import load_spec

DB = '\n[services.db]\nkind = "postgres"\nversion = "17"\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a fresh lock for alpha on Python 3.13 and a db service."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    index = LocalIndex(tmp_path / "index")
    index.add("alpha", "1.0")
    folder = tmp_path / "project"
    spec_path = write_spec(folder, index, ["alpha"], services=DB)
    lock = make_lock(load_spec(spec_path), None, FakeRegistry())
    atomic_write(folder / "envspec.lock", lock.dumps().encode())
    return folder


def check(project: Path, *extra: str) -> int:
    return cli.main(["-C", str(project), "lock", "--check", *extra])


def test_fresh_lock_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock made from the spec as it is checks fresh with exit 0."""
    assert check(project) == 0
    assert "up to date" in capsys.readouterr().out


def test_reformatted_spec_stays_fresh(project: Path) -> None:
    """Comments, blank lines and key order do not make a lock stale."""
    spec = project / "envspec.toml"
    lines = spec.read_text().splitlines()
    spec.write_text("# a comment\n\n" + "\n".join(lines) + "\n\n# the end\n")

    assert check(project) == 0


def test_changed_requirement_is_stale_with_an_account(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A changed requirement exits 1, names the change and the fixing command."""
    spec = project / "envspec.toml"
    spec.write_text(spec.read_text().replace('"alpha"', '"alpha>=1", "beta"'))

    assert check(project) == 1

    out = capsys.readouterr().out
    assert "envspec.lock is out of date with envspec.toml:" in out
    assert 'python.packages or a requirement file: added "alpha>=1"' in out
    assert 'python.packages or a requirement file: added "beta"' in out
    assert 'python.packages or a requirement file: removed "alpha"' in out
    assert f"run `envspec -C {project} lock` to update it" in out


def test_added_interpreter_and_service_are_named(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new Python version and a new service are both reported as not locked."""
    spec = project / "envspec.toml"
    text = spec.read_text().replace('versions = ["3.13"]', 'versions = ["3.13", "3.12"]')
    spec.write_text(text + '\n[services.cache]\nkind = "redis"\n')

    assert check(project) == 1

    out = capsys.readouterr().out
    assert "the lock has interpreters ['3.13'], the spec asks for ['3.13', '3.12']" \
        in out
    assert "service cache: not in the lock" in out


def test_missing_lock_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No lock at all is out of date: exit 1 and the command that writes one."""
    (project / "envspec.lock").unlink()

    assert check(project) == 1

    out = capsys.readouterr().out
    assert "there is no envspec.lock beside envspec.toml" in out
    assert "lock` to update it" in out


def test_lock_from_a_newer_format_exits_2(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock written by a newer lock format is an input error (exit 2)."""
    lock = project / "envspec.lock"
    lock.write_text(lock.read_text().replace("lock-version = 1", "lock-version = 99"))

    assert check(project) == 2
    assert "format 99" in capsys.readouterr().err


def test_hand_edited_recorded_spec_is_stale(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock whose recorded spec no longer matches its hash is reported stale."""
    lock = project / "envspec.lock"
    lock.write_text(lock.read_text().replace('name = "demo"', 'name = "other"'))

    assert check(project) == 1
    assert "does not match its hash" in capsys.readouterr().out


def test_a_well_formed_hand_edit_of_a_pin_is_refused_at_the_pins_hash(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A version changed by hand, its hashes kept, no longer passes: the lock's
    pins-hash names the edit, exit 2, and the file is left as it is."""
    lock = project / "envspec.lock"
    edited = lock.read_text().replace('version = "1.0"', 'version = "0.9"', 1)
    assert edited != lock.read_text()
    lock.write_text(edited)

    assert check(project) == 2

    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(edited.splitlines(), 1)
                if text.startswith("pins-hash"))
    assert f"envspec.lock:{line}:1: the lock's pins do not match" in err
    assert "changed by hand" in err and "git diff envspec.lock" in err
    assert lock.read_text() == edited


def test_a_lock_without_pins_hash_is_still_read(project: Path) -> None:
    """A lock written before pins-hash existed is read without that check."""
    lock = project / "envspec.lock"
    lock.write_text("".join(line for line in lock.read_text().splitlines(True)
                            if not line.startswith("pins-hash")))

    assert check(project) == 0


def test_check_json_document(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--check --json emits whether the lock is fresh, the reasons and the fix."""
    spec = project / "envspec.toml"
    spec.write_text(spec.read_text().replace('"alpha"', '"alpha<2"'))

    assert check(project, "--json") == 1

    doc = json.loads(capsys.readouterr().out)
    assert doc["fresh"] is False and doc["ok"] is False
    assert 'python.packages or a requirement file: added "alpha<2"' in doc["reasons"]
    assert doc["fix"] == f"envspec -C {project} lock"


def test_check_with_upgrade_is_usage_error(project: Path) -> None:
    """--check cannot be combined with options that re-resolve."""
    assert check(project, "--upgrade") == 2


def test_check_imports_no_docker_uv_or_ui(project: Path) -> None:
    """The --check path loads neither docker-py, uv, Jinja2 nor Textual, and
    runs no subprocess, so it needs no engine and no network."""
    code = (
        "import subprocess, sys\n"
        "def refuse(*a, **k): raise SystemExit('a subprocess was started')\n"
        "subprocess.Popen = refuse\n"
        "from envspec.cli import main\n"
        f"rc = main(['-C', {str(project)!r}, 'lock', '--check', '-q'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'docker', 'uv', 'jinja2', 'textual', 'requests'})\n"
        "print(rc, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                      "DOCKER_HOST": "tcp://0.0.0.0:1"})
    assert done.stdout.split("\n")[-2] == "0 []", done.stdout + done.stderr
