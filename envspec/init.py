"""Draft an ``envspec.toml`` from what a project already has.

:func:`draft` reads a project folder (requirement files, ``pyproject.toml``,
``.python-version``, ``runtime.txt``, a compose file, ``.env``, a
``Procfile`` and the usual entry points) into a :class:`Draft` in which each
value remembers where it came from. :func:`render` turns the draft into spec
text with tomlkit, with a comment beside each entry naming its source and a
comment for each thing left out saying why. :func:`write_spec` validates the
text with envspec's own validator and writes it, never over an existing spec
unless asked to. :func:`propose` does every step short of writing, for the
CLI (which then asks on a terminal) and the terminal app's wizard alike.

Values of ``.env`` and of compose ``environment:`` are never read into the
draft, only their names: they may be secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from envspec.errors import InputError, UsageError
from envspec.fsutil import atomic_write
from envspec.spec import (
    SPEC_NAME,
    Spec,
    default_project_name,
    parse_spec_text,
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
    # Imported here: both modules build on the Draft defined above.
    from envspec import init_python, init_services

    root = root.resolve()
    pyproject = init_python.read_pyproject(root)
    project = init_python.table(pyproject.get("project"))
    poetry = init_python.table(init_python.table(pyproject.get("tool")).get("poetry"))

    name = Found(default_project_name(root), "the folder's name")
    raw_name = project.get("name") or poetry.get("name")
    clean = re.sub(r"[^a-z0-9_-]+", "-", str(raw_name or "").lower()).strip("-_")
    if clean:
        name = Found(clean, "pyproject.toml")
    result = Draft(root=root, name=name)
    if pyproject:
        result.read.append("pyproject.toml")

    init_python.python_versions(result, project, poetry)
    init_python.requirement_files(result)
    init_python.pyproject_packages(result, pyproject, project, poetry)
    init_services.compose(result)
    init_services.entry_point(result)
    init_services.env_names(result)
    init_python.build_notes(result)
    return result


# --------------------------------------------------------------------------
# Writing the spec


class SpecExists(UsageError):
    """The project has a spec already, and init was not told to replace it."""


@dataclass(frozen=True)
class Proposal:
    """A drafted spec that validates, and the path it would be written to."""

    path: Path
    text: str
    found: Draft

    @property
    def read(self) -> list[str]:
        """The project files the draft was made from, each once, in order."""
        return list(dict.fromkeys(self.found.read))


def propose(root: Path, force: bool = False) -> Proposal:
    """Everything ``envspec init`` does before writing: check, draft, validate.

    Raises SpecExists, before reading anything, when the spec exists and not
    ``force``; InputError when a project file cannot be read or the draft
    does not validate.
    """
    root = root.resolve()
    path = check_target(root, force)
    found = draft(root)
    text = render(found)
    validate(text, root)
    return Proposal(path, text, found)


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
    """The spec path to write; SpecExists if one exists and not ``force``."""
    path = root / SPEC_NAME
    if path.exists() and not force:
        raise SpecExists(
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
