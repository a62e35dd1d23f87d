"""``envspec init``: the services, the app's command and its variables.

Reads a compose file (catalog services by image, other images that have a
health check, the app's command and ports), a ``Procfile``, the usual entry
points (Django, FastAPI, Flask) and the names in ``.env`` files into a
:class:`~envspec.init.Draft`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from envspec import catalog
from envspec.init import (
    COMPOSE_NAMES,
    DEFAULT_PORT,
    ENV_FILES,
    Draft,
    DraftService,
    Found,
)
from envspec.init_python import package_names

_APP_SERVICE_NAMES = ("app", "web", "api", "django", "backend", "server")
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
_SERVICE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


# -- compose


def compose(result: Draft) -> None:
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


# -- how the app runs, and its environment


def entry_point(result: Draft) -> None:
    root = result.root
    names = package_names(result)

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


def env_names(result: Draft) -> None:
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
