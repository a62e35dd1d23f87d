"""envspec init: real project layouts become specs that validate."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from envspec import init, init_python, init_services
from envspec.spec import load_spec

PROJECTS = Path(__file__).resolve().parent / "projects"


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a layout from tests/projects into a fresh folder."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(PROJECTS / name, target)
        return target

    return copy


def _init(envspec_cli: Any, root: Path, *args: str) -> tuple[int, str, str]:
    done = envspec_cli("-C", str(root), "init", *args, timeout=120)
    if done.returncode not in (0, 2):  # show why, not only the code
        print(done.stderr)
    return done.returncode, done.stdout, done.stderr


def _written(root: Path) -> tuple[dict[str, Any], str]:
    text = (root / "envspec.toml").read_text()
    return tomllib.loads(text), text


def _names(packages: list[str]) -> set[str]:
    return {p.split("[")[0].split(">")[0].split("<")[0].split("=")[0].split("~")[0]
            .split(";")[0].strip().lower() for p in packages}


def test_django_with_compose(project: Any, envspec_cli: Any) -> None:
    """requirements files, compose services and .env names make a Django spec."""
    root = project("django-compose")
    code, out, _ = _init(envspec_cli, root, "--yes")
    assert code == 0
    data, text = _written(root)

    assert data["python"]["requirements"] == ["requirements-dev.txt"]
    assert data["services"]["db"] == {"kind": "postgres", "version": "16"}
    assert data["services"]["redis"] == {"kind": "redis", "version": "7-alpine"}
    assert data["app"]["command"] == "python manage.py runserver 0.0.0.0:8000"
    assert data["app"]["ports"] == [8000]
    assert "# docker-compose.yml service 'web'" in text
    assert "requirements.txt is read through requirements-dev.txt" in text
    assert "SECRET_KEY" in text and "# ports = [5432]" in text
    # Values of .env and compose environment are never copied.
    assert "django-insecure" not in text and "hunter2" not in text
    assert out.strip() == text.strip()  # off a terminal it prints what it wrote

    spec = load_spec(root / "envspec.toml")
    assert {r.name for r in spec.python.packages} >= {"django", "pytest-django"}


def test_pyproject_only_library(project: Any, envspec_cli: Any) -> None:
    """A library's dependencies, extras and requires-python become the spec."""
    root = project("pyproject-lib")
    assert _init(envspec_cli, root, "--yes")[0] == 0
    data, text = _written(root)

    assert data["project"]["name"] == "tidytext"
    assert data["python"]["versions"] == ["3.12"]  # newest that <3.13 allows
    assert _names(data["python"]["packages"]) == {
        "regex", "unidecode", "tomli", "pytest", "hypothesis", "sphinx", "furo"}
    assert 'tomli>=2; python_version < \\"3.11\\"' in text
    assert "# pyproject.toml optional [test]" in text
    assert "also allows 3.9, 3.10, 3.11" in text
    assert "services" not in data
    load_spec(root / "envspec.toml")


def test_flask_with_several_requirement_files(project: Any, envspec_cli: Any) -> None:
    """Files with -r includes, -e and --index-url are read line by line."""
    root = project("flask-multireq")
    assert _init(envspec_cli, root, "--yes")[0] == 0
    data, text = _written(root)

    assert "requirements" not in data["python"]  # no file is usable as it is
    assert _names(data["python"]["packages"]) == {
        "flask", "gunicorn", "requests", "pytest", "coverage"}
    assert data["python"]["index-url"] == "https://pypi.org/simple"
    assert "requirements-prod.txt left out: it is for production" in text
    assert "requirements-dev.txt:2 left out: editable requirement" in text
    assert "sentry" not in text
    assert data["app"]["command"] == "gunicorn app:app --bind 0.0.0.0:8000"
    assert '"pytest>=8",  # requirements-dev.txt:3' in text.replace(", #", ",  #")
    load_spec(root / "envspec.toml")


def test_fastapi_with_procfile_and_custom_images(project: Any, envspec_cli: Any) -> None:
    """Procfile, .python-version and compose with mongo and custom images."""
    root = project("fastapi-procfile")
    assert _init(envspec_cli, root, "--yes")[0] == 0
    data, text = _written(root)

    assert data["python"]["versions"] == ["3.11"]
    assert data["python"]["requirements"] == ["requirements.txt"]
    assert data["services"]["mongo"] == {"kind": "mongodb", "version": "7.0"}
    assert data["services"]["mail"] == {"kind": "mailpit", "version": "v1.20"}
    assert data["services"]["storage"] == {
        "kind": "image",
        "image": "minio/minio:RELEASE.2024-05-10T01-41-38Z",
        "healthcheck": "curl -fsS http://127.0.0.1:9000/minio/health/live",
        "command": "server /data --console-address :9001",
    }
    assert "tracing" not in data["services"]
    assert "'tracing' (image jaegertracing/all-in-one:1.57) left out" in text
    assert data["app"]["command"] == "uvicorn app.main:app --port 8000 --host 0.0.0.0"
    assert "Procfile worker: left out" in text
    assert "s3cr3t-mongo" not in text
    load_spec(root / "envspec.toml")


