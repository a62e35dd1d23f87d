"""``envspec init``: the interpreters and packages a project declares.

Reads ``.python-version``, ``runtime.txt``, ``requires-python``, requirement
files (with their ``-r`` includes), PEP 621 dependencies and optional
groups, PEP 735 dependency groups and Poetry's tables into a
:class:`~envspec.init.Draft`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envspec.errors import InputError
from envspec.init import (
    PREFERRED_MINOR,
    Draft,
    Found,
)
from envspec.spec import SUPPORTED_MINORS, read_requirement_file

# Requirement files for production only: a dev environment leaves them out.
_PRODUCTION_RE = re.compile(r"prod|deploy|heroku", re.I)
_INDEX_OPTION_RE = re.compile(
    r"^(-i|--index-url|--extra-index-url|-f|--find-links)(?:\s*=\s*|\s+)(\S+)"
)

# Packages that usually build from source, and what that build needs.
# FIXME: a short list from experience, not a lookup of each package's wheels;
# the lock would know which packages have no wheel for the platform.
_SOURCE_BUILDS = {
    "mysqlclient": "default-libmysqlclient-dev, pkg-config and gcc to build, and "
    "libmariadb3 to run (or use PyMySQL instead)",
    "psycopg2": "libpq-dev and gcc to build, and libpq5 to run (or use "
    "psycopg2-binary or psycopg[binary] instead)",
}


def table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_pyproject(root: Path) -> dict[str, Any]:
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


def python_versions(
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


def requirement_files(result: Draft) -> None:
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


def pyproject_packages(
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


def package_names(result: Draft) -> set[str]:
    names: set[str] = {
        canonicalize_name(Requirement(str(f.value)).name) for f in result.packages
    }
    for f in result.requirement_files:
        reqs, _ = read_requirement_file(str(f.value), result.root)
        names |= {r.name for r in reqs}
    return names


def build_notes(result: Draft) -> None:
    for name in sorted(package_names(result) & set(_SOURCE_BUILDS)):
        result.note(
            "python",
            f"{name} usually builds from source: it needs "
            f"{_SOURCE_BUILDS[name]}; list Debian packages in [system] packages",
        )
