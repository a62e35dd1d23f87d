"""Benchmarks: envspec side by side with what a user would run instead.

Every figure is taken in one run on one machine and reported as a ratio to
the alternative measured in the same run, as the median of several runs, so
that the comparison holds on a noisy machine. Nothing here is part of the
tests.

    python bench/run.py            # the full run (about 30-40 minutes)
    python bench/run.py --quick    # one run of each, the smaller sets

It writes bench/results/<date>.json and the table in bench/README.md.
It needs the Docker Engine (../shared/ci/docker-engine.sh and
standin-images.sh on this project's machines), PyPI, and for the lock
comparison a Python 3.13 interpreter to run pip-compile under.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SAMPLE = ROOT / "samples" / "django-drf"
ENVSPEC = [sys.executable, "-m", "envspec"]
CA = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
PIP_COMPILE_PYTHON = os.environ.get("BENCH_PIP_COMPILE_PYTHON") or next(
    (str(p) for p in sorted(Path("/root/.pyenv/versions").glob("3.13*/bin/python"))),
    shutil.which("python3.13") or "python3.13")

Result = dict[str, Any]


# --------------------------------------------------------------------------
# Running and timing


def sh(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
       check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def timed(argv: Sequence[str], **kw: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = sh(argv, **kw)
    return time.perf_counter() - start, done


def median_of(runs: int, once: Callable[[], float]) -> dict[str, Any]:
    times = [once() for _ in range(runs)]
    return {"median_s": round(statistics.median(times), 3),
            "runs_s": [round(t, 3) for t in times]}


def interleaved(runs: int, **contenders: Callable[[], float]) -> dict[str, dict[str, Any]]:
    """Medians of contenders run in turn (a, b, a, b, ...), so that a slow
    spell of the machine falls on both sides of a ratio, not on one."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, once in contenders.items():
            times[name].append(once())
    return {name: {"median_s": round(statistics.median(t), 3),
                   "runs_s": [round(x, 3) for x in t]} for name, t in times.items()}


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return round(a["median_s"] / b["median_s"], 3) if b["median_s"] else float("inf")


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def project(tmp: Path, name: str, spec: str, files: dict[str, str] | None = None) -> Path:
    folder = tmp / name
    folder.mkdir(parents=True)
    (folder / "envspec.toml").write_text(spec)
    for rel, body in (files or {}).items():
        (folder / rel).write_text(body)
    return folder


def requirements(set_name: str) -> str:
    return (BENCH / "sets" / f"{set_name}.in").read_text()


# --------------------------------------------------------------------------
# 1. Lock against uv pip compile and pip-compile


def exact_python(folder: Path) -> str:
    lock = tomllib.loads((folder / "envspec.lock").read_text())
    return str(lock["interpreters"][0]["python"])


def pip_compile_env(tmp: Path) -> Path:
    """A venv of Python 3.13 with pip-tools, so pip-compile resolves for 3.13."""
    venv = tmp / "pip-tools-venv"
    if not (venv / "bin" / "pip-compile").exists():
        sh([PIP_COMPILE_PYTHON, "-m", "venv", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "-q", "pip-tools"])
    return venv / "bin" / "pip-compile"


