"""The ``envspec.toml`` spec: typed models and their strict validation.

``load_spec`` reads a spec with tomlkit, checks every key and value, and
returns a frozen :class:`Spec` that the rest of envspec works from. Every
problem in the file is collected and reported at once, each at its line and
column, as a :class:`~envspec.errors.SpecError` (exit code 2).

``Spec.meaning()`` is the spec reduced to what it means: no comments, no
formatting, lists whose order does not matter sorted, requirement files
replaced by the requirements they hold. Its hash is what the lock records,
so reformatting a spec never makes a lock stale.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envspec import catalog, tomlpos
from envspec.errors import InputError, Problem, SpecError

SPEC_NAME = "envspec.toml"
DEFAULT_OUTPUT = ".envspec"
DEFAULT_PYTHON_IMAGE = "python:{version}-slim"
PLATFORMS = ("linux/amd64", "linux/arm64")
SUPPORTED_MINORS = range(9, 15)  # Python 3.9 to 3.14

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SERVICE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEB_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_RE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"  # registry host
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"  # path
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"  # tag
    r"(?:@sha256:[0-9a-f]{64})?$"
)
_PYTHON_VERSION_RE = re.compile(r"^3\.(\d+)$")


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
        out = [f"{path}: added {_show(x)}" for x in added]
        out += [f"{path}: removed {_show(x)}" for x in gone]
        return out
    if old != new:
        return [f"{path}: {_show(old)} -> {_show(new)}"]
    return []


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
    located = tomlpos.load(path)
    return _Validator(located).run()


def parse_spec_text(text: str, path: Path) -> Spec:
    """Validate spec text that is not (yet) on disk, as the TUI's editor does."""
    return _Validator(tomlpos.Located(path, text)).run()


def read_requirement_file(
    name: str, root: Path
) -> tuple[list[Requirement_], list[Problem]]:
    """The requirements of a file as a spec in ``root`` would read them.

    Returns what the file (and its ``-r`` includes) holds, and the problems a
    spec naming it in ``python.requirements`` would report, e.g. an editable
    or a pip option line. ``envspec init`` uses it to decide whether a file
    can be named as it is.
    """
    checker = _Validator(tomlpos.Located(root / SPEC_NAME, ""))
    found = checker.requirement_file(name, None)
    return found, checker.problems


def default_project_name(directory: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", directory.resolve().name.lower()).strip("-_")
    return name or "project"


# The keys each table accepts; the value names the checker used for it.
_SCHEMA: dict[str, dict[str, str]] = {
    "": {
        "project": "table",
        "python": "table",
        "system": "table",
        "services": "table",
        "app": "table",
        "build": "table",
        "generate": "table",
    },
    "project": {"name": "str", "bind": "str"},
    "python": {
        "versions": "list",
        "packages": "list",
        "requirements": "list",
        "image": "str",
        "platforms": "list",
        "index-url": "str",
        "extra-index-urls": "list",
        "find-links": "list",
    },
    "system": {"packages": "list"},
    "service": {
        "kind": "str",
        "version": "str",
        "image": "str",
        "ports": "list",
        "env": "table",
        "healthcheck": "str",
        "url-var": "str",
        "command": "str|list",
        "bind": "str",
    },
    "app": {
        "command": "str|list",
        "ports": "list",
        "env": "table",
        "workdir": "str",
        "test": "str|list",
        "bind": "str",
    },
    "build": {"ca-bundle": "str"},
    "generate": {"dir": "str", "devcontainer": "bool"},
}

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    float: "a number",
    list: "an array",
    dict: "a table",
}


def _type_name(value: Any) -> str:
    for typ, name in _TYPE_NAMES.items():
        if type(value) is typ or (
            typ is not bool and isinstance(value, typ) and not isinstance(value, bool)
        ):
            return name
    return type(value).__name__


