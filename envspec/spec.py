"""The ``envspec.toml`` spec: typed models, loading and meaning.

``load_spec`` reads a spec with tomlkit, checks every key and value, and
returns a frozen :class:`Spec` that the rest of envspec works from. Every
problem in the file is collected and reported at once, each at its line and
column, as a :class:`~envspec.errors.SpecError` (exit code 2). The checks
live in private modules: ``_spec_validate`` reads the tables, with
``_spec_services`` for the services and ``_spec_requirements`` for the
requirements and requirement files, all over ``_spec_checks``.

``Spec.meaning()`` is the spec reduced to what it means: no comments, no
formatting, lists whose order does not matter sorted, requirement files
replaced by the requirements they hold. Its hash is what the lock records,
so reformatting a spec never makes a lock stale.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envspec import catalog, tomlpos
from envspec.errors import InputError, Problem

SPEC_NAME = "envspec.toml"
DEFAULT_OUTPUT = ".envspec"
DEFAULT_PYTHON_IMAGE = "python:{version}-slim"
PLATFORMS = ("linux/amd64", "linux/arm64")
SUPPORTED_MINORS = range(9, 15)  # Python 3.9 to 3.14


@dataclass(frozen=True)
class Requirement_:
    """One Python requirement and where it was written."""

    text: str  # normalised PEP 508 string
    name: str  # canonical project name
    source: str  # "envspec.toml" or "requirements.txt:3"


@dataclass(frozen=True)
class PythonSpec:
    versions: tuple[str, ...]
    packages: tuple[Requirement_, ...]  # from the spec and requirement files
    requirement_files: tuple[str, ...]
    image: str = DEFAULT_PYTHON_IMAGE
    platforms: tuple[str, ...] = ("linux/amd64",)
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()

    @property
    def app_version(self) -> str:
        return self.versions[0]

    def image_for(self, version: str) -> str:
        return self.image.replace("{version}", version)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: str  # a catalog kind, or catalog.CUSTOM_KIND
    version: str | None
    image: str  # repository:tag, without digest
    ports: tuple[int, ...] = ()  # fixed host ports; empty: a free one
    env: tuple[tuple[str, str], ...] = ()
    healthcheck: str | None = None
    url_var: str | None = None  # None: the catalog's; "": not wired
    command: tuple[str, ...] = ()
    bind: str | None = None

    @property
    def catalog_kind(self) -> catalog.Kind | None:
        return catalog.KINDS.get(self.kind)


@dataclass(frozen=True)
class AppSpec:
    command: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = "/app"
    test: tuple[str, ...] = ("python", "-m", "pytest")
    bind: str | None = None


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    python: PythonSpec
    system_packages: tuple[str, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    app: AppSpec = field(default_factory=AppSpec)
    bind: str = "127.0.0.1"
    ca_bundle: str | None = None
    output: str = DEFAULT_OUTPUT
    devcontainer: bool = False

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    def service(self, name: str) -> ServiceSpec:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    def meaning(self) -> dict[str, Any]:
        """The spec as plain data, independent of formatting and order.

        Unset values are left out, so the meaning survives a trip through
        TOML (which has no null) unchanged.
        """
        return _drop_none(self._meaning())

    def _meaning(self) -> dict[str, Any]:
        py = self.python
        return {
            "project": {"name": self.name, "bind": self.bind},
            "python": {
                "versions": list(py.versions),
                "requirements": sorted({r.text for r in py.packages}),
                "image": py.image,
                "platforms": sorted(py.platforms),
                "index-url": py.index_url,
                "extra-index-urls": list(py.extra_index_urls),
                "find-links": list(py.find_links),
            },
            "system": {"packages": sorted(self.system_packages)},
            "services": {
                s.name: {
                    "kind": s.kind,
                    "version": s.version,
                    "image": s.image,
                    "ports": list(s.ports),
                    "env": dict(s.env),
                    "healthcheck": s.healthcheck,
                    "url-var": s.url_var,
                    "command": list(s.command),
                    "bind": s.bind,
                }
                for s in sorted(self.services, key=lambda s: s.name)
            },
            "app": {
                "command": list(self.app.command),
                "ports": list(self.app.ports),
                "env": dict(self.app.env),
                "workdir": self.app.workdir,
                "test": list(self.app.test),
                "bind": self.app.bind,
            },
            "build": {"ca-bundle": self.ca_bundle},
            "generate": {"dir": self.output, "devcontainer": self.devcontainer},
        }

    def digest(self) -> str:
        return meaning_digest(self.meaning())


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def meaning_digest(meaning: dict[str, Any]) -> str:
    blob = json.dumps(meaning, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def diff_meaning(old: Any, new: Any, path: str = "") -> list[str]:
    """Readable lines saying how two ``Spec.meaning()`` values differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                lines.append(f"{sub}: added {_show(new[key])}")
            elif key not in new:
                lines.append(f"{sub}: removed (was {_show(old[key])})")
            else:
                lines.extend(diff_meaning(old[key], new[key], sub))
        return lines
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and old != new
        and path.endswith(("requirements", "packages"))
    ):
        gone = [x for x in old if x not in new]
        added = [x for x in new if x not in old]
        # The meaning merges python.packages and the requirement files.
        label = _LABELS.get(path, path)
        out = [f"{label}: added {_show(x)}" for x in added]
        out += [f"{label}: removed {_show(x)}" for x in gone]
        return out
    if old != new:
        return [f"{path}: {_show(old)} -> {_show(new)}"]
    return []


_LABELS = {"python.requirements": "python.packages or a requirement file"}


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# --------------------------------------------------------------------------
# Loading and validation


def find_spec(directory: Path) -> Path:
    """The spec file of the project in ``directory``, or an InputError."""
    path = directory / SPEC_NAME
    if not path.is_file():
        raise InputError(
            f"no {SPEC_NAME} in {directory}",
            hint="run `envspec init` to write one, or name the project "
            "folder with `envspec -C DIR ...`",
            title="No spec",
        )
    return path


def load_spec(path: Path) -> Spec:
    """Read, parse and validate a spec file; raise SpecError on any problem."""
    from envspec._spec_validate import Validator

    located = tomlpos.load(path)
    return Validator(located).run()


def parse_spec_text(text: str, path: Path) -> Spec:
    """Validate spec text that is not (yet) on disk, as the TUI's editor does."""
    from envspec._spec_validate import Validator

    return Validator(tomlpos.Located(path, text)).run()


def read_requirement_file(
    name: str, root: Path
) -> tuple[list[Requirement_], list[Problem]]:
    """The requirements of a file as a spec in ``root`` would read them.

    Returns what the file (and its ``-r`` includes) holds, and the problems a
    spec naming it in ``python.requirements`` would report, e.g. an editable
    or a pip option line. ``envspec init`` uses it to decide whether a file
    can be named as it is.
    """
    from envspec._spec_checks import Checker
    from envspec._spec_requirements import read_file

    checker = Checker(tomlpos.Located(root / SPEC_NAME, ""))
    found = read_file(checker, name, None)
    return found, checker.problems


def default_project_name(directory: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", directory.resolve().name.lower()).strip("-_")
    return name or "project"
