"""The per-project secrets file: created once, kept, private, never in generated files."""

from __future__ import annotations

import stat
from pathlib import Path

from render_fixtures import project

from envspec import generate, secrets


def test_env_file_is_private_and_kept(tmp_path: Path) -> None:
    """.env is written with mode 0600 and its passwords survive a second run."""
    spec, _ = project(tmp_path, "all-kinds")
    secrets.ensure_env(spec, environ={})
    path = secrets.env_path(spec)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = secrets.read_env(path)
    assert sorted(first) == list(secrets.password_vars(spec))
    assert all(len(v) >= 32 for v in first.values())
    assert secrets.ensure_env(spec, environ={}) == []
    assert secrets.read_env(path) == first


def test_passwords_differ_per_project(tmp_path: Path) -> None:
    """Two projects get different random passwords."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, _ = project(tmp_path / "a", "django-drf")
    two, _ = project(tmp_path / "b", "django-drf")
    secrets.ensure_env(one, environ={})
    secrets.ensure_env(two, environ={})
    assert (secrets.read_env(secrets.env_path(one))["DB_PASSWORD"]
            != secrets.read_env(secrets.env_path(two))["DB_PASSWORD"])


def test_hand_written_lines_are_kept(tmp_path: Path) -> None:
    """A variable the user added by hand and their own password stay as written."""
    spec, _ = project(tmp_path, "django-drf")
    path = secrets.env_path(spec)
    path.parent.mkdir(parents=True)
    path.write_text("# mine\nDB_PASSWORD=chosen\nEXTRA='a b'\n")
    secrets.ensure_env(spec, environ={})
    assert path.read_text() == "# mine\nDB_PASSWORD=chosen\nEXTRA='a b'\n"


def test_ca_bundle_comes_from_the_environment(tmp_path: Path) -> None:
    """Without build.ca-bundle, SSL_CERT_FILE names the bundle; without any, the line goes."""
    spec, _ = project(tmp_path, "django-drf")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert "ENVSPEC_CA_BUNDLE" in secrets.ensure_env(spec, {"SSL_CERT_FILE": str(bundle)})
    assert secrets.read_env(secrets.env_path(spec))["ENVSPEC_CA_BUNDLE"] == str(bundle)
    secrets.ensure_env(spec, environ={})
    assert "ENVSPEC_CA_BUNDLE" not in secrets.read_env(secrets.env_path(spec))


def test_passwords_never_reach_generated_files_or_lock(tmp_path: Path) -> None:
    """After generate, no password from .env appears in any generated file or the lock."""
    spec, lock = project(tmp_path, "all-kinds")
    generate.apply(generate.plan(spec, lock))
    values = secrets.read_env(secrets.env_path(spec))
    passwords = [values[name] for name in secrets.password_vars(spec)]
    assert passwords
    files = [p for p in spec.output_dir.iterdir() if p.name != ".env"]
    files.append(spec.root / "envspec.lock")
    for path in files:
        data = path.read_text()
        for password in passwords:
            assert password not in data, path


def test_mask_shows_only_a_prefix() -> None:
    """mask() never shows more than four characters of a secret."""
    assert secrets.mask("abcdefgh") == "abcd…"
    assert secrets.mask("abc") == "…"
