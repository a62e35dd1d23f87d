"""The bad-input corpus as a whole: large enough, and every case says what it holds.

The cases live under tests/corpus, one folder per kind of input, each driven
by its own test module: specs (test_spec_corpus.py), locks
(test_lock_corpus.py), requirement files (test_requirements_corpus.py) and
specs that cannot be resolved (test_resolve_corpus.py).
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


def _cases() -> dict[str, list[Path]]:
    return {
        "specs": [p for p in (CORPUS / "specs").iterdir()
                  if p.suffix == ".toml" or p.is_dir()],
        "locks": sorted((CORPUS / "locks").glob("[0-9]*.lock")),
        "requirements": sorted((CORPUS / "requirements").glob("[0-9]*.txt")),
        "resolve": [p for p in (CORPUS / "resolve").iterdir()
                    if p.suffix == ".toml" or p.is_dir()],
    }


def test_corpus_holds_at_least_60_bad_inputs() -> None:
    """Issue 7 asks for at least 60 bad inputs, of every kind."""
    cases = _cases()

    assert sum(len(found) for found in cases.values()) >= 60
    assert all(len(found) >= 10 for found in cases.values()), {
        kind: len(found) for kind, found in cases.items()}


def test_every_case_opens_with_what_it_holds() -> None:
    """Each case's first line is `# case: ...`, and an `# expect:` line follows."""
    for found in _cases().values():
        for case in found:
            main = case / "envspec.toml" if case.is_dir() else case
            lines = main.read_bytes().decode("utf-8", "replace").splitlines()
            assert lines[0].startswith("# case: "), main
            assert any(line.startswith("# expect: ") for line in lines), main
