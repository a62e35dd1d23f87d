"""What every command gets: the project folder, output settings and the spec.

Results go to stdout (one JSON document with ``--json``); progress, warnings
and errors go to stderr, so that ``envspec status --json | jq`` stays clean.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the spec module imports tomlkit and packaging: load on use
    from envspec.spec import Spec


@dataclass
class Context:
    directory: Path
    json: bool = False
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    @cached_property
    def spec_path(self) -> Path:
        from envspec.spec import find_spec

        return find_spec(self.directory)

    @cached_property
    def spec(self) -> Spec:
        from envspec.spec import load_spec

        return load_spec(self.spec_path)

    def echo(self, text: str = "") -> None:
        """A line of the command's result (not shown with --json)."""
        if not self.json:
            print(text, file=self.stdout)

    def info(self, text: str) -> None:
        """Progress for a person watching; quiet with -q."""
        if self.verbosity >= 0:
            print(text, file=self.stderr, flush=True)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=self.stderr, flush=True)

    def emit(self, document: Any) -> None:
        """The command's one JSON result document, with --json."""
        if self.json:
            json.dump(document, self.stdout, indent=2, sort_keys=True)
            self.stdout.write("\n")
