"""How long `envspec tui` takes to show the sample's overview, and its memory.

Each run starts `python -m envspec tui` in a fresh pseudo-terminal of 120x36
in a copy of samples/django-drf (locked and generated, as after a first
`envspec up`), reads what the app writes to the terminal, and notes when:

- first frame: the app has drawn its frame (the tabs' labels);
- first paint: the overview is on screen with the project's name, its
  interpreters and the lock's state, which needs the spec read, the lock
  checked and the generated files compared by the real backend. This is the
  figure the goal (under a second) is about;
- engine: the overview says whether the engine is reachable (docker-py is
  loaded and the engine pinged after the first paint, in a worker).

Times run from just before the process is started, so they include the
interpreter's start and every import. Memory is the process's resident set
(VmRSS) once the engine line is on screen, and its peak (VmHWM). Then the
app is told to quit with "q". The first run is reported apart, as it may
pay for cold caches; the figures are medians of the runs after it.

    python bench/tui_first_paint.py --runs 5 [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "django-drf"
COLUMNS, ROWS = 120, 36
TIMEOUT = 30.0  # seconds for one run to reach the engine line
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-_])")


def sample_copy(tmp: Path) -> Path:
    """The sample, locked and generated, under a name of its own."""
    folder = tmp / "bookshelf"
    shutil.copytree(
        SAMPLE, folder, ignore=shutil.ignore_patterns(".envspec", "__pycache__")
    )
    spec = folder / "envspec.toml"
    spec.write_text(spec.read_text().replace('"bookshelf"', '"paint-probe"', 1))
    for command in (["lock"], ["generate"]):
        subprocess.run(
            [sys.executable, "-m", "envspec", "-q", *command],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return folder


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def one_run(folder: Path) -> dict[str, Any]:
    """Start the app on a new terminal; time its paints; read its memory; quit."""
    marks = {
        "first_frame_s": lambda text: "Overview" in text and "Services" in text,
        "first_paint_s": lambda text: (
            "paint-probe" in text and "Interpreters" in text and "Lock: " in text
        ),
        "engine_s": lambda text: (
            "Engine: reachable" in text or "Engine: unreachable" in text
        ),
    }
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "", "LINES": ""}
    env = {k: v for k, v in env.items() if v}

    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, on the terminal's other end
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        os.chdir(folder)
        os.execve(sys.executable, [sys.executable, "-m", "envspec", "tui"], env)

    seen: dict[str, Any] = {}
    text = ""
    try:
        while len(seen) < len(marks):
            left = TIMEOUT - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(
                    f"not seen after {TIMEOUT} s: {set(marks) - set(seen)}"
                )
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the app ended early; it wrote:\n{text[-2000:]}")
            now = time.perf_counter() - start
            text += _ESCAPES.sub("", chunk.decode("utf-8", "replace"))
            for name, holds in marks.items():
                if name not in seen and holds(text):
                    seen[name] = round(now, 3)
        seen.update(memory_kb(pid))
        # What the overview said of the lock: a run that met an error
        # would not be the path a developer waits for.
        state = re.search(r"Lock: (\w+)", text)
        seen["lock"] = state.group(1) if state else "?"
        os.write(fd, b"q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                seen["exit_code"] = os.waitstatus_to_exitcode(status)
                break
            # Keep reading, so that the app never blocks on a full terminal.
            if select.select([fd], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        else:
            raise RuntimeError("the app did not quit on q")
    finally:
        if "exit_code" not in seen:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return seen


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first, rest = runs[0], runs[1:] or runs[:1]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rest), 3)

    return {
        "first_paint_s": median("first_paint_s"),
        "first_frame_s": median("first_frame_s"),
        "engine_s": median("engine_s"),
        "rss_mb": round(statistics.median(r["VmRSS"] for r in rest) / 1024, 1),
        "peak_rss_mb": round(max(r["VmHWM"] for r in runs) / 1024, 1),
        "first_run_paint_s": first["first_paint_s"],
        "paint_runs_s": [r["first_paint_s"] for r in rest],
        "exit_codes": sorted({r["exit_code"] for r in runs}),
        "lock_states": sorted({r["lock"] for r in runs}),
        "what": (
            "python -m envspec tui on a 120x36 pseudo-terminal in a locked, "
            "generated copy of samples/django-drf; times from process start; "
            "medians of the runs after the first"
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs after the first")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="envspec-bench-tui-") as name:
        folder = sample_copy(Path(name))
        runs = [one_run(folder) for _ in range(args.runs + 1)]
    result = summary(runs)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