class _Validator:
    def __init__(self, located: tomlpos.Located) -> None:
        self.loc = located
        self.path = located.path
        self.problems: list[Problem] = []

    # -- reporting

    def add(self, message: str, *items: object, hint: str | None = None) -> None:
        self.problems.append(self.loc.problem(message, *items, hint=hint))

    def add_at(
        self,
        line: int,
        col: int,
        message: str,
        hint: str | None = None,
        file: Path | None = None,
    ) -> None:
        self.problems.append(Problem(file or self.path, line, col, message, hint))

    # -- generic checks

    def table(
        self, container: Any, where: str, schema: str, anchor: object
    ) -> dict[str, tuple[Any, Any]]:
        """Check a table's keys; return {key: (key object, item)}."""
        allowed = _SCHEMA[schema]
        seen: dict[str, tuple[Any, Any]] = {}
        for key, item in _entries(container):
            name = key.key
            if name not in allowed:
                close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
                label = f"[{where}]" if where else "the top level"
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"{label} accepts: {', '.join(sorted(allowed))}"
                )
                self.add(f"unknown key `{name}` in {label}", key, item, hint=hint)
                continue
            if name in seen:  # tomlkit rejects most duplicates; keep the first
                continue
            seen[name] = (key, item)
        return seen

    def typed(self, entry: tuple[Any, Any], want: str, where: str) -> Any:
        """The plain value of an entry if it has the wanted type, else None."""
        key, item = entry
        value = item.unwrap() if hasattr(item, "unwrap") else item
        ok = {
            "str": isinstance(value, str),
            "list": isinstance(value, list),
            "table": isinstance(value, dict),
            "bool": isinstance(value, bool),
            "str|list": isinstance(value, str | list),
        }[want]
        if not ok:
            expected = {
                "str": "a string",
                "list": "an array",
                "table": "a table",
                "bool": "true or false",
                "str|list": "a string or an array of strings",
            }[want]
            self.add(
                f"`{where}` must be {expected}, not {_type_name(value)}",
                item,
                key,
                hint=_type_hint(where, want, value),
            )
            return None
        return value

    def strings(self, entry: tuple[Any, Any], where: str) -> list[tuple[str, Any]]:
        """The string elements of an array entry with their items."""
        item = entry[1]
        out: list[tuple[str, Any]] = []
        for element in item:
            plain = element.unwrap() if hasattr(element, "unwrap") else element
            if not isinstance(plain, str):
                self.add(
                    f"`{where}` must hold strings, found {_type_name(plain)}",
                    element,
                    item,
                    hint=f'quote it: "{plain}"',
                )
                continue
            out.append((plain, element))
        return out

    # -- the spec

    def run(self) -> Spec:
        doc = self.loc.doc
        top = self.table(doc, "", "", doc)

        sections: dict[str, dict[str, tuple[Any, Any]]] = {}
        for name in ("project", "python", "system", "app", "build", "generate"):
            if name in top:
                key, item = top[name]
                if self.typed(top[name], "table", name) is not None:
                    sections[name] = self.table(item, name, name, key)
            else:
                sections[name] = {}

        if "python" not in top:
            self.add_at(
                1,
                1,
                "the spec has no [python] table",
                hint='add [python] with versions = ["3.13"]',
            )

        name = self.project_name(sections.get("project", {}))
        bind = self.bind(sections.get("project", {}), "project.bind") or "127.0.0.1"
        python = self.python(sections.get("python", {}), top.get("python"))
        system = self.system(sections.get("system", {}))
        services = self.services(top.get("services"))
        app = self.app(sections.get("app", {}))
        ca_bundle = self.ca_bundle(sections.get("build", {}))
        output, devcontainer = self.generate(sections.get("generate", {}))
        self.ports(app, services)
        self.clashes(services)

        if self.problems:
            raise SpecError(self.problems)
        assert python is not None
        return Spec(
            path=self.path,
            name=name,
            python=python,
            system_packages=system,
            services=services,
            app=app,
            bind=bind,
            ca_bundle=ca_bundle,
            output=output,
            devcontainer=devcontainer,
        )

    def project_name(self, section: dict[str, tuple[Any, Any]]) -> str:
        if "name" not in section:
            return default_project_name(self.path.parent)
        value = self.typed(section["name"], "str", "project.name")
        if value is None:
            return "project"
        if not _NAME_RE.match(value):
            self.add(
                f"project name {value!r} cannot name a compose project",
                section["name"][1],
                hint="use lowercase letters, digits, '-' and '_', starting "
                f"with a letter or digit, e.g. {default_project_name(Path(value or 'x'))!r}",
            )
        return value

    def bind(self, section: dict[str, tuple[Any, Any]], where: str) -> str | None:
        key = where.rsplit(".", 1)[-1]
        if key not in section:
            return None
        value = self.typed(section[key], "str", where)
        if value is None:
            return None
        if not re.match(r"^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-fA-F:]+\]?)$", value):
            self.add(
                f"`{where}` must be an IP address, not {value!r}",
                section[key][1],
                hint='"127.0.0.1" keeps ports private; "0.0.0.0" opens them '
                "to the network",
            )
        return value

    def python(
        self, section: dict[str, tuple[Any, Any]], anchor: Any
    ) -> PythonSpec | None:
        versions: list[str] = []
        if "versions" not in section:
            if anchor is not None:
                self.add(
                    "[python] needs `versions`",
                    anchor[0],
                    hint='add versions = ["3.13"]; the first is the app\'s',
                )
        elif self.typed(section["versions"], "list", "python.versions") is not None:
            items = self.strings(section["versions"], "python.versions")
            if not items and not self.problems:
                self.add(
                    "`python.versions` is empty",
                    section["versions"][1],
                    hint='name at least one, e.g. ["3.13"]',
                )
            for value, item in items:
                m = _PYTHON_VERSION_RE.match(value)
                if not m:
                    self.add(
                        f"{value!r} is not a Python version of the form 3.N",
                        item,
                        hint='write major.minor, e.g. "3.13"; the lock '
                        "pins the patch version",
                    )
                elif int(m.group(1)) not in SUPPORTED_MINORS:
                    self.add(
                        f"Python {value} is not supported", item, hint="use 3.9 to 3.14"
                    )
                elif value in versions:
                    self.add(
                        f"Python {value} is listed twice",
                        item,
                        hint="remove the second one",
                    )
                else:
                    versions.append(value)

        requirements: list[Requirement_] = []
        if (
            "packages" in section
            and self.typed(section["packages"], "list", "python.packages") is not None
        ):
            for value, item in self.strings(section["packages"], "python.packages"):
                line = self.loc.position(item)[0]
                req = self.requirement(value, item, f"{self.path.name}:{line}")
                if req:
                    requirements.append(req)

        files: list[str] = []
        if (
            "requirements" in section
            and self.typed(section["requirements"], "list", "python.requirements")
            is not None
        ):
            for value, item in self.strings(
                section["requirements"], "python.requirements"
            ):
                files.append(value)
                requirements.extend(self.requirement_file(value, item))
        self.duplicates(requirements)

        image = DEFAULT_PYTHON_IMAGE
        if "image" in section:
            value = self.typed(section["image"], "str", "python.image")
            if value is not None:
                # The reference must be valid once {version} is filled in.
                filled = value.replace("{version}", "3.13")
                if "{version}" not in value or not _IMAGE_RE.match(filled):
                    self.add(
                        f"python.image {value!r} is not an image reference "
                        "with {version} in it",
                        section["image"][1],
                        hint=f'e.g. "{DEFAULT_PYTHON_IMAGE}" or '
                        '"python:{version}-slim-bookworm"',
                    )
                else:
                    image = value

        platforms: list[str] = []
        if (
            "platforms" in section
            and self.typed(section["platforms"], "list", "python.platforms") is not None
        ):
            for value, item in self.strings(section["platforms"], "python.platforms"):
                if value not in PLATFORMS:
                    close = difflib.get_close_matches(value, PLATFORMS, n=1)
                    self.add(
                        f"unknown platform {value!r}",
                        item,
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else f"use one of {', '.join(PLATFORMS)}",
                    )
                elif value not in platforms:
                    platforms.append(value)

        index_url = None
        if "index-url" in section:
            index_url = self.url(section["index-url"], "python.index-url")
        extra = tuple(
            self.url_list(section.get("extra-index-urls"), "python.extra-index-urls")
        )
        links = tuple(
            self.url_list(section.get("find-links"), "python.find-links", paths=True)
        )

        if not versions:
            return None
        return PythonSpec(
            versions=tuple(versions),
            packages=tuple(requirements),
            requirement_files=tuple(files),
            image=image,
            platforms=tuple(platforms) or ("linux/amd64",),
            index_url=index_url,
            extra_index_urls=extra,
            find_links=links,
        )

    def url(
        self, entry: tuple[Any, Any], where: str, paths: bool = False
    ) -> str | None:
        value = self.typed(entry, "str", where)
        if value is None:
            return None
        if not re.match(r"^(https?|file)://\S+$", value) and not paths:
            self.add(
                f"`{where}` must be an http(s) or file URL, not {value!r}",
                entry[1],
                hint='e.g. "https://pypi.org/simple"',
            )
            return None
        if _has_credentials(value):
            self.add(
                f"`{where}` holds a user name or password",
                entry[1],
                hint=_CREDENTIALS_HINT,
            )
            return None
        return value

    def url_list(
        self, entry: tuple[Any, Any] | None, where: str, paths: bool = False
    ) -> list[str]:
        if entry is None or self.typed(entry, "list", where) is None:
            return []
        out = []
        for value, item in self.strings(entry, where):
            if not paths and not re.match(r"^(https?|file)://\S+$", value):
                self.add(
                    f"`{where}` must hold http(s) or file URLs, not {value!r}",
                    item,
                    hint='e.g. "https://pypi.example/simple"',
                )
            elif _has_credentials(value):
                self.add(
                    f"`{where}` holds a URL with a user name or password",
                    item,
                    hint=_CREDENTIALS_HINT,
                )
            else:
                out.append(value)
        return out

    def requirement(
        self, text: str, item: object, source: str, at: tuple[Path, int] | None = None
    ) -> Requirement_ | None:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            detail = str(exc).splitlines()[0]
            hint = 'write it as PEP 508, e.g. "django>=5.1,<6" or "psycopg[binary]"'
            if at:
                self.add_at(
                    at[1],
                    1,
                    f"invalid requirement {text!r}: {detail}",
                    hint=hint,
                    file=at[0],
                )
            else:
                self.add(f"invalid requirement {text!r}: {detail}", item, hint=hint)
            return None
        refused = _refused_requirement(req)
        if refused:
            message, refusal_hint = refused
            if at:
                self.add_at(at[1], 1, message, hint=refusal_hint, file=at[0])
            else:
                self.add(message, item, hint=refusal_hint)
            return None
        return Requirement_(str(req), canonicalize_name(req.name), source)

    def requirement_file(
        self, name: str, item: object, seen: frozenset[Path] = frozenset()
    ) -> list[Requirement_]:
        path = (self.path.parent / name).resolve()
        display = _relative(path, self.path.parent)
        if path in seen:
            return []
        if not path.is_file():
            self.add(
                f"requirement file {name!r} does not exist",
                item,
                hint=f"create {display} or remove it from python.requirements",
            )
            return []
        try:
            lines = self.requirement_text(path)
        except OSError as exc:
            self.add(
                f"cannot read requirement file {name!r}: {exc.strerror or exc}",
                item,
                hint=f"make {display} a readable file",
            )
            return []
        if lines is None:
            return []
        return self.requirement_lines(path, display, lines, seen | {path})

    def requirement_text(self, path: Path) -> list[str] | None:
        """The lines of a requirement file; None (and a problem) if not UTF-8."""
        raw = path.read_bytes()
        try:
            # utf-8-sig: pip reads a file that starts with a byte-order mark.
            return raw.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError as exc:
            self.add_at(
                raw.count(b"\n", 0, exc.start) + 1,
                1,
                f"the requirement file is not UTF-8 text (byte {raw[exc.start]:#04x})",
                hint="save it as UTF-8",
                file=path,
            )
            return None

    def requirement_lines(
        self, path: Path, display: str, lines: list[str], seen: frozenset[Path]
    ) -> list[Requirement_]:
        out: list[Requirement_] = []
        logical: list[tuple[int, str]] = []
        buffer, start = "", 0
        for number, raw in enumerate(lines, 1):
            line = (
                raw if raw.lstrip().startswith("#") else re.sub(r"(^|\s)#.*$", "", raw)
            )
            if not buffer:
                start = number
            if line.endswith("\\"):
                buffer += line[:-1] + " "
                continue
            buffer += line
            if buffer.strip():
                logical.append((start, buffer.strip()))
            buffer = ""
        if buffer.strip():
            logical.append((start, buffer.strip()))

        for number, line in logical:
            where = (path, number)
            if line.startswith("#"):
                continue
            words = line.split()
            head = words[0]
            if head in ("-r", "--requirement", "-c", "--constraint") or head.startswith(
                ("-r", "--requirement=", "-c", "--constraint=")
            ):
                target = _option_value(words)
                if head.startswith(("-c", "--constraint")):
                    self.add_at(
                        number,
                        1,
                        f"constraint files ({line!r}) are not supported",
                        hint="list the pins you need in "
                        "python.packages, or drop the line; the lock pins "
                        "every version",
                        file=path,
                    )
                    continue
                if not target:
                    self.add_at(
                        number,
                        1,
                        f"{head} names no file to include",
                        hint=f"write `-r other.txt`, relative to {display}",
                        file=path,
                    )
                    continue
                included = (path.parent / target).resolve()
                if not included.is_file():
                    self.add_at(
                        number,
                        1,
                        f"included file {target!r} does not exist",
                        hint=f"fix the path, relative to {display}",
                        file=path,
                    )
                    continue
                if included in seen:
                    continue
                try:
                    text = self.requirement_text(included)
                except OSError as exc:
                    self.add_at(
                        number,
                        1,
                        f"cannot read included file {target!r}: {exc.strerror or exc}",
                        hint="make it a readable file",
                        file=path,
                    )
                    continue
                if text is None:
                    continue
                out.extend(
                    self.requirement_lines(
                        included,
                        _relative(included, self.path.parent),
                        text,
                        seen | {included},
                    )
                )
                continue
            if head in ("-e", "--editable") or head.startswith("--editable="):
                self.add_at(
                    number,
                    1,
                    f"editable requirement {line!r} cannot be locked into an image",
                    hint="the app's own source is "
                    "copied into the image; list published packages only",
                    file=path,
                )
                continue
            if head.startswith("-"):
                self.add_at(
                    number,
                    1,
                    f"pip option {head!r} is not supported in a requirement file here",
                    hint="set indexes with "
                    "python.index-url, python.extra-index-urls or "
                    "python.find-links in envspec.toml",
                    file=path,
                )
                continue
            # Drop per-requirement options such as --hash: the lock makes its own.
            requirement = re.split(r"\s+--\S", " " + line, maxsplit=1)[0].strip()
            # A bare URL, VCS link (git+https://...) or path names no project.
            bare = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", requirement)
            if bare or requirement.startswith(("./", "../", "/")):
                self.add_at(
                    number,
                    1,
                    f"{requirement!r} has no package name",
                    hint="write it as `name @ URL`",
                    file=path,
                )
                continue
            req = self.requirement(requirement, None, f"{display}:{number}", where)
            if req:
                out.append(req)
        return out

    def duplicates(self, requirements: list[Requirement_]) -> None:
        seen: dict[tuple[str, str], Requirement_] = {}
        for req in requirements:
            marker = str(Requirement(req.text).marker or "")
            key = (req.name, marker)
            if key in seen:
                first = seen[key]
                file, line = _source_position(req.source, self.path)
                self.add_at(
                    line,
                    1,
                    f"package {req.name!r} is listed twice (also at {first.source})",
                    hint="merge the two into one requirement",
                    file=file,
                )
            else:
                seen[key] = req

    def system(self, section: dict[str, tuple[Any, Any]]) -> tuple[str, ...]:
        if (
            "packages" not in section
            or self.typed(section["packages"], "list", "system.packages") is None
        ):
            return ()
        out: list[str] = []
        for value, item in self.strings(section["packages"], "system.packages"):
            if not _DEB_RE.match(value):
                self.add(
                    f"{value!r} is not a Debian package name",
                    item,
                    hint="lowercase letters, digits and + - . only, "
                    'optionally =version, e.g. "libpq5"',
                )
            elif value in out:
                self.add(
                    f"system package {value!r} is listed twice",
                    item,
                    hint="remove the second one",
                )
            else:
                out.append(value)
        return tuple(out)

    def services(self, entry: tuple[Any, Any] | None) -> tuple[ServiceSpec, ...]:
        if entry is None or self.typed(entry, "table", "services") is None:
            return ()
        out: list[ServiceSpec] = []
        for key, item in _entries(entry[1]):
            name = key.key
            at = self._service_line(name, key)
            if not isinstance(item.unwrap() if hasattr(item, "unwrap") else item, dict):
                self.add(
                    f"`services.{name}` must be a table",
                    item,
                    key,
                    hint=f'write [services.{name}] with kind = "postgres"',
                )
                continue
            if not _SERVICE_RE.match(name):
                self.add_at(
                    *at,
                    f"service name {name!r} is not allowed",
                    hint="use lowercase letters, digits, '-' and '_', starting "
                    "with a letter (at most 63 characters)",
                )
                continue
            if name == "app":
                self.add_at(
                    *at,
                    "a service cannot be called `app`: that is the app's own",
                    hint="rename it, e.g. [services.db]",
                )
                continue
            svc = self.service(name, item, at)
            if svc:
                out.append(svc)
        return tuple(out)

    def service(self, name: str, table: Any, at: tuple[int, int]) -> ServiceSpec | None:
        where = f"services.{name}"
        fields = self.table(table, where, "service", table)
        get = fields.get

        image = None
        if "image" in fields:
            image = self.typed(fields["image"], "str", f"{where}.image")
            if image is not None and not _IMAGE_RE.match(image):
                self.add(
                    f"{image!r} is not an image reference",
                    fields["image"][1],
                    hint='e.g. "minio/minio:latest" or "nginx:1.27"',
                )
                image = None

        kind = (
            catalog.CUSTOM_KIND if "image" in fields and "kind" not in fields else None
        )
        if "kind" in fields:
            kind = self.typed(fields["kind"], "str", f"{where}.kind")
            if (
                kind is not None
                and kind not in catalog.KINDS
                and kind != catalog.CUSTOM_KIND
            ):
                close = difflib.get_close_matches(kind, catalog.kind_names(), n=1)
                self.add(
                    f"unknown service kind {kind!r}",
                    fields["kind"][1],
                    hint=(f"did you mean {close[0]!r}? " if close else "")
                    + f"known kinds: {', '.join(catalog.kind_names())}",
                )
                kind = None
        elif kind is None:
            self.add_at(
                *at,
                f"[{where}] needs `kind` (or `image`)",
                hint=f"known kinds: {', '.join(catalog.kind_names())}",
            )

        version = None
        if "version" in fields:
            item = fields["version"][1]
            raw = item.unwrap() if hasattr(item, "unwrap") else item
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                self.add(
                    f"`{where}.version` must be a string, not a number",
                    item,
                    hint=f'quote it: version = "{raw}"',
                )
            else:
                version = self.typed(fields["version"], "str", f"{where}.version")
                if version is not None and not _TAG_RE.match(version):
                    self.add(
                        f"{version!r} cannot be an image tag",
                        item,
                        hint="use letters, digits, '.', '-' and '_'",
                    )
                    version = None

        if kind == catalog.CUSTOM_KIND and image is None and "image" not in fields:
            self.add_at(
                *at,
                f'[{where}] with kind = "image" needs `image`',
                hint='e.g. image = "minio/minio:RELEASE.2024-01-01T00-00-00Z"',
            )

        healthcheck = None
        if "healthcheck" in fields:
            healthcheck = self.typed(
                fields["healthcheck"], "str", f"{where}.healthcheck"
            )
            if healthcheck is not None and not healthcheck.strip():
                self.add(
                    f"`{where}.healthcheck` is empty",
                    fields["healthcheck"][1],
                    hint="a command that exits 0 when the service is ready, "
                    'e.g. "curl -fsS http://127.0.0.1:9000/"',
                )
                healthcheck = None
        elif kind == catalog.CUSTOM_KIND:
            self.add_at(
                *at,
                f"[{where}] runs its own image and needs `healthcheck`",
                hint="a command that exits 0 when ready, e.g. "
                'healthcheck = "curl -fsS http://127.0.0.1:9000/"',
            )

        url_var = None
        if "url-var" in fields:
            url_var = self.typed(fields["url-var"], "str", f"{where}.url-var")
            if url_var and not _ENV_RE.match(url_var):
                self.add(
                    f"{url_var!r} is not an environment variable name",
                    fields["url-var"][1],
                    hint='e.g. "DATABASE_URL"; "" to not wire it',
                )

        ports = self.port_list(get("ports"), f"{where}.ports")
        env = self.env(get("env"), f"{where}.env")
        command = self.command(get("command"), f"{where}.command")
        bind = self.bind(fields, f"{where}.bind")

        if kind is None or (kind == catalog.CUSTOM_KIND and image is None):
            return None
        kind_info = catalog.KINDS.get(kind)
        if image is None:
            assert kind_info is not None
            image = f"{kind_info.image}:{version or kind_info.default_version}"
        elif version and ":" not in image.rsplit("/", 1)[-1]:
            image = f"{image}:{version}"
        return ServiceSpec(
            name=name,
            kind=kind,
            version=version,
            image=image,
            ports=ports,
            env=env,
            healthcheck=healthcheck,
            url_var=url_var,
            command=command,
            bind=bind,
        )

    def port_list(self, entry: tuple[Any, Any] | None, where: str) -> tuple[int, ...]:
        if entry is None or self.typed(entry, "list", where) is None:
            return ()
        out: list[int] = []
        for element in entry[1]:
            value = element.unwrap() if hasattr(element, "unwrap") else element
            if isinstance(value, bool) or not isinstance(value, int):
                self.add(
                    f"`{where}` must hold port numbers, found {_type_name(value)}",
                    element,
                    hint="e.g. ports = [8000]",
                )
            elif not 1 <= value <= 65535:
                self.add(
                    f"port {value} is out of range",
                    element,
                    hint="use a port from 1 to 65535",
                )
            elif value in out:
                self.add(
                    f"port {value} is listed twice",
                    element,
                    hint="remove the second one",
                )
            else:
                out.append(value)
        return tuple(out)

    def env(
        self, entry: tuple[Any, Any] | None, where: str
    ) -> tuple[tuple[str, str], ...]:
        if entry is None or self.typed(entry, "table", where) is None:
            return ()
        out: dict[str, str] = {}
        for key, item in _entries(entry[1]):
            value = item.unwrap() if hasattr(item, "unwrap") else item
            if not _ENV_RE.match(key.key):
                self.add(
                    f"{key.key!r} is not an environment variable name",
                    key,
                    item,
                    hint="use letters, digits and '_', not starting with a digit",
                )
                continue
            if isinstance(value, bool):
                out[key.key] = "true" if value else "false"
            elif isinstance(value, int | float | str):
                if isinstance(value, str) and "\x00" in value:
                    self.add(
                        f"`{where}.{key.key}` holds a NUL character",
                        item,
                        hint="no environment can carry a NUL; remove the \\u0000",
                    )
                    continue
                out[key.key] = str(value)
            else:
                self.add(
                    f"`{where}.{key.key}` must be a string, number or boolean, "
                    f"not {_type_name(value)}",
                    item,
                    hint="environment values are text",
                )
        return tuple(sorted(out.items()))

    def command(self, entry: tuple[Any, Any] | None, where: str) -> tuple[str, ...]:
        if entry is None:
            return ()
        value = self.typed(entry, "str|list", where)
        if value is None:
            return ()
        if isinstance(value, str):
            try:
                words = shlex.split(value)
            except ValueError as exc:
                self.add(
                    f"`{where}` cannot be split into words: {exc}",
                    entry[1],
                    hint="close the quote, or give the command as an array",
                )
                return ()
            if not words:
                self.add(f"`{where}` is empty", entry[1], hint="name a command")
            return tuple(words)
        words = [w for w, _ in self.strings(entry, where)]
        if not words:
            self.add(f"`{where}` is empty", entry[1], hint="name a command")
        return tuple(words)

    def app(self, section: dict[str, tuple[Any, Any]]) -> AppSpec:
        command = self.command(section.get("command"), "app.command")
        test = self.command(section.get("test"), "app.test") or AppSpec.test
        ports = self.port_list(section.get("ports"), "app.ports")
        env = self.env(section.get("env"), "app.env")
        workdir = "/app"
        if "workdir" in section:
            value = self.typed(section["workdir"], "str", "app.workdir")
            if value is not None:
                if not re.match(r"^/[A-Za-z0-9._/-]*$", value):
                    self.add(
                        f"app.workdir {value!r} must be an absolute path of "
                        "plain characters",
                        section["workdir"][1],
                        hint='e.g. "/app"',
                    )
                else:
                    workdir = value
        bind = self.bind(section, "app.bind")
        return AppSpec(
            command=command, ports=ports, env=env, workdir=workdir, test=test, bind=bind
        )

    def ca_bundle(self, section: dict[str, tuple[Any, Any]]) -> str | None:
        if "ca-bundle" not in section:
            return None
        value = self.typed(section["ca-bundle"], "str", "build.ca-bundle")
        if value is not None:
            path = Path(value).expanduser()
            path = path if path.is_absolute() else self.path.parent / path
            if not path.is_file():
                self.add(
                    f"CA bundle {value!r} does not exist",
                    section["ca-bundle"][1],
                    hint="name a PEM file, or remove the key to use "
                    "SSL_CERT_FILE from the environment",
                )
        return value

    def generate(self, section: dict[str, tuple[Any, Any]]) -> tuple[str, bool]:
        output = DEFAULT_OUTPUT
        if "dir" in section:
            value = self.typed(section["dir"], "str", "generate.dir")
            if value is not None:
                if (
                    value.startswith("/")
                    or ".." in Path(value).parts
                    or not re.match(r"^[A-Za-z0-9._/-]+$", value)
                    or value in (".", "./")
                ):
                    self.add(
                        f"generate.dir {value!r} must be a folder inside the project",
                        section["dir"][1],
                        hint='e.g. ".envspec"',
                    )
                else:
                    output = value.rstrip("/")
        devcontainer = False
        if "devcontainer" in section:
            devcontainer = bool(
                self.typed(section["devcontainer"], "bool", "generate.devcontainer")
            )
        return output, devcontainer

    def ports(self, app: AppSpec, services: tuple[ServiceSpec, ...]) -> None:
        owners: dict[int, str] = {p: "app" for p in app.ports}
        for svc in services:
            for port in svc.ports:
                if port in owners:
                    self.add_at(
                        *self._service_line(svc.name),
                        f"host port {port} of service {svc.name!r} is also "
                        f"published by {owners[port]!r}",
                        hint="give each published port once",
                    )
                owners.setdefault(port, svc.name)

    def clashes(self, services: tuple[ServiceSpec, ...]) -> None:
        """Services whose generated variables would be the same one.

        A service's password variable comes from its name with '-' turned
        into '_' (``db-1`` and ``db_1`` both give ``DB_1_PASSWORD``), and two
        services of one kind would both set the kind's URL variable.
        """
        names: dict[str, str] = {}
        wired: dict[str, str] = {}
        for svc in services:
            key = svc.name.replace("-", "_")
            if key in names:
                self.add_at(
                    *self._service_line(svc.name),
                    f"services {names[key]!r} and {svc.name!r} differ only in "
                    f"'-' and '_', so their variables (such as "
                    f"{key.upper()}_PASSWORD) would be the same",
                    hint=f"rename one of them, e.g. [services.{svc.name}2]",
                )
            names.setdefault(key, svc.name)

            kind = svc.catalog_kind
            var = svc.url_var if svc.url_var is not None else kind and kind.url_var
            if not var:
                continue
            if var in wired:
                self.add_at(
                    *self._service_line(svc.name),
                    f"services {wired[var]!r} and {svc.name!r} would both set "
                    f"{var} in the app",
                    hint=f'give this one its own, e.g. url-var = "{key.upper()}_URL",'
                    ' or url-var = "" to not wire it',
                )
            wired.setdefault(var, svc.name)

    def _service_line(self, name: str, *items: object) -> tuple[int, int]:
        """Where [services.NAME] starts (its header, or its first key)."""
        quoted = re.escape(name)
        pattern = rf'^[ \t]*\[[ \t]*services[ \t]*\.[ \t]*("?){quoted}\1[ \t]*\]'
        match = re.search(pattern, self.loc.text, re.M)
        if match:
            return self.loc.line_col(
                match.start() + len(match.group(0)) - len(match.group(0).lstrip())
            )
        return self.loc.position(*items)


