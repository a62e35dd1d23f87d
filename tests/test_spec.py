"""The spec model: valid specs load into the typed model, meaning is stable."""

from __future__ import annotations

from pathlib import Path

import pytest

from envspec.errors import InputError, SpecError
from envspec.spec import diff_meaning, find_spec, load_spec, parse_spec_text

ROOT = Path(__file__).resolve().parent.parent
ISSUE_EXAMPLE = """\
[project]
name = "bookshelf"                 # compose project name

[python]
versions = ["3.13", "3.12"]
packages = ["django>=5.1,<6", "djangorestframework>=3.15", "psycopg[binary]>=3.2"]
requirements = ["requirements.txt"]

[system]
packages = ["libpq5"]

[services.db]
kind = "postgres"
version = "17"

[services.cache]
kind = "redis"
version = "8"

[app]
command = "gunicorn bookshelf.wsgi --bind 0.0.0.0:8000"
ports = [8000]
env = { DJANGO_SETTINGS_MODULE = "bookshelf.settings" }
"""


def _write(tmp_path: Path, text: str, **files: str) -> Path:
    for name, body in files.items():
        (tmp_path / name.replace("__", "/")).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name.replace("__", "/")).write_text(body)
    path = tmp_path / "envspec.toml"
    path.write_text(text)
    return path


def test_issue_example_loads_into_the_model(tmp_path: Path) -> None:
    """The spec shown in issue 2 loads with every value in its typed place."""
    spec = load_spec(_write(tmp_path, ISSUE_EXAMPLE, **{"requirements.txt": "requests>=2\n"}))

    assert spec.name == "bookshelf"
    assert spec.python.versions == ("3.13", "3.12")
    assert spec.python.app_version == "3.13"
    assert [r.name for r in spec.python.packages] == [
        "django", "djangorestframework", "psycopg", "requests"]
    assert spec.system_packages == ("libpq5",)
    assert [(s.name, s.kind, s.image) for s in spec.services] == [
        ("db", "postgres", "postgres:17"), ("cache", "redis", "redis:8")]
    assert spec.app.command == ("gunicorn", "bookshelf.wsgi", "--bind", "0.0.0.0:8000")
    assert spec.app.ports == (8000,)
    assert dict(spec.app.env) == {"DJANGO_SETTINGS_MODULE": "bookshelf.settings"}
    assert spec.bind == "127.0.0.1"


@pytest.mark.parametrize("sample", sorted((ROOT / "samples").glob("*/envspec.toml")),
                         ids=lambda p: p.parent.name)
def test_bundled_samples_are_valid(sample: Path) -> None:
    """Every spec under samples/ passes validation."""
    assert load_spec(sample).python.versions


def test_meaning_ignores_comments_whitespace_and_order(tmp_path: Path) -> None:
    """Reformatting, commenting or reordering a spec does not change its hash."""
    (tmp_path / "requirements.txt").write_text("requests>=2\n")
    a = parse_spec_text(ISSUE_EXAMPLE, tmp_path / "envspec.toml")
    reordered = ISSUE_EXAMPLE.replace(
        '"django>=5.1,<6", "djangorestframework>=3.15"',
        '"djangorestframework >= 3.15",  "django>=5.1,<6"',
    ).replace("[system]", "# system packages\n[system]")
    b = parse_spec_text(reordered, tmp_path / "envspec.toml")

    assert a.digest() == b.digest()


def test_meaning_changes_with_content_and_diff_names_it(tmp_path: Path) -> None:
    """A real change alters the hash, and diff_meaning says what changed."""
    (tmp_path / "requirements.txt").write_text("requests>=2\n")
    a = parse_spec_text(ISSUE_EXAMPLE, tmp_path / "envspec.toml")
    b = parse_spec_text(ISSUE_EXAMPLE.replace('version = "17"', 'version = "15"'),
                        tmp_path / "envspec.toml")

    assert a.digest() != b.digest()
    lines = diff_meaning(a.meaning(), b.meaning())
    assert 'services.db.version: "17" -> "15"' in lines
    assert 'services.db.image: "postgres:17" -> "postgres:15"' in lines


def test_requirement_file_contents_are_part_of_the_meaning(tmp_path: Path) -> None:
    """Editing a requirement file changes the spec's hash."""
    path = _write(tmp_path, ISSUE_EXAMPLE, **{"requirements.txt": "requests>=2\n"})
    before = load_spec(path).digest()
    (tmp_path / "requirements.txt").write_text("requests>=2.32\n")

    assert load_spec(path).digest() != before


