"""How two locks differ: the account ``envspec lock`` prints and returns.

Per interpreter: packages added, removed, upgraded, downgraded or rehashed,
and a changed image or Python; then service images and the installer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envspec.lockfile import Lock


@dataclass
class InterpreterChanges:
    version: str
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    upgraded: list[tuple[str, str, str]] = field(default_factory=list)
    downgraded: list[tuple[str, str, str]] = field(default_factory=list)
    rehashed: list[str] = field(default_factory=list)  # same version, new hashes
    image: tuple[str, str] | None = None  # old, new reference
    python: tuple[str, str] | None = None  # old, new exact version
    status: str = "changed"  # "new", "dropped" or "changed"

    @property
    def empty(self) -> bool:
        return self.status == "changed" and not (
            self.added
            or self.removed
            or self.upgraded
            or self.downgraded
            or self.rehashed
            or self.image
            or self.python
        )


@dataclass
class Changes:
    interpreters: list[InterpreterChanges] = field(default_factory=list)
    services: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    installer: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        return (
            all(i.empty for i in self.interpreters)
            and not self.services
            and self.installer is None
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "interpreters": [
                {
                    "version": i.version,
                    "status": i.status,
                    "added": [{"name": n, "version": v} for n, v in i.added],
                    "removed": [{"name": n, "version": v} for n, v in i.removed],
                    "upgraded": [
                        {"name": n, "from": a, "to": b} for n, a, b in i.upgraded
                    ],
                    "downgraded": [
                        {"name": n, "from": a, "to": b} for n, a, b in i.downgraded
                    ],
                    "rehashed": i.rehashed,
                    "image": {"from": i.image[0], "to": i.image[1]}
                    if i.image
                    else None,
                    "python": {"from": i.python[0], "to": i.python[1]}
                    if i.python
                    else None,
                }
                for i in self.interpreters
                if not i.empty
            ],
            "services": [{"name": n, "from": a, "to": b} for n, a, b in self.services],
            "installer": {"from": self.installer[0], "to": self.installer[1]}
            if self.installer
            else None,
        }

    def lines(self) -> list[str]:
        """A readable account, one change a line."""
        out: list[str] = []
        for i in self.interpreters:
            if i.empty:
                continue
            if i.status == "dropped":
                out.append(f"Python {i.version}: removed from the lock")
                continue
            out.append(
                f"Python {i.version}" + (" (new)" if i.status == "new" else "") + ":"
            )
            out += [
                f"  {what:<11} {_change(pair)}"
                for what, pair in (("python", i.python), ("image", i.image))
                if pair
            ]
            out += [f"  added       {n} {v}" for n, v in i.added]
            out += [f"  removed     {n} {v}" for n, v in i.removed]
            out += [f"  upgraded    {n} {a} -> {b}" for n, a, b in i.upgraded]
            out += [f"  downgraded  {n} {a} -> {b}" for n, a, b in i.downgraded]
            out += [f"  rehashed    {n}" for n in i.rehashed]
        for name, old, new in self.services:
            out.append(f"service {name}: {_change((old or '', new or 'removed'))}")
        if self.installer:
            out.append(f"installer uv: {_change(self.installer)}")
        return out


def _change(pair: tuple[str, str]) -> str:
    return f"{pair[0]} -> {pair[1]}" if pair[0] else pair[1]


def diff_locks(old: Lock | None, new: Lock) -> Changes:
    """What changes from ``old`` to ``new`` (everything is added if no old)."""
    from packaging.version import InvalidVersion, Version

    def older(a: str, b: str) -> bool:
        try:
            return Version(a) < Version(b)
        except InvalidVersion:
            return a < b

    changes = Changes()
    before = {i.version: i for i in old.interpreters} if old else {}
    after = {i.version: i for i in new.interpreters}
    for version in [*after, *(v for v in before if v not in after)]:
        ch = InterpreterChanges(version)
        changes.interpreters.append(ch)
        if version not in after:
            ch.status = "dropped"
            continue
        a = before.get(version)
        b = after[version]
        if a is None:
            ch.status = "new"
        if a is None or a.reference != b.reference:
            ch.image = (a.reference if a else "", b.reference)
        if a is None or a.python != b.python:
            ch.python = (a.python if a else "", b.python)
        old_pkgs = {p.name: p for p in a.packages} if a else {}
        new_pkgs = {p.name: p for p in b.packages}
        for name in sorted(set(old_pkgs) | set(new_pkgs)):
            if name not in old_pkgs:
                ch.added.append((name, new_pkgs[name].version))
            elif name not in new_pkgs:
                ch.removed.append((name, old_pkgs[name].version))
            elif old_pkgs[name].version != new_pkgs[name].version:
                was, now = old_pkgs[name].version, new_pkgs[name].version
                target = ch.downgraded if older(now, was) else ch.upgraded
                target.append((name, was, now))
            elif old_pkgs[name].hashes != new_pkgs[name].hashes:
                ch.rehashed.append(name)

    old_svcs = {s.service: s.reference for s in old.services} if old else {}
    new_svcs = {s.service: s.reference for s in new.services}
    for name in sorted(set(old_svcs) | set(new_svcs)):
        if old_svcs.get(name) != new_svcs.get(name):
            changes.services.append((name, old_svcs.get(name), new_svcs.get(name)))

    if old is None or old.installer != new.installer:
        was = old.installer.version if old else ""
        if was != new.installer.version or old is None:
            changes.installer = (was, new.installer.version)
        else:
            changes.installer = (was, f"{new.installer.version} (new hashes)")
    return changes
