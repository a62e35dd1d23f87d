"""Draft an ``envspec.toml`` from what a project already has.

:func:`draft` reads a project folder (requirement files, ``pyproject.toml``,
``.python-version``, ``runtime.txt``, a compose file, ``.env``, a
``Procfile`` and the usual entry points) into a :class:`Draft` in which each
value remembers where it came from. :func:`render` turns the draft into spec
text with tomlkit, with a comment beside each entry naming its source and a
comment for each thing left out saying why. :func:`write_spec` validates the
text with envspec's own validator and writes it, never over an existing spec
unless asked to.

Values of ``.env`` and of compose ``environment:`` are never read into the
draft, only their names: they may be secrets.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envspec import catalog
from envspec.errors import InputError, UsageError
from envspec.fsutil import atomic_write
from envspec.spec import (
    SPEC_NAME,
    SUPPORTED_MINORS,
    Spec,
    default_project_name,
    parse_spec_text,
    read_requirement_file,
)

# The interpreter a project gets when nothing pins one. Not the newest
# supported minor: binary wheels for a new minor lag behind for months.
PREFERRED_MINOR = 13

COMPOSE_NAMES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
ENV_FILES = (".env", ".env.example", ".env.sample")
DEFAULT_PORT = 8000

# Requirement files for production only: a dev environment leaves them out.
_PRODUCTION_RE = re.compile(r"prod|deploy|heroku", re.I)
_APP_SERVICE_NAMES = ("app", "web", "api", "django", "backend", "server")
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
_SERVICE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_INDEX_OPTION_RE = re.compile(
    r"^(-i|--index-url|--extra-index-url|-f|--find-links)(?:\s*=\s*|\s+)(\S+)"
)


@dataclass(frozen=True)
class Found:
    """A value found in the project, and where: ``"requirements.txt:3"``."""

    value: Any
    source: str


@dataclass
class DraftService:
    """A service of the draft, taken from the project's compose file."""

    name: str
    kind: str
    source: str
    version: str | None = None
    image: str | None = None  # only for kind = "image"
    healthcheck: str | None = None
    command: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """What ``envspec init`` found in a project, each value with its source."""

    root: Path
    name: Found
    versions: list[Found] = field(default_factory=list)
    requirement_files: list[Found] = field(default_factory=list)
    packages: list[Found] = field(default_factory=list)
    index_url: Found | None = None
    extra_index_urls: list[Found] = field(default_factory=list)
    find_links: list[Found] = field(default_factory=list)
    services: list[DraftService] = field(default_factory=list)
    command: Found | None = None
    ports: list[Found] = field(default_factory=list)
    env_names: list[Found] = field(default_factory=list)
    read: list[str] = field(default_factory=list)  # the files read, in order
    # Comments per spec section ("python", "services", "app") on what was
    # left out and why.
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)


# --------------------------------------------------------------------------
# Reading the project


def draft(root: Path) -> Draft:
    """Read what the project in ``root`` has into a Draft."""
    root = root.resolve()
    pyproject = _read_pyproject(root)
    project = _table(pyproject.get("project"))
    poetry = _table(_table(pyproject.get("tool")).get("poetry"))

    name = Found(default_project_name(root), "the folder's name")
    raw_name = project.get("name") or poetry.get("name")
    clean = re.sub(r"[^a-z0-9_-]+", "-", str(raw_name or "").lower()).strip("-_")
    if clean:
        name = Found(clean, "pyproject.toml")
    result = Draft(root=root, name=name)
    if pyproject:
        result.read.append("pyproject.toml")

    _python_versions(result, project, poetry)
    _requirement_files(result)
    _pyproject_packages(result, pyproject, project, poetry)
    _compose(result)
    _entry_point(result)
    _env_names(result)
    _build_notes(result)
    return result


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {path}: {exc}",
            hint="fix pyproject.toml, or move it aside and run `envspec init` again",
            title="Bad pyproject.toml",
        ) from exc


def _first_line(path: Path) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