class _Parts:
    """One table that the file writes in several places.

    TOML lets a table's sub-tables be defined apart from each other, with
    other tables between them (``[services.db]``, ``[app]``,
    ``[services.cache]``); tomlkit then gives the table once per place.
    This puts the places back together so that no part is overlooked.
    """

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    @property
    def body(self) -> list[tuple[Any, Any]]:
        return [pair for item in self.items for pair in _entries(item)]

    def unwrap(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for item in self.items:
            _deep_merge(merged, item.unwrap())
        return merged


def _deep_merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _entries(container: Any) -> list[tuple[Any, Any]]:
    """A table's (key, item) pairs in file order, a table written in several
    places given once, as :class:`_Parts`."""
    pairs = (
        container.body if isinstance(container, _Parts) else tomlpos.entries(container)
    )
    grouped: dict[str, list[tuple[Any, Any]]] = {}
    for key, item in pairs:
        grouped.setdefault(key.key, []).append((key, item))
    out = []
    for found in grouped.values():
        key, item = found[0]
        tables = [
            i
            for _, i in found
            if isinstance(i.unwrap() if hasattr(i, "unwrap") else i, dict)
        ]
        if len(found) > 1 and len(tables) == len(found):
            item = _Parts([i for _, i in found])
        out.append((key, item))
    return out


def _type_hint(where: str, want: str, value: Any) -> str:
    if want == "list" and isinstance(value, str):
        return f'wrap it in brackets: {where.rsplit(".", 1)[-1]} = ["{value}"]'
    if want == "str" and isinstance(value, int | float):
        return f'quote it: {where.rsplit(".", 1)[-1]} = "{value}"'
    if want == "table":
        return f"write it as [{where}] with keys below it"
    return "see the spec reference in the README"


def _option_value(words: list[str]) -> str | None:
    head = words[0]
    if "=" in head:
        return head.split("=", 1)[1]
    if head in ("-r", "-c", "--requirement", "--constraint"):
        return words[1] if len(words) > 1 else None
    return head[2:] or None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _source_position(source: str, spec_path: Path) -> tuple[Path, int]:
    if ":" in source:
        name, line = source.rsplit(":", 1)
        path = spec_path if name == spec_path.name else spec_path.parent / name
        return path, int(line)
    return spec_path, 1


# TODO: a private index needs its credentials inside the build as well; the
# next step is to take them from the environment and pass them to uv as a
# BuildKit secret, as the CA bundle is, and then say so in this hint.
_CREDENTIALS_HINT = (
    "envspec.toml, the lock and the generated Dockerfiles are committed and "
    "built into images, so a password here would leak; use an index that "
    "needs none, such as a mirror inside your network"
)


def _refused_requirement(req: Requirement) -> tuple[str, str] | None:
    """Why a well-formed requirement cannot be locked into an image, and the fix."""
    if req.name.lower().endswith((".whl", ".tar.gz", ".tgz", ".zip")):
        return (
            f"{req.name!r} is a file name, not a package name",
            "name the package, pinned if need be (alpha==1.0), and serve the "
            "file from an index",
        )
    if req.url and _has_credentials(req.url):
        return (
            f"the URL of {req.name!r} holds a user name or password",
            _CREDENTIALS_HINT,
        )
    if req.url and req.url.startswith("file:"):
        return (
            f"{req.name!r} comes from {req.url}, a file on this machine that "
            "the image build cannot see",
            "publish it to an index that the build can reach and name it "
            "without the URL",
        )
    return None


def _has_credentials(url: str) -> bool:
    """Whether a URL carries a user name or password (``https://u:p@host/``)."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    if "${" in url or parts.password:
        return True
    # A user alone is a token for http(s) (``https://__token__@host``), but
    # only a login name for ssh (``git+ssh://git@github.com``).
    return bool(parts.username) and parts.scheme.endswith(("http", "https"))
