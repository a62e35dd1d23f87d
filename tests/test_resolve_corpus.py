"""The corpus of specs that cannot be resolved: each exits 2 naming where to look.

Every case under tests/corpus/resolve is a spec (a ``.toml`` file, or a
folder with an ``envspec.toml`` and its requirement files) that is valid but
cannot be locked: unknown packages, versions that do not exist, conflicting
constraints, packages with no wheel for the interpreter or the platform. Its
first lines say what it holds, what the package index offers and what must be
reported::

    # case: what the spec holds
    # index: NAME VERSION [tag WHEEL-TAG] [python SPECIFIER] [requires REQ, REQ]
    # expect: FILE:LINE words that must all appear in the error

The index is built for each case from wheels made on the fly (tests/_lockkit)
and served from file:// URLs; image digests come from a fake registry. So no
case reaches PyPI or an engine, while uv really resolves each one.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _lockkit import FakeRegistry, LocalIndex

from envspec import cli, images

CORPUS = Path(__file__).parent / "corpus" / "resolve"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix == ".toml" or p.is_dir())
_INDEX = re.compile(
    r"^# index: (?P<name>\S+) (?P<version>\S+)"
    r"(?: tag (?P<tag>\S+))?(?: python (?P<python>\S+))?(?: requires (?P<requires>.+))?$"
)
_EXPECT = re.compile(r"^# expect: (?P<file>[\w.-]+):(?P<line>\d+) (?P<words>.+)$")


@pytest.fixture(autouse=True)
def fake_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(images, "DockerRegistry", FakeRegistry)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    yield


def _spec(case: Path) -> Path:
    return case / "envspec.toml" if case.is_dir() else case


def _project(case: Path, tmp_path: Path) -> Path:
    """The case copied to a project folder, resolving against its own index."""
    index = LocalIndex(tmp_path / "index")
    for line in _spec(case).read_text().splitlines():
        m = _INDEX.match(line)
        if m:
            index.add(
                m["name"], m["version"],
                requires=m["requires"].split(", ") if m["requires"] else (),
                tag=m["tag"] or "py3-none-any",
                headers=[f"Requires-Python: {m['python']}"] if m["python"] else (),
            )
    project = tmp_path / "project"
    if case.is_dir():
        shutil.copytree(case, project)
    else:
        project.mkdir()
        shutil.copy(case, project / "envspec.toml")
    spec = project / "envspec.toml"
    spec.write_text(spec.read_text().replace("{index}", index.url))
    return project


def _expectations(case: Path) -> list[tuple[str, list[str]]]:
    lines = _spec(case).read_text().splitlines()
    assert lines[0].startswith("# case: "), f"{case.name}: no '# case:' first line"
    found = [(f"{m['file']}:{m['line']}", m["words"].split())
             for m in map(_EXPECT.match, lines) if m]
    assert found, f"{case.name}: no '# expect: FILE:LINE words' line"
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lock_exits_2_naming_the_requirement(
        case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`envspec lock` exits 2, names the file and line of the requirement at
    fault with uv's explanation and a hint, and writes no lock."""
    project = _project(case, tmp_path)

    code = cli.main(["-C", str(project), "lock"])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "hint: " in err and "internal error" not in err
    for place, words in _expectations(case):
        assert f"written at {place}: " in err, err
        missing = [w for w in words if w not in err]
        assert not missing, f"{missing} not in:\n{err}"
    assert not (project / "envspec.lock").exists()
