"""Validation of a whole spec: each table read into the typed models.

:class:`Validator` reads the top level and the [project], [python],
[system], [app], [build] and [generate] tables itself; the services are read
by ``envspec._spec_services`` and the requirements by
``envspec._spec_requirements``, all with one :class:`Checker`, so that every
problem in the file is collected before the spec is refused.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from envspec._spec_checks import IMAGE_RE, Checker
from envspec._spec_requirements import check_duplicates, read_file, read_requirement
from envspec._spec_services import check_clashes, check_ports, read_services
from envspec.errors import SpecError
from envspec.spec import (
    DEFAULT_OUTPUT,
    DEFAULT_PYTHON_IMAGE,
    PLATFORMS,
    SUPPORTED_MINORS,
    AppSpec,
    PythonSpec,
    Requirement_,
    Spec,
    default_project_name,
)

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DEB_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$")
_PYTHON_VERSION_RE = re.compile(r"^3\.(\d+)$")


class Validator(Checker):
    """Reads one located spec into a :class:`Spec`, or raises SpecError."""

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
        services = read_services(self, top.get("services"))
        app = self.app(sections.get("app", {}))
        ca_bundle = self.ca_bundle(sections.get("build", {}))
        output, devcontainer = self.generate(sections.get("generate", {}))
        check_ports(self, app, services)
        check_clashes(self, services)

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

    def python(
        self, section: dict[str, tuple[Any, Any]], anchor: Any
    ) -> PythonSpec | None:
        versions: list[str] = []
        if "versions" not in section:
            if anchor is not None and ("python", "versions") not in self.misspelled:
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
                req = read_requirement(self, value, item, f"{self.path.name}:{line}")
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
                requirements.extend(read_file(self, value, item))
        check_duplicates(self, requirements)

        image = DEFAULT_PYTHON_IMAGE
        if "image" in section:
            value = self.typed(section["image"], "str", "python.image")
            if value is not None:
                # The reference must be valid once {version} is filled in.
                filled = value.replace("{version}", "3.13")
                if "{version}" not in value or not IMAGE_RE.match(filled):
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
