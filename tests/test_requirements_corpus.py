"""The corpus of requirement files envspec cannot lock: each refused at its line.

Every case under tests/corpus/requirements is a requirement file with odd
syntax: editables, bare URLs and paths, broken markers and extras, pip
options, includes that are missing or broken, tokens in URLs, files that are
not UTF-8. Its first lines say what it holds and what must be reported::

    # case: what the file holds
    # expect: LINE:COL words          (a problem in this file)
    # expect: base.txt:LINE:COL words (a problem in a file it includes)

Each is copied in as requirements.txt beside the folder's envspec.toml, with
the folder's includes/. Loading must raise SpecError at each expected place
with a hint, and the CLI must exit 2 naming ``FILE:LINE:COL`` with no
traceback.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _run import envspec

from envspec.errors import SpecError
from envspec.spec import load_spec

CORPUS = Path(__file__).parent / "corpus" / "requirements"
CASES = sorted(CORPUS.glob("[0-9]*.txt"))
_EXPECT = re.compile(
    r"^# expect: (?:(?P<file>[\w.-]+):)?(?P<line>\d+):(?P<col>\d+) (?P<words>.*)$"
)


def _expectations(case: Path) -> list[tuple[str, int, int, list[str]]]:
    lines = case.read_bytes().decode("utf-8", "replace").splitlines()
    assert lines[0].startswith("# case: "), f"{case.name}: no '# case:' first line"
    found = [
        (m["file"] or "requirements.txt", int(m["line"]), int(m["col"]),
         m["words"].split())
        for m in map(_EXPECT.match, lines) if m
    ]
    assert found, f"{case.name}: no '# expect:' line"
    return found


def _project(case: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(CORPUS / "envspec.toml", project / "envspec.toml")
    shutil.copy(case, project / "requirements.txt")
    shutil.copytree(CORPUS / "includes", project / "includes")
    return project


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_library_places_each_problem(case: Path, tmp_path: Path) -> None:
    """load_spec raises SpecError at each expected file, line and column, with
    the expected words, and every problem has a hint."""
    project = _project(case, tmp_path)

    with pytest.raises(SpecError) as info:
        load_spec(project / "envspec.toml")

    problems = info.value.problems
    shown = "\n".join(p.render() for p in problems)
    for file, line, col, words in _expectations(case):
        assert any(
            p.file.name == file and (p.line, p.column) == (line, col)
            and all(w in f"{p.message} {p.hint}" for w in words)
            for p in problems
        ), f"expected {file}:{line}:{col} {' '.join(words)!r}; got:\n{shown}"
    assert all(p.hint for p in problems), shown


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cli_exits_2_naming_the_place(case: Path, tmp_path: Path) -> None:
    """`envspec lock --check` exits 2, names FILE:LINE:COL and shows no traceback."""
    project = _project(case, tmp_path)

    done = envspec(project, "lock", "--check", timeout=60)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for file, line, col, _ in _expectations(case):
        assert f"{file}:{line}:{col}: " in done.stderr, done.stderr