def test_poetry_project(project: Any, envspec_cli: Any) -> None:
    """Poetry constraints are mapped to PEP 508 and git dependencies left out."""
    root = project("poetry-celery")
    assert _init(envspec_cli, root, "--yes")[0] == 0
    data, text = _written(root)

    assert data["project"]["name"] == "order-service"
    assert data["python"]["versions"] == ["3.13"]
    packages = set(data["python"]["packages"])
    assert {"django<5,>=4.2", "celery[redis]<6,>=5.3.6", "mysqlclient==2.2.4",
            "requests", "pytest<9,>=8.0", "pytest-django<4.9,>=4.8"} == packages
    assert "internal-tools left out" in text
    assert data["services"]["queue"] == {"kind": "rabbitmq", "version": "3.13-management"}
    assert data["services"]["database"] == {"kind": "mariadb", "version": "11.4"}
    assert "'worker' builds from source" in text
    assert data["app"]["command"] == "gunicorn orders.wsgi --workers 2 --bind 0.0.0.0:8000"
    assert data["app"]["ports"] == [8000]
    assert "mysqlclient usually builds from source" in text
    assert "rootpw" not in text
    load_spec(root / "envspec.toml")


def test_dependency_groups_and_runtime_txt(project: Any, envspec_cli: Any) -> None:
    """PEP 735 groups with include-group, runtime.txt and .env names."""
    root = project("pep735-runtime")
    assert _init(envspec_cli, root, "--yes")[0] == 0
    data, text = _written(root)

    assert data["python"]["versions"] == ["3.12"]
    assert "# runtime.txt (python-3.12.3)" in text
    assert _names(data["python"]["packages"]) == {
        "httpx", "pydantic", "pytest", "respx", "ruff", "ipython"}
    assert "API_TOKEN" in text and "tok_live" not in text
    assert "command" not in data["app"]
    assert "no command found" in text
    load_spec(root / "envspec.toml")


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir()))
def test_second_run_without_force_refuses(project: Any, envspec_cli: Any,
                                          name: str) -> None:
    """A second init exits 2 with a hint and leaves the spec as it was."""
    root = project(name)
    assert _init(envspec_cli, root, "--yes")[0] == 0
    (root / "envspec.toml").write_text((root / "envspec.toml").read_text() + "# mine\n")
    before = (root / "envspec.toml").read_bytes()

    code, _, err = _init(envspec_cli, root, "--yes")
    assert code == 2
    assert "--force" in err
    assert (root / "envspec.toml").read_bytes() == before

    assert _init(envspec_cli, root, "--yes", "--force")[0] == 0
    assert (root / "envspec.toml").read_bytes() != before


def test_json_reports_what_was_written(project: Any, envspec_cli: Any) -> None:
    """--json writes one document with the path, the spec and the files read."""
    import json

    root = project("pep735-runtime")
    done = envspec_cli("-C", str(root), "init", "--json")
    assert done.returncode == 0
    doc = json.loads(done.stdout)
    assert doc["ok"] is True
    assert doc["spec"] == (root / "envspec.toml").read_text()
    assert doc["read"] == ["pyproject.toml", "runtime.txt", ".env"]


def test_empty_folder_gets_a_default_spec(tmp_path: Path) -> None:
    """A folder with nothing known still gets a spec that validates."""
    found = init.draft(tmp_path)
    text = init.render(found)
    spec = init.validate(text, tmp_path)
    assert spec.python.versions == (f"3.{init.PREFERRED_MINOR}",)
    assert "envspec's default" in text


def test_python_version_file_outside_requires_python_is_noted(tmp_path: Path) -> None:
    """.python-version wins over requires-python, and a mismatch is noted."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.12"\n')
    (tmp_path / ".python-version").write_text("3.10.14\n")
    text = init.render(init.draft(tmp_path))
    assert 'versions = [\n    "3.10"' in text
    assert ".python-version pins 3.10 but pyproject.toml requires-python" in text


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^1.2.3", ">=1.2.3,<2"),
    ("^0.2.3", ">=0.2.3,<0.3"),
    ("^0.0.3", ">=0.0.3,<0.0.4"),
    ("~1.2.3", ">=1.2.3,<1.3"),
    ("~1", ">=1,<2"),
    ("1.4", "==1.4"),
    (">=1.0,<2.0", ">=1.0,<2.0"),
    ("*", ""),
])
def test_poetry_constraints(poetry: str, pep440: str) -> None:
    """Poetry's caret, tilde and bare versions map to PEP 440 specifiers."""
    assert init_python._poetry_constraint(poetry) == pep440


def test_compose_ports_short_and_long_syntax() -> None:
    """Host and container ports are read from both compose port syntaxes."""
    ports = ["127.0.0.1:5433:5432", "8000", {"target": 9000, "published": 19000},
             "6379:6379/tcp"]
    assert init_services._published(ports, host=True) == [5433, 19000, 6379]
    assert init_services._published(ports, host=False) == [5432, 8000, 9000, 6379]


def _run_init(root: Path, monkeypatch: pytest.MonkeyPatch, answer: str) -> tuple[int, str]:
    import argparse
    import io

    from envspec.commands import init as init_command
    from envspec.context import Context

    monkeypatch.setattr(init_command, "_on_terminal", lambda ctx: True)
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    out = io.StringIO()
    ctx = Context(directory=root, stdout=out, stderr=io.StringIO())
    code = init_command.run(ctx, argparse.Namespace(yes=False, force=False))
    return code, out.getvalue()


def test_terminal_shows_the_spec_and_writes_on_yes(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the draft is shown first and written once confirmed."""
    root = project("pyproject-lib")
    code, shown = _run_init(root, monkeypatch, "y")
    assert code == 0
    assert shown.strip() == (root / "envspec.toml").read_text().strip()


def test_terminal_declined_writes_nothing(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answering no on a terminal leaves the folder without a spec."""
    root = project("pyproject-lib")
    code, shown = _run_init(root, monkeypatch, "n")
    assert code == 0
    assert "[python]" in shown
    assert not (root / "envspec.toml").exists()
