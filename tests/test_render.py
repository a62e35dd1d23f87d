"""The rendered files: snapshots, determinism, structure and secrets.

Snapshots live in tests/snapshots/<sample>/expected/. After a deliberate
change to the templates or the renderer, rewrite them with
``ENVSPEC_UPDATE_SNAPSHOTS=1 pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil

import pytest
import yaml
from render_fixtures import SNAPSHOTS, SPEC_DIRS, fake_lock, load

from envspec import header, render
from envspec.errors import InputError

SAMPLES = sorted(SPEC_DIRS)
UPDATE = os.environ.get("ENVSPEC_UPDATE_SNAPSHOTS") == "1"


@pytest.mark.parametrize("name", SAMPLES)
def test_snapshot(name: str) -> None:
    """Each sample renders exactly the files stored in its snapshot folder."""
    spec, lock = load(name)
    files = render.render(spec, lock)
    folder = SNAPSHOTS / name / "expected"
    # Files outside the output folder (../.devcontainer/...) are kept under _up/.
    files = {path.replace("../", "_up/"): data for path, data in files.items()}
    if UPDATE:
        if folder.exists():
            shutil.rmtree(folder)
        for path, data in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
    stored = {p.relative_to(folder).as_posix(): p.read_bytes()
              for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(stored) == sorted(files)
    for path, data in files.items():
        assert data == stored[path], f"{name}/{path} differs from its snapshot"


@pytest.mark.parametrize("name", SAMPLES)
def test_render_is_byte_identical(name: str) -> None:
    """Rendering the same lock twice, from freshly loaded specs, gives the same bytes."""
    first = render.render(*load(name))
    render._environment.cache_clear()
    second = render.render(*load(name))
    assert first == second


@pytest.mark.parametrize("name", SAMPLES)
def test_every_file_has_an_intact_header(name: str) -> None:
    """Every generated file but the empty no-CA stand-in names envspec, the lock and its body hash."""
    spec, lock = load(name)
    for path, data in render.render(spec, lock).items():
        if path == render.NO_CA:
            assert data == b""
            continue
        head = header.read_header(data)
        assert head is not None, path
        assert head.intact and head.lock == lock.content_hash(), path
        assert head.renderer == render.renderer_digest()
        if not path.endswith(".json"):
            assert b"regenerate with `envspec generate`" in data.splitlines()[0]


@pytest.mark.parametrize("name", SAMPLES)
def test_file_names_match_render(name: str) -> None:
    """file_names() predicts exactly the files render() returns."""
    spec, lock = load(name)
    assert render.file_names(spec) == sorted(render.render(spec, lock))


def _compose(name: str) -> dict:
    spec, lock = load(name)
    return yaml.safe_load(render.render(spec, lock)[render.COMPOSE])


def test_sample_compose_wires_the_app_to_postgres() -> None:
    """The Django sample's app gets DATABASE_URL with a password reference and waits for a healthy db."""
    compose = _compose("django-drf")
    app = compose["services"]["app"]
    url = app["environment"]["DATABASE_URL"]
    assert re.fullmatch(r"postgres://app:\$\{DB_PASSWORD:\?[^}]*\}@db:5432/bookshelf", url)
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app["image"] == "bookshelf-app:py3.13"
    assert app["build"] == {"context": "..", "dockerfile": ".envspec/Dockerfile.py3.13",
                            "secrets": ["ca"]}
    assert app["ports"] == [{"target": 8000, "published": "8000",
                             "host_ip": "127.0.0.1", "protocol": "tcp"}]
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:17@sha256:")
    assert db["volumes"] == [{"type": "volume", "source": "db-data",
                              "target": "/var/lib/postgresql/data"}]
    assert db["ports"] == [{"target": 5432, "host_ip": "127.0.0.1", "protocol": "tcp"}]
    assert compose["secrets"] == {"ca": {"file": "${ENVSPEC_CA_BUNDLE:-./no-ca.pem}"}}


def test_other_interpreters_run_tests_under_the_matrix_profile() -> None:
    """Python 3.12 of the sample gets its own image and service, only under the matrix profile."""
    services = _compose("django-drf")["services"]
    matrix = services["app-py3.12"]
    assert matrix["profiles"] == ["matrix"]
    assert matrix["command"] == ["python", "manage.py", "test"]
    assert matrix["image"] == "bookshelf-app:py3.12"
    assert "ports" not in matrix
    assert "profiles" not in services["app"]


