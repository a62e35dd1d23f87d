"""No generated password and no CA bundle leaves the project's private file.

The bookshelf sample is copied under a project name and port of its own,
locked, built for both interpreters and brought up on the real engine with a
CA bundle made for this test: the machine's bundle plus one freshly made
certificate that exists nowhere else, so that finding it anywhere proves a
leak. Then every place a secret could end up is searched for the database
password from ``.envspec/.env`` and for that certificate: every file of every
layer of the built images (``docker save``), their history with build
arguments (``docker history --no-trunc``), their config and labels
(``docker image inspect``), every file envspec wrote (the lock, the generated
files), and everything the envspec commands printed, including ``-v`` logs.

test_e2e_django.py checks the same images for the machine's own CA bundle;
test_secrets.py holds the unit tests of the secrets file.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _run import docker, layer_files, machine_ca_bundle
from _run import envspec as run_envspec
from _sample import SampleCopy, copy_sample

from envspec import secrets
from envspec.spec import load_spec


def _bundle_with_a_marker(folder: Path) -> tuple[Path, bytes]:
    """The machine's CA bundle plus a new self-signed certificate; returns the
    bundle and a line of that certificate, which exists nowhere else."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate with")
    key, cert = folder / "marker.key", folder / "marker.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN=envspec-leak-marker-{uuid.uuid4().hex}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    bundle = folder / "ca-bundle.pem"
    bundle.write_bytes(machine_ca_bundle().read_bytes() + b"\n" + cert.read_bytes())
    lines = cert.read_bytes().splitlines()
    return bundle, lines[len(lines) // 2]


class Sample:
    """The sample under its own name and port; each command's output is kept."""

    def __init__(self, root: Path, name: str, port: int, bundle: Path,
                 marker: bytes) -> None:
        self.root, self.name, self.port = root, name, port
        self.bundle, self.marker = bundle, marker  # the CA bundle, its unique line
        self.printed: list[str] = []

    def envspec(self, *args: str, timeout: float = 900) -> str:
        done = run_envspec(self.root, *args, timeout=timeout,
                           env={"SSL_CERT_FILE": str(self.bundle)})
        self.printed.append(f"$ envspec {' '.join(args)}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, self.printed[-1]
        return done.stdout


@pytest.fixture
def sample(tmp_path: Path, unique_sample: Callable[..., SampleCopy]) -> Sample:
    copy = unique_sample("es-secret")
    return Sample(*copy, *_bundle_with_a_marker(tmp_path))


def _layer_files(image: str, where: Path) -> Iterator[tuple[str, bytes]]:
    """(layer/path, content) of every file in every layer of ``image``."""
    archive_path = where / f"{image.replace('/', '_').replace(':', '_')}.tar"
    subprocess.run(["docker", "save", "-o", str(archive_path), image], check=True,
                   timeout=600)
    try:
        with tarfile.open(archive_path) as archive:
            manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
            for layer in manifest[0]["Layers"]:
                for name, content in layer_files(archive, layer):
                    yield f"{layer}:{name}", content
    finally:
        archive_path.unlink()


@pytest.mark.docker
@pytest.mark.network
def test_no_secret_in_images_history_files_or_output(
        sample: Sample, tmp_path: Path) -> None:
    """The database password and the CA bundle appear in no image layer, no
    history entry or build argument, no image config or label, no file envspec
    wrote but .env, and nothing an envspec command printed; the app image runs
    as a non-root user and every published port listens on 127.0.0.1."""
    sample.envspec("lock")
    sample.envspec("-v", "build")
    sample.envspec("-v", "up")
    sample.envspec("status")
    sample.envspec("status", "--json")
    sample.envspec("logs")
    sample.envspec("logs", "db")
    sample.envspec("doctor", timeout=300)

    spec = load_spec(sample.root / "envspec.toml")
    env_file = secrets.env_path(spec)
    values = secrets.read_env(env_file)
    passwords = [values[name] for name in secrets.password_vars(spec)]
    assert passwords and all(len(p) >= 32 for p in passwords)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # The builds mounted this very bundle as their CA secret.
    assert values[secrets.CA_VAR] == str(sample.bundle.resolve())
    secret_bytes = [p.encode() for p in passwords] + [sample.marker]
    bundle_path = str(sample.bundle).encode()
    # What the search must find, to show it looks where the secrets would be.
    source = (sample.root / "books" / "models.py").read_bytes()

    images = [f"{sample.name}-app:py3.13", f"{sample.name}-app:py3.12"]
    leaks: list[str] = []
    for image in images:
        seen_source = False
        for where, content in _layer_files(image, tmp_path):
            leaks += [f"{image} layer {where}" for s in secret_bytes if s in content]
            seen_source = seen_source or source in content
        assert seen_source, f"the layers of {image} were not all searched"
        history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
        assert "uv pip sync --require-hashes" in history
        inspect = docker("image", "inspect", image)
        for text, what in ((history, "history"), (inspect, "inspect")):
            data = text.encode()
            leaks += [f"{image} {what}" for s in [*secret_bytes, bundle_path] if s in data]
        config = json.loads(inspect)[0]["Config"]
        assert config["User"] == "1000:1000", image
        assert not [e for e in config.get("Env") or [] if "PASSWORD" in e], image

    for path in sorted(sample.root.rglob("*")):
        if path.is_file() and path != env_file:
            data = path.read_bytes()
            leaks += [f"file {path.relative_to(sample.root)}"
                      for s in secret_bytes if s in data]
    printed = "\n".join(sample.printed).encode()
    assert b"is up and healthy" in printed
    leaks += ["envspec output" for s in secret_bytes if s in printed]
    leaks += ["envspec output (8 characters)" for p in passwords
              if p[:8].encode() in printed]

    assert leaks == [], f"secrets leaked: {leaks[:10]}"

    label = f"label=com.docker.compose.project={sample.name}"
    for container in docker("ps", "-q", "--filter", label).split():
        state = json.loads(docker("inspect", container))[0]
        for bindings in (state["NetworkSettings"]["Ports"] or {}).values():
            for binding in bindings or ():
                assert binding["HostIp"] == "127.0.0.1", (state["Name"], binding)
    app = docker("ps", "-q", "--filter", label, "--filter",
                 "label=com.docker.compose.service=app").split()[0]
    assert docker("exec", app, "id", "-u").strip() == "1000"


def test_the_secrets_file_is_ignored_by_git(tmp_path: Path) -> None:
    """In a git checkout, .envspec/.env is ignored (the generated .gitignore
    says so), while the lock and the generated files are not."""
    if shutil.which("git") is None:
        pytest.skip("no git")
    root = copy_sample(tmp_path / "bookshelf")
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=60)
    done = run_envspec(root, "generate", timeout=120)
    assert done.returncode == 0, done.stderr

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "-C", str(root), "check-ignore", "-q", path],
                              timeout=60).returncode == 0

    assert ignored(".envspec/.env")
    assert not ignored("envspec.lock") and not ignored(".envspec/compose.yaml")
