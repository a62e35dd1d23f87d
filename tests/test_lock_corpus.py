"""The corpus of damaged locks: each is refused at its line, and nothing is written.

Every case under tests/corpus/locks is an ``envspec.lock`` that was cut short,
edited by hand, merged badly or written by a newer envspec. Its first lines
say what it holds and what must be reported::

    # case: what the lock holds
    # expect: LINE words that must all appear in the message or its hint

Each is placed beside tests/corpus/locks/envspec.toml, the spec that the
valid lock of that folder (envspec.lock, from which the cases were made) was
locked from. Every command that reads the lock must then exit 2, name
``envspec.lock:LINE``, say how to fix it, show no traceback, and leave the
lock and the project folder as they were.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _run import envspec

from envspec import cli
from envspec.errors import SpecError
from envspec.lockfile import read_lock

CORPUS = Path(__file__).parent / "corpus" / "locks"
CASES = sorted(CORPUS.glob("[0-9]*.lock"))
_CASE = re.compile(r"^# case: \S")
_EXPECT = re.compile(r"^# expect: (?P<line>\d+) (?P<words>.+)$")


def _expectation(case: Path) -> tuple[int, list[str]]:
    lines = case.read_bytes().decode("utf-8", "replace").splitlines()
    assert lines and _CASE.match(lines[0]), f"{case.name}: no '# case:' first line"
    match = _EXPECT.match(lines[1]) if len(lines) > 1 else None
    assert match, f"{case.name}: no '# expect: LINE words' second line"
    return int(match["line"]), match["words"].split()


def _project(case: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(CORPUS / "envspec.toml", project / "envspec.toml")
    shutil.copy(case, project / "envspec.lock")
    return project


def test_the_valid_lock_of_the_corpus_reads() -> None:
    """The lock the cases were made from reads, so each case fails for its damage."""
    lock = read_lock(CORPUS / "envspec.lock")

    assert [p.name for p in lock.interpreter("3.13").packages] == ["alpha", "beta"]


def test_the_valid_lock_checks_fresh(envspec_cli) -> None:  # type: ignore[no-untyped-def]
    """`lock --check` of the valid lock beside its spec exits 0 (or 1 once the
    spec's meaning gains a field), never 2: the spec and lock are usable."""
    done = envspec_cli("-C", str(CORPUS), "lock", "--check")

    assert done.returncode in (0, 1), done.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_library_places_the_damage(case: Path) -> None:
    """read_lock raises SpecError at the expected line, with the expected words
    and a hint that says what to do."""
    line, words = _expectation(case)

    with pytest.raises(SpecError) as info:
        read_lock(case)

    (problem,) = info.value.problems
    text = f"{problem.message} {problem.hint}"
    assert problem.line == line, problem.render()
    assert all(w in text for w in words), problem.render()
    assert problem.hint and "envspec" in problem.hint


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lock_check_exits_2_naming_the_line(case: Path, tmp_path: Path) -> None:
    """`envspec lock --check` exits 2 with envspec.lock:LINE, a hint and no
    traceback, and changes nothing."""
    project = _project(case, tmp_path)
    before = (project / "envspec.lock").read_bytes()
    line, _ = _expectation(case)

    done = envspec(project, "lock", "--check", timeout=60)

    assert done.returncode == 2, done.stderr
    assert f"envspec.lock:{line}:1: " in done.stderr
    assert "hint: " in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert (project / "envspec.lock").read_bytes() == before


@pytest.mark.parametrize("command", ["generate", "build", "up", "status"])
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_command_that_reads_the_lock_refuses_it(
        case: Path, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """generate, build, up and status exit 2 on the lock before they touch the
    engine or write a file."""
    project = _project(case, tmp_path)
    before = (project / "envspec.lock").read_bytes()
    line, _ = _expectation(case)
    # Nothing may reach an engine; should a lock get through, this one is dead.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")

    code = cli.main(["-C", str(project), command])

    err = capsys.readouterr().err
    assert code == 2, err
    assert f"envspec.lock:{line}:1: " in err
    assert (project / "envspec.lock").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["envspec.lock", "envspec.toml"]


def test_a_folder_where_the_lock_should_be_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder named envspec.lock is bad input (exit 2), not an internal error."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(CORPUS / "envspec.toml", project / "envspec.toml")
    (project / "envspec.lock").mkdir()

    assert cli.main(["-C", str(project), "generate"]) == 2

    err = capsys.readouterr().err
    assert "cannot read the lock" in err and "internal error" not in err


def test_a_byte_order_mark_is_not_damage(tmp_path: Path) -> None:
    """A lock saved with a UTF-8 byte-order mark (a Windows editor) still reads."""
    path = tmp_path / "envspec.lock"
    path.write_bytes(b"\xef\xbb\xbf" + (CORPUS / "envspec.lock").read_bytes())

    assert read_lock(path).interpreter("3.13").python == "3.13.5"
