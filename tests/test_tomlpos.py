"""The position-recording TOML parser that spec validation relies on.

It hooks private methods of tomlkit's Parser; these tests fail first if a
tomlkit release changes them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envspec.errors import SpecError
from envspec.tomlpos import Located, entries

TEXT = """\
[project]
name = "x"

[python]
packages = [
  "a",
  "b",
]
env = { K = "v", L = 2 }
"""


def test_keys_values_and_array_elements_have_positions() -> None:
    """Keys, values, array elements and inline-table entries know their line:col."""
    loc = Located(Path("f.toml"), TEXT)
    python = dict((k.key, (k, v)) for k, v in entries(loc.doc))["python"][1]
    fields = {k.key: (k, v) for k, v in entries(python)}

    key, packages = fields["packages"]
    assert loc.position(key) == (5, 1)
    assert loc.position(packages) == (5, 12)
    assert [loc.position(e) for e in packages] == [(6, 3), (7, 3)]

    env = fields["env"][1]
    inner = {k.key: (loc.position(k), loc.position(v)) for k, v in entries(env)}
    assert inner == {"K": ((9, 9), (9, 13)), "L": ((9, 18), (9, 22))}


def test_document_round_trips_unchanged() -> None:
    """Tracking positions does not change what tomlkit keeps (comments, layout)."""
    text = TEXT + "# trailing comment\n"
    assert Located(Path("f.toml"), text).doc.as_string() == text


def test_syntax_error_is_a_positioned_spec_error() -> None:
    """A TOML syntax error becomes a SpecError at the parser's line and column."""
    with pytest.raises(SpecError) as info:
        Located(Path("f.toml"), 'a = "unclosed\n')

    problem = info.value.problems[0]
    assert (problem.file, problem.line) == (Path("f.toml"), 1)
    assert "TOML syntax error" in problem.message