def _python_versions(
    result: Draft, project: dict[str, Any], poetry: dict[str, Any]
) -> None:
    requires: SpecifierSet | None = None
    source = ""
    raw = project.get("requires-python")
    if isinstance(raw, str):
        source = "pyproject.toml requires-python"
    else:
        raw = (poetry.get("dependencies") or {}).get("python")
        if isinstance(raw, str):
            raw = _poetry_constraint(raw)
            source = "pyproject.toml [tool.poetry.dependencies] python"
    if isinstance(raw, str):
        try:
            requires = SpecifierSet(raw)
        except InvalidSpecifier:
            result.note(
                "python", f"{source} {raw!r} is not a version specifier; ignored"
            )

    # A pinned interpreter (pyenv, Heroku) says what the project runs on now.
    for file, pattern in (
        (".python-version", r"^(?:cpython-|python-?)?3\.(\d+)"),
        ("runtime.txt", r"^python-3\.(\d+)"),
    ):
        text = _first_line(result.root / file)
        if text is None:
            continue
        result.read.append(file)
        match = re.match(pattern, text)
        if not match or int(match.group(1)) not in SUPPORTED_MINORS:
            result.note(
                "python",
                f"{file} names {text!r}, which envspec cannot run "
                "(CPython 3.9 to 3.14 only)",
            )
            continue
        version = f"3.{match.group(1)}"
        if requires is not None and not _allows(requires, int(match.group(1))):
            result.note("python", f"{file} pins {version} but {source} is {raw!r}")
        result.versions.append(Found(version, f"{file} ({text})"))
        return

    if requires is not None:
        allowed = [m for m in SUPPORTED_MINORS if _allows(requires, m)]
        if allowed:
            usual = [m for m in allowed if m <= PREFERRED_MINOR]
            minor = max(usual or allowed)
            result.versions.append(Found(f"3.{minor}", f"{source} {raw!r}"))
            others = [f"3.{m}" for m in allowed if m != minor]
            if others:
                result.note(
                    "python",
                    f"{source} also allows {', '.join(others)}; add "
                    "them to versions to test on them too",
                )
            return
        result.note("python", f"{source} {raw!r} allows no Python that envspec runs")
    result.versions.append(
        Found(
            f"3.{PREFERRED_MINOR}",
            "nothing in the project names a Python version; envspec's default",
        )
    )


def _allows(requires: SpecifierSet, minor: int) -> bool:
    return any(requires.contains(f"3.{minor}.{patch}") for patch in (0, 99))


# -- requirement files


def _requirement_files(result: Draft) -> None:
    root = result.root
    candidates = sorted(
        root.glob("requirements*.txt"),
        key=lambda p: (p.name != "requirements.txt", p.name),
    )
    folder = root / "requirements"
    if folder.is_dir():
        candidates += sorted(folder.glob("*.txt"))
    chosen: list[Path] = []
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        if _PRODUCTION_RE.search(path.stem):
            result.note(
                "python",
                f"{rel} left out: it is for production; a dev "
                "environment takes the others",
            )
            continue
        chosen.append(path)

    # A file another chosen file includes with -r is read through that one.
    included: dict[Path, Path] = {}
    for path in chosen:
        for inc in _includes(path):
            included.setdefault(inc, path)
    seen: dict[tuple[str, str], str] = {}
    for path in chosen:
        rel = path.relative_to(root).as_posix()
        result.read.append(rel)
        if path.resolve() in included:
            by = included[path.resolve()].relative_to(root).as_posix()
            result.note("python", f"{rel} is read through {by}, which includes it")
            continue
        reqs, problems = read_requirement_file(rel, root)
        keys = {_key(r.text): r.source for r in reqs}
        overlap = [k for k in keys if k in seen]
        if not problems and not overlap:
            result.requirement_files.append(Found(rel, _describe_file(path, root)))
            seen.update(keys)
            continue

        # Not usable as it is: take its requirements one by one instead.
        for problem in problems:
            where = f"{_rel(problem.file, root)}:{problem.line}"
            if not _INDEX_OPTION_RE.match(_line(problem.file, problem.line)):
                result.note("python", f"{where} left out: {problem.message}")
        _index_options(result, path, root)
        for req in reqs:
            key = _key(req.text)
            if key in seen:
                continue
            seen[key] = req.source
            result.packages.append(Found(req.text, req.source))
        result.note(
            "python",
            f"{rel} is copied into packages, not named in "
            "requirements: "
            + (
                "envspec cannot read all of it"
                if problems
                else "it repeats packages of another file"
            ),
        )