def bench_lock(tmp: Path, runs: int, quick: bool) -> Result:
    out: Result = {}
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    pip_compile = pip_compile_env(tmp)
    sets = ["django"] if quick else ["django", "scientific"]
    for set_name in sets:
        say(f"lock: {set_name}")
        spec = ('[project]\nname = "bench-lock"\n[python]\nversions = ["3.13"]\n'
                'requirements = ["requirements.in"]\n')
        folder = project(tmp, f"lock-{set_name}", spec,
                         {"requirements.in": requirements(set_name)})
        warm_cache = tmp / f"uv-cache-{set_name}"

        def envspec_lock(cold: bool, folder: Path = folder,
                         warm_cache: Path = warm_cache) -> float:
            (folder / "envspec.lock").unlink(missing_ok=True)
            cache = Path(tempfile.mkdtemp(dir=tmp)) if cold else warm_cache
            t, _ = timed([*ENVSPEC, "-q", "lock"], cwd=folder,
                         env={"UV_CACHE_DIR": str(cache)})
            return t

        envspec_lock(cold=False)  # fills the warm cache and pulls the image
        target = exact_python(folder)
        uv_argv = [uv, "pip", "compile", "--generate-hashes", "--no-header",
                   "--python-version", target, "--python-platform",
                   "x86_64-manylinux_2_28", "--python", sys.executable,
                   "requirements.in", "-o", "uv.txt"]

        def uv_compile(cold: bool, folder: Path = folder, warm_cache: Path = warm_cache,
                       uv_argv: list[str] = uv_argv) -> float:
            (folder / "uv.txt").unlink(missing_ok=True)
            cache = Path(tempfile.mkdtemp(dir=tmp)) if cold else warm_cache
            t, _ = timed(uv_argv, cwd=folder, env={
                "UV_CACHE_DIR": str(cache), "UV_PYTHON_DOWNLOADS": "never"})
            return t

        def pip_tools(folder: Path = folder) -> float:
            (folder / "pt.txt").unlink(missing_ok=True)
            cache = Path(tempfile.mkdtemp(dir=tmp))
            t, _ = timed([str(pip_compile), "--generate-hashes", "--no-header",
                          "--cache-dir", str(cache), "-o", "pt.txt",
                          "requirements.in"], cwd=folder,
                         env={"PIP_FIND_LINKS": ""}, timeout=3600)
            return t

        row: Result = interleaved(
            runs,
            envspec_cold=lambda: envspec_lock(True),
            uv_cold=lambda: uv_compile(True),
            envspec_warm=lambda: envspec_lock(False),
            uv_warm=lambda: uv_compile(False),
        )
        pt_runs = 1 if quick or set_name == "scientific" else runs
        row["pip_compile_cold"] = median_of(pt_runs, pip_tools)
        pins = len(tomllib.loads((folder / "envspec.lock").read_text())
                   ["interpreters"][0]["packages"])
        row["pins"] = pins
        row["ratio_envspec_to_uv_cold"] = ratio(row["envspec_cold"], row["uv_cold"])
        row["ratio_envspec_to_uv_warm"] = ratio(row["envspec_warm"], row["uv_warm"])
        row["ratio_pip_compile_to_envspec"] = ratio(row["pip_compile_cold"],
                                                    row["envspec_cold"])
        # What dominated: uv's time is network round-trips; with everything
        # cached and --offline, what is left is resolution itself.
        offline = median_of(runs, lambda uv_argv=uv_argv, folder=folder,
                            warm_cache=warm_cache: timed(
            [*uv_argv, "--offline"], cwd=folder,
            env={"UV_CACHE_DIR": str(warm_cache), "UV_PYTHON_DOWNLOADS": "never"})[0])
        row["uv_offline_resolution"] = offline
        row["dominated_by"] = (
            f"network: uv resolves offline from cache in {offline['median_s']} s of "
            f"its {row['uv_cold']['median_s']} s cold; envspec adds the image "
            f"digest query and pull check ({round(row['envspec_warm']['median_s'] - row['uv_warm']['median_s'], 2)} s warm)")
        out[set_name] = row
    return out


# --------------------------------------------------------------------------
# 2. The --check commands


def sample_copy(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".envspec", "__pycache__"))
    spec = folder / "envspec.toml"
    spec.write_text(spec.read_text().replace('name = "bookshelf"', f'name = "{name}"'))
    sh([*ENVSPEC, "-q", "lock"], cwd=folder)
    return folder


def bench_checks(tmp: Path, runs: int) -> Result:
    say("checks")
    folder = sample_copy(tmp, "bench-checks")
    sh([*ENVSPEC, "-q", "generate"], cwd=folder)
    n = max(runs * 3, 5)
    out: Result = {}
    for name, argv in (("lock_check", ["lock", "--check"]),
                       ("generate_check", ["generate", "--check"])):
        out[name] = median_of(n, lambda argv=argv: timed([*ENVSPEC, *argv], cwd=folder)[0])
        out[name]["goal_s"] = 0.3
        out[name]["met"] = out[name]["median_s"] < 0.3
    bare = median_of(n, lambda: timed([sys.executable, "-c", "pass"])[0])
    out["python_startup"] = bare
    out["dominated_by"] = (f"interpreter start and imports: bare `python -c pass` "
                           f"takes {bare['median_s']} s")
    return out


# --------------------------------------------------------------------------
# 3. Builds against a plain Dockerfile


