"""The command line's contract: help, version, usage errors and exit codes."""

from __future__ import annotations

from pathlib import Path

from envspec import __version__
from envspec.cli import COMMANDS


def test_version(envspec_cli) -> None:  # type: ignore[no-untyped-def]
    """--version prints the version and exits 0."""
    done = envspec_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"envspec {__version__}"


def test_no_arguments_off_a_terminal_prints_help(envspec_cli) -> None:  # type: ignore[no-untyped-def]
    """Without a terminal, `envspec` alone prints help listing every command."""
    done = envspec_cli()
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout


def test_unknown_option_is_exit_2(envspec_cli) -> None:  # type: ignore[no-untyped-def]
    """A bad option is a usage error: exit 2 with usage on stderr."""
    done = envspec_cli("lock", "--no-such-option")
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_missing_folder_is_exit_2(envspec_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """-C naming a folder that does not exist is exit 2, without a traceback."""
    done = envspec_cli("-C", str(tmp_path / "nowhere"), "lock", "--check")
    assert done.returncode == 2
    assert "no such folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_spec_is_exit_2_with_hint(envspec_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A folder without envspec.toml is exit 2, and the hint names `envspec init`."""
    done = envspec_cli("lock", "--check", cwd=tmp_path)
    assert done.returncode == 2
    assert "no envspec.toml" in done.stderr
    assert "envspec init" in done.stderr


def test_json_error_document(envspec_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With --json, a failure still writes one JSON document to stdout."""
    import json

    done = envspec_cli("lock", "--check", "--json", cwd=tmp_path)
    document = json.loads(done.stdout)
    assert done.returncode == 2
    assert document["ok"] is False
    assert document["error"]["title"] == "No spec"
