"""envspec doctor: each check's ok, warn and fail, the exit code and --json."""

from __future__ import annotations

import io
import json
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _sample import copy_sample

from envspec import doctor, ports
from envspec.commands import doctor as doctor_command
from envspec.context import Context
from envspec.doctor import FAIL, GIB, OK, SKIP, WARN, EngineFacts, Machine
from envspec.errors import EngineError
from envspec.lockfile import read_lock

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@dataclass
class FakeProbe:
    """Answers doctor's engine questions from fields."""

    facts: EngineFacts | None = field(default_factory=lambda: EngineFacts(
        "27.3.1", "unix:///var/run/docker.sock", "/var/lib/docker"))
    buildx_version: str | None = "0.17.1"
    compose_found: tuple[str, str] | None = ("v2", "2.29.7")
    own_ports: set[int] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)  # image digests nobody serves

    def engine(self) -> EngineFacts:
        if self.facts is None:
            raise EngineError("Error while fetching server API version: connection "
                              "refused")
        return self.facts

    def buildx(self) -> str | None:
        return self.buildx_version

    def compose(self) -> tuple[str, str] | None:
        return self.compose_found

    def project_ports(self, project: str) -> set[int]:
        return self.own_ports

    def unavailable(self, pins: list[tuple[str, str]]) -> list[str]:
        return [f"{ref}@{digest}" for ref, digest in pins if digest in self.gone]


def machine(probe: FakeProbe | None = None, *, free: int = 50 * GIB,
            busy: dict[int, str] | None = None,
            environ: dict[str, str] | None = None) -> Machine:
    busy = busy or {}
    return Machine(
        probe=probe or FakeProbe(),
        environ=environ or {},
        free_bytes=lambda path: free,
        port_problem=lambda host, port: busy.get(port),
    )


def write_spec(root: Path, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "envspec.toml").write_text(
        '[project]\nname = "demo"\n\n[python]\nversions = ["3.13"]\n'
        'packages = ["six"]\n\n[app]\ncommand = "python -m http.server 8000"\n'
        f"ports = [8000]\n{extra}"
    )
    return root


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def test_healthy_machine_without_lock(tmp_path: Path) -> None:
    """Everything passes except the missing lock, which fails with a fix."""
    checks = by_name(doctor.run_checks(write_spec(tmp_path), machine()))
    assert checks["engine"].status == OK
    assert checks["engine"].finding == "Docker 27.3.1 at unix:///var/run/docker.sock"
    assert checks["buildx"].status == OK and checks["compose"].status == OK
    assert checks["spec"].status == OK
    assert checks["ports"].status == OK and "127.0.0.1:8000 free" in checks["ports"].finding
    assert checks["lock"].status == FAIL
    assert checks["lock"].fix is not None and "envspec lock" in checks["lock"].fix
    assert checks["generated"].status == SKIP


def test_unreachable_engine_fails_and_skips_its_disk(tmp_path: Path) -> None:
    """An engine that does not answer fails its check and does not crash doctor."""
    checks = by_name(doctor.run_checks(write_spec(tmp_path),
                                       machine(FakeProbe(facts=None))))
    assert checks["engine"].status == FAIL
    assert "connection refused" in checks["engine"].finding
    assert checks["engine"].fix
    assert checks["docker-disk"].status == SKIP


def test_old_engine_warns(tmp_path: Path) -> None:
    """An engine older than 20.10 is a warning, not a failure."""
    probe = FakeProbe(facts=EngineFacts("19.03.15", "unix:///x", "/var/lib/docker"))
    check = by_name(doctor.run_checks(write_spec(tmp_path), machine(probe)))["engine"]
    assert check.status == WARN and "older than 20.10" in check.finding


@pytest.mark.parametrize(("compose", "status"), [
    (("v2", "2.29.7"), OK), (("v1", "1.29.2"), WARN), (None, FAIL)])
def test_compose_versions(tmp_path: Path, compose: Any, status: str) -> None:
    """Compose v2 passes, v1 alone warns, no compose fails."""
    probe = FakeProbe(compose_found=compose)
    check = by_name(doctor.run_checks(write_spec(tmp_path), machine(probe)))["compose"]
    assert check.status == status