def _includes(path: Path, seen: frozenset[Path] = frozenset()) -> set[Path]:
    """Every file that ``path`` includes with ``-r``, directly or not."""
    out: set[Path] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return out
    for line in lines:
        match = re.match(r"^\s*(?:-r|--requirement)(?:\s*=\s*|\s*)(\S+)", line)
        if not match:
            continue
        target = (path.parent / match.group(1)).resolve()
        if target.is_file() and target not in seen:
            out.add(target)
            out |= _includes(target, seen | {target})
    return out


def _describe_file(path: Path, root: Path) -> str:
    incs = sorted(_rel(p, root) for p in _includes(path))
    return "found in the project" + (f"; it includes {', '.join(incs)}" if incs else "")


def _index_options(result: Draft, path: Path, root: Path) -> None:
    for number, line, file in _lines_with_includes(path):
        match = _INDEX_OPTION_RE.match(line.strip())
        if not match:
            continue
        option, url = match.groups()
        found = Found(url, f"{_rel(file, root)}:{number}")
        if found.value in {
            f.value for f in (*result.extra_index_urls, *result.find_links)
        }:
            continue
        if option in ("-i", "--index-url"):
            result.index_url = result.index_url or found
        elif option == "--extra-index-url":
            result.extra_index_urls.append(found)
        else:
            result.find_links.append(found)


def _lines_with_includes(path: Path) -> list[tuple[int, str, Path]]:
    out: list[tuple[int, str, Path]] = []
    for file in [path, *sorted(_includes(path))]:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        out += [(n, line, file) for n, line in enumerate(lines, 1)]
    return out


def _line(path: Path, number: int) -> str:
    try:
        return path.read_text(encoding="utf-8").splitlines()[number - 1].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        return ""


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _key(text: str) -> tuple[str, str]:
    """What makes two requirements the same entry: name and marker."""
    req = Requirement(text)
    return canonicalize_name(req.name), str(req.marker or "")


# -- pyproject.toml


def _pyproject_packages(
    result: Draft,
    pyproject: dict[str, Any],
    project: dict[str, Any],
    poetry: dict[str, Any],
) -> None:
    own = canonicalize_name(str(project.get("name") or poetry.get("name") or ""))
    groups: list[tuple[str, list[Any]]] = []
    deps = project.get("dependencies")
    if isinstance(deps, list):
        groups.append(("pyproject.toml dependencies", deps))
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group, reqs in sorted(optional.items()):
            if isinstance(reqs, list):
                groups.append((f"pyproject.toml optional [{group}]", reqs))
    for group, reqs in _dependency_groups(result, pyproject):
        groups.append((f"pyproject.toml dependency-groups.{group}", reqs))
    groups += _poetry_groups(result, poetry)

    seen = {_key(str(f.value)): f.source for f in result.packages}
    for path in result.requirement_files:
        reqs, _ = read_requirement_file(str(path.value), result.root)
        seen.update({_key(r.text): r.source for r in reqs})
    texts = {str(f.value) for f in result.packages}
    for source, reqs in groups:
        for raw in reqs:
            if not isinstance(raw, str):
                continue
            try:
                req = Requirement(raw)
            except InvalidRequirement as exc:
                result.note("python", f"{source}: {raw!r} left out: {exc}")
                continue
            if own and canonicalize_name(req.name) == own:
                continue  # the project's own extras: their groups are all here
            if req.url and re.match(r"^(file:|\.|/)", req.url):
                result.note(
                    "python",
                    f"{source}: {raw!r} left out: a local path "
                    "cannot be locked into an image",
                )
                continue
            key = _key(str(req))
            if key in seen:
                if str(req) not in texts:
                    result.note(
                        "python",
                        f"{source}: {req.name} is also in "
                        f"{seen[key]}; that one is used",
                    )
                continue
            seen[key] = source
            texts.add(str(req))
            result.packages.append(Found(str(req), source))


