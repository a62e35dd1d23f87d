"""The code base stays lint-clean and type-clean (ruff and mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("tool", [
    ["ruff", "check", "envspec", "tui", "tests", "bench"],
    ["ruff", "format", "--check", "--diff", "envspec", "tui"],
    ["mypy"],
], ids=["ruff-check", "ruff-format", "mypy"])
def test_tool_is_clean(tool: list[str]) -> None:
    """ruff and mypy report nothing on the project's code."""
    done = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
