"""Locks built in memory for the render and generate tests (no network).

``fake_lock(spec)`` pins every interpreter and service of a spec to digests
and hashes derived from their names, so that the same spec always gives the
same lock and the snapshots stay byte-identical.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from envspec.lockfile import Lock, LockedImage, LockedInterpreter, LockedPackage
from envspec.spec import Spec, load_spec

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

# The specs the snapshot tests render: name -> folder holding envspec.toml.
SPEC_DIRS = {
    "django-drf": ROOT / "samples" / "django-drf",
    "all-kinds": SNAPSHOTS / "all-kinds",
    "custom-image": SNAPSHOTS / "custom-image",
}

_PATCH = {"3.9": "3.9.21", "3.10": "3.10.16", "3.11": "3.11.2", "3.12": "3.12.11",
          "3.13": "3.13.5", "3.14": "3.14.0"}


def fake_digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


def fake_package(name: str, version: str, *via: str) -> LockedPackage:
    hashes = tuple(sorted(fake_digest(name, version, str(i)) for i in range(2)))
    return LockedPackage(name=name, version=version, hashes=hashes,
                         via=tuple(sorted(via)))


def fake_lock(spec: Spec) -> Lock:
    """A lock that matches ``spec``, as `envspec lock` would write it."""
    interpreters = []
    for version in spec.python.versions:
        packages = [fake_package(r.name, "1.0", "envspec.toml")
                    for r in spec.python.packages]
        interpreters.append(LockedInterpreter(
            version=version, image=spec.python.image_for(version),
            digest=fake_digest("python", version), python=_PATCH[version],
            packages=tuple(sorted(packages, key=lambda p: p.name)),
        ))
    services = tuple(
        LockedImage(s.name, s.image, fake_digest("image", s.image))
        for s in sorted(spec.services, key=lambda s: s.name)
    )
    return Lock(
        spec_hash=spec.digest(), spec=spec.meaning(),
        platforms=spec.python.platforms,
        installer=fake_package("uv", "0.8.3"),
        interpreters=tuple(interpreters), services=services,
    )


def load(name: str) -> tuple[Spec, Lock]:
    spec = load_spec(SPEC_DIRS[name] / "envspec.toml")
    return spec, fake_lock(spec)


def project(tmp_path: Path, name: str) -> tuple[Spec, Lock]:
    """A copy of a snapshot spec in ``tmp_path`` with its lock written beside it."""
    import shutil

    target = tmp_path / name
    target.mkdir()
    shutil.copy(SPEC_DIRS[name] / "envspec.toml", target / "envspec.toml")
    spec = load_spec(target / "envspec.toml")
    lock = fake_lock(spec)
    (target / "envspec.lock").write_text(lock.dumps(), encoding="utf-8")
    return spec, lock
