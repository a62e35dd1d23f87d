"""BuildKit's progress, as ``docker buildx build --progress=rawjson`` writes it.

:class:`RawJsonProgress` turns the stream into :class:`~envspec.engine.BuildEvent`
values (a step started, finished, came from the cache, failed, or wrote a
line), and :func:`build_failure` turns a failed build into an EngineError
that names the failed step and shows its last output.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from envspec.engine import BuildEvent
from envspec.errors import EngineError


class RawJsonProgress:
    """Turns ``buildx build --progress=rawjson`` output into BuildEvents.

    buildx writes a stream of (indented) JSON solve-status documents to
    stderr, each with ``vertexes`` (steps, with ``started``, ``completed``,
    ``cached`` and ``error``) and ``logs`` (base64 output of a step); after
    them, plain text such as ``ERROR: failed to solve: ...``.
    """

    def __init__(self, progress: Callable[[BuildEvent], None]) -> None:
        self.progress = progress
        self.names: dict[str, str] = {}
        self.finished: set[str] = set()
        self.started: set[str] = set()
        self.step_logs: dict[str, list[str]] = {}
        self.failed_step: str | None = None
        self.error: str | None = None
        self.text: list[str] = []
        self._partial: dict[str, str] = {}

    def feed_stream(self, stream: Iterable[str]) -> None:
        buffer = ""
        depth = 0
        in_string = escaped = False
        for line in stream:
            if depth == 0 and not buffer and not line.lstrip().startswith("{"):
                if line.strip():
                    self.text_line(line.rstrip("\n"))
                continue
            buffer += line
            # Track brace depth outside strings to find the document's end.
            for char in line:
                if in_string:
                    if escaped:
                        escaped = False
                    elif char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = False
                elif char == '"':
                    in_string = True
                elif char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
            if depth == 0:
                self.feed_document(buffer)
                buffer = ""
        if buffer.strip():
            self.text_line(buffer.strip())

    def feed_document(self, text: str) -> None:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            for line in text.splitlines():
                self.text_line(line)
            return
        for vertex in doc.get("vertexes") or ():
            self.vertex(vertex)
        for entry in doc.get("logs") or ():
            self.log_entry(entry)

    def vertex(self, v: Mapping[str, Any]) -> None:
        digest = v.get("digest", "")
        name = v.get("name") or digest[:19]
        self.names[digest] = name
        if digest in self.finished:
            return
        if v.get("error"):
            self.finished.add(digest)
            self.failed_step = name
            self.error = v["error"]
            self.progress(BuildEvent("failed", name, v["error"]))
        elif v.get("cached") and v.get("completed"):
            self.finished.add(digest)
            self.progress(BuildEvent("cached", name))
        elif v.get("completed"):
            self.finished.add(digest)
            seconds = _seconds_between(v.get("started"), v.get("completed"))
            self.progress(BuildEvent("done", name, seconds=seconds))
        elif v.get("started") and digest not in self.started:
            self.started.add(digest)
            self.progress(BuildEvent("started", name))

    def log_entry(self, entry: Mapping[str, Any]) -> None:
        digest = entry.get("vertex", "")
        try:
            data = base64.b64decode(entry.get("data") or "").decode("utf-8", "replace")
        except ValueError:
            return
        text = self._partial.pop(digest, "") + data
        lines = text.split("\n")
        if not text.endswith("\n"):
            self._partial[digest] = lines.pop()
        else:
            lines.pop()
        kept = self.step_logs.setdefault(digest, [])
        name = self.names.get(digest, digest[:19])
        for line in lines:
            kept.append(line)
            self.progress(BuildEvent("log", name, line))
        del kept[:-50]

    def text_line(self, line: str) -> None:
        self.text.append(line)
        if line.startswith("ERROR:") and self.error is None:
            self.error = line.removeprefix("ERROR:").strip()
        self.progress(BuildEvent("message", "", line))

    def running(self) -> list[str]:
        """The steps that started and have not finished, in start order."""
        return [
            self.names[d]
            for d in self.names
            if d in self.started and d not in self.finished
        ]

    def last_logs(self, count: int = 15) -> list[str]:
        """The last output lines of the failed step (or of the build)."""
        for digest, name in self.names.items():
            if name == self.failed_step:
                return self.step_logs.get(digest, [])[-count:]
        return self.text[-count:]


def build_failure(
    tag: str, parser: RawJsonProgress, address: str, returncode: int = 1
) -> EngineError:
    """The error for a failed build: the step, its error and its last output.

    A builder that stopped without reporting an error (killed, or the engine
    gone mid-build) is named as such, with the steps it was running.
    """
    if (
        parser.error is None
        and parser.names
        and not any(line.startswith("ERROR") for line in parser.text)
    ):
        how = f"exited with code {returncode}"
        if returncode < 0:
            import signal

            how = f"was killed by {signal.Signals(-returncode).name}"
        running = [" ".join(step.split())[:100] for step in parser.running()]
        at = f" while running {'; '.join(running)}" if running else ""
        return EngineError(
            f"the builder stopped before {tag} was built: `docker buildx build` "
            f"{how}{at}",
            hint=f"nothing was tagged, so {tag} keeps its previous image; check "
            f"the engine at {address} with `docker info`, then run `envspec "
            "build` again",
            title="Build stopped",
        )
    if parser.error is None and not parser.names:
        detail = "\n".join(parser.text[-5:]) or "no output"
        return EngineError(
            f"building {tag} failed before any step ran: {detail}",
            hint=f"check the engine at {address} with `docker info`",
            title="Build failed",
        )
    lines = [f"building {tag} failed"]
    if parser.failed_step:
        lines[0] += f" at step {parser.failed_step}"
    if parser.error:
        lines.append(f"  {parser.error}")
    tail = parser.last_logs()
    if tail:
        lines.append("  last output of that step:")
        lines += [f"    | {line}" for line in tail]
    step = parser.failed_step or ""
    if step.startswith("[internal] load metadata for") and "@sha256:" in step:
        hint = PINNED_IMAGE_HINT
    elif "context canceled" in (parser.error or ""):
        hint = (
            f"the build was cancelled (its client stopped or was killed), so "
            f"nothing was tagged and {tag} keeps its previous image; run "
            "`envspec build` again"
        )
    else:
        hint = (
            "fix the cause above and run `envspec build` again; "
            "`envspec build -v` shows every step's output"
        )
    return EngineError("\n".join(lines), title="Build failed", hint=hint)


# A pinned image the engine cannot fetch: the registry is out of reach, or no
# longer serves that digest (a deleted image, or a mirror with other builds).
PINNED_IMAGE_HINT = (
    "the lock pins this image by digest and the engine could not fetch it; "
    "check the engine's registry access (`docker pull` of the image); if the "
    "registry no longer has that digest, `envspec lock` re-pins it to what its "
    "tag points at now and keeps every package pin"
)


def _seconds_between(start: str | None, end: str | None) -> float | None:
    from datetime import datetime

    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(_trim_nanos(start))
        b = datetime.fromisoformat(_trim_nanos(end))
    except ValueError:
        return None
    return max(0.0, (b - a).total_seconds())


def _trim_nanos(stamp: str) -> str:
    # Go writes nanoseconds; Python 3.11's fromisoformat takes up to micro.
    stamp = stamp.replace("Z", "+00:00")
    head, dot, rest = stamp.partition(".")
    if not dot:
        return stamp
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    zone = rest[len(digits) :]
    return f"{head}.{digits[:6].ljust(6, '0')}{zone}"
