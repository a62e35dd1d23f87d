"""Test helpers for ``envspec lock``: wheels made on the fly, a local package
index (PEP 503, served from file:// URLs), a fake image registry, and a small
project locked with them.

Nothing here touches PyPI or a Docker Engine.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envspec import cli, images
from envspec.errors import InputError
from envspec.resolve import uv_version

if TYPE_CHECKING:
    import pytest

PURE = "py3-none-any"
# The uv wheel's own tags, so that the installer resolves for both platforms.
UV_TAGS = (
    "py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64",
)


def make_wheel(folder: Path, name: str, version: str, requires: Sequence[str] = (),
               tag: str = PURE, headers: Sequence[str] = ()) -> Path:
    """Write a minimal valid wheel (METADATA, WHEEL, RECORD) and return its path.

    ``headers`` are more METADATA lines, e.g. "Requires-Python: >=3.14".
    """
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"{h}\n" for h in headers)
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    purelib = "true" if tag == PURE else "false"
    files = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: envspec-tests\n"
                               f"Root-Is-Purelib: {purelib}\nTag: {tag}\n").encode(),
    }
    record = [f"{path},sha256={_b64(data)},{len(data)}" for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"])
                                    + "\n").encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
    wheel = folder / f"{module}-{version}-{tag}.whl"
    wheel.write_bytes(buffer.getvalue())
    return wheel


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


class LocalIndex:
    """A PEP 503 simple index in a folder, rebuilt after every added wheel."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.simple = root / "simple"
        self.files.mkdir(parents=True)
        self.wheels: dict[tuple[str, str, str], Path] = {}
        for tag in UV_TAGS:  # the installer every lock pins
            self.add("uv", uv_version(), tag=tag)

    @property
    def url(self) -> str:
        return self.simple.as_uri()

    def add(self, name: str, version: str, requires: Sequence[str] = (),
            tag: str = PURE, headers: Sequence[str] = ()) -> Path:
        wheel = make_wheel(self.files, name, version, requires, tag, headers)
        self.wheels[(name, version, tag)] = wheel
        self._write_pages()
        return wheel

    def wheel(self, name: str, version: str, tag: str = PURE) -> Path:
        return self.wheels[(name, version, tag)]

    def _write_pages(self) -> None:
        projects: dict[str, list[Path]] = {}
        for (name, _, _), wheel in sorted(self.wheels.items()):
            projects.setdefault(name, []).append(wheel)
        for name, wheels in projects.items():
            page = self.simple / name
            page.mkdir(parents=True, exist_ok=True)
            links = "".join(
                f'<a href="{w.as_uri()}#{sha256(w).replace(":", "=")}">{w.name}</a>\n'
                for w in wheels)
            (page / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
        root_links = "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(projects))
        (self.simple / "index.html").write_text(
            f"<html><body>\n{root_links}</body></html>\n")


@dataclass
class FakeRegistry:
    """A Registry whose digests are derived from the reference and a generation.

    Bumping ``generation`` simulates a new image pushed under the same tag.
    """

    pythons: dict[str, str] = field(default_factory=lambda: {
        "3.13": "3.13.5", "3.12": "3.12.8", "3.11": "3.11.2"})
    generation: int = 0
    calls: list[str] = field(default_factory=list)
    fail_on: str | None = None  # a reference whose lookup raises KeyboardInterrupt
    issued: dict[str, str] = field(default_factory=dict)  # digest -> reference
    gone: set[str] = field(default_factory=set)  # digests the registry dropped
    # The platforms every image has a variant for, unless named in ``only``.
    only: dict[str, set[str]] = field(default_factory=dict)  # reference -> platforms
    unknown: set[str] = field(default_factory=set)  # references with no image

    def digest(self, ref: str) -> str:
        self.calls.append(f"digest {ref}")
        if ref == self.fail_on:
            raise KeyboardInterrupt
        if ref in self.unknown:
            raise InputError(f"the image {ref} does not exist in its registry",
                             hint="check the image name and tag",
                             title="Unknown image")
        seed = f"{ref}#{self.generation}".encode()
        digest = "sha256:" + hashlib.sha256(seed).hexdigest()
        self.issued[digest] = ref
        return digest

    def has(self, ref: str, digest: str) -> bool:
        self.calls.append(f"has {ref}@{digest}")
        return self.issued.get(digest) == ref and digest not in self.gone

    def platforms(self, ref: str, digest: str) -> set[str]:
        self.calls.append(f"platforms {ref}@{digest}")
        return self.only.get(ref, {"linux/amd64", "linux/arm64"})

    def python_version(self, ref: str) -> str:
        self.calls.append(f"python {ref}")
        repository, digest = ref.split("@")
        tagged = self.issued[digest]
        assert tagged.startswith(repository + ":"), (ref, tagged)
        match = re.search(r":(3\.\d+)", tagged)
        assert match, tagged
        return self.pythons[match.group(1)]


def write_spec(project: Path, index: LocalIndex, packages: Sequence[str],
               versions: Sequence[str] = ("3.13",),
               platforms: Sequence[str] = ("linux/amd64",),
               services: str = "", extra: str = "") -> Path:
    """Write an envspec.toml that resolves against the local index only."""
    project.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f'"{p}"' for p in packages)
    text = textwrap.dedent(f"""\
        [project]
        name = "demo"

        [python]
        versions = [{", ".join(f'"{v}"' for v in versions)}]
        packages = [{listed}]
        platforms = [{", ".join(f'"{p}"' for p in platforms)}]
        index-url = "{index.url}"
        {extra}
        """) + services
    path = project / "envspec.toml"
    path.write_text(text)
    return path


def lock_alpha(project: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch,
               versions: Sequence[str] = ("3.13",)) -> LocalIndex:
    """Write a spec of alpha 1.0 in ``project`` and lock it with ``envspec
    lock``, against a local index and uv cache in ``scratch`` and with image
    digests from a FakeRegistry; returns the index."""
    monkeypatch.setenv("UV_CACHE_DIR", str(scratch / "uv-cache"))
    monkeypatch.setattr(images, "DockerRegistry", FakeRegistry)
    index = LocalIndex(scratch / "index")
    index.add("alpha", "1.0")
    write_spec(project, index, ["alpha"], versions=versions)
    assert cli.main(["-C", str(project), "lock"]) == 0
    return index


def move_lock_on(path: Path) -> None:
    """Rewrite the lock at ``path`` as a later lock of the same spec would be
    (its app interpreter's patch version moved on), pins-hash and all, so
    that it stays fresh and every generated file changes."""
    from dataclasses import replace

    from envspec.lockfile import read_lock

    lock = read_lock(path)
    first, *rest = lock.interpreters
    major, minor, patch = first.python.split(".")
    moved = replace(first, python=f"{major}.{minor}.{int(patch) + 1}")
    path.write_text(replace(lock, interpreters=(moved, *rest), _text=None).dumps())
