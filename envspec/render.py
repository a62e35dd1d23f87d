"""Render the files that build and run an environment, from a spec and its lock.

:func:`render` is pure: it reads the templates under ``templates/`` and the
two arguments, touches nothing else, and returns the files as bytes keyed by
their path relative to the output folder (``.envspec/``). Inputs are sorted
before they are used, so the same lock and envspec version always give the
same bytes.

Every value that comes from the spec is quoted here, for the place it goes
to, before a template sees it: YAML double-quoted scalars with ``$`` doubled
for compose, JSON arrays for Dockerfile exec forms, shell quoting inside
``RUN``. Templates only lay the quoted values out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shlex
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from envspec import __version__, header, secrets
from envspec.errors import InputError
from envspec.lockfile import Lock, LockedInterpreter
from envspec.paths import templates_dir
from envspec.spec import ServiceSpec, Spec

if TYPE_CHECKING:
    import jinja2

COMPOSE = "compose.yaml"
ENV_EXAMPLE = "env.example"
GITIGNORE = ".gitignore"
NO_CA = "no-ca.pem"
CA_SECRET = "ca"
MATRIX_PROFILE = "matrix"
DB_USER = "app"  # the user each catalog service is set up with
# The templates this module renders (others in templates/ belong to others).
TEMPLATES = (
    "Dockerfile.j2",
    "compose.yaml.j2",
    "dockerignore.j2",
    "env.example.j2",
    "gitignore.j2",
)


def dockerfile_name(version: str) -> str:
    return f"Dockerfile.py{version}"


def requirements_name(version: str) -> str:
    return f"requirements-py{version}.txt"


def app_image(spec: Spec, version: str) -> str:
    return f"{spec.name}-app:py{version}"


def app_service(spec: Spec, version: str) -> str:
    """``app`` for the first interpreter, ``app-py3.12`` for the others."""
    return "app" if version == spec.python.app_version else f"app-py{version}"


# --------------------------------------------------------------------------
# Quoting


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``value``.

    Everything that a YAML 1.1 or 1.2 parser could fold, trim or take for a
    line break (controls, C1 controls, U+2028/2029, BOM, surrogates) is
    escaped; other printable characters stay as they are.
    """
    out = ['"']
    for char in value:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif (
            0x20 <= code < 0x7F
            or (
                0xA0 <= code <= 0xFFFD
                and code not in (0x2028, 0x2029, 0xFEFF)
                and not 0xD800 <= code <= 0xDFFF
            )
            or code >= 0x10000
        ):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        else:
            out.append(f"\\u{code:04X}")
    out.append('"')
    return "".join(out)


def compose_literal(value: str) -> str:
    """``value`` protected from compose's ``${...}`` interpolation."""
    return value.replace("$", "$$")


def compose_str(value: str) -> str:
    """A spec value as a compose scalar: taken literally, whatever it holds."""
    return yaml_str(compose_literal(value))


def dockerfile_str(value: str) -> str:
    """A double-quoted Dockerfile word (LABEL values): no ``$`` expansion."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"a Dockerfile word cannot hold a line break: {value!r}")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def exec_form(words: tuple[str, ...] | list[str]) -> str:
    """A Dockerfile exec form (JSON array); ASCII-only so no byte surprises."""
    return json.dumps(list(words))


# --------------------------------------------------------------------------
# The model the templates see


@dataclass(frozen=True)
class _Port:
    target: int
    published: str | None  # quoted; None: a free host port
    host_ip: str  # quoted


@dataclass
class _ComposeService:
    name: str  # quoted key
    image: str  # quoted
    comment: str = ""
    command: list[str] = field(default_factory=list)  # quoted words
    environment: list[tuple[str, str]] = field(default_factory=list)  # quoted
    depends_on: list[str] = field(default_factory=list)  # quoted keys
    ports: list[_Port] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)  # quoted
    healthcheck: list[str] = field(default_factory=list)  # quoted words
    # For the app: a grace period in which failing checks do not count.
    start_period: str | None = None
    volume: str | None = None  # quoted
    data: str | None = None  # quoted
    context: str = ""
    dockerfile: str = ""


@dataclass(frozen=True)
class _Wiring:
    """What the app gets from one service: a variable and its compose value."""

    var: str
    value: str  # compose text: literal parts have `$` doubled


def _host_ip(bind: str) -> str:
    return yaml_str(bind.strip("[]"))


def _password_ref(spec: Spec, service: str) -> str:
    env_file = PurePosixPath(spec.output) / secrets.ENV_NAME
    return (
        f"${{{secrets.password_var(service)}:?is not set: run envspec generate, "
        f"which writes it to {env_file}}}"
    )


@dataclass(frozen=True)
class _Settings:
    """A catalog service's environment (compose text) and its credentials."""

    env: dict[str, str]
    user: str
    db: str
    password: str | None  # set in the spec's env; None: the generated one


