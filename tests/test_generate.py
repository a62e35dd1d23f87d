"""envspec generate: plans, --check and --diff, hand edits, atomic writes, stale locks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _run import envspec
from render_fixtures import project

from envspec import fsutil, generate, render
from envspec.errors import InputError, RunError, StaleError
from envspec.generate import State


def test_first_plan_is_all_new_and_apply_makes_it_current(tmp_path: Path) -> None:
    """A fresh project's files are all new; after apply every file is current."""
    spec, lock = project(tmp_path, "django-drf")
    first = generate.plan(spec, lock)
    assert {f.state for f in first.files} == {State.NEW}
    done = generate.apply(first)
    assert sorted(done.written) == render.file_names(spec)
    assert done.secrets_changed
    again = generate.plan(spec, lock)
    assert again.up_to_date and again.diff() == ""


def test_quick_plan_agrees_with_full_render(tmp_path: Path) -> None:
    """The header-based shortcut used by --check sees the same bytes a render gives."""
    spec, lock = project(tmp_path, "all-kinds")
    generate.apply(generate.plan(spec, lock))
    quick = generate._plan_if_current(spec, lock)
    assert quick is not None
    rendered = render.render(spec, lock)
    assert {f.path: f.wanted for f in quick.files} == rendered


def test_quick_plan_declines_a_changed_file(tmp_path: Path) -> None:
    """The shortcut gives up as soon as one file is missing or edited."""
    spec, lock = project(tmp_path, "django-drf")
    generate.apply(generate.plan(spec, lock))
    (spec.output_dir / "env.example").unlink()
    assert generate._plan_if_current(spec, lock) is None
    assert generate.plan(spec, lock).pending[0].state is State.NEW


def test_check_and_diff_from_the_cli(tmp_path: Path) -> None:
    """--check exits 1 with a diff when files are missing or stale, 0 when current; --diff writes nothing."""
    spec, _ = project(tmp_path, "django-drf")
    root = spec.root
    done = envspec(root, "generate", "--check", timeout=60)
    assert done.returncode == 1 and "+++ b/.envspec/compose.yaml" in done.stdout
    done = envspec(root, "generate", "--diff", timeout=60)
    assert done.returncode == 0 and "+++ b/.envspec/Dockerfile.py3.13" in done.stdout
    assert not spec.output_dir.exists()
    assert envspec(root, "generate", timeout=60).returncode == 0
    done = envspec(root, "generate", "--check", timeout=60)
    assert done.returncode == 0 and done.stdout == ""


def test_changed_lock_shows_as_changed(tmp_path: Path) -> None:
    """Files written from an older lock are `changed` and get rewritten without --force."""
    spec, lock = project(tmp_path, "django-drf")
    generate.apply(generate.plan(spec, lock))
    newer = lock.__class__(**{**lock.__dict__, "installer":
                              lock.installer.__class__("uv", "0.9.0", lock.installer.hashes)})
    plan = generate.plan(spec, newer)
    changed = {f.path for f in plan.files if f.state is State.CHANGED}
    assert "Dockerfile.py3.13" in changed and not plan.edited
    diff = plan.diff().splitlines()
    assert any(line.startswith("-") and "echo uv==0.8.3" in line for line in diff)
    assert any(line.startswith("+") and "echo uv==0.9.0" in line for line in diff)
    generate.apply(plan)
    assert generate.plan(spec, newer).up_to_date


def test_hand_edit_is_refused_and_shown(tmp_path: Path) -> None:
    """An edited file stops the whole write with its edit as a diff; --force overwrites it."""
    spec, lock = project(tmp_path, "django-drf")
    generate.apply(generate.plan(spec, lock))
    compose = spec.output_dir / "compose.yaml"
    compose.write_bytes(compose.read_bytes() + b"# my tweak\n")
    (spec.output_dir / "env.example").unlink()

    plan = generate.plan(spec, lock)
    assert [f.path for f in plan.edited] == ["compose.yaml"]
    with pytest.raises(generate.EditedError) as caught:
        generate.apply(plan)
    assert "+# my tweak" in caught.value.diff
    assert not (spec.output_dir / "env.example").exists()  # nothing was written

    done = envspec(spec.root, "generate", timeout=60)
    assert done.returncode == 1 and "+# my tweak" in done.stderr
    generate.apply(plan, force=True)
    assert generate.plan(spec, lock).up_to_date


