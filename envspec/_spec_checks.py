"""The checks every table of a spec is read with.

A :class:`Checker` walks a located TOML document (``envspec.tomlpos``) and
collects each problem at its line and column instead of stopping at the
first: keys a table does not accept, values of the wrong type, and the kinds
of value that several tables share (ports, environment, commands, bind
addresses, index URLs). ``envspec._spec_validate`` builds the spec with it.
"""

from __future__ import annotations

import difflib
import re
import shlex
from pathlib import Path
from typing import Any

from envspec import tomlpos
from envspec.errors import Problem

ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IMAGE_RE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"  # registry host
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"  # path
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"  # tag
    r"(?:@sha256:[0-9a-f]{64})?$"
)

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


class Checker:
    """Collects the problems of one located document, each at its place."""

    def __init__(self, located: tomlpos.Located) -> None:
        self.loc = located
        self.path = located.path
        self.problems: list[Problem] = []
        # (table, key) pairs an unknown key was taken for, as "did you mean":
        # a check that finds the key missing says nothing more about it.
        self.misspelled: set[tuple[str, str]] = set()

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
        for key, item in entries(container):
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
                if close:
                    self.misspelled.add((where, close[0]))
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

    # -- values that several tables share

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
        if has_credentials(value):
            self.add(
                f"`{where}` holds a user name or password",
                entry[1],
                hint=CREDENTIALS_HINT,
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
            elif has_credentials(value):
                self.add(
                    f"`{where}` holds a URL with a user name or password",
                    item,
                    hint=CREDENTIALS_HINT,
                )
            else:
                out.append(value)
        return out

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
        for key, item in entries(entry[1]):
            value = item.unwrap() if hasattr(item, "unwrap") else item
            if not ENV_RE.match(key.key):
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
        return [pair for item in self.items for pair in entries(item)]

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


def entries(container: Any) -> list[tuple[Any, Any]]:
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
    if (
        want == "list"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return f"wrap it in brackets: {where.rsplit('.', 1)[-1]} = [{value}]"
    if want == "str" and isinstance(value, int | float):
        return f'quote it: {where.rsplit(".", 1)[-1]} = "{value}"'
    if want == "table":
        return f"write it as [{where}] with keys below it"
    return "see the spec reference in the README"


# TODO: a private index needs its credentials inside the build as well; the
# next step is to take them from the environment and pass them to uv as a
# BuildKit secret, as the CA bundle is, and then say so in this hint.
CREDENTIALS_HINT = (
    "envspec.toml, the lock and the generated Dockerfiles are committed and "
    "built into images, so a password here would leak; use an index that "
    "needs none, such as a mirror inside your network"
)


def has_credentials(url: str) -> bool:
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