def _service_settings(spec: Spec, svc: ServiceSpec) -> _Settings:
    """The catalog's environment of a service, overlaid with the spec's.

    The spec's own ``env`` of the service wins; when it sets the user,
    database or password, the service's health check and the app's URL
    follow it.
    """
    kind = svc.catalog_kind
    assert kind is not None
    own = dict(svc.env)
    user, db, password = DB_USER, spec.name.replace("-", "_"), None
    for key, template in kind.env.items():
        if key in own and template == "{user}":
            user = own[key]
        elif key in own and template == "{db}":
            db = own[key]
        elif key in own and template == "{password}":
            password = own[key]

    ref = _password_ref(spec, svc.name)
    env: dict[str, str] = {}
    for key, template in kind.env.items():
        pieces = [
            compose_literal(p.format(user=user, db=db))
            for p in template.split("{password}")
        ]
        env[key] = ref.join(pieces)
    for key, value in own.items():
        env[key] = compose_literal(value)
    return _Settings(env, user, db, password)


def _wiring(spec: Spec, svc: ServiceSpec) -> _Wiring | None:
    kind = svc.catalog_kind
    if kind is None or kind.url is None:
        # TODO: a custom image has no URL template, so `url-var` alone wires
        # nothing; a `url = "..."` key in the spec would be the next step.
        return None
    var = kind.url_var if svc.url_var is None else svc.url_var
    if not var:
        return None

    settings = _service_settings(spec, svc)
    quote = functools.partial(urllib.parse.quote, safe="")
    # A generated password is URL-safe; one set in the spec is percent-encoded.
    password = (
        _password_ref(spec, svc.name)
        if settings.password is None
        else compose_literal(quote(settings.password))
    )
    pieces = [
        compose_literal(
            p.format(user=quote(settings.user), db=quote(settings.db), host=svc.name)
        )
        for p in kind.url.split("{password}")
    ]
    return _Wiring(var, password.join(pieces))


def _service_ports(spec: Spec, svc: ServiceSpec) -> list[_Port]:
    host_ip = _host_ip(svc.bind or spec.bind)
    kind = svc.catalog_kind
    targets = [kind.port, *kind.extra_ports] if kind else []
    ports: list[_Port] = []
    # Fixed host ports map, in order, onto the kind's ports; the rest of the
    # kind's ports get a free host port so that two projects never collide.
    for index, target in enumerate(targets):
        fixed = svc.ports[index] if index < len(svc.ports) else None
        ports.append(_Port(target, yaml_str(str(fixed)) if fixed else None, host_ip))
    for port in svc.ports[len(targets) :]:
        ports.append(_Port(port, yaml_str(str(port)), host_ip))
    return ports


def _compose_service(spec: Spec, lock: Lock, svc: ServiceSpec) -> _ComposeService:
    try:
        image = lock.service(svc.name).reference
    except KeyError as exc:
        raise InputError(
            f"the lock has no image for service {svc.name!r}",
            hint="run `envspec lock` to pin it",
            title="Incomplete lock",
        ) from exc
    kind = svc.catalog_kind
    out = _ComposeService(name=yaml_str(svc.name), image=compose_str(image))
    out.comment = kind.description if kind else f"{svc.image}, run as given"
    command = svc.command or (kind.command if kind else ())
    out.command = [compose_str(word) for word in command]

    if kind is not None:
        settings = _service_settings(spec, svc)
        out.environment = [
            (yaml_str(k), yaml_str(v)) for k, v in sorted(settings.env.items())
        ]
        if kind.data:
            out.volume = yaml_str(f"{svc.name}-data")
            out.data = yaml_str(kind.data)
    else:
        out.environment = [(yaml_str(k), compose_str(v)) for k, v in sorted(svc.env)]

    if svc.healthcheck is not None:
        out.healthcheck = [yaml_str("CMD-SHELL"), compose_str(svc.healthcheck)]
    else:
        assert kind is not None  # the spec requires a health check for images
        settings = _service_settings(spec, svc)
        words = [w.format(user=settings.user, db=settings.db) for w in kind.healthcheck]
        out.healthcheck = [yaml_str("CMD"), *(compose_str(w) for w in words)]
    out.ports = _service_ports(spec, svc)
    return out


