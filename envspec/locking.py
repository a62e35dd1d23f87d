"""Making a lock from a spec, checking one, and saying how two locks differ.

``make_lock`` pins everything a rebuild depends on: each interpreter's image
by digest with the exact Python inside it, each interpreter's packages
(resolved by uv, see :mod:`envspec.resolve`), each service's image by digest,
and the uv wheel that installs the packages inside the images. It returns the
new lock without writing it; the command writes it only once all of it has
resolved, so a failure or Ctrl-C leaves the old lock as it was.

``check_lock`` answers ``envspec lock --check`` from the spec and the lock
alone: no network, no engine, no uv, and no import of any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envspec import seen
from envspec.errors import InputError
from envspec.lockfile import Lock, LockedImage, LockedInterpreter, LockedPackage
from envspec.spec import DEFAULT_PYTHON_IMAGE, Spec, diff_meaning, meaning_digest

if TYPE_CHECKING:
    from envspec.images import Registry

log = logging.getLogger("envspec.lock")


# --------------------------------------------------------------------------
# Checking


def check_lock(spec: Spec, lock: Lock) -> tuple[str, ...]:
    """What makes the lock out of date with the spec; empty when it is fresh.

    Needs no network and no engine. A new upstream release never makes a
    lock stale: only a change in what the spec means, or a lock that does
    not cover the spec's interpreters, platforms and services.
    """
    reasons: list[str] = []
    if lock.spec_hash != spec.digest():
        reasons += diff_meaning(lock.spec, spec.meaning()) or [
            "the spec's hash differs from the one the lock records"
        ]
    elif meaning_digest(lock.spec) != lock.spec_hash:
        reasons.append(
            "the spec recorded in the lock does not match its hash "
            "(was the lock edited by hand?)"
        )

    py = spec.python
    locked = [i.version for i in lock.interpreters]
    if locked != list(py.versions):
        reasons.append(
            f"the lock has interpreters {locked}, the spec asks for {list(py.versions)}"
        )
    for interp in lock.interpreters:
        if interp.version in py.versions and interp.image != py.image_for(
            interp.version
        ):
            reasons.append(
                f"Python {interp.version}: the lock pins {interp.image}, "
                f"the spec names {py.image_for(interp.version)}"
            )
    if sorted(lock.platforms) != sorted(py.platforms):
        reasons.append(
            f"the lock serves {sorted(lock.platforms)}, the spec asks "
            f"for {sorted(py.platforms)}"
        )

    locked_services = {s.service: s.image for s in lock.services}
    wanted = {s.name: s.image for s in spec.services}
    for name in sorted(set(locked_services) | set(wanted)):
        if name not in locked_services:
            reasons.append(f"service {name}: not in the lock")
        elif name not in wanted:
            reasons.append(f"service {name}: in the lock but no longer in the spec")
        elif locked_services[name] != wanted[name]:
            reasons.append(
                f"service {name}: the lock pins {locked_services[name]}, "
                f"the spec names {wanted[name]}"
            )
    return tuple(dict.fromkeys(reasons))


# --------------------------------------------------------------------------
# Locking


@dataclass(frozen=True)
class Options:
    upgrade: bool = False  # re-resolve every package and re-pin every image
    upgrade_packages: tuple[str, ...] = ()
    upgrade_images: bool = False  # re-pin every image to its tag's digest now


Progress = Callable[[str], None]


def make_lock(
    spec: Spec,
    previous: Lock | None,
    registry: Registry,
    options: Options = Options(),
    progress: Progress = lambda _text: None,
) -> Lock:
    """Resolve the spec into a new lock (not written).

    Images are pinned first (each interpreter's exact Python decides what uv
    resolves for); then the uv runs, which are nearly all network waits, go
    in parallel, one per interpreter plus the installer, while the service
    images are pinned.
    """
    from envspec import resolve

    py = spec.python
    platforms = tuple(sorted(py.platforms))
    indexes = resolve.Indexes.from_spec(py, spec.root)
    _check_upgrade_names(options, previous, {r.name for r in py.packages})
    # Packages depend on the python table alone (and on each exact Python):
    # where neither changed, the old resolution stands, with no uv run.
    same_python = (
        previous is not None
        and not (options.upgrade or options.upgrade_packages)
        and previous.spec.get("python") == spec.meaning().get("python")
    )

    # Find uv before any thread does: find_uv_bin() reads sysconfig, whose
    # first use is not thread-safe (a racing thread can see EXE as None).
    resolve.uv_binary()
    problems: list[InputError] = []  # every image problem, reported together
    # A guess at each image's exact Python lets uv start before the engine
    # answers; a guess is used only if the pinned image proves it right.
    guesses = _guesses(spec, previous)
    with ThreadPoolExecutor(max_workers=2 * len(py.versions) + 1) as pool:
        # The uv wheel does not depend on the exact Python, so its pin starts
        # at once and overlaps the image lookups below.
        installer = pool.submit(
            _installer, indexes, py.versions[0], platforms, previous, options, progress
        )

        def request_for(version: str) -> resolve.Request:
            return resolve.Request(
                requirements=py.packages,
                indexes=indexes,
                preferences={} if options.upgrade else _pins(previous, version),
                upgrade_packages=options.upgrade_packages,
            )

        locked = previous.interpreters if previous else ()
        early: dict[str, tuple[str, Future[tuple[LockedPackage, ...]]]] = {}
        for version in py.versions:
            guess = guesses.get(version)
            kept = next((i for i in locked if i.version == version), None)
            if guess is None or (same_python and kept is not None):
                continue  # nothing to go on, or likely no uv run at all
            progress(f"resolving packages for Python {guess} on {', '.join(platforms)}")
            early[version] = (
                guess,
                pool.submit(
                    resolve.resolve, request_for(version), version, guess, platforms
                ),
            )

        # Each interpreter's resolution starts as soon as its image is pinned:
        # the exact Python inside the image decides what uv resolves for.
        images: list[tuple[str, str, str, str]] = []  # version, image, digest, exact
        resolving: list[Future[tuple[LockedPackage, ...]]] = []
        for version in py.versions:
            image = py.image_for(version)
            old = next((i for i in locked if i.image == image), None)
            try:
                custom = py.image != DEFAULT_PYTHON_IMAGE
                place = _where(spec, "image" if custom else "versions")
                digest = _pin(
                    registry,
                    image,
                    old.digest if old else None,
                    options,
                    progress,
                    place,
                )
                _check_platforms(registry, image, digest, spec, f"Python {version}")
                exact = _python_in(registry, image, digest, version, previous)
            except InputError as exc:
                problems.append(exc)
                continue
            images.append((version, image, digest, exact))

            kept = next((i for i in locked if i.version == version), None)
            if same_python and kept is not None and kept.python == exact:
                progress(f"Python {exact}: the packages' inputs are unchanged")
                resolving.append(_done(kept.packages))
                continue
            guess, started = early.pop(version, (None, None))
            if started is not None and guess == exact:
                resolving.append(started)
                continue
            if started is not None:
                started.cancel()  # a wrong guess: its result, if any, is dropped
                log.info("image holds Python %s, not %s as last seen", exact, guess)
            progress(f"resolving packages for Python {exact} on {', '.join(platforms)}")
            resolving.append(
                pool.submit(
                    resolve.resolve, request_for(version), version, exact, platforms
                )
            )

        services = []
        pinned = {s.image: s.digest for s in previous.services} if previous else {}
        for svc in sorted(spec.services, key=lambda s: s.name):
            what = f"service {svc.name}"
            try:
                place = _where(spec, f"[services.{svc.name}]")
                digest = _pin(
                    registry, svc.image, pinned.get(svc.image), options, progress, place
                )
                _check_platforms(registry, svc.image, digest, spec, what)
            except InputError as exc:
                problems.append(exc)
                continue
            services.append(LockedImage(svc.name, svc.image, digest))
        if problems:
            for future in [*resolving, *(f for _, f in early.values())]:
                future.cancel()
            raise _together(problems)

        # Results in spec order, so the error reported is the first interpreter's.
        interpreters = [
            LockedInterpreter(version, image, digest, exact, future.result())
            for (version, image, digest, exact), future in zip(
                images, resolving, strict=True
            )
        ]
        seen.remember("pythons", {i.image: i.python for i in interpreters})
        return Lock(
            spec_hash=spec.digest(),
            spec=spec.meaning(),
            platforms=platforms,
            installer=installer.result(),
            interpreters=tuple(interpreters),
            services=tuple(services),
        )


def _guesses(spec: Spec, previous: Lock | None) -> dict[str, str]:
    """Each interpreter's likely exact Python: the old lock's, else the last seen."""
    last_seen = seen.load("pythons")
    locked = {i.image: i.python for i in previous.interpreters} if previous else {}
    guesses = {}
    for version in spec.python.versions:
        image = spec.python.image_for(version)
        guess = locked.get(image) or last_seen.get(image)
        if guess and (guess == version or guess.startswith(f"{version}.")):
            guesses[version] = guess
    return guesses


def _done(packages: tuple[LockedPackage, ...]) -> Future[tuple[LockedPackage, ...]]:
    future: Future[tuple[LockedPackage, ...]] = Future()
    future.set_result(packages)
    return future


def _together(problems: list[InputError]) -> InputError:
    """One error for every image problem of a lock, so none waits for a rerun."""
    if len(problems) == 1:
        return problems[0]
    hints = list(dict.fromkeys(p.hint for p in problems if p.hint))
    return InputError(
        "\n".join(p.message for p in problems),
        hint="; ".join(hints) or None,
        title=problems[0].title,
    )


def _pin(
    registry: Registry,
    image: str,
    old: str | None,
    options: Options,
    progress: Progress,
    place: str,
) -> str:
    """The digest to lock ``image`` at: the old one while it can still be had.

    As with packages, a re-lock keeps what the spec still allows: a new push
    under the same tag moves the pin only with --upgrade or --upgrade-images.
    A pinned digest that its registry no longer serves (deleted, or a mirror
    that holds other builds) is re-pinned, and the lock's account shows it.
    """
    if old is not None and not (options.upgrade or options.upgrade_images):
        if registry.has(image, old):
            return old
        log.info(
            "pinned image no longer available",
            extra={"image": image, "digest": old},
        )
        progress(f"{image}@{old[:19]}… is no longer in its registry; re-pinning")
    progress(f"pinning {image}")
    try:
        return registry.digest(image)
    except InputError as exc:
        raise InputError(
            f"{place}{exc.message}", hint=exc.hint, title=exc.title
        ) from exc


def _check_platforms(
    registry: Registry,
    image: str,
    digest: str,
    spec: Spec,
    what: str,
) -> None:
    """Refuse an image with no variant for a platform the lock serves.

    An amd64-only image would otherwise lock fine and fail on an arm64
    laptop at its first build or pull.
    """
    platforms = sorted(spec.python.platforms)
    has = registry.platforms(image, digest)
    missing = [p for p in platforms if p not in has]
    if missing:
        raise InputError(
            f"{_where(spec, 'platforms')}{what}: the image {image} has no variant "
            f"for {', '.join(missing)} "
            f"(it has {', '.join(sorted(has)) or 'none'}), and the lock must serve "
            f"{', '.join(platforms)}",
            hint="drop the platform from python.platforms, or name an image built "
            "for it (python.image, or the service's version or image)",
            title="Image lacks a platform",
        )


def _where(spec: Spec, key: str) -> str:
    """``envspec.toml:LINE: `` for the first line that sets ``key`` (or opens
    the table ``[key]``), if there is one."""
    import re

    try:
        text = spec.path.read_text(encoding="utf-8-sig")
    except OSError:
        return ""
    if key.startswith("["):
        pattern = rf"\s*\[\s*{re.escape(key[1:-1])}\s*\]"
    else:
        pattern = rf"\s*{re.escape(key)}\s*="
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(pattern, line):
            return f"{spec.path.name}:{number}: "
    return f"{spec.path.name}: "


def _python_in(
    registry: Registry, image: str, digest: str, version: str, previous: Lock | None
) -> str:
    """The exact Python in the image; reused from the old lock when it is the same."""
    from envspec.images import pinned

    if previous is not None:
        for old in previous.interpreters:
            if old.image == image and old.digest == digest:
                return old.python
    exact = registry.python_version(pinned(image, digest))
    if exact != version and not exact.startswith(f"{version}."):
        raise InputError(
            f"the image {image} holds Python {exact or '(none found)'}, not {version}",
            hint="python.image must give each version of python.versions an image "
            'of that Python, e.g. "python:{version}-slim"',
            title="Wrong interpreter image",
        )
    return exact


def _pins(previous: Lock | None, version: str) -> dict[str, str]:
    if previous is None:
        return {}
    for interp in previous.interpreters:
        if interp.version == version:
            return {p.name: p.version for p in interp.packages if not p.url}
    return {}


def _check_upgrade_names(
    options: Options, previous: Lock | None, direct: set[str]
) -> None:
    from packaging.utils import canonicalize_name

    locked = {
        p.name for i in (previous.interpreters if previous else ()) for p in i.packages
    }
    unknown = [
        n
        for n in options.upgrade_packages
        if canonicalize_name(n) not in locked | direct
    ]
    if unknown:
        from envspec.errors import UsageError

        raise UsageError(
            f"--upgrade-package names {', '.join(unknown)}, which the lock does not "
            "hold and the spec does not require",
            hint="name a package from envspec.lock, or add it to python.packages",
        )


def _installer(
    indexes: Any,
    python: str,
    platforms: Sequence[str],
    previous: Lock | None,
    options: Options,
    progress: Progress,
) -> LockedPackage:
    """The uv wheel image builds install packages with, hashed per platform.

    Kept from the previous lock while envspec runs the same uv for the same
    platforms, as any other pin is.
    """
    from envspec import resolve
    from envspec.spec import Requirement_

    version = resolve.uv_version()
    old = previous.installer if previous else None
    if (
        old is not None
        and old.version == version
        and previous is not None
        and tuple(previous.platforms) == tuple(platforms)
        and not options.upgrade
    ):
        return old
    # The pin depends on these alone, so an earlier lock's serves a new one.
    key = " ".join([version, *platforms, *indexes.arguments()])
    cached = _hashes(seen.load("installers").get(key))
    if not options.upgrade and cached:
        log.info("installer pin from an earlier lock", extra={"key": key})
        return LockedPackage(name="uv", version=version, hashes=cached)
    progress(f"pinning the installer uv {version}")
    request = resolve.Request(
        requirements=[Requirement_(f"uv=={version}", "uv", "envspec")],
        indexes=indexes,
    )
    packages = resolve.resolve(request, resolve.INSTALLER, python, platforms)
    (uv,) = [p for p in packages if p.name == "uv"]
    seen.remember("installers", {key: list(uv.hashes)})
    return LockedPackage(name="uv", version=uv.version, hashes=uv.hashes)


def _hashes(value: object) -> tuple[str, ...]:
    """Sorted sha256 hashes from the cache, or () where it holds anything else."""
    if isinstance(value, list) and all(
        isinstance(h, str) and h.startswith("sha256:") for h in value
    ):
        return tuple(sorted(value))
    return ()
