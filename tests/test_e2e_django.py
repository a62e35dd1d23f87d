"""The bookshelf sample, end to end on a real engine (issue 5's "Done when").

The sample is copied to a temporary folder under a project name of its own
and a free host port, so that runs never collide with each other or with a
developer's own `envspec up`; since the name and port are part of the spec,
the copy is locked again first. Every run ends with `envspec down --volumes`
and the removal of its images, whatever happened.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from _run import docker, envspec, layer_files, machine_ca_bundle, ok, owned
from _sample import SampleCopy, copy_sample


def _http(method: str, url: str, body: dict[str, object] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as answer:
        return json.load(answer)


@pytest.fixture
def sample(unique_sample: Callable[..., SampleCopy]) -> SampleCopy:
    """A copy of the sample with a unique project name and port; torn down after."""
    return unique_sample("es-e2e")


_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _ca_leaks(image: str, base: str, bundle: bytes, where: Path) -> list[str]:
    """The files in ``image``'s layers holding the CA bundle, or one of its certs.

    A certificate of the bundle that the base image already carries (Debian's
    and pip's public CA lists) proves nothing, so a layer of the base image
    only counts if it holds the whole bundle; the layers the build added
    count if they hold the bundle or any other of its certificates.
    """
    base_ids = json.loads(
        docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", base)
    )
    app_ids = json.loads(
        docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", image)
    )
    assert app_ids[: len(base_ids)] == base_ids, "the image is not built on its base"

    archive_path = where / "image.tar"
    subprocess.run(
        ["docker", "save", "-o", str(archive_path), image], check=True, timeout=300
    )
    certs = set(_PEM.findall(bundle))
    hits: list[str] = []
    with tarfile.open(archive_path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        layers = manifest[0]["Layers"]
        assert len(layers) == len(app_ids) > len(base_ids)

        public: set[bytes] = set()
        for layer in layers[: len(base_ids)]:
            for name, content in layer_files(archive, layer):
                if bundle in content:
                    hits.append(f"{layer}:{name}")
                if b"BEGIN CERTIFICATE" in content:
                    public.update(certs.intersection(_PEM.findall(content)))

        needles = [bundle, *sorted(certs - public)]
        for layer in layers[len(base_ids) :]:
            for name, content in layer_files(archive, layer):
                if any(n in content for n in needles):
                    hits.append(f"{layer}:{name}")
    archive_path.unlink()
    return hits


@pytest.mark.docker
@pytest.mark.network
def test_bookshelf_up_persist_and_down(sample: SampleCopy, tmp_path: Path):
    """A book written through the API survives down and up; down --volumes leaves nothing."""
    root, project, port = sample
    ok(envspec(root, "lock"))

    up = ok(envspec(root, "up"))
    url = f"http://127.0.0.1:{port}/api/books/"
    assert url.removesuffix("api/books/") in up.stdout

    made = _http(
        "POST", url, {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    )
    assert isinstance(made, dict) and made["title"] == "Dune"
    book = f"{url}{made['id']}/"
    assert _http("GET", book) == made

    ok(envspec(root, "down"))
    assert owned(project)["containers"] == []
    assert owned(project)["volumes"], "down without --volumes removed the data"
    ok(envspec(root, "up"))
    assert _http("GET", book) == made

    status = json.loads(ok(envspec(root, "status", "--json")).stdout)
    assert {s["service"]: s["matches_lock"] for s in status["services"]} == {
        "app": True,
        "db": True,
    }

    from envspec.lockfile import read_lock

    base = read_lock(root / "envspec.lock").interpreter("3.13").reference
    leaks = _ca_leaks(
        f"{project}-app:py3.13", base, machine_ca_bundle().read_bytes(), tmp_path
    )
    assert leaks == [], f"the CA bundle leaked into the image: {leaks[:5]}"

    ok(envspec(root, "down", "--volumes"))
    assert owned(project) == {"containers": [], "networks": [], "volumes": []}


@pytest.mark.docker
def test_build_with_nothing_changed_skips_the_builder(sample: SampleCopy):
    """A second `envspec build` finds every image up to date and builds nothing."""
    root, _, _ = sample
    ok(envspec(root, "lock"))
    ok(envspec(root, "build"))

    again = ok(envspec(root, "build", "--json"))

    images = json.loads(again.stdout)["images"]
    assert [i["built"] for i in images] == [False, False]
    assert "building with BuildKit" not in again.stderr


def test_unreachable_engine_is_exit_1_naming_docker_host(tmp_path: Path):
    """With DOCKER_HOST at a missing socket, commands exit 1, say what to do, write nothing."""
    root = copy_sample(tmp_path / "bookshelf")
    env = {"DOCKER_HOST": "unix:///nonexistent.sock"}

    for command in ("status", "up", "down"):
        done = envspec(root, command, env=env, timeout=120)
        assert done.returncode == 1, done.stderr
        assert (
            "cannot reach the Docker Engine at DOCKER_HOST=unix:///nonexistent.sock"
            in done.stderr
        )
        assert "hint:" in done.stderr and "Traceback" not in done.stderr
    assert not (root / ".envspec").exists(), "files were written before the ping"
