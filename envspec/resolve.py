"""Resolving Python requirements with uv into hashed, annotated pins.

envspec does not resolve packages itself: it runs ``uv pip compile`` once per
interpreter and platform, for the exact Python version found in the image and
a manylinux platform, with hashes, and reads uv's requirements output back
into :class:`~envspec.lockfile.LockedPackage` values. uv runs as a subprocess
found through the ``uv`` package, never through PATH, and is never allowed
to download an interpreter (it would fail here, slowly).

Pins are kept between locks the way pip-tools keeps them: the previous pins
are written to the file uv is told to write (``-o``), which uv reads as
preferences before overwriting it. ``--upgrade`` drops them all,
``--upgrade-package`` one.

uv's failures are translated once, here: an unsatisfiable or unknown
requirement, or a package with no distribution for a platform, is a
ResolutionError (exit 2) carrying uv's own explanation; a network failure is
a RunError (exit 1).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from packaging.utils import canonicalize_name

from envspec.errors import ResolutionError, RunError
from envspec.lockfile import LockedPackage
from envspec.spec import PythonSpec, Requirement_

log = logging.getLogger("envspec.lock")

# The manylinux level a platform is resolved for: glibc 2.28 or newer, which
# every Debian-based python image of a supported version has.
UV_PLATFORMS = {
    "linux/amd64": "x86_64-manylinux_2_28",
    "linux/arm64": "aarch64-manylinux_2_28",
}
# The label of the resolution that pins the uv wheel itself.
INSTALLER = "installer"
# The machine a platform-only package is restricted to in the lock.
_MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}

_NETWORK_SIGNS = (
    "failed to fetch",
    "error sending request",
    "dns error",
    "connection refused",
    "tcp connect error",
    "operation timed out",
    "request failed after",
    "invalid peer certificate",
    "certificate",
    "network is unreachable",
)
_PLATFORM_RE = re.compile(
    r"Because (?:all versions of |only )?([A-Za-z0-9][A-Za-z0-9._-]*)"
    r"(?:[=<>!~]=?[^ ]*)? has no (?:wheels with a matching (platform|Python ABI|"
    r"Python implementation) tag|usable wheels)"
)
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z0-9]")
_NOISE_RE = re.compile(
    r"^(Resolved \d+ packages?|Prepared |Built |Building |"
    r"Downloading |Downloaded |Using |Audited )"
)


@dataclass(frozen=True)
class Indexes:
    """Where packages come from, as the spec says."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # URLs, or paths made absolute

    @classmethod
    def from_spec(cls, python: PythonSpec, root: Path) -> Indexes:
        links = tuple(
            link if re.match(r"^[a-z]+://", link) else str((root / link).resolve())
            for link in python.find_links
        )
        return cls(python.index_url, python.extra_index_urls, links)

    def arguments(self) -> list[str]:
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in self.find_links:
            args += ["--find-links", link]
        return args


@dataclass(frozen=True)
class Target:
    """One resolution: an interpreter (exact version) on one platform."""

    label: str  # "3.13", as the spec names the interpreter
    python: str  # "3.13.5"
    platform: str  # "linux/amd64"

    def describe(self) -> str:
        if self.label == INSTALLER:
            return f"the uv installer (for Python {self.python}) on {self.platform}"
        return f"Python {self.label} ({self.python}) on {self.platform}"


@dataclass
class Request:
    """What to resolve and how much of the previous lock to keep."""

    requirements: Sequence[Requirement_]
    indexes: Indexes = field(default_factory=Indexes)
    preferences: Mapping[str, str] = field(default_factory=dict)  # name -> version
    upgrade_packages: Sequence[str] = ()


@cache
def uv_binary() -> str:
    """The uv executable of the installed ``uv`` package (not the one on PATH)."""
    from uv import find_uv_bin

    return find_uv_bin()


