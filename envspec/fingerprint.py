"""The fingerprint of an image's build inputs, to skip builds that would change nothing.

An app image is made from the lock, the generated Dockerfile and the files of
the build context that the builder receives. :func:`build_fingerprint`
hashes exactly those: every file of the context that the ``.dockerignore``
rules let through (by path, executable bit and content), the Dockerfile, and
the lock's hash. ``envspec build`` stores it as an image label and skips the
builder when the label of the existing image equals a fresh fingerprint.

The ignore rules follow BuildKit's: a ``<Dockerfile>.dockerignore`` beside
the Dockerfile wins over the context's ``.dockerignore``; patterns use ``*``,
``?``, ``[...]`` and ``**``; a pattern that matches a folder matches all
inside it; a later ``!pattern`` lets a path back in; the last matching
pattern decides.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

FINGERPRINT_VERSION = "1"  # bump when what goes into the hash changes


@dataclass(frozen=True)
class IgnoreRule:
    regex: re.Pattern[str]
    negate: bool
    prefix: str  # the literal folder prefix of a negated pattern ("" if none)


def _clean(pattern: str) -> str:
    """Go's filepath.Clean, as BuildKit applies it, without a leading slash."""
    parts: list[str] = []
    for part in pattern.strip().split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _translate(pattern: str) -> str:
    """A dockerignore pattern as a regular expression on '/'-separated paths."""
    out = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):  # "**/" matches zero or more folders
                    i += 1
                    out += "(?:.*/)?"
                else:
                    out += ".*"
                continue
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(char)
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out += f"[{body}]"
                i = end
        else:
            out += re.escape(char)
        i += 1
    return f"^{out}$"


def parse_ignore(text: str) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = _clean(line[1:] if negate else line)
        if not pattern:
            continue
        literal = re.split(r"[*?\[\\]", pattern, maxsplit=1)[0]
        prefix = literal.rsplit("/", 1)[0] if negate and "/" in literal else ""
        rules.append(IgnoreRule(re.compile(_translate(pattern)), negate, prefix))
    return rules


def is_ignored(path: str, rules: list[IgnoreRule]) -> bool:
    """Whether the context-relative path ``path`` is left out of the build."""
    ignored = False
    parents = _parents(path)
    for rule in rules:
        if any(rule.regex.match(p) for p in parents):
            ignored = not rule.negate
    return ignored


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def ignore_file(context: Path, dockerfile: Path) -> Path | None:
    """The ignore file BuildKit uses for this Dockerfile, if there is one."""
    beside = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if beside.is_file():
        return beside
    default = context / ".dockerignore"
    return default if default.is_file() else None


def context_files(context: Path, rules: list[IgnoreRule]) -> list[str]:
    """The context-relative paths of the files a build receives, sorted."""
    keep_dirs = [r.prefix for r in rules if r.negate]
    found: list[str] = []
    for folder, dirs, files in os.walk(context):
        rel = os.path.relpath(folder, context)
        rel = "" if rel == "." else rel.replace(os.sep, "/")
        kept_dirs = []
        for name in sorted(dirs):
            sub = f"{rel}/{name}" if rel else name
            if (context / sub).is_symlink():
                files.append(name)
            elif not is_ignored(sub, rules) or any(
                not p or p == sub or p.startswith(sub + "/") or sub.startswith(p + "/")
                for p in keep_dirs
            ):
                kept_dirs.append(name)  # a later "!" pattern may let files back in
        dirs[:] = kept_dirs
        for name in files:
            sub = f"{rel}/{name}" if rel else name
            if not is_ignored(sub, rules):
                found.append(sub)
    return sorted(found)


def build_fingerprint(
    context: Path, dockerfile: Path, lock_hash: str, extra: tuple[str, ...] = ()
) -> str:
    """The hash of everything a build of ``dockerfile`` in ``context`` reads."""
    ignore = ignore_file(context, dockerfile)
    rules = parse_ignore(ignore.read_text(encoding="utf-8")) if ignore else []

    digest = hashlib.sha256()
    for part in (f"envspec-fingerprint {FINGERPRINT_VERSION}", lock_hash, *extra):
        digest.update(part.encode() + b"\0")
    digest.update(b"dockerfile\0" + dockerfile.read_bytes() + b"\0")
    if ignore is not None:
        digest.update(b"ignore\0" + ignore.read_bytes() + b"\0")

    for rel in context_files(context, rules):
        path = context / rel
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            body = b"link:" + os.readlink(path).encode()
        elif stat.S_ISREG(info.st_mode):
            body = _file_hash(path)
        else:
            continue  # sockets, fifos: BuildKit skips them too
        executable = b"x" if info.st_mode & 0o111 else b"-"
        digest.update(rel.encode() + b"\0" + executable + body + b"\0")
    return "sha256:" + digest.hexdigest()


def _file_hash(path: Path) -> bytes:
    # TODO: hashing every byte of a large context costs time on each
    # `envspec build`; a cache keyed by (path, size, mtime, inode) would
    # make unchanged large trees cheap.
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()
