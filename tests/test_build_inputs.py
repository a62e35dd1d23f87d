"""Dockerignore matching, build fingerprints and BuildKit progress parsing (no engine)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from envspec.buildkit import RawJsonProgress, build_failure
from envspec.engine import BuildEvent
from envspec.fingerprint import (
    build_fingerprint,
    context_files,
    is_ignored,
    parse_ignore,
)

RULES = """
# comments and blank lines do nothing

.git
**/__pycache__
*.log
.envspec/*
!.envspec/requirements-py3.13.txt
docs/**/draft-?.md
/build/
"""


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".git/config", True),
        ("books/__pycache__/models.cpython-313.pyc", True),
        ("__pycache__/x.pyc", True),
        ("server.log", True),
        ("logs/server.log", False),  # "*.log" matches at the top level only
        (".envspec/.env", True),
        (".envspec/compose.yaml", True),
        (".envspec/requirements-py3.13.txt", False),
        ("docs/a/b/draft-1.md", True),
        ("docs/draft-1.md", True),  # "**/" matches zero folders too
        ("docs/draft-10.md", False),
        ("build/out.whl", True),
        ("books/models.py", False),
    ],
)
def test_dockerignore_patterns_match_like_buildkit(path, ignored):
    """Each path is kept or left out as BuildKit's pattern rules say."""
    assert is_ignored(path, parse_ignore(RULES)) is ignored


def test_a_negated_pattern_lets_a_file_back_into_an_ignored_folder(tmp_path):
    """The walk enters an ignored folder when a later "!" pattern names a file in it."""
    for rel in (
        ".envspec/.env",
        ".envspec/requirements-py3.13.txt",
        "app.py",
        "books/__pycache__/m.pyc",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)

    assert context_files(tmp_path, parse_ignore(RULES)) == [
        ".envspec/requirements-py3.13.txt",
        "app.py",
    ]


def _context(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "app.py").write_text("print('hi')\n")
    out = tmp_path / ".envspec"
    out.mkdir()
    dockerfile = out / "Dockerfile.py3.13"
    dockerfile.write_text("FROM python:3.13-slim\nCOPY . .\n")
    (out / "Dockerfile.py3.13.dockerignore").write_text(".envspec/*\n*.tmp\n")
    return tmp_path, dockerfile


def test_fingerprint_follows_kept_files_dockerfile_and_lock(tmp_path):
    """The fingerprint changes with a kept file, the Dockerfile or the lock only."""
    context, dockerfile = _context(tmp_path)
    base = build_fingerprint(context, dockerfile, "sha256:lock1")
    assert build_fingerprint(context, dockerfile, "sha256:lock1") == base

    (context / "scratch.tmp").write_text("ignored")
    (context / ".envspec" / ".env").write_text("DB_PASSWORD=x\n")
    assert build_fingerprint(context, dockerfile, "sha256:lock1") == base

    assert build_fingerprint(context, dockerfile, "sha256:lock2") != base
    (context / "app.py").write_text("print('changed')\n")
    changed = build_fingerprint(context, dockerfile, "sha256:lock1")
    assert changed != base
    dockerfile.write_text(dockerfile.read_text() + "RUN true\n")
    assert build_fingerprint(context, dockerfile, "sha256:lock1") not in (base, changed)


def test_fingerprint_sees_the_executable_bit(tmp_path):
    """Making a file executable changes the fingerprint, as it changes the image."""
    context, dockerfile = _context(tmp_path)
    before = build_fingerprint(context, dockerfile, "sha256:lock")
    (context / "app.py").chmod(0o755)
    assert build_fingerprint(context, dockerfile, "sha256:lock") != before


def _doc(**parts: object) -> str:
    return json.dumps(parts, indent=2) + "\n"


def _log(vertex: str, text: str) -> dict[str, str]:
    return {
        "vertex": vertex,
        "stream": "1",
        "data": base64.b64encode(text.encode()).decode(),
    }


def test_rawjson_progress_becomes_step_events_and_a_clear_failure():
    """buildx's indented JSON stream yields step events; a failure names its step."""
    step = "[app 2/4] RUN uv pip sync /tmp/requirements.txt"
    stream = (
        _doc(vertexes=[{"digest": "d1", "name": "[internal] load .dockerignore"}])
        + _doc(
            vertexes=[
                {
                    "digest": "d2",
                    "name": step,
                    "started": "2026-01-01T00:00:00.100000001Z",
                }
            ]
        )
        + _doc(logs=[_log("d2", "Resolved 9 packages\nerror: hash mis")])
        + _doc(logs=[_log("d2", "match for django\n")])
        + _doc(
            vertexes=[
                {
                    "digest": "d2",
                    "name": step,
                    "started": "2026-01-01T00:00:00.100000001Z",
                    "completed": "2026-01-01T00:00:02.600000001Z",
                    "error": "process did not complete: exit code: 2",
                }
            ]
        )
        + "ERROR: failed to solve: process did not complete: exit code: 2\n"
    )
    events: list[BuildEvent] = []
    parser = RawJsonProgress(events.append)
    parser.feed_stream(iter(stream.splitlines(keepends=True)))  # type: ignore[arg-type]

    kinds = [(e.kind, e.step, e.text) for e in events if e.kind != "message"]
    assert kinds == [
        ("started", step, ""),
        ("log", step, "Resolved 9 packages"),
        ("log", step, "error: hash mismatch for django"),
        ("failed", step, "process did not complete: exit code: 2"),
    ]
    error = build_failure("bookshelf-app:py3.13", parser, "the socket")
    assert f"at step {step}" in error.message
    assert "error: hash mismatch for django" in error.message
    assert error.exit_code == 1


def test_rawjson_reports_the_seconds_a_step_took():
    """A finished step carries its duration from BuildKit's timestamps."""
    events: list[BuildEvent] = []
    parser = RawJsonProgress(events.append)
    parser.feed_document(
        _doc(
            vertexes=[
                {
                    "digest": "d",
                    "name": "[app 4/4] COPY . .",
                    "started": "2026-01-01T00:00:01Z",
                    "completed": "2026-01-01T00:00:03.250000999Z",
                }
            ]
        )
    )

    assert events == [BuildEvent("done", "[app 4/4] COPY . .", seconds=2.25)]


def test_a_pinned_base_image_the_engine_cannot_fetch_says_how_to_re_pin():
    """A build that fails fetching the lock's pinned base image points at
    `envspec lock`, which re-pins a digest its registry no longer serves."""
    step = (
        "[internal] load metadata for docker.io/library/python:3.13-slim@sha256:"
        + "ab" * 32
    )
    parser = RawJsonProgress(lambda _event: None)
    parser.vertex({"digest": "sha256:1", "name": step, "error": "manifest unknown"})

    error = build_failure("bookshelf-app:py3.13", parser, "the socket")

    assert step in error.message and "manifest unknown" in error.message
    assert "`envspec lock` re-pins it" in error.hint
