"""The bookshelf sample (samples/django-drf), copied for a test.

A plain copy keeps the sample's project name and port. A unique copy gets a
project name and a free host port of its own, so that runs on the real
engine never collide with each other or with a developer's own `envspec
up`; since both are part of the spec, such a copy must be locked again
before it is built. The ``unique_sample`` fixture (conftest.py) makes one
and takes it off the engine after the test.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import NamedTuple

from _faults import free_port

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "django-drf"
# What running the sample may leave in its folder: no copy takes it along.
OUTPUT = (".envspec", "__pycache__", "db.sqlite3")


def copy_sample(dest: Path, *leave_out: str) -> Path:
    """The sample copied to ``dest`` without its output, nor the ``leave_out``
    patterns (such as ``envspec.lock``); returns ``dest``."""
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns(*OUTPUT, *leave_out))
    return dest


class SampleCopy(NamedTuple):
    """A copy of the sample under a project name and a host port of its own."""

    root: Path
    name: str
    port: int


def unique_copy(dest: Path, prefix: str, keep_lock: bool = True) -> SampleCopy:
    """The sample copied to ``dest`` as the project ``PREFIX-XXXXXXXX`` on a
    free port; without ``keep_lock``, with no envspec.lock at all."""
    copy_sample(dest, *(() if keep_lock else ("envspec.lock",)))
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    port = free_port()
    toml = dest / "envspec.toml"
    text = toml.read_text()
    text = text.replace('name = "bookshelf"', f'name = "{name}"')
    text = text.replace("ports = [8000]", f"ports = [{port}]")
    text = text.replace("0.0.0.0:8000", f"0.0.0.0:{port}")
    assert name in text and str(port) in text
    toml.write_text(text)
    return SampleCopy(dest, name, port)
