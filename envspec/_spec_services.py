"""The [services.NAME] tables of a spec, and the checks across services.

Each service is a catalog kind (its image and version follow from the kind)
or an image of its own with a health check. Across services, no host port
may be published twice and no two services may set the same variable in
the app.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from envspec import catalog
from envspec._spec_checks import ENV_RE, IMAGE_RE, Checker, entries
from envspec.spec import AppSpec, ServiceSpec

_SERVICE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def read_services(c: Checker, entry: tuple[Any, Any] | None) -> tuple[ServiceSpec, ...]:
    """The services of the [services] table, in the order the file gives them."""
    if entry is None or c.typed(entry, "table", "services") is None:
        return ()
    out: list[ServiceSpec] = []
    for key, item in entries(entry[1]):
        name = key.key
        at = _service_line(c, name, key)
        if not isinstance(item.unwrap() if hasattr(item, "unwrap") else item, dict):
            c.add(
                f"`services.{name}` must be a table",
                item,
                key,
                hint=f'write [services.{name}] with kind = "postgres"',
            )
            continue
        if not _SERVICE_RE.match(name):
            c.add_at(
                *at,
                f"service name {name!r} is not allowed",
                hint="use lowercase letters, digits, '-' and '_', starting "
                "with a letter (at most 63 characters)",
            )
            continue
        if name == "app":
            c.add_at(
                *at,
                "a service cannot be called `app`: that is the app's own",
                hint="rename it, e.g. [services.db]",
            )
            continue
        svc = _read_service(c, name, item, at)
        if svc:
            out.append(svc)
    return tuple(out)


def _read_service(
    c: Checker, name: str, table: Any, at: tuple[int, int]
) -> ServiceSpec | None:
    where = f"services.{name}"
    fields = c.table(table, where, "service", table)
    get = fields.get

    image = None
    if "image" in fields:
        image = c.typed(fields["image"], "str", f"{where}.image")
        if image is not None and not IMAGE_RE.match(image):
            c.add(
                f"{image!r} is not an image reference",
                fields["image"][1],
                hint='e.g. "minio/minio:latest" or "nginx:1.27"',
            )
            image = None

    kind = catalog.CUSTOM_KIND if "image" in fields and "kind" not in fields else None
    if "kind" in fields:
        kind = c.typed(fields["kind"], "str", f"{where}.kind")
        if (
            kind is not None
            and kind not in catalog.KINDS
            and kind != catalog.CUSTOM_KIND
        ):
            close = difflib.get_close_matches(kind, catalog.kind_names(), n=1)
            c.add(
                f"unknown service kind {kind!r}",
                fields["kind"][1],
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + f"known kinds: {', '.join(catalog.kind_names())}",
            )
            kind = None
    elif kind is None and (where, "kind") not in c.misspelled:
        c.add_at(
            *at,
            f"[{where}] needs `kind` (or `image`)",
            hint=f"known kinds: {', '.join(catalog.kind_names())}",
        )

    version = None
    if "version" in fields:
        item = fields["version"][1]
        raw = item.unwrap() if hasattr(item, "unwrap") else item
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            c.add(
                f"`{where}.version` must be a string, not a number",
                item,
                hint=f'quote it: version = "{raw}"',
            )
        else:
            version = c.typed(fields["version"], "str", f"{where}.version")
            if version is not None and not _TAG_RE.match(version):
                c.add(
                    f"{version!r} cannot be an image tag",
                    item,
                    hint="use letters, digits, '.', '-' and '_'",
                )
                version = None

    if kind == catalog.CUSTOM_KIND and image is None and "image" not in fields:
        c.add_at(
            *at,
            f'[{where}] with kind = "image" needs `image`',
            hint='e.g. image = "minio/minio:RELEASE.2024-01-01T00-00-00Z"',
        )

    healthcheck = None
    if "healthcheck" in fields:
        healthcheck = c.typed(fields["healthcheck"], "str", f"{where}.healthcheck")
        if healthcheck is not None and not healthcheck.strip():
            c.add(
                f"`{where}.healthcheck` is empty",
                fields["healthcheck"][1],
                hint="a command that exits 0 when the service is ready, "
                'e.g. "curl -fsS http://127.0.0.1:9000/"',
            )
            healthcheck = None
    elif kind == catalog.CUSTOM_KIND:
        c.add_at(
            *at,
            f"[{where}] runs its own image and needs `healthcheck`",
            hint="a command that exits 0 when ready, e.g. "
            'healthcheck = "curl -fsS http://127.0.0.1:9000/"',
        )

    url_var = None
    if "url-var" in fields:
        url_var = c.typed(fields["url-var"], "str", f"{where}.url-var")
        if url_var and not ENV_RE.match(url_var):
            c.add(
                f"{url_var!r} is not an environment variable name",
                fields["url-var"][1],
                hint='e.g. "DATABASE_URL"; "" to not wire it',
            )

    ports = c.port_list(get("ports"), f"{where}.ports")
    env = c.env(get("env"), f"{where}.env")
    command = c.command(get("command"), f"{where}.command")
    bind = c.bind(fields, f"{where}.bind")

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


def check_ports(c: Checker, app: AppSpec, services: tuple[ServiceSpec, ...]) -> None:
    """A problem for each host port that the app and a service, or two
    services, both publish."""
    owners: dict[int, str] = {p: "app" for p in app.ports}
    for svc in services:
        for port in svc.ports:
            if port in owners:
                c.add_at(
                    *_service_line(c, svc.name),
                    f"host port {port} of service {svc.name!r} is also "
                    f"published by {owners[port]!r}",
                    hint="give each published port once",
                )
            owners.setdefault(port, svc.name)


def check_clashes(c: Checker, services: tuple[ServiceSpec, ...]) -> None:
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
            c.add_at(
                *_service_line(c, svc.name),
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
            c.add_at(
                *_service_line(c, svc.name),
                f"services {wired[var]!r} and {svc.name!r} would both set "
                f"{var} in the app",
                hint=f'give this one its own, e.g. url-var = "{key.upper()}_URL",'
                ' or url-var = "" to not wire it',
            )
        wired.setdefault(var, svc.name)


def _service_line(c: Checker, name: str, *items: object) -> tuple[int, int]:
    """Where [services.NAME] starts (its header, or its first key)."""
    quoted = re.escape(name)
    pattern = rf'^[ \t]*\[[ \t]*services[ \t]*\.[ \t]*("?){quoted}\1[ \t]*\]'
    match = re.search(pattern, c.loc.text, re.M)
    if match:
        return c.loc.line_col(
            match.start() + len(match.group(0)) - len(match.group(0).lstrip())
        )
    return c.loc.position(*items)