@cache
def uv_version() -> str:
    """The version of the uv that envspec runs.

    The ``uv`` package ships its binary, so the package's version is the
    binary's; ``uv --version`` answers only where the metadata is missing.
    """
    from importlib import metadata

    try:
        return metadata.version("uv")
    except metadata.PackageNotFoundError:
        pass
    done = subprocess.run(
        [uv_binary(), "--version"], capture_output=True, text=True, check=False
    )
    match = re.match(r"^uv (\S+)", done.stdout)
    if done.returncode != 0 or not match:
        raise RunError(
            f"`{uv_binary()} --version` failed: {done.stderr.strip()}",
            hint="reinstall envspec's dependencies (pip install -U uv)",
        )
    return match.group(1)


def resolve(
    request: Request, label: str, python: str, platforms: Sequence[str]
) -> tuple[LockedPackage, ...]:
    """Resolve the requirements for one interpreter on every platform.

    The first platform is resolved with the previous pins as preferences; each
    further platform prefers what the first one chose, so that all platforms
    agree on versions wherever the requirements allow. A package that only
    some platforms need is locked with a ``platform_machine`` marker.
    """
    if not request.requirements:
        return ()
    results: list[tuple[str, dict[str, LockedPackage]]] = []
    for number, platform in enumerate(platforms):
        target = Target(label, python, platform)
        if number == 0:
            pins = compile_once(request, target)
        else:
            first = results[0][1]
            prefs = {**request.preferences, **{n: p.version for n, p in first.items()}}
            later = replace(
                request,
                preferences=prefs,
                upgrade_packages=[
                    n
                    for n in request.upgrade_packages
                    if canonicalize_name(n) not in first
                ],
            )
            pins = compile_once(later, target)
        results.append((platform, {p.name: p for p in pins}))
    return merge_platforms(results, label)


def merge_platforms(
    results: Sequence[tuple[str, Mapping[str, LockedPackage]]], label: str
) -> tuple[LockedPackage, ...]:
    """One package list from per-platform resolutions of the same interpreter."""
    names = sorted({name for _, pins in results for name in pins})
    merged: list[LockedPackage] = []
    for name in names:
        found = [(platform, pins[name]) for platform, pins in results if name in pins]
        versions = {pkg.version for _, pkg in found}
        if len(versions) > 1:
            chosen = ", ".join(f"{pkg.version} on {plat}" for plat, pkg in found)
            raise ResolutionError(
                f"Python {label}: the platforms need different versions of {name} "
                f"({chosen}), and a lock holds one version per interpreter",
                hint=f"pin {name} to one version in envspec.toml, or lock fewer "
                "platforms",
                title="Platforms disagree",
            )
        first = found[0][1]
        hashes = tuple(sorted({h for _, pkg in found for h in pkg.hashes}))
        via = tuple(sorted({v for _, pkg in found for v in pkg.via}))
        marker = None
        if len(found) < len(results):
            machines = sorted(_MACHINES[plat] for plat, _ in found)
            marker = " or ".join(f"platform_machine == '{m}'" for m in machines)
        merged.append(replace(first, hashes=hashes, via=via, marker=marker))
    return tuple(merged)


def compile_once(request: Request, target: Target) -> list[LockedPackage]:
    """Run ``uv pip compile`` for one target and return its pins."""
    with tempfile.TemporaryDirectory(prefix="envspec-lock-") as tmp:
        folder = Path(tmp)
        sources = _write_inputs(folder, request.requirements)
        output = folder / "pins.txt"
        output.write_text(
            "".join(
                f"{name}=={version}\n"
                for name, version in sorted(request.preferences.items())
            )
        )
        argv = [
            uv_binary(),
            "pip",
            "compile",
            *sorted(sources),
            "--output-file",
            output.name,
            "--generate-hashes",
            "--no-header",
            "--python-version",
            target.python,
            "--python-platform",
            UV_PLATFORMS[target.platform],
            "--python",
            sys.executable,
            "--no-config",
            "--no-progress",
            *request.indexes.arguments(),
        ]
        for name in sorted(request.upgrade_packages):
            argv += ["--upgrade-package", name]
        started = time.monotonic()
        done = _run(argv, folder)
        seconds = round(time.monotonic() - started, 3)

        if done.returncode != 0:
            raise _failure(done.stderr, target, sources, request.requirements)
        pins = parse_requirements(output.read_text(encoding="utf-8"), sources)
    log.info(
        "resolved %d packages for %s in %.2f s",
        len(pins),
        target.describe(),
        seconds,
        extra={
            "python": target.python,
            "platform": target.platform,
            "packages": len(pins),
            "seconds": seconds,
        },
    )
    return pins


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    log.debug("running %s", " ".join(argv), extra={"argv": argv})
    from envspec import procs

    try:
        # Through procs: a SIGINT must stop uv, whose waiter is a worker thread.
        return procs.run(argv, cwd=cwd, env=env)
    except OSError as exc:
        raise RunError(
            f"could not run uv ({argv[0]}): {exc}",
            hint="reinstall envspec's dependencies (pip install -U uv)",
            title="uv missing",
        ) from exc