def test_all_kinds_get_images_volumes_healthchecks_and_urls() -> None:
    """Each catalog kind runs its pinned image with a health check, a volume where it keeps data, and its URL in the app."""
    compose = _compose("all-kinds")
    services = compose["services"]
    env = services["app"]["environment"]
    assert env["REDIS_URL"] == "redis://cache:6379/0"
    assert env["MONGODB_URL"].startswith("mongodb://app:${MONGO_PASSWORD:?")
    assert env["AMQP_URL"].startswith("amqp://app:${QUEUE_PASSWORD:?")
    assert env["MYSQL_URL"].startswith("mysql://app:${MYSQL_PASSWORD:?")
    # The spec's own user and database for mariadb reach its URL, encoded.
    assert env["MARIADB_URL"].startswith("mysql://shop-owner:${MARIA_PASSWORD:?")
    assert env["MARIADB_URL"].endswith("@maria:3306/shop")
    assert "EMAIL_URL" not in env  # url-var = "" switches the wiring off
    assert env["GREETING"] == "it's $$HOME \"quoted\" # not a comment"
    for name in ("cache", "db", "maria", "mongo", "mysql", "queue", "mail"):
        svc = services[name]
        assert "@sha256:" in svc["image"]
        assert svc["healthcheck"]["test"][0] == "CMD"
        assert svc["healthcheck"]["interval"] == "2s"
    assert sorted(compose["volumes"]) == sorted(
        f"{n}-data" for n in ("cache", "db", "maria", "mongo", "mysql", "queue"))
    assert services["db"]["ports"][0]["published"] == "5433"
    assert services["mongo"]["ports"][0]["host_ip"] == "0.0.0.0"
    assert [p["target"] for p in services["queue"]["ports"]] == [5672, 15672]
    assert sorted(k for k in services if k.startswith("app-")) == ["app-py3.11",
                                                                   "app-py3.13"]


def test_custom_image_service_uses_its_image_and_healthcheck() -> None:
    """A kind = "image" service runs its own image with its shell health check and escaped env."""
    compose = _compose("custom-image")
    store = compose["services"]["store"]
    assert store["image"].startswith("minio/minio:RELEASE.2024-01-01T00-00-00Z@sha256:")
    assert store["healthcheck"]["test"] == [
        "CMD-SHELL", "curl -fsS http://127.0.0.1:9000/minio/health/live || exit 1"]
    assert store["environment"]["MINIO_ROOT_PASSWORD"] == "pa$$$$word"
    assert store["command"] == ["server", "/data"]
    assert store["ports"] == [{"target": 9000, "published": "9000", "host_ip": "::1",
                               "protocol": "tcp"}]
    assert "volumes" not in compose
    app = compose["services"]["app"]
    assert app["build"]["context"] == "../.."
    assert app["build"]["dockerfile"] == "build/env/Dockerfile.py3.13"


def test_clashing_url_variables_are_refused() -> None:
    """Two services that would set the same URL variable in the app are an InputError."""
    spec, _ = load("django-drf")
    twin = dataclasses.replace(spec.services[0], name="db2")
    spec = dataclasses.replace(spec, services=(*spec.services, twin))
    with pytest.raises(InputError, match="DATABASE_URL"):
        render.render(spec, fake_lock(spec))


def test_dockerfile_layers_come_in_cache_friendly_order() -> None:
    """System packages, then the hashed install from the requirements file, then the source, labels and CMD."""
    spec, lock = load("all-kinds")
    text = render.render(spec, lock)["Dockerfile.py3.12"].decode()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    order = [
        next(i for i, line in enumerate(lines) if line.startswith(prefix))
        for prefix in ("FROM python:3.12-slim@sha256:", "ENV ", "RUN apt-get update",
                       "RUN useradd", "FROM base AS app",
                       "COPY build/", "COPY .envspec/requirements-py3.12.txt",
                       "RUN --mount=type=bind,from=installer", "WORKDIR /srv/app",
                       "COPY --chown=app:app . .", "USER 1000:1000", "LABEL ",
                       "CMD ")
        if not prefix.startswith("COPY build/")
    ]
    assert order == sorted(order)
    assert "syntax=" not in text
    assert "uv pip sync --require-hashes" in text
    assert "--mount=type=cache,target=/root/.cache/uv" in text
    assert "--index-url https://pypi.org/simple" in text
    assert f'dev.envspec.lock="{lock.content_hash()}"' in text
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "PYTHONUNBUFFERED=1" in text


def test_no_apt_layer_without_system_packages() -> None:
    """A spec with no system packages gets no apt-get step."""
    spec, lock = load("django-drf")
    assert b"apt-get" not in render.render(spec, lock)["Dockerfile.py3.13"]


def test_ca_bundle_is_only_a_secret_mount() -> None:
    """The CA reaches builds only through the `ca` secret mount, never ARG, ENV or COPY."""
    spec, lock = load("django-drf")
    text = render.render(spec, lock)["Dockerfile.py3.13"].decode()
    assert text.count("--mount=type=secret,id=ca,target=/run/secrets/ca") == 2
    assert "ARG " not in text
    for line in text.splitlines():
        if line.startswith(("ENV", "COPY", "ADD", "LABEL", "FROM")):
            assert "/run/secrets" not in line and "CERT" not in line


def test_dockerignore_keeps_secrets_and_vcs_out_of_the_context() -> None:
    """The per-Dockerfile ignore file drops .git, virtualenvs and .envspec/.env but keeps the copied requirements file."""
    spec, lock = load("django-drf")
    lines = render.render(spec, lock)["Dockerfile.py3.13.dockerignore"].decode().splitlines()
    for pattern in (".git", ".venv", "**/__pycache__", ".env", ".envspec/*",
                    "!.envspec/requirements-py3.13.txt"):
        assert pattern in lines
