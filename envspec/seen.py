"""What earlier locks on this machine found, kept in the user's cache.

Two answers cost a lock time it can often skip:

- ``pythons``: the exact Python in an interpreter image. A lock resolves
  packages for the exact Python inside the pinned image, known only once the
  engine has answered for the image (docker-py's import and a registry round
  trip). With the Python last seen under the same image reference,
  ``make_lock`` starts uv at once for that guess and keeps the result only
  when the pinned image holds exactly that Python. A wrong or missing guess
  costs a discarded uv run, never a wrong lock.
- ``installers``: the pin of the uv wheel that builds install packages with.
  It depends only on envspec's uv version, the platforms and the package
  indexes, so a fresh lock reuses the pin of an earlier lock with the same
  three instead of running uv once more (``--upgrade`` still re-resolves it).

The file lives in ``$ENVSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/envspec`` or
``~/.cache/envspec``. It is a cache: unreadable, missing or unwritable, it is
simply not used.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("envspec.lock")
# A lock records from two threads (the installer's and the interpreters');
# each read-modify-write of the file holds this, so neither drops the other's.
# Two processes writing at once can still lose one update: a cache miss later.
_writing = threading.Lock()


def _file() -> Path:
    folder = os.environ.get("ENVSPEC_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = str(Path(base) / "envspec")
    return Path(folder) / "seen.json"


def _load_all() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def load(section: str) -> dict[str, Any]:
    """One section of the cache: key -> what was found."""
    return dict(_load_all().get(section, {}))


def remember(section: str, found: dict[str, Any]) -> None:
    """Record what a lock just found under ``section``."""
    with _writing:
        _remember(section, found)


def _remember(section: str, found: dict[str, Any]) -> None:
    everything = _load_all()
    known = everything.setdefault(section, {})
    if all(known.get(key) == value for key, value in found.items()):
        return
    known.update(found)
    path = _file()
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".seen.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(everything, handle, indent=1, sort_keys=True)
        os.replace(temp, path)  # a reader sees the old file or the new, whole
    except OSError as exc:
        log.debug("could not write %s: %s", path, exc)
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