def _app_environment(spec: Spec) -> list[tuple[str, str]]:
    env: dict[str, str] = {}
    owner: dict[str, str] = {}
    for svc in sorted(spec.services, key=lambda s: s.name):
        wiring = _wiring(spec, svc)
        if wiring is None:
            continue
        if wiring.var in env:
            raise InputError(
                f"services {owner[wiring.var]!r} and {svc.name!r} both set "
                f"{wiring.var} in the app",
                hint=f"give one of them its own name, e.g. url-var = "
                f'"{svc.name.upper().replace("-", "_")}_URL" in '
                f'[services.{svc.name}], or url-var = "" to not wire it',
                title="Clashing variables",
            )
        env[wiring.var] = wiring.value
        owner[wiring.var] = svc.name
    for key, value in spec.app.env:
        env[key] = compose_literal(value)
    return [(yaml_str(k), yaml_str(v)) for k, v in sorted(env.items())]


# The app's health check: something listens on its first published port. A
# bare connection, not a request, so that the check fills no access log; the
# HTTP answer itself is what `envspec up` waits for, from the host. It runs
# the image's own Python and lets plain `docker compose up --wait` wait for
# the app too.
APP_PROBE = 'import socket; socket.create_connection(("127.0.0.1", {port}), 4).close()'


def _app_healthcheck(spec: Spec) -> list[str]:
    if not spec.app.ports:
        return []
    probe = APP_PROBE.format(port=spec.app.ports[0])
    return [yaml_str("CMD"), yaml_str("python"), yaml_str("-c"), compose_str(probe)]


def _apps(spec: Spec, lock: Lock) -> list[_ComposeService]:
    context = "/".join([".."] * len(PurePosixPath(spec.output).parts))
    environment = _app_environment(spec)
    depends = [yaml_str(s.name) for s in sorted(spec.services, key=lambda s: s.name)]
    host_ip = _host_ip(spec.app.bind or spec.bind)
    apps = []
    for interp in _interpreters(spec, lock):
        version = interp.version
        main = version == spec.python.app_version
        apps.append(
            _ComposeService(
                name=yaml_str(app_service(spec, version)),
                image=yaml_str(app_image(spec, version)),
                comment=""
                if main
                else f"The tests on Python {version}: "
                f"docker compose --profile {MATRIX_PROFILE} run --rm "
                f"{app_service(spec, version)}",
                command=[] if main else [compose_str(w) for w in spec.app.test],
                environment=environment,
                depends_on=depends,
                ports=[_Port(p, yaml_str(str(p)), host_ip) for p in spec.app.ports]
                if main
                else [],
                profiles=[] if main else [yaml_str(MATRIX_PROFILE)],
                healthcheck=_app_healthcheck(spec) if main else [],
                start_period="120s" if main else None,
                context=yaml_str(context),
                dockerfile=yaml_str(f"{spec.output}/{dockerfile_name(version)}"),
            )
        )
    return apps


def _interpreters(spec: Spec, lock: Lock) -> list[LockedInterpreter]:
    out = []
    for version in spec.python.versions:
        try:
            out.append(lock.interpreter(version))
        except KeyError as exc:
            raise InputError(
                f"the lock has no interpreter for Python {version}",
                hint="run `envspec lock` to pin it",
                title="Incomplete lock",
            ) from exc
    return out


# --------------------------------------------------------------------------
# Rendering


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2  # here, not at the top: `generate --check` often needs none

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Dockerfiles and YAML, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(name: str, **values: Any) -> bytes:
    return _environment().get_template(name).render(**values).encode("utf-8")


def _dockerfile(spec: Spec, lock: Lock, interp: LockedInterpreter) -> bytes:
    py = spec.python
    # TODO: find-links are not passed to uv: local paths do not exist inside
    # the build. Credentials in an index URL would show in the image history;
    # the next step is to pass index settings as a BuildKit secret as well.
    index_args = ""
    if py.index_url:
        index_args += f" --index-url {shlex.quote(py.index_url)}"
    for url in py.extra_index_urls:
        index_args += f" --extra-index-url {shlex.quote(url)}"

    labels = [
        ("org.opencontainers.image.title", spec.name),
        (
            "org.opencontainers.image.description",
            f"Development image of {spec.name} on Python {interp.python}, "
            "generated by envspec",
        ),
        ("org.opencontainers.image.base.name", interp.image),
        ("org.opencontainers.image.base.digest", interp.digest),
        ("dev.envspec.lock", lock.content_hash()),
        ("dev.envspec.python", interp.python),
        ("dev.envspec.version", __version__),
    ]
    return _template(
        "Dockerfile.j2",
        base=interp.reference,
        system_packages=sorted(spec.system_packages),
        workdir=spec.app.workdir,
        workdir_sh=shlex.quote(spec.app.workdir),
        installer=" \\\n      ".join(
            shlex.quote(word)
            for word in (
                f"uv=={lock.installer.version}",
                *(f"--hash={h}" for h in lock.installer.hashes),
            )
        ),
        requirements_src=f"{spec.output}/{requirements_name(interp.version)}",
        index_args=index_args,
        labels=" \\\n      ".join(
            f"{key}={dockerfile_str(value)}" for key, value in labels
        ),
        cmd=exec_form(spec.app.command) if spec.app.command else None,
    )


