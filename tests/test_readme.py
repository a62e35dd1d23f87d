"""The README's two quick-start commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", quick, re.S)


def test_quick_start_has_exactly_two_commands() -> None:
    """The quick start shows two commands: install-and-run, and the tests."""
    commands = _commands()
    assert len(commands) == 2
    assert "envspec -C samples/django-drf up" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command word for word."""
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_sample_exists() -> None:
    """The sample the first command runs is in the repository with its lock."""
    sample = ROOT / "samples" / "django-drf"
    assert (sample / "envspec.toml").is_file()
    assert (sample / "envspec.lock").is_file()
