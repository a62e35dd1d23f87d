"""Pinning images by registry digest, and reading the Python inside them.

``envspec lock`` needs two facts about an image: the digest its tag points at
in its registry, and (for interpreter images) the exact Python version inside
it. Both come through a :class:`Registry`; :class:`DockerRegistry` asks the
Docker Engine, and tests pass a fake. docker-py is imported only when a
DockerRegistry is first used, so commands that never touch images stay fast.

This interface is deliberately small; the general engine interface for build
and run lives elsewhere and can absorb it later.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Protocol

from envspec.errors import EngineError, InputError, RunError

log = logging.getLogger("envspec.lock")

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_VERSION_CODE = "import platform; print(platform.python_version())"


class Registry(Protocol):
    """Where image digests and interpreter versions come from."""

    def digest(self, ref: str) -> str:
        """The registry digest ("sha256:<hex>") that the reference points at."""
        ...

    def python_version(self, ref: str) -> str:
        """The exact Python version ("3.13.5") inside the image ``ref``."""
        ...

    def has(self, ref: str, digest: str) -> bool:
        """Whether the image ``ref`` pinned at ``digest`` can still be had."""
        ...

    def platforms(self, ref: str, digest: str) -> set[str]:
        """The platforms ("linux/amd64", ...) the pinned image has a variant for."""
        ...


def split_reference(ref: str) -> tuple[str, str | None]:
    """Split ``repo[:tag][@digest]`` into the repository and the tag.

    A registry host with a port (``localhost:5000/app:1``) keeps its port.
    """
    ref = ref.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (f"{head}/{name}" if head else name), tag
    return ref, None


def pinned(ref: str, digest: str) -> str:
    """``repository@digest``: the image that ``ref`` named when it was pinned."""
    return f"{split_reference(ref)[0]}@{digest}"


def engine_address() -> str:
    """The engine endpoint docker-py will use, for messages."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


class DockerRegistry:
    """A Registry that asks the Docker Engine (docker-py)."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _connect()
        return self._client

    def digest(self, ref: str) -> str:
        import docker.errors

        try:
            data = self.client.images.get_registry_data(ref)
        except docker.errors.NotFound as exc:
            raise InputError(
                f"the image {ref} does not exist in its registry ({_explain(exc)})",
                hint="check the image name and tag in envspec.toml "
                "(python.image or the service's kind/version/image)",
                title="Unknown image",
            ) from exc
        except _failures() as exc:
            raise _engine_failure(f"could not read the digest of {ref}", exc) from exc
        digest = str(data.id)
        if not _DIGEST_RE.match(digest):
            raise RunError(
                f"the registry gave {ref} an unexpected digest {digest!r}",
                hint="check the registry or mirror the engine uses",
            )
        log.info("pinned %s to %s", ref, digest, extra={"image": ref, "digest": digest})
        return digest

    def has(self, ref: str, digest: str) -> bool:
        """True when the engine holds the pinned image or its registry serves it.

        The local store answers first, so a pinned image that was pulled once
        needs no network.
        """
        import docker.errors

        wanted = pinned(ref, digest)
        try:
            self.client.images.get(wanted)
            return True
        except docker.errors.ImageNotFound:
            pass
        except _failures() as exc:
            raise _engine_failure(f"could not look up {wanted}", exc) from exc
        try:
            self.client.images.get_registry_data(wanted)
        except docker.errors.NotFound:
            return False
        except _failures() as exc:
            raise _engine_failure(f"could not look up {wanted}", exc) from exc
        return True

    def platforms(self, ref: str, digest: str) -> set[str]:
        """From the registry's manifest (list); a local-only image has its own."""
        import docker.errors

        wanted = pinned(ref, digest)
        try:
            data = self.client.images.get_registry_data(wanted)
            found = data.attrs.get("Platforms") or []
            return {f"{p.get('os')}/{p.get('architecture')}" for p in found}
        except docker.errors.NotFound:
            pass
        except _failures() as exc:
            raise _engine_failure(
                f"could not read the platforms of {wanted}", exc
            ) from exc
        try:
            attrs = self.client.images.get(wanted).attrs
        except _failures() as exc:
            raise _engine_failure(
                f"could not read the platforms of {wanted}", exc
            ) from exc
        return {f"{attrs.get('Os')}/{attrs.get('Architecture')}"}

    def python_version(self, ref: str) -> str:
        import docker.errors

        try:
            try:
                image = self.client.images.get(ref)  # pulled before: no network
            except docker.errors.ImageNotFound:
                image = self.client.images.pull(ref)
            env = image.attrs.get("Config", {}).get("Env") or []
            for item in env:
                if item.startswith("PYTHON_VERSION="):
                    return str(item.split("=", 1)[1])
            # Not an official-style image: ask the interpreter itself.
            out = self.client.containers.run(
                ref,
                entrypoint=["python", "-c", _VERSION_CODE],
                remove=True,
                network_disabled=True,
            )
        except _failures() as exc:
            raise _engine_failure(
                f"could not read the Python version in {ref}", exc
            ) from exc
        text = out.decode() if isinstance(out, bytes) else str(out)
        return text.strip()


def _connect() -> Any:
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except _failures() as exc:
        raise EngineError(
            f"cannot reach the Docker Engine at {engine_address()} ({_explain(exc)})",
            hint="start the engine (e.g. `systemctl start docker` or Docker "
            "Desktop), or point DOCKER_HOST at its socket; `envspec lock` "
            "reads image digests through it (`envspec lock --check` does not "
            "need it)",
            title="Engine unreachable",
        ) from exc
    return client


def _failures() -> tuple[type[Exception], ...]:
    """What docker-py raises when the engine or the registry fails."""
    import docker.errors
    import requests.exceptions

    return (docker.errors.DockerException, requests.exceptions.RequestException)


def _engine_failure(what: str, exc: Exception) -> RunError:
    return RunError(
        f"{what}: {_explain(exc)}",
        hint=f"the engine at {engine_address()} answered but failed; check that it "
        "can reach the registry (or its mirror), then run `envspec lock` again",
        title="Image lookup failed",
    )


def _explain(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