def test_a_file_in_the_way_without_header_counts_as_edited(tmp_path: Path) -> None:
    """A user's own file where envspec would write (or a filled no-ca.pem) is never overwritten silently."""
    spec, lock = project(tmp_path, "django-drf")
    spec.output_dir.mkdir()
    (spec.output_dir / "no-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (spec.output_dir / "Dockerfile.py3.13").write_text("FROM scratch\n")
    plan = generate.plan(spec, lock)
    assert sorted(f.path for f in plan.edited) == ["Dockerfile.py3.13", "no-ca.pem"]


def test_obsolete_files_are_removed(tmp_path: Path) -> None:
    """Files of a dropped interpreter are removed on the next apply."""
    spec, lock = project(tmp_path, "django-drf")
    generate.apply(generate.plan(spec, lock))
    old = spec.output_dir / "Dockerfile.py3.11"
    old.write_bytes((spec.output_dir / "Dockerfile.py3.12").read_bytes())
    plan = generate.plan(spec, lock)
    assert [(f.path, f.state) for f in plan.pending] == [("Dockerfile.py3.11",
                                                          State.OBSOLETE)]
    assert generate.apply(plan).removed == ("Dockerfile.py3.11",)
    assert not old.exists()


def test_failed_write_leaves_old_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a rename fails half-way, earlier files keep their old bytes and no temp file is left."""
    spec, lock = project(tmp_path, "django-drf")
    generate.apply(generate.plan(spec, lock))
    before = {p.name: p.read_bytes() for p in spec.output_dir.iterdir()}
    newer = lock.__class__(**{**lock.__dict__, "installer":
                              lock.installer.__class__("uv", "0.9.0", lock.installer.hashes)})
    plan = generate.plan(spec, newer)

    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if str(dst).endswith("Dockerfile.py3.13"):
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", failing_replace)
    with pytest.raises(RunError):
        generate.apply(plan)
    after = {p.name: p.read_bytes() for p in spec.output_dir.iterdir()}
    assert after["Dockerfile.py3.13"] == before["Dockerfile.py3.13"]
    assert not [n for n in after if n.endswith(".tmp")]
    # TODO: write_many renames one file at a time, so files renamed before
    # the failure (in sorted order) are already new; only each file is atomic.


def test_stale_lock_is_refused(tmp_path: Path) -> None:
    """A lock made from another spec is a StaleError that names the change and `envspec lock`."""
    spec, _ = project(tmp_path, "django-drf")
    path = spec.root / "envspec.toml"
    path.write_text(path.read_text().replace('"gunicorn>=23",', '"gunicorn>=23", "rich",'))
    from envspec.spec import load_spec

    with pytest.raises(StaleError) as caught:
        generate.load_lock(load_spec(path))
    assert "rich" in caught.value.message and "envspec lock" in (caught.value.hint or "")
    done = envspec(spec.root, "generate", timeout=60)
    assert done.returncode == 1 and "envspec lock" in done.stderr


def test_missing_lock_is_an_input_error(tmp_path: Path) -> None:
    """Without envspec.lock, generate says to run `envspec lock` (exit 2)."""
    spec, _ = project(tmp_path, "django-drf")
    (spec.root / "envspec.lock").unlink()
    with pytest.raises(InputError, match="no lock"):
        generate.load_lock(spec)
    assert envspec(spec.root, "generate", timeout=60).returncode == 2


def test_check_of_current_files_loads_no_renderer_docker_or_ui(tmp_path: Path) -> None:
    """`generate --check` on current files trusts their headers: it loads
    neither Jinja2, docker-py nor Textual (the speed itself is measured in
    bench/, not here)."""
    spec, _ = project(tmp_path, "django-drf")
    assert envspec(spec.root, "generate", timeout=60).returncode == 0
    code = (
        "import sys\n"
        "from envspec.cli import main\n"
        f"rc = main(['-C', {str(spec.root)!r}, 'generate', '--check', '-q'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'docker', 'jinja2', 'textual', 'requests'})\n"
        "print(rc, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split("\n")[-2] == "0 []", done.stdout + done.stderr