def test_requirement_files_with_includes_hashes_markers_and_continuations(
        tmp_path: Path) -> None:
    """-r includes, --hash options, markers, extras and continuations are read."""
    text = '[python]\nversions = ["3.13"]\nrequirements = ["requirements/dev.txt"]\n'
    path = _write(tmp_path, text, **{
        "requirements__base.txt": "django>=5 \\\n    --hash=sha256:" + "a" * 64 + "\n",
        "requirements__dev.txt": "-r base.txt\n# tools\npytest[testing]>=8 ; "
        'python_version >= "3.11"  # inline comment\nblack\n',
    })
    spec = load_spec(path)

    texts = {r.name: r for r in spec.python.packages}
    assert set(texts) == {"django", "pytest", "black"}
    assert texts["django"].text == "django>=5"
    assert texts["django"].source == "requirements/base.txt:1"
    assert texts["pytest"].text == 'pytest[testing]>=8; python_version >= "3.11"'


def test_same_package_with_different_markers_is_not_a_duplicate(tmp_path: Path) -> None:
    """A package listed twice under different markers is allowed."""
    text = ('[python]\nversions = ["3.13"]\npackages = [\'numpy<2; python_version < '
            '"3.12"\', \'numpy>=2; python_version >= "3.12"\']\n')
    spec = load_spec(_write(tmp_path, text))

    assert len(spec.python.packages) == 2


def test_custom_image_service_and_kind_defaults(tmp_path: Path) -> None:
    """An `image =` service is a custom kind; a catalog kind gets its default tag."""
    text = ('[python]\nversions = ["3.13"]\n[services.files]\nimage = "minio/minio:1"\n'
            'healthcheck = "true"\n[services.cache]\nkind = "redis"\n')
    spec = load_spec(_write(tmp_path, text))

    assert spec.service("files").kind == "image"
    assert spec.service("files").healthcheck == "true"
    assert spec.service("cache").image == "redis:8"


def test_project_name_defaults_to_the_folder(tmp_path: Path) -> None:
    """Without [project] name, the folder's name, made compose-safe, is used."""
    folder = tmp_path / "My App.v2"
    folder.mkdir()
    spec = load_spec(_write(folder, '[python]\nversions = ["3.13"]\n'))

    assert spec.name == "my-app-v2"


def test_missing_spec_is_an_input_error_with_a_hint(tmp_path: Path) -> None:
    """Looking for a spec in a folder without one says to run `envspec init`."""
    with pytest.raises(InputError) as info:
        find_spec(tmp_path)

    assert info.value.exit_code == 2
    assert "envspec init" in (info.value.hint or "")


@pytest.mark.parametrize("image", ["python:{version}-slim",
                                   "python:{version}-slim-bookworm",
                                   "localhost:5000/team/python:{version}"])
def test_python_image_with_version_in_the_tag_loads(tmp_path: Path, image: str) -> None:
    """python.image may put {version} anywhere in the tag, as the README shows."""
    spec = tmp_path / "envspec.toml"
    spec.write_text(f'[python]\nversions = ["3.13"]\nimage = "{image}"\n')

    assert load_spec(spec).python.image_for("3.13") == image.replace("{version}", "3.13")


def test_tables_written_in_several_places_lose_nothing(tmp_path: Path) -> None:
    """A service table after [app], and [app.env] or [services.db.env] written
    apart from their tables, all count: none is silently dropped."""
    spec = tmp_path / "envspec.toml"
    spec.write_text(
        '[python]\nversions = ["3.13"]\n\n[services.db]\nkind = "postgres"\n\n'
        '[app]\ncommand = "serve"\n\n[services.db.env]\nA = "1"\n\n'
        '[services.cache]\nkind = "redis"\n\n[app.env]\nB = "2"\n'
    )

    loaded = load_spec(spec)

    assert {s.name: s.env for s in loaded.services} == {
        "db": (("A", "1"),), "cache": ()}
    assert loaded.app.env == (("B", "2"),) and loaded.app.command == ("serve",)


@pytest.mark.parametrize(("text", "typo"), [
    ('[python]\nverions = ["3.13"]\n', "verions"),
    ('[python]\nversions = ["3.13"]\n[services.db]\nkidn = "postgres"\n', "kidn"),
])
def test_a_misspelled_required_key_is_one_problem(
    tmp_path: Path, text: str, typo: str
) -> None:
    """A typo in a key the table needs is reported once, as the unknown key with
    its did-you-mean, not again as the missing key."""
    spec = tmp_path / "envspec.toml"
    spec.write_text(text)

    with pytest.raises(SpecError) as caught:
        load_spec(spec)

    assert [p.message for p in caught.value.problems] == [
        f"unknown key `{typo}` in [{'python' if typo == 'verions' else 'services.db'}]"
    ]
