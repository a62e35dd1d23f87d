"""``envspec lock`` against a package index built in the test, with a fake registry.

No test here reaches PyPI or a Docker Engine: wheels are made on the fly and
served from a file:// index, and image digests come from a FakeRegistry.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from _lockkit import FakeRegistry, LocalIndex, sha256, write_spec

from envspec import cli, images, resolve, seen
from envspec.lockfile import Lock, read_lock
from envspec.resolve import uv_version

DB = '\n[services.db]\nkind = "postgres"\nversion = "17"\n'


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    fake = FakeRegistry()
    monkeypatch.setattr(images, "DockerRegistry", lambda: fake)
    return fake


@pytest.fixture(autouse=True)
def own_uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Each test gets its own uv cache, so that no index page is served stale.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    yield


@pytest.fixture
def index(tmp_path: Path) -> LocalIndex:
    idx = LocalIndex(tmp_path / "index")
    idx.add("alpha", "1.0", ["beta>=1"])
    idx.add("beta", "1.0")
    idx.add("gamma", "1.0", ["beta<2"])
    return idx


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return tmp_path / "project"


def lock(project: Path, *args: str) -> int:
    return cli.main(["-C", str(project), "lock", *args])


def packages(lock: Lock, version: str = "3.13") -> dict[str, str]:
    return {p.name: p.version for p in lock.interpreter(version).packages}


def test_lock_pins_packages_images_and_installer(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """A lock pins every package with the hashes of its files, each image by
    digest with the Python inside it, and the uv wheel with its hashes."""
    write_spec(project, index, ["alpha"], versions=("3.13", "3.12"), services=DB)

    assert lock(project) == 0

    result = read_lock(project / "envspec.lock")
    assert [i.version for i in result.interpreters] == ["3.13", "3.12"]
    for interp, exact in zip(result.interpreters, ("3.13.5", "3.12.8"), strict=True):
        assert interp.python == exact
        assert interp.image == f"python:{interp.version}-slim"
        assert interp.digest == registry.digest(interp.image)
        assert {p.name: (p.version, p.hashes) for p in interp.packages} == {
            "alpha": ("1.0", (sha256(index.wheel("alpha", "1.0")),)),
            "beta": ("1.0", (sha256(index.wheel("beta", "1.0")),)),
        }
    assert result.service("db").image == "postgres:17"
    assert result.service("db").digest == registry.digest("postgres:17")
    assert result.installer.name == "uv"
    assert result.installer.version == uv_version()
    assert sha256(index.wheel("uv", uv_version(), tag=index_tags()[0])) in \
        result.installer.hashes
    assert result.platforms == ("linux/amd64",)


def index_tags() -> tuple[str, ...]:
    from _lockkit import UV_TAGS

    return UV_TAGS


def test_via_names_the_requirement_or_source_file(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """`via` lists the packages that pulled a pin in, and the source file for a
    direct requirement, sorted."""
    write_spec(project, index, ["alpha"], extra='requirements = ["requirements.txt"]')
    (project / "requirements.txt").write_text("gamma\n")

    assert lock(project) == 0

    via = {p.name: p.via for p in read_lock(project / "envspec.lock")
           .interpreter("3.13").packages}
    assert via == {"alpha": ("envspec.toml",), "beta": ("alpha", "gamma"),
                   "gamma": ("requirements.txt",)}


def test_relock_keeps_pins_when_a_newer_version_appears(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """Re-locking keeps every pin the spec still allows, even when the index has
    a newer release."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    index.add("beta", "2.0")

    assert lock(project) == 0

    assert packages(read_lock(project / "envspec.lock"))["beta"] == "1.0"


