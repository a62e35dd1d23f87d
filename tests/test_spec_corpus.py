"""The corpus of malformed specs: each is rejected with its problems placed.

Every case under tests/corpus/specs is a spec (a ``.toml`` file, or a folder
with an ``envspec.toml`` and its requirement files) whose first lines say
what it holds and what must be reported::

    # case: what the spec holds
    # expect: LINE:COL words that must all appear in the problem
    # expect: requirements.txt:LINE:COL ...   (a problem in another file)

The test loads each case through the library and through the CLI: the
library must raise SpecError with a problem at each expected place, and the
CLI must exit 2 with the same places in its output and no traceback.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _run import envspec

from envspec.errors import SpecError
from envspec.spec import load_spec

CORPUS = Path(__file__).parent / "corpus" / "specs"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix == ".toml" or p.is_dir())
_EXPECT = re.compile(r"^# expect: (?:(?P<file>[\w.-]+):)?(?P<line>\d+):(?P<col>\d+) (?P<words>.*)$")


def _case_dir(case: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    if case.is_dir():
        shutil.copytree(case, target)
    else:
        target.mkdir()
        shutil.copy(case, target / "envspec.toml")
    return target


def _expectations(spec: Path) -> list[tuple[str, int, int, list[str]]]:
    out = []
    for line in spec.read_bytes().decode("utf-8", "replace").splitlines():
        m = _EXPECT.match(line)
        if m:
            out.append((m["file"] or "envspec.toml", int(m["line"]), int(m["col"]),
                        m["words"].split()))
    return out


def test_corpus_is_large_enough() -> None:
    """The corpus holds at least 30 malformed specs, as issue 2 asks."""
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_each_case_says_what_it_holds(case: Path) -> None:
    """The first line of every case is a `# case:` comment saying what it holds."""
    spec = case / "envspec.toml" if case.is_dir() else case
    first = spec.read_bytes().decode("utf-8", "replace").splitlines()[0]
    assert re.match(r"^# case: \S", first), f"{case.name}: {first!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_library_reports_each_problem_at_its_place(case: Path, tmp_path: Path) -> None:
    """load_spec raises SpecError with a problem at every expected line and
    column, and every problem carries a hint saying how to fix it."""
    project = _case_dir(case, tmp_path)
    expected = _expectations(project / "envspec.toml")
    assert expected, f"{case.name} has no '# expect:' line"

    with pytest.raises(SpecError) as info:
        load_spec(project / "envspec.toml")

    problems = info.value.problems
    for file, line, col, words in expected:
        matches = [
            p for p in problems
            if p.file.name == file and (p.line, p.column) == (line, col)
            and all(w in f"{p.message} {p.hint or ''}" for w in words)
        ]
        shown = "\n".join(p.render() for p in problems)
        assert matches, f"expected {file}:{line}:{col} {' '.join(words)!r}; got:\n{shown}"
    unhelpful = [p.render() for p in problems if not p.hint]
    assert not unhelpful, f"problems without a hint saying what to do: {unhelpful}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cli_exits_2_with_positions_and_no_traceback(case: Path, tmp_path: Path) -> None:
    """The CLI exits 2, names file:line:col of each problem, and shows no traceback."""
    project = _case_dir(case, tmp_path)
    done = envspec(project, "lock", "--check", timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for file, line, col, _ in _expectations(project / "envspec.toml"):
        assert f"{file}:{line}:{col}:" in done.stderr, done.stderr
