"""Per-project passwords and the CA bundle path, kept out of every generated file.

Each service whose kind needs a password gets one compose variable, named
after the service (``db`` → ``DB_PASSWORD``). The generated compose file only
refers to it (``${DB_PASSWORD:?...}``); its value is drawn once with
:func:`secrets.token_urlsafe` and kept in ``<output dir>/.env``, a file that
compose reads by itself, that the generated ``.gitignore`` keeps out of git and
that is written with mode 0600. Regenerating keeps every existing value, so a
database's volume and its password stay in step.

The same file carries ``ENVSPEC_CA_BUNDLE``: the CA bundle that builds mount
as the BuildKit secret ``ca``. It comes from the spec's ``build.ca-bundle``,
else from ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE`` or ``PIP_CERT``, and is
refreshed on every run (unlike the passwords).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from envspec.errors import InputError
from envspec.fsutil import atomic_write
from envspec.spec import ServiceSpec, Spec

ENV_NAME = ".env"
CA_VAR = "ENVSPEC_CA_BUNDLE"
CA_SOURCES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")
_PASSWORD_BYTES = 24  # 32 URL-safe characters: letters, digits, '-' and '_'
_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def password_var(service: str) -> str:
    """The compose variable holding a service's password: ``db`` → ``DB_PASSWORD``."""
    return re.sub(r"[^A-Z0-9_]", "_", service.upper()) + "_PASSWORD"


def needs_password(service: ServiceSpec) -> bool:
    """Whether the service's kind takes a generated password."""
    kind = service.catalog_kind
    return kind is not None and kind.needs_password


def password_vars(spec: Spec) -> tuple[str, ...]:
    """The password variables the generated compose file refers to, sorted."""
    return tuple(
        sorted(password_var(s.name) for s in spec.services if needs_password(s))
    )


def env_path(spec: Spec) -> Path:
    return spec.output_dir / ENV_NAME


def read_env(path: Path) -> dict[str, str]:
    """The ``KEY=value`` pairs of a dotenv file (quotes removed); {} if absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE_RE.match(line)
        if match:
            out[match.group(1)] = _unquote(match.group(2).strip())
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def ca_bundle(spec: Spec, environ: Mapping[str, str] | None = None) -> Path | None:
    """The CA bundle builds should trust, as an absolute path, or None."""
    if spec.ca_bundle:
        path = Path(spec.ca_bundle).expanduser()
        return (path if path.is_absolute() else spec.root / path).resolve()
    environ = os.environ if environ is None else environ
    for name in CA_SOURCES:
        value = environ.get(name)
        if value and Path(value).is_file():
            return Path(value).resolve()
    return None


def ensure_env(spec: Spec, environ: Mapping[str, str] | None = None) -> list[str]:
    """Create or update ``.env``: add missing passwords, refresh the CA path.

    Returns the names of the variables that were added or changed (never
    their values). Lines written by hand are kept as they are.
    """
    path = env_path(spec)
    try:
        old_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old_text = ""
    current = read_env(path)

    wanted: dict[str, str] = {}
    for name in password_vars(spec):
        wanted[name] = current.get(name) or secrets.token_urlsafe(_PASSWORD_BYTES)
    ca = ca_bundle(spec, environ)
    if ca is not None:
        if "'" in str(ca) or "\n" in str(ca):
            raise InputError(
                f"the CA bundle path {str(ca)!r} holds a quote or a "
                "newline, which a dotenv file cannot carry",
                hint="move the bundle to a plain path and name that in build.ca-bundle",
                title="Bad CA path",
            )
        wanted[CA_VAR] = str(ca)

    lines, changed = _merge(old_text, wanted, drop=set() if ca else {CA_VAR})
    text = "".join(f"{line}\n" for line in lines)
    if text != old_text or not path.exists():
        atomic_write(path, text.encode("utf-8"), mode=0o600)
    elif path.stat().st_mode & 0o777 != 0o600:
        path.chmod(0o600)
    return changed


def _merge(
    old_text: str, wanted: dict[str, str], drop: set[str]
) -> tuple[list[str], list[str]]:
    """Old lines with wanted values set in place, new ones appended."""
    lines: list[str] = []
    changed: list[str] = []
    done: set[str] = set()
    for line in old_text.splitlines():
        match = _LINE_RE.match(line)
        name = match.group(1) if match else None
        if name in drop:
            changed.append(str(name))
            continue
        if match and name in wanted and name not in done:
            new = f"{name}={_quote(wanted[name])}"
            if _unquote(match.group(2).strip()) != wanted[name]:
                changed.append(name)
                line = new
            done.add(name)
        lines.append(line)
    if not old_text:
        lines.append(
            "# Secrets of this environment, generated by envspec; keep "
            "this file out of git."
        )
    for name in wanted:
        if name not in done:
            lines.append(f"{name}={_quote(wanted[name])}")
            changed.append(name)
    return lines, changed


def _quote(value: str) -> str:
    # Single quotes: compose takes the value literally (no ${...} expansion).
    return value if re.match(r"^[A-Za-z0-9_./:@+-]*$", value) else f"'{value}'"


def mask(value: str) -> str:
    """A value shortened for display: the first four characters, then '…'."""
    return value[:4] + "…" if len(value) > 4 else "…"