PLAIN_DOCKERFILE = """\
FROM {image}
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \\
    PIP_CERT=/run/secrets/ca pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "bookshelf.wsgi", "--bind", "0.0.0.0:8000"]
"""


# The best layout measured by hand on these machines (PERF-NOTES): the
# requirements before the source, installed by `uv pip sync` with a cache
# mount. A reference for what the layout itself allows, with no envspec.
TUNED_DOCKERFILE = """\
FROM {image}
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \\
    PIP_CERT=/run/secrets/ca pip install --no-cache-dir uv=={uv}
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \\
    --mount=type=cache,target=/root/.cache/uv \\
    SSL_CERT_FILE=/run/secrets/ca UV_LINK_MODE=copy \\
    uv pip sync --system --require-hashes requirements.txt
COPY . .
CMD ["gunicorn", "bookshelf.wsgi", "--bind", "0.0.0.0:8000"]
"""


def steps_of(log: str) -> list[tuple[str, float]]:
    """(step name, seconds) from BuildKit's plain progress output, or from
    envspec's own lines (``[py3.13] STEP done (1.2 s)``)."""
    names: dict[str, str] = {}
    times: list[tuple[str, float]] = []
    for line in log.splitlines():
        m = re.match(r"^\s*\[py[\d.]+\] (.*) done \((\d+(?:\.\d+)?) s\)$", line)
        if m:
            times.append((m.group(1)[:70], float(m.group(2))))
            continue
        m = re.match(r"^#(\d+) (\[.*)$", line)
        if m:
            names.setdefault(m.group(1), m.group(2)[:70])
        m = re.match(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$", line)
        if m and m.group(1) in names:
            times.append((names[m.group(1)], float(m.group(2))))
    return times


def dominant(log: str) -> str:
    steps = sorted(steps_of(log), key=lambda s: -s[1])
    return ", ".join(f"{n} {t:.1f} s" for n, t in steps[:2]) or "unknown"


def plain_build(folder: Path, tag: str, dockerfile: str = "plain.Dockerfile"
                ) -> tuple[float, str]:
    t, done = timed(["docker", "buildx", "build", "--load", "--progress=plain",
                     "--secret", f"id=ca,src={CA}", "-f", dockerfile,
                     "-t", tag, "."], cwd=folder, env={"DOCKER_BUILDKIT": "1"})
    return t, done.stderr


def tuned_build(folder: Path) -> float:
    return plain_build(folder, "bench-tuned", "tuned.Dockerfile")[0]


def envspec_build(folder: Path) -> tuple[float, str]:
    # The app's image only, as the plain file builds one image.
    t, done = timed([*ENVSPEC, "-v", "build", "app"], cwd=folder)
    return t, done.stderr


def image_size(tag: str) -> int:
    return int(sh(["docker", "image", "inspect", "-f", "{{.Size}}", tag]).stdout.strip())


def layers(tag: str) -> list[str]:
    out = sh(["docker", "image", "inspect", "-f", "{{json .RootFS.Layers}}", tag]).stdout
    return list(json.loads(out))


def prune_builder() -> None:
    sh(["docker", "builder", "prune", "-af"], check=False)


def bench_build(tmp: Path, runs: int) -> Result:
    folder = sample_copy(tmp, "bench-build")
    sh([*ENVSPEC, "-q", "generate"], cwd=folder)
    lock = tomllib.loads((folder / "envspec.lock").read_text())
    interp = lock["interpreters"][0]
    base = f"{interp['image']}@{interp['digest']}"
    app_tag = f"bench-build-app:py{interp['version']}"
    source = folder / "books" / "views.py"
    req_file = folder / ".envspec" / f"requirements-py{interp['version']}.txt"

    plain = tmp / "plain"
    shutil.copytree(folder, plain, ignore=shutil.ignore_patterns(".envspec"))
    (plain / "plain.Dockerfile").write_text(PLAIN_DOCKERFILE.format(image=base))
    shutil.copy(req_file, plain / "requirements.txt")
    tuned = tmp / "tuned"
    shutil.copytree(plain, tuned)
    (tuned / "tuned.Dockerfile").write_text(
        TUNED_DOCKERFILE.format(image=base, uv=lock["installer"]["version"]))

    out: Result = {"first": {}, "source_change": {}, "one_package": {}}
    logs: dict[str, str] = {}

    def first_plain() -> float:
        prune_builder()
        sh(["docker", "rmi", "-f", "bench-plain"], check=False)
        t, logs["plain_first"] = plain_build(plain, "bench-plain")
        return t

    def first_envspec() -> float:
        prune_builder()
        sh(["docker", "rmi", "-f", app_tag], check=False)
        t, logs["envspec_first"] = envspec_build(folder)
        return t

    say("build: first builds")
    out["first"]["plain"] = median_of(runs, first_plain)
    out["first"]["envspec"] = median_of(runs, first_envspec)

    say("build: source change")
    counter = iter(range(1000))

    def touch(path: Path) -> None:
        with path.open("a") as handle:
            handle.write(f"\n# bench edit {next(counter)}\n")

    def src_plain() -> float:
        touch(plain / "books" / "views.py")
        t, logs["plain_source"] = plain_build(plain, "bench-plain")
        return t

    before = layers(app_tag)

    def src_envspec() -> float:
        touch(source)
        t, logs["envspec_source"] = envspec_build(folder)
        return t

    def src_tuned() -> float:
        touch(tuned / "books" / "views.py")
        return tuned_build(tuned)

    tuned_build(tuned)  # its first build, not timed
    out["source_change"].update(interleaved(
        runs, plain=src_plain, envspec=src_envspec, tuned=src_tuned))
    after = layers(app_tag)
    shared = sum(1 for a, b in zip(before, after, strict=False) if a == b)
    out["source_change"]["layers_reused"] = f"{shared} of {len(after)}"
    out["source_change"]["reinstalled_nothing"] = shared >= len(after) - 2

    say("build: one package added")
    spec = folder / "envspec.toml"
    original = spec.read_text()

    def pkg_envspec(i: int) -> float:
        extra = ["humanize", "tabulate", "six", "toolz", "pytz"][i % 5]
        spec.write_text(original.replace('"gunicorn>=23",', f'"gunicorn>=23",\n    "{extra}",'))
        sh([*ENVSPEC, "-q", "lock"], cwd=folder)
        sh([*ENVSPEC, "-q", "generate"], cwd=folder)
        t, logs["envspec_package"] = envspec_build(folder)
        shutil.copy(req_file, plain / "requirements.txt")
        spec.write_text(original)
        return t

    def pkg_plain_after(i: int) -> float:
        # The plain file gets the same new pins as envspec's lock did.
        t, logs["plain_package"] = plain_build(plain, "bench-plain")
        return t

    envspec_times, plain_times, tuned_times = [], [], []
    for i in range(runs):
        envspec_times.append(pkg_envspec(i))
        plain_times.append(pkg_plain_after(i))
        shutil.copy(plain / "requirements.txt", tuned / "requirements.txt")
        tuned_times.append(tuned_build(tuned))
        sh([*ENVSPEC, "-q", "lock"], cwd=folder)
        sh([*ENVSPEC, "-q", "generate"], cwd=folder)
        shutil.copy(req_file, plain / "requirements.txt")
        shutil.copy(req_file, tuned / "requirements.txt")
        plain_build(plain, "bench-plain")
        tuned_build(tuned)
        envspec_build(folder)
    out["one_package"]["envspec"] = {"median_s": round(statistics.median(envspec_times), 3),
                                     "runs_s": [round(t, 3) for t in envspec_times]}
    out["one_package"]["plain"] = {"median_s": round(statistics.median(plain_times), 3),
                                   "runs_s": [round(t, 3) for t in plain_times]}
    out["one_package"]["tuned"] = {"median_s": round(statistics.median(tuned_times), 3),
                                   "runs_s": [round(t, 3) for t in tuned_times]}
    for key in ("source_change", "one_package"):
        out[key]["ratio_tuned"] = ratio(out[key]["tuned"], out[key]["plain"])
        out[key]["envspec_to_tuned"] = ratio(out[key]["envspec"], out[key]["tuned"])

    for key, goal in (("first", None), ("source_change", 0.05), ("one_package", 0.40)):
        row = out[key]
        row["ratio"] = ratio(row["envspec"], row["plain"])
        if goal is not None:
            row["goal_ratio"] = goal
            row["met"] = row["ratio"] <= goal
    out["source_change"]["met"] = (out["source_change"]["met"]
                                   and out["source_change"]["reinstalled_nothing"])
    out["first"]["dominated_by"] = {"plain": dominant(logs.get("plain_first", "")),
                                    "envspec": dominant(logs.get("envspec_first", ""))}
    out["one_package"]["dominated_by"] = {
        "plain": dominant(logs.get("plain_package", "")),
        "envspec": dominant(logs.get("envspec_package", ""))}

    nochange = median_of(max(runs, 3), lambda: envspec_build(folder)[0])
    out["no_change"] = {"envspec": nochange, "goal_s": 1.0,
                        "met": nochange["median_s"] < 1.0}
    sizes = {"plain": image_size("bench-plain"), "envspec": image_size(app_tag)}
    out["image_size_bytes"] = {**sizes, "ratio": round(sizes["envspec"] / sizes["plain"], 3),
                               "met": sizes["envspec"] <= sizes["plain"]}
    sh(["docker", "rmi", "-f", "bench-plain", "bench-tuned", app_tag], check=False)
    return out


# --------------------------------------------------------------------------
# 4. envspec up against docker compose up --wait


def bench_up(tmp: Path, runs: int) -> Result:
    say("up")
    folder = sample_copy(tmp, "bench-up")
    sh([*ENVSPEC, "-q", "up"], cwd=folder)  # builds once; not timed
    compose = ["docker", "compose", "-f", str(folder / ".envspec" / "compose.yaml")]
    sh([*ENVSPEC, "-q", "down", "--volumes"], cwd=folder)

    def envspec_up() -> float:
        t, _ = timed([*ENVSPEC, "-q", "up"], cwd=folder)
        sh([*ENVSPEC, "-q", "down", "--volumes"], cwd=folder)
        return t

    def compose_up() -> float:
        t, _ = timed([*compose, "up", "-d", "--wait"], cwd=folder)
        sh([*compose, "down", "--volumes"], cwd=folder)
        return t

    out: Result = interleaved(runs, envspec=envspec_up, compose_wait=compose_up)
    out["ratio"] = ratio(out["envspec"], out["compose_wait"])
    out["goal_ratio"] = 1.1
    out["met"] = out["ratio"] <= 1.1
    out["dominated_by"] = "Postgres's first start (initdb) and its health check interval"
    return out


# --------------------------------------------------------------------------
# 5. The terminal app


def bench_tui(runs: int) -> Result:
    script = BENCH / "tui_first_paint.py"
    if not script.exists():
        return {"skipped": "bench/tui_first_paint.py is missing"}
    say("tui")
    done = sh([sys.executable, str(script), "--runs", str(runs), "--json"], cwd=ROOT)
    result: Result = json.loads(done.stdout)
    return result


# --------------------------------------------------------------------------
# 6. How cost grows


def bench_scaling(tmp: Path, runs: int, quick: bool) -> Result:
    names = [line.strip() for line in (BENCH / "sets" / "many.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    out: Result = {"packages": {}, "services": {}}
    for count in ([10, 50] if quick else [10, 50, 200]):
        say(f"scaling: {count} packages")
        reqs = "\n".join(names[:count]) + "\n"
        spec = (f'[project]\nname = "scale-{count}"\n[python]\nversions = ["3.13"]\n'
                'requirements = ["requirements.in"]\n[services.db]\nkind = "postgres"\n')
        folder = project(tmp, f"scale-p{count}", spec, {"requirements.in": reqs})
        sh([*ENVSPEC, "-q", "lock"], cwd=folder, timeout=3600)  # warm-up
        lock = median_of(runs, lambda folder=folder: timed(
            [*ENVSPEC, "-q", "lock", "--upgrade"], cwd=folder, timeout=3600)[0])
        gen = median_of(max(runs, 3), lambda folder=folder: timed(
            [*ENVSPEC, "-q", "generate", "--force"], cwd=folder)[0])
        pins = len(tomllib.loads((folder / "envspec.lock").read_text())
                   ["interpreters"][0]["packages"])
        out["packages"][str(count)] = {"lock": lock, "generate": gen, "pins": pins}
    kinds = [("db", "postgres", "17"), ("cache", "redis", "8"), ("db2", "postgres", "15"),
             ("cache2", "redis", "7"), ("db3", "postgres", "17"), ("cache3", "redis", "8")]
    for count in (1, 3, 6):
        say(f"scaling: {count} services")
        # Each service beyond the first of its kind gets its own URL variable.
        services = "".join(
            f'[services.{n}]\nkind = "{k}"\nversion = "{v}"\n'
            + (f'url-var = "{n.upper()}_URL"\n' if n[-1].isdigit() else "")
            for n, k, v in kinds[:count])
        spec = (f'[project]\nname = "scale-s{count}"\n[python]\nversions = ["3.13"]\n'
                f'packages = ["requests"]\n{services}')
        folder = project(tmp, f"scale-s{count}", spec)
        sh([*ENVSPEC, "-q", "lock"], cwd=folder)
        lock = median_of(runs, lambda folder=folder: timed(
            [*ENVSPEC, "-q", "lock", "--upgrade"], cwd=folder)[0])
        gen = median_of(max(runs, 3), lambda folder=folder: timed(
            [*ENVSPEC, "-q", "generate", "--force"], cwd=folder)[0])
        out["services"][str(count)] = {"lock": lock, "generate": gen}
    return out


# --------------------------------------------------------------------------
# Report


def machine() -> Result:
    def version(argv: list[str]) -> str:
        try:
            return sh(argv, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "missing"

    mem = Path("/proc/meminfo").read_text().split("\n")[0] if Path("/proc/meminfo").exists() else ""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(), "memory": " ".join(mem.split()[1:]),
        "os": platform.platform(), "python": platform.python_version(),
        "envspec": version([*ENVSPEC, "--version"]),
        "uv": version([str(Path(sys.executable).parent / "uv"), "--version"]),
        "docker": version(["docker", "version", "--format", "{{.Server.Version}}"]),
        "buildx": version(["docker", "buildx", "version"]),
        "compose": version(["docker", "compose", "version", "--short"]),
    }


def s(x: dict[str, Any]) -> str:
    return f"{x['median_s']:.2f} s"


def mark(met: bool | None) -> str:
    return "met" if met else "NOT met"


def table(results: Result) -> str:
    m = results["machine"]
    rows = [
        f"Run of {m['date']} ({'quick' if results['quick'] else 'full'}, "
        f"{results['runs']} run(s) each, medians): {m['cpus']} cores, {m['memory']}, "
        f"Python {m['python']}, {m['envspec']}, {m['uv']}, Docker {m['docker']}, "
        f"{m['buildx']}, compose {m['compose']}.",
        "",
        "| measure | envspec | alternative | ratio | goal | |",
        "|---|---|---|---|---|---|",
    ]
    lock = results.get("lock", {})
    for set_name, row in lock.items():
        rows.append(f"| lock {set_name} ({row['pins']} pins), cold | {s(row['envspec_cold'])} "
                    f"| uv {s(row['uv_cold'])} | {row['ratio_envspec_to_uv_cold']} | <= 1.3 "
                    f"| {mark(row['ratio_envspec_to_uv_cold'] <= 1.3)} |")
        rows.append(f"| lock {set_name}, warm | {s(row['envspec_warm'])} "
                    f"| uv {s(row['uv_warm'])} | {row['ratio_envspec_to_uv_warm']} | <= 1.3 "
                    f"| {mark(row['ratio_envspec_to_uv_warm'] <= 1.3)} |")
        rows.append(f"| lock {set_name} vs pip-compile, cold | {s(row['envspec_cold'])} "
                    f"| pip-compile {s(row['pip_compile_cold'])} | "
                    f"{row['ratio_pip_compile_to_envspec']}x faster | much faster "
                    f"| {mark(row['ratio_pip_compile_to_envspec'] >= 3)} |")
    checks = results.get("checks", {})
    for key in ("lock_check", "generate_check"):
        if key in checks:
            rows.append(f"| `{key.replace('_', ' --')}` (whole process) | {s(checks[key])} "
                        f"| | | < 0.3 s | {mark(checks[key]['met'])} |")
    build = results.get("build", {})
    if build:
        for key, label in (("first", "first build"), ("source_change", "rebuild, one source file"),
                           ("one_package", "rebuild, one package added")):
            row = build[key]
            goal = {"first": "", "source_change": "<= 0.05", "one_package": "<= 0.40"}[key]
            met = mark(row["met"]) if "met" in row else "(no goal)"
            rows.append(f"| {label} | {s(row['envspec'])} | plain Dockerfile {s(row['plain'])} "
                        f"| {row['ratio']} | {goal} | {met} |")
        rows.append(f"| build, nothing changed | {s(build['no_change']['envspec'])} | | | < 1 s "
                    f"| {mark(build['no_change']['met'])} |")
        size = build["image_size_bytes"]
        rows.append(f"| image size | {size['envspec'] / 1e6:.0f} MB | plain {size['plain'] / 1e6:.0f} MB "
                    f"| {size['ratio']} | <= 1 | {mark(size['met'])} |")
    up = results.get("up")
    if up:
        rows.append(f"| up until healthy | {s(up['envspec'])} | compose up --wait "
                    f"{s(up['compose_wait'])} | {up['ratio']} | <= 1.1 | {mark(up['met'])} |")
    tui = results.get("tui", {})
    if "first_paint_s" in tui:
        rows.append(f"| TUI first paint | {tui['first_paint_s']:.2f} s "
                    f"({tui.get('rss_mb', '?')} MB RSS) | | | < 1 s | {mark(tui['first_paint_s'] < 1)} |")
    scaling = results.get("scaling", {})
    if scaling:
        rows += ["", "| spec size | lock (--upgrade) | generate |", "|---|---|---|"]
        for count, row in scaling["packages"].items():
            rows.append(f"| {count} packages ({row['pins']} pins) | {s(row['lock'])} | {s(row['generate'])} |")
        for count, row in scaling["services"].items():
            rows.append(f"| {count} services | {s(row['lock'])} | {s(row['generate'])} |")
    notes = []
    for set_name, row in lock.items():
        notes.append(f"- lock {set_name}: {row['dominated_by']}.")
    if build:
        d = build["first"]["dominated_by"]
        notes.append(f"- first build, longest steps: plain: {d['plain']}; envspec: {d['envspec']}.")
        d = build["one_package"]["dominated_by"]
        notes.append(f"- one package added, longest steps: plain: {d['plain']}; envspec: {d['envspec']}.")
        notes.append(f"- source change: {build['source_change']['layers_reused']} image layers "
                     "identical before and after (packages not reinstalled).")
        for key, label in (("source_change", "source change"), ("one_package", "one package added")):
            row = build[key]
            notes.append(
                f"- {label}, against the best hand-written layout (requirements first, "
                f"`uv pip sync` with a cache mount): it takes {s(row['tuned'])}, "
                f"{row['ratio_tuned']} of the plain file; envspec takes "
                f"{row['envspec_to_tuned']} times as long as it.")
    if checks:
        notes.append(f"- --check commands: {checks['dominated_by']}.")
    if up:
        notes.append(f"- up: {up['dominated_by']}.")
    return "\n".join([*rows, "", *notes]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, small sets")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure")
    parser.add_argument("--only", action="append", default=[],
                        choices=["lock", "checks", "build", "up", "tui", "scaling"])
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    parts = args.only or ["lock", "checks", "build", "up", "tui", "scaling"]

    results: Result = {"quick": args.quick, "runs": runs, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="envspec-bench-") as name:
        tmp = Path(name)
        if "lock" in parts:
            results["lock"] = bench_lock(tmp, runs, args.quick)
        if "checks" in parts:
            results["checks"] = bench_checks(tmp, runs)
        if "build" in parts:
            results["build"] = bench_build(tmp, runs)
        if "up" in parts:
            results["up"] = bench_up(tmp, runs)
        if "tui" in parts:
            results["tui"] = bench_tui(max(runs, 3))
        if "scaling" in parts:
            results["scaling"] = bench_scaling(tmp, runs, args.quick)

    day = dt.date.today().isoformat()
    # A partial run never takes the name of a full one, nor replaces its table.
    suffix = ("-quick" if args.quick else "") + "".join(f"-{p}" for p in args.only)
    out = BENCH / "results" / f"{day}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    text = table(results)
    readme = BENCH / "README.md"
    body = readme.read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start in body and end in body and not args.only:
        head, rest = body.split(start, 1)
        body = head + start + "\n" + text + end + rest.split(end, 1)[1]
        readme.write_text(body)
    print(text)
    say(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
