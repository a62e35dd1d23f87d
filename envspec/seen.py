"""The exact Python last seen in each interpreter image, kept in the user's cache.

A lock resolves packages for the exact Python inside the pinned image, which
is known only after the engine has answered for the image. That answer costs
the import of docker-py and a registry round trip; waiting for it before
starting uv puts both on the critical path. With the last Python seen under
the same image reference, ``make_lock`` starts uv at once for that guess and
keeps the result only when the image, once pinned, holds exactly that Python.
A wrong or missing guess costs a discarded uv run, never a wrong lock.

It lives in ``$ENVSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/envspec`` or
``~/.cache/envspec``. It is a cache: unreadable, missing or unwritable, it is simply not used.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("envspec.lock")


def _file() -> Path:
    folder = os.environ.get("ENVSPEC_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = str(Path(base) / "envspec")
    return Path(folder) / "pythons.json"


def load() -> dict[str, str]:
    """Image reference -> the exact Python last found in it."""
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def remember(found: Mapping[str, str]) -> None:
    """Record the exact Python of each image reference just locked."""
    known = load()
    if all(known.get(image) == exact for image, exact in found.items()):
        return
    known.update(found)
    path = _file()
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".pythons.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(known, handle, indent=1, sort_keys=True)
        os.replace(temp, path)  # a reader sees the old file or the new, whole
    except OSError as exc:
        log.debug("could not write %s: %s", path, exc)
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