def _write_inputs(folder: Path, requirements: Iterable[Requirement_]) -> dict[str, str]:
    """One input file per source, so uv's ``-r`` annotations name the source.

    Returns {input file name: source name}, e.g. {"src-0.in": "envspec.toml"}.
    """
    by_source: dict[str, list[str]] = {}
    for req in requirements:
        source = req.source.rsplit(":", 1)[0] if ":" in req.source else req.source
        by_source.setdefault(source, []).append(req.text)
    names: dict[str, str] = {}
    for number, source in enumerate(sorted(by_source)):
        name = f"src-{number}.in"
        (folder / name).write_text("".join(f"{t}\n" for t in sorted(by_source[source])))
        names[name] = source
    return names


@dataclass
class _Pin:
    """A pin being read from uv's output."""

    name: str
    version: str
    url: str | None = None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    def locked(self) -> LockedPackage:
        return LockedPackage(
            name=self.name,
            version=self.version,
            hashes=tuple(sorted(set(self.hashes))),
            via=tuple(sorted(set(self.via))),
            url=self.url,
        )


def parse_requirements(text: str, sources: Mapping[str, str]) -> list[LockedPackage]:
    """Read uv's hashed, annotated requirements output into pins.

    ``sources`` maps the input file names uv was given to the source names a
    lock shows for direct requirements (``-r src-0.in`` -> ``envspec.toml``).
    """
    pins: list[_Pin] = []
    in_via = False
    for raw in text.splitlines():
        line = raw.rstrip().removesuffix("\\").strip()
        if not line:
            continue
        if not raw[0].isspace() and not line.startswith(("#", "-")):
            pins.append(_requirement_head(line))
            in_via = False
        elif not pins:
            continue
        elif line.startswith("--hash="):
            pins[-1].hashes.append(line.split("=", 1)[1])
        elif line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                pins[-1].via.append(_via(rest, sources))
        elif in_via and line.startswith("#   "):
            pins[-1].via.append(_via(line[4:].strip(), sources))
        else:
            in_via = False
    return [pin.locked() for pin in pins]


def _requirement_head(line: str) -> _Pin:
    line = line.split(";", 1)[0].strip()
    if " @ " in line:
        name, url = (part.strip() for part in line.split(" @ ", 1))
        return _Pin(_canonical(name), _version_from_url(url), url)
    match = re.match(
        r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*(\S+)$", line
    )
    if not match:
        raise RunError(
            f"uv wrote a line envspec cannot read: {line!r}",
            hint="this is a bug in envspec; report it with the "
            "uv version (`uv --version`)",
        )
    return _Pin(_canonical(match.group(1)), match.group(2))


def _canonical(name: str) -> str:
    return str(canonicalize_name(re.sub(r"\[.*\]$", "", name)))


def _version_from_url(url: str) -> str:
    # FIXME: a direct reference's version is only known from its file name;
    # a URL that names no wheel or sdist (a VCS link) is locked as "0+url".
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    filename = url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return "0+url"


def _via(text: str, sources: Mapping[str, str]) -> str:
    for flag in ("-r ", "-c "):
        if text.startswith(flag):
            path = text[len(flag) :].strip()
            return sources.get(path, sources.get(Path(path).name, path))
    return (
        str(canonicalize_name(text)) if re.match(r"^[A-Za-z0-9._-]+$", text) else text
    )