def _compose(spec: Spec, lock: Lock) -> bytes:
    services = [
        _compose_service(spec, lock, s)
        for s in sorted(spec.services, key=lambda s: s.name)
    ]
    return _template(
        "compose.yaml.j2",
        compose_path=f"{spec.output}/{COMPOSE}",
        project=yaml_str(spec.name),
        apps=_apps(spec, lock),
        services=services,
        volumes=sorted(s.volume for s in services if s.volume),
        ca_file=yaml_str(f"${{{secrets.CA_VAR}:-./{NO_CA}}}"),
    )


def _from_root(spec: Spec, path: str) -> str:
    """A path relative to the project root, made relative to the output folder."""
    return PurePosixPath(os.path.relpath(path, spec.output)).as_posix()


@functools.cache
def renderer_digest() -> str:
    """A hash of everything besides the lock that shapes the output.

    That is the templates and the modules that fill them. Generated files
    record it, so that ``generate --check`` can trust a file on disk without
    rendering it again when its lock, envspec version and renderer all match.
    """
    sources = [templates_dir() / name for name in TEMPLATES]
    here = Path(__file__).resolve().parent
    sources += [
        here / "render.py",
        here / "header.py",
        here / "catalog.py",
        here / "secrets.py",
        here / "devcontainer.py",
    ]
    sources += [templates_dir() / name for name in devcontainer_templates()]
    digest = hashlib.sha256(__version__.encode())
    for path in sources:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def file_names(spec: Spec) -> list[str]:
    """The names :func:`render` returns for ``spec``, without rendering."""
    names = [COMPOSE, ENV_EXAMPLE, GITIGNORE, NO_CA]
    for version in spec.python.versions:
        dockerfile = dockerfile_name(version)
        names += [dockerfile, f"{dockerfile}.dockerignore", requirements_name(version)]
    if spec.devcontainer:
        from envspec import devcontainer

        names += [_from_root(spec, p) for p in devcontainer.PATHS]
    return sorted(names)


def render(spec: Spec, lock: Lock) -> dict[str, bytes]:
    """Every generated file, by its path relative to the output folder."""
    lock_hash = lock.content_hash()
    renderer = renderer_digest()
    with_header = functools.partial(
        header.add_comment_header, lock_hash=lock_hash, renderer=renderer
    )

    files: dict[str, bytes] = {}
    for interp in _interpreters(spec, lock):
        name = dockerfile_name(interp.version)
        files[name] = with_header(_dockerfile(spec, lock, interp))
        files[f"{name}.dockerignore"] = with_header(
            _template(
                "dockerignore.j2",
                output=spec.output,
                requirements_name=requirements_name(interp.version),
            )
        )
        files[requirements_name(interp.version)] = with_header(
            interp.requirements_txt().encode("utf-8")
        )

    files[COMPOSE] = with_header(_compose(spec, lock))
    files[ENV_EXAMPLE] = with_header(
        _template("env.example.j2", password_vars=secrets.password_vars(spec))
    )
    files[GITIGNORE] = with_header(_template("gitignore.j2"))
    # The stand-in for "no CA bundle" must stay empty: the Dockerfile trusts
    # the secret only when it is non-empty. It is the one file with no header.
    files[NO_CA] = b""
    if spec.devcontainer:
        # Dev Containers clients look in .devcontainer/ at the project root.
        from envspec import devcontainer

        for path, data in devcontainer.render_files(spec, lock_hash, renderer).items():
            files[_from_root(spec, path)] = data
    return dict(sorted(files.items()))


def devcontainer_templates() -> tuple[str, ...]:
    from envspec import devcontainer

    return devcontainer.TEMPLATES