def test_missing_buildx_fails(tmp_path: Path) -> None:
    """Without the buildx plugin the build cannot run: fail, with how to install."""
    probe = FakeProbe(buildx_version=None)
    check = by_name(doctor.run_checks(write_spec(tmp_path), machine(probe)))["buildx"]
    assert check.status == FAIL and check.fix and "docker-buildx" in check.fix


@pytest.mark.parametrize(("free", "status"), [
    (50 * GIB, OK), (5 * GIB, WARN), (1 * GIB, FAIL)])
def test_docker_disk_thresholds(tmp_path: Path, free: int, status: str) -> None:
    """Free space in the engine's data root passes, warns or fails by size."""
    checks = by_name(doctor.run_checks(write_spec(tmp_path), machine(free=free)))
    assert checks["docker-disk"].status == status
    assert checks["docker-disk"].finding.endswith("free in /var/lib/docker")


def test_engine_in_a_vm_skips_its_disk(tmp_path: Path) -> None:
    """A data root that is not on this machine is not measured here."""
    probe = FakeProbe(facts=EngineFacts("27.0.0", "unix:///x", "/var/lib/docker",
                                        local=False))
    check = by_name(doctor.run_checks(write_spec(tmp_path), machine(probe)))
    assert check["docker-disk"].status == SKIP


def test_missing_spec_fails_and_skips_what_needs_it(tmp_path: Path) -> None:
    """No spec: the spec check fails with `envspec init`, later checks skip."""
    checks = by_name(doctor.run_checks(tmp_path, machine()))
    assert checks["spec"].status == FAIL
    assert checks["spec"].fix and "envspec init" in checks["spec"].fix
    assert checks["ports"].status == SKIP and checks["lock"].status == SKIP


def test_invalid_spec_names_the_first_problem(tmp_path: Path) -> None:
    """A spec with problems fails with the first one's position and hint."""
    tmp_path.joinpath("envspec.toml").write_text(
        '[python]\nversions = ["3.13"]\n\n[services.db]\nkind = "postgress"\n')
    check = by_name(doctor.run_checks(tmp_path, machine()))["spec"]
    assert check.status == FAIL
    assert check.finding.startswith("envspec.toml:5:8: unknown service kind")
    assert check.fix and "postgres" in check.fix


def test_busy_port_fails(tmp_path: Path) -> None:
    """A fixed host port something else listens on fails the ports check."""
    checks = by_name(doctor.run_checks(write_spec(tmp_path),
                                       machine(busy={8000: "in use"})))
    assert checks["ports"].status == FAIL
    assert "127.0.0.1:8000 (app) in use" in checks["ports"].finding


def test_port_held_by_the_projects_own_stack_passes(tmp_path: Path) -> None:
    """A port busy because this project's stack is up is not a problem."""
    probe = FakeProbe(own_ports={8000})
    checks = by_name(doctor.run_checks(write_spec(tmp_path),
                                       machine(probe, busy={8000: "in use"})))
    assert checks["ports"].status == OK and "own running stack" in checks["ports"].finding


def test_real_bind_test_sees_a_listener() -> None:
    """ports.bind_problem reports a port a socket listens on, and frees it after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert ports.bind_problem("127.0.0.1", port) == "in use"
    assert ports.bind_problem("127.0.0.1", port) is None


@pytest.mark.parametrize(("environ", "status"), [
    ({}, OK),
    ({"HTTPS_PROXY": "http://proxy:3128"}, WARN),
    ({"HTTPS_PROXY": "http://proxy:3128", "SSL_CERT_FILE": "{pem}"}, OK),
    ({"REQUESTS_CA_BUNDLE": "{missing}"}, FAIL),
    ({"PIP_CERT": "{not_pem}"}, FAIL),
])
def test_ca_bundle(tmp_path: Path, environ: dict[str, str], status: str) -> None:
    """A CA bundle must be a readable PEM; a proxy without one warns."""
    (tmp_path / "ca.pem").write_text(PEM)
    (tmp_path / "notes.txt").write_text("not a certificate")
    paths = {"pem": tmp_path / "ca.pem", "missing": tmp_path / "nope.pem",
             "not_pem": tmp_path / "notes.txt"}
    environ = {k: v.format(**paths) for k, v in environ.items()}
    root = write_spec(tmp_path / "p")
    check = by_name(doctor.run_checks(root, machine(environ=environ)))["ca-bundle"]
    assert check.status == status


def test_ca_bundle_from_the_spec(tmp_path: Path) -> None:
    """build.ca-bundle in the spec is the bundle doctor checks first."""
    root = write_spec(tmp_path, '\n[build]\nca-bundle = "ca.pem"\n')
    (root / "ca.pem").write_text(PEM)
    check = by_name(doctor.run_checks(root, machine()))["ca-bundle"]
    assert check.status == OK and "(from build.ca-bundle)" in check.finding


def test_sample_with_lock_reports_lock_and_generated_files(tmp_path: Path) -> None:
    """The sample's committed lock is fresh; its files are not generated yet."""
    root = copy_sample(tmp_path / "sample")
    checks = by_name(doctor.run_checks(root, machine()))
    assert checks["lock"].status == OK
    assert checks["generated"].status == WARN
    assert checks["generated"].fix and "envspec generate" in checks["generated"].fix