def test_upgrade_takes_the_newer_version(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--upgrade re-resolves every package and reports what was upgraded."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    index.add("beta", "2.0")
    index.add("alpha", "1.1", ["beta>=1"])
    capsys.readouterr()

    assert lock(project, "--upgrade") == 0

    assert packages(read_lock(project / "envspec.lock")) == {"alpha": "1.1",
                                                              "beta": "2.0"}
    out = capsys.readouterr().out
    assert "upgraded    beta 1.0 -> 2.0" in out
    assert "upgraded    alpha 1.0 -> 1.1" in out


def test_upgrade_package_takes_only_that_package(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """--upgrade-package NAME upgrades that package and keeps the other pins."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    index.add("beta", "2.0")
    index.add("alpha", "1.1", ["beta>=1"])

    assert lock(project, "--upgrade-package", "beta") == 0

    assert packages(read_lock(project / "envspec.lock")) == {"alpha": "1.0",
                                                              "beta": "2.0"}


def test_upgrade_package_unknown_to_spec_and_lock_is_usage_error(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--upgrade-package naming a package neither locked nor required exits 2."""
    write_spec(project, index, ["alpha"])

    assert lock(project, "--upgrade-package", "zeta") == 2
    assert "zeta" in capsys.readouterr().err
    assert not (project / "envspec.lock").exists()


def test_conflict_exits_2_with_the_resolver_explanation_and_keeps_old_lock(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A conflict exits 2 with uv's explanation naming the interpreter, and the
    previous lock stays byte for byte as it was."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    before = (project / "envspec.lock").read_bytes()
    index.add("beta", "2.0")
    write_spec(project, index, ["alpha", "beta>=2", "gamma"])
    capsys.readouterr()

    assert lock(project) == 2

    err = capsys.readouterr().err
    assert "cannot be resolved for Python 3.13 (3.13.5) on linux/amd64" in err
    assert "gamma depend on beta<2" in err
    assert "you require beta>=2" in err
    assert "Resolved" not in err and "src-0.in" not in err
    assert (project / "envspec.lock").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["envspec.lock",
                                                         "envspec.toml"]


def test_unknown_package_exits_2_naming_it(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A package the index does not have exits 2 and names the package."""
    write_spec(project, index, ["alpha", "no-such-thing"])

    assert lock(project) == 2

    err = capsys.readouterr().err
    assert "no-such-thing" in err
    assert "Python 3.13" in err
    assert "check the package names" in err
    assert not (project / "envspec.lock").exists()


def test_package_without_distribution_for_a_platform_exits_2(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A package with no wheel for a requested platform fails the lock, naming
    the package, the interpreter and the platform."""
    index.add("native", "1.0", tag="cp313-cp313-manylinux_2_17_x86_64")
    write_spec(project, index, ["native"], platforms=("linux/amd64", "linux/arm64"))

    assert lock(project) == 2

    err = capsys.readouterr().err
    assert "native has no installable distribution for Python 3.13 (3.13.5) on " \
        "linux/arm64" in err
    assert not (project / "envspec.lock").exists()


def test_image_without_a_variant_for_a_platform_exits_2(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A service image built for amd64 only fails a lock that serves arm64 too,
    naming the service, the image and the missing platform; nothing is written."""
    registry.only["postgres:17"] = {"linux/amd64"}
    write_spec(project, index, ["alpha"], services=DB,
               platforms=("linux/amd64", "linux/arm64"))

    assert lock(project) == 2

    err = capsys.readouterr().err
    assert "service db: the image postgres:17 has no variant for linux/arm64" in err
    assert "envspec.toml:" in err  # the line that sets python.platforms
    assert "python.platforms" in err
    assert not (project / "envspec.lock").exists()


def test_two_platforms_merge_hashes_and_mark_platform_only_packages(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """Locking two platforms keeps every platform's wheel hashes, and a package
    only one platform needs carries a platform_machine marker."""
    x86 = index.add("native", "1.0", ["x86-helper; platform_machine == 'x86_64'"],
                    tag="cp313-cp313-manylinux_2_17_x86_64")
    arm = index.add("native", "1.0", ["x86-helper; platform_machine == 'x86_64'"],
                    tag="cp313-cp313-manylinux_2_17_aarch64")
    index.add("x86-helper", "1.0")
    write_spec(project, index, ["native"], platforms=("linux/arm64", "linux/amd64"))

    assert lock(project) == 0

    result = read_lock(project / "envspec.lock")
    pins = {p.name: p for p in result.interpreter("3.13").packages}
    assert set(pins["native"].hashes) == {sha256(x86), sha256(arm)}
    assert pins["native"].marker is None
    assert pins["x86-helper"].marker == "platform_machine == 'x86_64'"
    assert "x86-helper==1.0 ; platform_machine == 'x86_64'" in \
        pins["x86-helper"].requirement_line()
    assert result.platforms == ("linux/amd64", "linux/arm64")
    assert len(result.installer.hashes) == 2


def test_dry_run_reports_changes_and_writes_nothing(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run prints added, removed and upgraded packages and changed image
    digests, and leaves the lock as it was."""
    write_spec(project, index, ["alpha", "gamma"], services=DB)
    assert lock(project) == 0
    before = (project / "envspec.lock").read_bytes()
    index.add("delta", "1.0")
    index.add("alpha", "2.0", ["beta>=1", "delta"])
    write_spec(project, index, ["alpha"], services=DB)
    registry.generation += 1
    capsys.readouterr()

    assert lock(project, "--dry-run", "--upgrade-package", "alpha",
                "--upgrade-images") == 0

    out = capsys.readouterr().out
    assert "would change" in out
    assert "added       delta 1.0" in out
    assert "removed     gamma 1.0" in out
    assert "upgraded    alpha 1.0 -> 2.0" in out
    new_digest = registry.digest("python:3.13-slim")
    assert "image       python:3.13-slim@sha256:" in out
    assert f"-> python:3.13-slim@{new_digest}" in out
    assert "service db: postgres:17@sha256:" in out
    assert (project / "envspec.lock").read_bytes() == before


def test_downgrade_is_reported_as_downgraded(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A pin that goes down because the spec now caps it is shown as downgraded."""
    index.add("beta", "2.0")
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    write_spec(project, index, ["alpha", "beta<2"])
    capsys.readouterr()

    assert lock(project) == 0

    assert "downgraded  beta 2.0 -> 1.0" in capsys.readouterr().out


def test_relock_with_nothing_changed_gives_identical_bytes(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Locking twice with nothing changed upstream writes the same bytes."""
    write_spec(project, index, ["alpha", "gamma"], versions=("3.13", "3.12"),
               services=DB)
    assert lock(project) == 0
    first = (project / "envspec.lock").read_bytes()
    capsys.readouterr()

    assert lock(project, "--upgrade") == 0

    assert (project / "envspec.lock").read_bytes() == first
    assert "already up to date" in capsys.readouterr().out


def test_the_lock_is_stable_toml_with_a_regenerate_header(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """The lock says how to regenerate it and records the spec's hash."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0

    text = (project / "envspec.lock").read_text()
    assert text.startswith("# This file is generated by envspec")
    assert "`envspec lock`" in text.splitlines()[1]
    data = tomllib.loads(text)
    from envspec.spec import load_spec

    assert data["spec-hash"] == load_spec(project / "envspec.toml").digest()


def test_interrupted_lock_leaves_the_old_lock_unchanged(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """Ctrl-C in the middle of a lock exits 130 and leaves the old lock and no
    temporary file behind."""
    write_spec(project, index, ["alpha"], services=DB)
    assert lock(project) == 0
    before = (project / "envspec.lock").read_bytes()
    index.add("beta", "2.0")
    registry.fail_on = "postgres:17"

    assert lock(project, "--upgrade") == 130

    assert (project / "envspec.lock").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["envspec.lock",
                                                         "envspec.toml"]


def test_new_image_under_the_same_tag_keeps_the_pin_until_upgraded(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """A re-lock keeps each image's digest while the registry still has it;
    --upgrade-images moves it to the tag's new digest and rereads the Python."""
    write_spec(project, index, ["alpha"], services=DB)
    assert lock(project) == 0
    first = read_lock(project / "envspec.lock")
    registry.calls.clear()

    registry.generation += 1
    registry.pythons["3.13"] = "3.13.7"
    assert lock(project) == 0
    assert read_lock(project / "envspec.lock").interpreters == first.interpreters
    assert read_lock(project / "envspec.lock").services == first.services
    assert not [c for c in registry.calls if c.startswith(("python ", "digest "))]

    assert lock(project, "--upgrade-images") == 0
    again = read_lock(project / "envspec.lock")
    interp = again.interpreter("3.13")
    assert interp.python == "3.13.7"
    assert interp.digest == registry.digest("python:3.13-slim")
    assert again.services[0].digest == registry.digest("postgres:17")
    assert packages(again) == packages(first)


def test_a_digest_the_registry_dropped_is_re_pinned(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A pinned digest its registry no longer serves is re-pinned, and said so."""
    write_spec(project, index, ["alpha"], services=DB)
    assert lock(project) == 0
    old = read_lock(project / "envspec.lock")
    registry.gone.update([old.interpreter("3.13").digest, old.services[0].digest])
    registry.generation += 1
    capsys.readouterr()

    assert lock(project) == 0
    new = read_lock(project / "envspec.lock")
    assert new.interpreter("3.13").digest == registry.digest("python:3.13-slim")
    assert new.services[0].digest == registry.digest("postgres:17")
    out = capsys.readouterr()
    assert "is no longer in its registry; re-pinning" in out.err
    assert "postgres:17" in out.out  # the account of changes names the service


def test_a_spec_change_that_pins_nothing_relocks_without_resolving(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing only the app's settings records the new spec with the old
    pins and runs no resolver; the lock is fresh again."""
    write_spec(project, index, ["alpha"], services=DB)
    assert lock(project) == 0
    before = read_lock(project / "envspec.lock")

    def no_uv(*args: object, **kwargs: object) -> None:
        raise AssertionError("uv ran although no input of the packages changed")

    monkeypatch.setattr(resolve, "compile_once", no_uv)
    write_spec(project, index, ["alpha"], services=DB,
               extra='[app]\nenv = { DEBUG = "1" }')
    assert lock(project, "--check") == 1

    assert lock(project) == 0
    after = read_lock(project / "envspec.lock")
    assert after.interpreters == before.interpreters
    assert after.spec_hash != before.spec_hash
    assert lock(project, "--check") == 0


def test_every_unknown_image_is_named_at_once_at_its_line(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two services whose images do not exist are both reported in one run,
    each at the line of its table; exit 2 and no lock."""
    registry.unknown.update({"postgres:16", "redis:7-alpine"})
    services = ('\n[services.db]\nkind = "postgres"\nversion = "16"\n'
                '\n[services.cache]\nkind = "redis"\nversion = "7-alpine"\n')
    spec = write_spec(project, index, ["alpha"], services=services)

    assert lock(project) == 2

    err = capsys.readouterr().err
    lines = spec.read_text().splitlines()
    for table, image in (("[services.db]", "postgres:16"),
                         ("[services.cache]", "redis:7-alpine")):
        number = lines.index(table) + 1
        assert f"envspec.toml:{number}: the image {image} does not exist" in err
    assert not (project / "envspec.lock").exists()


def test_image_with_the_wrong_python_is_refused(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An interpreter image whose Python is not the spec's version exits 2."""
    registry.pythons["3.13"] = "3.11.2"
    write_spec(project, index, ["alpha"])

    assert lock(project) == 2
    assert "holds Python 3.11.2, not 3.13" in capsys.readouterr().err


def test_json_emits_one_result_document(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--json writes one document with what changed; progress stays on stderr."""
    write_spec(project, index, ["alpha"])

    assert lock(project, "--json") == 0

    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["ok"] is True and doc["written"] is True and doc["dry_run"] is False
    added = doc["changes"]["interpreters"][0]["added"]
    assert {"name": "beta", "version": "1.0"} in added
    assert "resolving packages for Python 3.13.5" in captured.err


def test_unreadable_old_lock_is_replaced_with_a_warning(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`envspec lock` rewrites a damaged lock instead of failing on it."""
    write_spec(project, index, ["alpha"])
    (project / "envspec.lock").write_text("lock-version = [\n")

    assert lock(project) == 0

    assert "ignoring the existing envspec.lock" in capsys.readouterr().err
    assert packages(read_lock(project / "envspec.lock")) == {"alpha": "1.0",
                                                              "beta": "1.0"}


def test_unreachable_engine_is_an_engine_error_naming_docker_host(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no engine at DOCKER_HOST, pinning an image fails with exit 1 and
    says where it looked and what to do."""
    from envspec.errors import EngineError

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")

    with pytest.raises(EngineError) as caught:
        images.DockerRegistry().digest("python:3.13-slim")

    assert caught.value.exit_code == 1
    assert f"unix://{tmp_path}/no.sock" in caught.value.message
    assert "DOCKER_HOST" in (caught.value.hint or "")


@pytest.mark.parametrize(("ref", "repository", "tag"), [
    ("python:3.13-slim", "python", "3.13-slim"),
    ("localhost:5000/team/app:1.2", "localhost:5000/team/app", "1.2"),
    ("localhost:5000/team/app", "localhost:5000/team/app", None),
    (f"postgres:17@sha256:{'a' * 64}", "postgres", "17"),
])
def test_split_reference_keeps_registry_ports(ref: str, repository: str,
                                              tag: str | None) -> None:
    """An image reference splits into repository and tag, keeping a registry port."""
    assert images.split_reference(ref) == (repository, tag)


def test_unreachable_index_is_a_run_error_exit_1(
        project: Path, index: LocalIndex, registry: FakeRegistry,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An index that cannot be reached fails the run with exit 1, not as a
    resolution problem, and points at the network and SSL_CERT_FILE."""
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    spec = write_spec(project, index, ["alpha"])
    spec.write_text(spec.read_text().replace(index.url, "http://127.0.0.1:9/simple"))

    assert lock(project) == 1

    err = capsys.readouterr().err
    assert "could not reach the package index" in err
    assert "Connection refused" in err
    assert "SSL_CERT_FILE" in err


def test_parse_reads_hashes_via_and_direct_references() -> None:
    """uv's annotated output is read into pins: hashes, one-line and multi-line
    `via`, source files mapped back, and a direct URL's version from its name."""
    from envspec.resolve import parse_requirements

    text = (
        "alpha==1.0 \\\n"
        "    --hash=sha256:" + "b" * 64 + " \\\n"
        "    --hash=sha256:" + "a" * 64 + "\n"
        "    # via -r src-0.in\n"
        "Beta_Pkg==2.0 \\\n"
        "    --hash=sha256:" + "c" * 64 + "\n"
        "    # via\n"
        "    #   alpha\n"
        "    #   -r src-1.in\n"
        "gamma @ https://example.org/gamma-3.1-py3-none-any.whl\n"
        "    # via alpha\n"
    )
    pins = parse_requirements(text, {"src-0.in": "envspec.toml",
                                     "src-1.in": "requirements/base.txt"})

    assert [(p.name, p.version, p.via) for p in pins] == [
        ("alpha", "1.0", ("envspec.toml",)),
        ("beta-pkg", "2.0", ("alpha", "requirements/base.txt")),
        ("gamma", "3.1", ("alpha",)),
    ]
    assert pins[0].hashes == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    assert pins[2].url == "https://example.org/gamma-3.1-py3-none-any.whl"


def test_last_seen_python_starts_uv_early_and_gives_the_same_lock(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """A lock made while the cache knows the image's Python is byte for byte the
    lock made without it; the cache is written by the first lock."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    without = (project / "envspec.lock").read_bytes()
    assert seen.load("pythons") == {"python:3.13-slim": "3.13.5"}

    (project / "envspec.lock").unlink()
    assert lock(project) == 0
    assert (project / "envspec.lock").read_bytes() == without


def test_a_wrong_guess_of_the_python_is_not_used(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """When the image holds another Python than the one last seen, the lock is
    resolved for the image's Python: a package that needs the newer patch
    release is locked at the version only that release can install."""
    index.add("delta", "1.0")
    index.add("delta", "2.0", headers=["Requires-Python: >=3.13.5"])
    seen.remember("pythons", {"python:3.13-slim": "3.13.1"})  # an older push of the tag
    write_spec(project, index, ["delta"])

    assert lock(project) == 0

    made = read_lock(project / "envspec.lock")
    assert made.interpreter("3.13").python == "3.13.5"
    assert packages(made)["delta"] == "2.0"
    assert seen.load("pythons") == {"python:3.13-slim": "3.13.5"}


def test_an_unreadable_cache_is_ignored(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """A cache file that is not JSON does not fail a lock; the lock rewrites it."""
    cache = Path(os.environ["ENVSPEC_CACHE_DIR"]) / "seen.json"
    cache.write_text("{not json")
    write_spec(project, index, ["alpha"])

    assert lock(project) == 0
    assert json.loads(cache.read_text())["pythons"] == {"python:3.13-slim": "3.13.5"}


def test_installer_pin_comes_from_an_earlier_lock_unless_upgrading(
        project: Path, index: LocalIndex, registry: FakeRegistry) -> None:
    """A fresh lock takes the installer pin an earlier lock found for the same
    uv version, platforms and indexes; --upgrade resolves it again."""
    write_spec(project, index, ["alpha"])
    assert lock(project) == 0
    real = read_lock(project / "envspec.lock").installer.hashes
    (key,) = seen.load("installers")
    seen.remember("installers", {key: ["sha256:" + "0" * 64]})  # a marker

    (project / "envspec.lock").unlink()
    assert lock(project) == 0
    assert read_lock(project / "envspec.lock").installer.hashes == ("sha256:" + "0" * 64,)

    assert lock(project, "--upgrade") == 0
    assert read_lock(project / "envspec.lock").installer.hashes == real
    assert seen.load("installers") == {key: list(real)}