def _failure(
    stderr: str,
    target: Target,
    sources: Mapping[str, str],
    requirements: Sequence[Requirement_] = (),
) -> Exception:
    """Turn uv's stderr into the error a user should see.

    The requirements that uv's explanation names are listed with the file
    and line they were written at, so that the fix starts at the right place.
    """
    lines = []
    for raw in stderr.splitlines():
        line = raw.rstrip()
        if not line.strip() or _NOISE_RE.match(line.strip()):
            continue
        for name, source in sources.items():
            line = line.replace(name, source)
        line = re.sub(r"^(\s*)(error|cause|hint|Caused by): ", r"\1", line)
        line = re.sub(r"^\s*(×|╰─▶|├─▶)\s*", "", line)
        lines.append(line.strip())
    lines += _written_at(" ".join(lines), requirements)
    explanation = "\n  ".join(lines) or "uv gave no explanation"
    lowered = stderr.lower()

    platform_only = _PLATFORM_RE.search(stderr)
    if platform_only:
        package = canonicalize_name(platform_only.group(1))
        if platform_only.group(2) in ("Python ABI", "Python implementation"):
            hint = (
                f"pick a version of {package} that ships a wheel for Python "
                f"{target.python}, or drop {target.label} from python.versions"
            )
        else:
            hint = (
                f"pick a version of {package} that ships a wheel for "
                f"{target.platform}, or drop {target.platform} from python.platforms"
            )
        return ResolutionError(
            f"{package} has no installable distribution for {target.describe()}:\n"
            f"  {explanation}",
            hint=hint,
            title="No distribution for platform",
        )
    if "no solution found" in lowered or "unsatisfiable" in lowered:
        unknown = "was not found in the" in lowered
        if not unknown and re.search(r"requires Python [<>=!~]", stderr):
            return ResolutionError(
                f"the requirements cannot be resolved for {target.describe()}:\n"
                f"  {explanation}",
                hint=f"pin a release that supports Python {target.python}, or "
                "change python.versions to a Python the package supports",
                title="Python too old or new",
            )
        return ResolutionError(
            f"the requirements cannot be resolved for {target.describe()}:\n"
            f"  {explanation}",
            hint="check the package names for typos and the indexes in "
            "python.index-url / find-links"
            if unknown
            else "loosen or change the requirements written at the places above, "
            "then run `envspec lock` again",
            title="Unknown package" if unknown else "Conflicting requirements",
        )
    if any(sign in lowered for sign in _NETWORK_SIGNS):
        return RunError(
            f"uv could not reach the package index while resolving for "
            f"{target.describe()}:\n  {explanation}",
            hint=_network_hint(lowered),
            title="Index unreachable",
        )
    return RunError(
        f"uv pip compile failed for {target.describe()}:\n  {explanation}",
        hint="the old lock is unchanged; run with -vv to see the uv command",
        title="Resolution failed",
    )


_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")


def _network_hint(lowered: str) -> str:
    """What to check when uv could not reach an index: network, proxy, time."""
    proxies = [f"{n}={os.environ[n]}" for n in _PROXY_VARS if os.environ.get(n)]
    if proxies:
        hint = f"check the proxy ({', '.join(proxies)}), the network and the index URLs"
    else:
        hint = "check the network and the index URLs"
    hint += "; behind a proxy, set SSL_CERT_FILE to its CA bundle."
    if "timed out" in lowered:
        hint += (
            " For an index that is only slow, UV_HTTP_TIMEOUT (seconds, default "
            "30) gives it longer."
        )
    return hint + " The old lock is unchanged."


def _written_at(explanation: str, requirements: Sequence[Requirement_]) -> list[str]:
    """``FILE:LINE: requirement`` for each requirement the explanation names."""
    named = {canonicalize_name(w) for w in _WORD_RE.findall(explanation)}
    out = []
    for req in requirements:
        file, _, line = req.source.rpartition(":")
        if file and line.isdigit() and req.name in named:
            out.append(f"{req.source}: {req.text}")
    return [f"written at {place}" for place in dict.fromkeys(out)]