def _dependency_groups(
    result: Draft, pyproject: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    """PEP 735 groups with their ``{include-group = ...}`` entries expanded."""
    table = pyproject.get("dependency-groups")
    if not isinstance(table, dict):
        return []

    def expand(name: str, stack: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for entry in table.get(name) or ():
            if isinstance(entry, str):
                out.append(entry)
            elif isinstance(entry, dict) and isinstance(
                entry.get("include-group"), str
            ):
                inner = entry["include-group"]
                if inner in stack or inner not in table:
                    result.note(
                        "python",
                        f"dependency-groups.{name}: cannot include "
                        f"{inner!r} (missing or a cycle)",
                    )
                    continue
                out += expand(inner, (*stack, inner))
        return out

    return [(name, expand(name, (name,))) for name in sorted(table)]


def _poetry_groups(
    result: Draft, poetry: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    tables: list[tuple[str, Any]] = [
        ("[tool.poetry.dependencies]", poetry.get("dependencies"))
    ]
    tables.append(("[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies")))
    for group, body in sorted((poetry.get("group") or {}).items()):
        if isinstance(body, dict):
            tables.append((f"[tool.poetry.group.{group}]", body.get("dependencies")))
    out: list[tuple[str, list[str]]] = []
    for where, table in tables:
        if not isinstance(table, dict):
            continue
        reqs: list[str] = []
        for name, constraint in table.items():
            if name == "python":
                continue
            text = _poetry_requirement(name, constraint)
            if text is None:
                result.note(
                    "python",
                    f"pyproject.toml {where} {name} left out: only "
                    "version constraints are mapped (not git, path or url)",
                )
            else:
                reqs.append(text)
        out.append((f"pyproject.toml {where}", reqs))
    return out


def _poetry_requirement(name: str, constraint: Any) -> str | None:
    extras = ""
    marker = ""
    if isinstance(constraint, dict):
        if any(k in constraint for k in ("git", "path", "url", "file")):
            return None
        if constraint.get("extras"):
            extras = "[" + ",".join(constraint["extras"]) + "]"
        if isinstance(constraint.get("python"), str):
            spec = _poetry_constraint(constraint["python"])
            marker = " ; " + " and ".join(
                f'python_version {s.operator} "{s.version}"' for s in SpecifierSet(spec)
            )
        constraint = constraint.get("version", "*")
    if not isinstance(constraint, str):
        return None
    return f"{name}{extras}{_poetry_constraint(constraint)}{marker}"


def _poetry_constraint(text: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier (``^1.2`` -> ``>=1.2,<2``)."""
    parts: list[str] = []
    for raw in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text.strip()):
        if raw in ("", "*"):
            continue
        if raw[0] in "^~" and not raw.startswith("~="):
            numbers = [int(n) for n in re.findall(r"\d+", raw)]
            if raw[0] == "^":
                at = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
            else:
                at = min(1, len(numbers) - 1) if len(numbers) > 1 else 0
            upper = [*numbers[:at], numbers[at] + 1]
            parts += [
                f">={'.'.join(map(str, numbers))}",
                f"<{'.'.join(map(str, upper))}",
            ]
        elif raw[0].isdigit():
            parts.append(f"=={raw}")
        else:
            parts.append(raw)
    return ",".join(parts)


# -- compose


def _compose(result: Draft) -> None:
    path = next(
        (result.root / n for n in COMPOSE_NAMES if (result.root / n).is_file()), None
    )
    if path is None:
        return
    import yaml  # imported here: only init reads YAML

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        result.note(
            "services", f"{path.name} could not be read ({exc}); add services by hand"
        )
        return
    result.read.append(path.name)
    services = (data or {}).get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return

    built = [n for n, s in services.items() if isinstance(s, dict) and "build" in s]
    app = next(
        (n for n in _APP_SERVICE_NAMES if n in built), built[0] if built else None
    )
    by_image = {kind.image: kind.name for kind in catalog.KINDS.values()}
    used = {"app"}
    for name, body in services.items():
        if not isinstance(body, dict):
            continue
        where = f"{path.name} service {name!r}"
        if name == app:
            _app_from_compose(result, body, where)
            continue
        if "build" in body:
            result.note(
                "services",
                f"{where} builds from source and was left out: "
                "envspec runs one app image; run this one with "
                "`envspec run -- COMMAND`",
            )
            continue
        image = _interpolate(str(body.get("image") or ""))
        if not image:
            result.note("services", f"{where} has no image it names plainly; left out")
            continue
        repo, tag = _split_image(image)
        svc_name = _service_name(str(name), used)
        used.add(svc_name)
        kind = by_image.get(repo)
        if kind:
            svc = DraftService(svc_name, kind, f"{where} (image {image})")
            if tag and _TAG_RE.match(tag):
                svc.version = tag
            else:
                svc.notes.append(
                    f"no tag in {path.name}; the catalog's default "
                    f"{catalog.KINDS[kind].default_version} is used"
                )
        else:
            check = _healthcheck(body.get("healthcheck"))
            if check is None:
                result.note(
                    "services",
                    f"{where} (image {image}) left out: it has no "
                    "health check, and envspec needs one to know when an image "
                    "it does not know is ready; add [services.NAME] with "
                    "image and healthcheck",
                )
                continue
            svc = DraftService(
                svc_name,
                catalog.CUSTOM_KIND,
                f"{where}",
                image=image,
                healthcheck=check,
            )
            command = body.get("command")
            if isinstance(command, list):
                svc.command = shlex.join(str(w) for w in command)
            elif isinstance(command, str):
                svc.command = command
        ports = _published(body.get("ports"), host=True)
        if ports:
            svc.notes.append(
                f"{path.name} published {', '.join(map(str, ports))} on "
                "the host; envspec picks free ports unless you fix them:"
            )
            svc.notes.append(f"ports = [{', '.join(map(str, ports))}]")
        names = _environment_names(body.get("environment"))
        if names:
            svc.notes.append(
                f"{path.name} sets {', '.join(names)}; values not copied "
                "(they may be secrets). Catalog services get their user, "
                "database and a generated password from envspec."
            )
        result.services.append(svc)


def _app_from_compose(result: Draft, body: dict[str, Any], where: str) -> None:
    command = body.get("command")
    if isinstance(command, list):
        command = shlex.join(str(w) for w in command)
    if isinstance(command, str) and command.strip():
        result.command = Found(command.strip(), where)
    for port in _published(body.get("ports"), host=False):
        result.ports.append(Found(port, where))
    names = _environment_names(body.get("environment"))
    if names:
        result.note(
            "app",
            f"{where} sets {', '.join(names)}; values not copied (they "
            "may be secrets): set non-secret ones in [app] env",
        )


def _interpolate(text: str) -> str:
    """``${VAR:-default}`` replaced by its default; "" if a variable has none."""
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        if match.group(2) is None:
            missing = True
            return ""
        return match.group(2)

    out = _VAR_RE.sub(repl, text)
    return "" if missing or "$" in out else out


def _split_image(image: str) -> tuple[str, str | None]:
    """The repository (without docker.io/ and library/) and the tag of an image."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        ref = ref.removeprefix(prefix)
    return ref, tag


def _service_name(name: str, used: set[str]) -> str:
    clean = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    if not clean or not clean[0].isalpha():
        clean = f"svc-{clean}".rstrip("-")
    base, n = clean[:60], 2
    clean = base
    while clean in used or not _SERVICE_RE.match(clean):
        clean, n = f"{base}-{n}", n + 1
    return clean


def _healthcheck(check: Any) -> str | None:
    if not isinstance(check, dict) or check.get("disable"):
        return None
    test = check.get("test")
    if isinstance(test, str):
        return test.strip() or None
    if isinstance(test, list) and test:
        words = [str(w) for w in test]
        if words[0] == "CMD-SHELL" and len(words) > 1:
            return words[1]
        if words[0] == "CMD" and len(words) > 1:
            return shlex.join(words[1:])
    return None


def _published(ports: Any, *, host: bool) -> list[int]:
    """Host ports (``host``) or container ports published by a compose service."""
    out: list[int] = []
    for entry in ports or ():
        if isinstance(entry, dict):
            value = entry.get("published") if host else entry.get("target")
        else:
            text = _interpolate(str(entry)).split("/", 1)[0]
            parts = text.rsplit(":", 2)
            value = parts[-1]
            if host:
                value = parts[-2] if len(parts) >= 2 else None
        number = int(str(value)) if str(value).isdigit() else 0
        if 0 < number < 65536 and number not in out:
            out.append(number)
    return out


def _environment_names(env: Any) -> list[str]:
    if isinstance(env, dict):
        return sorted(str(k) for k in env)
    if isinstance(env, list):
        return sorted(str(e).split("=", 1)[0] for e in env)
    return []


# Packages that usually build from source, and what that build needs.
# FIXME: a short list from experience, not a lookup of each package's wheels;
# the lock would know which packages have no wheel for the platform.
_SOURCE_BUILDS = {
    "mysqlclient": "default-libmysqlclient-dev, pkg-config and gcc to build, and "
    "libmariadb3 to run (or use PyMySQL instead)",
    "psycopg2": "libpq-dev and gcc to build, and libpq5 to run (or use "
    "psycopg2-binary or psycopg[binary] instead)",
}


def _package_names(result: Draft) -> set[str]:
    names: set[str] = {
        canonicalize_name(Requirement(str(f.value)).name) for f in result.packages
    }
    for f in result.requirement_files:
        reqs, _ = read_requirement_file(str(f.value), result.root)
        names |= {r.name for r in reqs}
    return names


def _build_notes(result: Draft) -> None:
    for name in sorted(_package_names(result) & set(_SOURCE_BUILDS)):
        result.note(
            "python",
            f"{name} usually builds from source: it needs "
            f"{_SOURCE_BUILDS[name]}; list Debian packages in [system] packages",
        )


# -- how the app runs, and its environment


def _entry_point(result: Draft) -> None:
    root = result.root
    names = _package_names(result)

    procfile = root / "Procfile"
    if procfile.is_file():
        result.read.append("Procfile")
        for line in procfile.read_text(encoding="utf-8", errors="replace").splitlines():
            kind, _, command = line.partition(":")
            if kind.strip() == "web" and command.strip():
                # A compose file's command is the dev setup; it wins.
                result.command = result.command or Found(
                    command.strip(), "Procfile web"
                )
                continue
            if kind.strip() and command.strip():
                result.note(
                    "app",
                    f"Procfile {kind.strip()}: left out; run it with "
                    f"`envspec run -- {command.strip()}`",
                )
    if result.command is None:
        result.command = _guess_command(root, names)
    if result.command is None:
        result.note(
            "app",
            "no command found: set command to what starts the app, "
            'e.g. "gunicorn myapp.wsgi --bind 0.0.0.0:8000"',
        )
        return

    # A server in a container must listen on every address, and on a fixed port.
    command = str(result.command.value)
    fixed = _listen_everywhere(command)
    if fixed != command:
        result.note(
            "app",
            f"the command from {result.command.source} was "
            f"{command!r}; changed to listen on 0.0.0.0:{DEFAULT_PORT} "
            "inside the container",
        )
        result.command = Found(fixed, result.command.source)
    if not result.ports:
        port = _port_of(str(result.command.value))
        if port:
            result.ports.append(Found(port, "the command"))


def _guess_command(root: Path, names: set[str]) -> Found | None:
    if (root / "manage.py").is_file():
        return Found(
            f"python manage.py runserver 0.0.0.0:{DEFAULT_PORT}",
            "manage.py (Django's development server)",
        )
    for factory, server in (
        ("FastAPI", "uvicorn"),
        ("Starlette", "uvicorn"),
        ("Flask", "gunicorn"),
    ):
        target = _find_app_object(root, factory)
        if target is None:
            continue
        module, var, file = target
        if server == "uvicorn" and "uvicorn" in names:
            return Found(
                f"uvicorn {module}:{var} --host 0.0.0.0 --port {DEFAULT_PORT}",
                f"{file} ({factory} app)",
            )
        if "gunicorn" in names:
            return Found(
                f"gunicorn {module}:{var} --bind 0.0.0.0:{DEFAULT_PORT}",
                f"{file} ({factory} app, gunicorn)",
            )
        if factory == "Flask":
            return Found(
                f"flask --app {module}:{var} run --host 0.0.0.0 --port {DEFAULT_PORT}",
                f"{file} (Flask app)",
            )
    return None


def _find_app_object(root: Path, factory: str) -> tuple[str, str, str] | None:
    """``(module, variable, file)`` of ``var = Factory(`` in a likely module."""
    pattern = re.compile(rf"^(\w+)\s*=\s*{factory}\(", re.M)
    files = sorted(root.glob("*.py")) + sorted(root.glob("*/*.py"))
    for path in files:
        if path.parent.name.startswith((".", "test")) or path.name.startswith("test"):
            continue
        try:
            match = pattern.search(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if match:
            rel = path.relative_to(root).with_suffix("")
            return (
                ".".join(rel.parts),
                match.group(1),
                path.relative_to(root).as_posix(),
            )
    return None


def _listen_everywhere(command: str) -> str:
    text = re.sub(r"\$\{?PORT\}?", str(DEFAULT_PORT), command)
    try:
        words = shlex.split(text)
    except ValueError:
        return text
    if not words:
        return text
    program = words[0].rsplit("/", 1)[-1]
    if program == "gunicorn" and not any(
        w in ("-b", "--bind") or w.startswith("--bind=") for w in words
    ):
        return f"{text} --bind 0.0.0.0:{DEFAULT_PORT}"
    if program in ("uvicorn", "hypercorn") and "--host" not in words:
        return f"{text} --host 0.0.0.0"
    return text


def _port_of(command: str) -> int | None:
    for pattern in (r"0\.0\.0\.0:(\d+)", r"--port[ =](\d+)", r"runserver\s+(\d+)\b"):
        match = re.search(pattern, command)
        if match and 0 < int(match.group(1)) < 65536:
            return int(match.group(1))
    return None


def _env_names(result: Draft) -> None:
    wired = {k.url_var for k in catalog.KINDS.values() if k.url_var}
    for file in ENV_FILES:
        path = result.root / file
        if not path.is_file():
            continue
        result.read.append(file)
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _ENV_LINE_RE.match(line)
            if match and match.group(1) not in {f.value for f in result.env_names}:
                name = match.group(1)
                source = file
                if name in wired and any(
                    catalog.KINDS[s.kind].url_var == name
                    for s in result.services
                    if s.kind in catalog.KINDS
                ):
                    source += "; envspec sets it from a service"
                result.env_names.append(Found(name, source))


# --------------------------------------------------------------------------
# Writing the spec


def render(found: Draft) -> str:
    """The spec text of a draft, with comments naming each value's source."""
    doc = tomlkit.document()
    read = (
        ", ".join(dict.fromkeys(found.read))
        or "nothing: the project had no known files"
    )
    doc.add(tomlkit.comment(f"Written by `envspec init` from {read}."))
    doc.add(
        tomlkit.comment(
            "Check it, then run `envspec lock` and `envspec up`. "
            "The spec reference is in envspec's README."
        )
    )
    doc.add(tomlkit.nl())

    project = tomlkit.table()
    project.add("name", _commented(found.name.value, found.name.source))
    doc.add("project", project)

    python = tomlkit.table()
    python.add("versions", _array(found.versions))
    if found.requirement_files:
        python.add("requirements", _array(found.requirement_files))
    if found.packages:
        python.add("packages", _array(found.packages))
    if found.index_url:
        python.add(
            "index-url", _commented(found.index_url.value, found.index_url.source)
        )
    if found.extra_index_urls:
        python.add("extra-index-urls", _array(found.extra_index_urls))
    if found.find_links:
        python.add("find-links", _array(found.find_links))
    for note in found.notes.get("python", ()):
        python.add(tomlkit.comment(note))
    doc.add("python", python)

    if found.services:
        services = tomlkit.table(is_super_table=True)
        for svc in found.services:
            table = tomlkit.table()
            table.add(tomlkit.comment(f"from {svc.source}"))
            table.add("kind", svc.kind)
            if svc.version:
                table.add("version", svc.version)
            if svc.image:
                table.add("image", svc.image)
            if svc.healthcheck:
                table.add("healthcheck", svc.healthcheck)
            if svc.command:
                table.add("command", svc.command)
            for note in svc.notes:
                table.add(tomlkit.comment(note))
            services.add(svc.name, table)
        doc.add("services", services)
    for note in found.notes.get("services", ()):
        doc.add(tomlkit.comment(note))

    app = tomlkit.table()
    if found.command:
        app.add("command", _commented(found.command.value, found.command.source))
    if found.ports:
        app.add("ports", _array(found.ports))
    for note in found.notes.get("app", ()):
        app.add(tomlkit.comment(note))
    if found.env_names:
        app.add(
            tomlkit.comment(
                "Variables the project's env files name; their values "
                "were not copied (they may be secrets):"
            )
        )
        for f in found.env_names:
            app.add(tomlkit.comment(f"  {f.value}  ({f.source})"))
        app.add(
            tomlkit.comment('Put non-secret ones here, e.g. env = { DEBUG = "1" }.')
        )
    doc.add("app", app)
    return tomlkit.dumps(doc)


def _commented(value: Any, source: str) -> Any:
    item = tomlkit.item(value)
    item.comment(source)
    item.trivia.comment_ws = "  "
    return item


def _array(values: list[Found]) -> Any:
    array = tomlkit.array()
    for f in values:
        array.add_line(f.value, comment=f.source)
    array.add_line(indent="")
    return array


def validate(text: str, root: Path) -> Spec:
    """Check drafted spec text with envspec's own validator.

    A draft that does not validate is a bug in ``envspec init`` (or a project
    file it misread), so the error says so and shows the problems.
    """
    from envspec.errors import SpecError

    try:
        return parse_spec_text(text, root / SPEC_NAME)
    except SpecError as exc:
        problems = "; ".join(f"line {p.line}: {p.message}" for p in exc.problems)
        raise InputError(
            f"the spec drafted from this project does not validate: {problems}",
            hint="fix the project file named above, or write envspec.toml by hand "
            "from the README's spec reference (and please report this)",
            title="Draft invalid",
        ) from exc


def check_target(root: Path, force: bool) -> Path:
    """The spec path to write; a UsageError if one exists and not ``force``."""
    path = root / SPEC_NAME
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists; envspec init leaves it as it is",
            hint="edit it by hand, or run `envspec init --force` to replace it with "
            "a new draft",
            title="Spec exists",
        )
    return path


def write_spec(root: Path, text: str, force: bool = False) -> Path:
    """Validate ``text`` and write it as the project's spec; return its path."""
    path = check_target(root, force)
    validate(text, root)
    atomic_write(path, text.encode("utf-8"))
    return path