def test_a_pinned_image_the_registry_lost_fails_with_the_fix(tmp_path: Path) -> None:
    """A lock whose image digest the engine cannot get fails the images check,
    naming the image and `envspec lock` as the fix."""
    root = copy_sample(tmp_path / "sample")
    lock = read_lock(root / "envspec.lock")
    checks = by_name(doctor.run_checks(root, machine()))
    assert checks["images"].status == OK

    lost = lock.interpreters[0]
    checks = by_name(doctor.run_checks(root, machine(FakeProbe(gone={lost.digest}))))
    assert checks["images"].status == FAIL
    assert f"{lost.image}@{lost.digest}" in checks["images"].finding
    assert checks["images"].fix and "`envspec lock`" in checks["images"].fix


def test_stale_lock_fails(tmp_path: Path) -> None:
    """A lock made from another spec fails with what changed."""
    root = copy_sample(tmp_path / "sample")
    spec = root / "envspec.toml"
    spec.write_text(spec.read_text().replace('"gunicorn>=23",', '"gunicorn>=23",\n'
                                             '    "six",'))
    check = by_name(doctor.run_checks(root, machine()))["lock"]
    assert check.status == FAIL and "stale" in check.finding and "six" in check.finding


def run_command(root: Path, as_json: bool, monkeypatch: pytest.MonkeyPatch,
                probe: FakeProbe) -> tuple[int, str]:
    monkeypatch.setattr(doctor, "DockerProbe", lambda: probe)
    out = io.StringIO()
    ctx = Context(directory=root, json=as_json, stdout=out, stderr=io.StringIO())
    code = doctor_command.run(ctx, None)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_exit_code_and_json_document(tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """--json writes one document of every check; a failure makes the exit 1."""
    code, out = run_command(write_spec(tmp_path), True, monkeypatch, FakeProbe())
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    names = [c["name"] for c in doc["checks"]]
    assert names == ["engine", "buildx", "compose", "docker-disk", "project-disk",
                     "spec", "ports", "ca-bundle", "lock", "images", "generated"]
    assert all(set(c) == {"name", "status", "finding", "fix"} for c in doc["checks"])
    assert {c["status"] for c in doc["checks"]} <= {OK, WARN, FAIL, SKIP}


def test_exit_zero_when_nothing_failed(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings alone leave the exit code at 0."""
    root = copy_sample(tmp_path / "sample")
    monkeypatch.setattr(doctor.shutil, "disk_usage",
                        lambda path: shutil._ntuple_diskusage(100 * GIB, 0, 100 * GIB))  # type: ignore[attr-defined]
    monkeypatch.setattr(ports, "bind_problem", lambda host, port: None)
    code, out = run_command(root, False, monkeypatch, FakeProbe())
    assert code == 0, out
    assert "✔ engine" in out or "ok engine" in out
    assert "fix: run `envspec generate`" in out


@pytest.mark.docker
def test_doctor_against_the_real_engine(envspec_cli: Any, tmp_path: Path) -> None:
    """On a machine with Docker the engine, buildx and compose checks pass."""
    root = write_spec(tmp_path / "p")
    done = envspec_cli("-C", str(root), "doctor", "--json", timeout=120)
    checks = by_name([doctor.Check(**c) for c in json.loads(done.stdout)["checks"]])
    assert checks["engine"].status in (OK, WARN), checks["engine"]
    assert checks["engine"].finding.startswith("Docker ")
    assert checks["buildx"].status == OK and checks["compose"].status == OK
    assert checks["lock"].status == FAIL and done.returncode == 1
