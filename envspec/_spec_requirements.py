"""The requirements a spec lists, and the requirement files it names.

Each requirement must be one that a lock can pin and an image build can
install: PEP 508 with a package name, no file on this machine and no
credentials in a URL. Requirement files are read as pip reads them
(comments, line continuations, ``-r`` includes); pip options, editables and
constraint files are problems, each at its own line.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envspec._spec_checks import CREDENTIALS_HINT, Checker, has_credentials
from envspec.spec import Requirement_


def read_requirement(
    c: Checker,
    text: str,
    item: object,
    source: str,
    at: tuple[Path, int] | None = None,
) -> Requirement_ | None:
    """One PEP 508 requirement, or None (and a problem at ``item`` or ``at``)."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0]
        hint = 'write it as PEP 508, e.g. "django>=5.1,<6" or "psycopg[binary]"'
        if at:
            c.add_at(
                at[1],
                1,
                f"invalid requirement {text!r}: {detail}",
                hint=hint,
                file=at[0],
            )
        else:
            c.add(f"invalid requirement {text!r}: {detail}", item, hint=hint)
        return None
    refused = _refused_requirement(req)
    if refused:
        message, refusal_hint = refused
        if at:
            c.add_at(at[1], 1, message, hint=refusal_hint, file=at[0])
        else:
            c.add(message, item, hint=refusal_hint)
        return None
    return Requirement_(str(req), canonicalize_name(req.name), source)


def read_file(
    c: Checker, name: str, item: object, seen: frozenset[Path] = frozenset()
) -> list[Requirement_]:
    """The requirements of a file named in ``python.requirements``, with its
    ``-r`` includes; each line pip would take but a lock cannot is a problem."""
    path = (c.path.parent / name).resolve()
    display = _relative(path, c.path.parent)
    if path in seen:
        return []
    if not path.is_file():
        c.add(
            f"requirement file {name!r} does not exist",
            item,
            hint=f"create {display} or remove it from python.requirements",
        )
        return []
    try:
        lines = _file_lines(c, path)
    except OSError as exc:
        c.add(
            f"cannot read requirement file {name!r}: {exc.strerror or exc}",
            item,
            hint=f"make {display} a readable file",
        )
        return []
    if lines is None:
        return []
    return _requirements_in(c, path, display, lines, seen | {path})


def _file_lines(c: Checker, path: Path) -> list[str] | None:
    """The lines of a requirement file; None (and a problem) if not UTF-8."""
    raw = path.read_bytes()
    try:
        # utf-8-sig: pip reads a file that starts with a byte-order mark.
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        c.add_at(
            raw.count(b"\n", 0, exc.start) + 1,
            1,
            f"the requirement file is not UTF-8 text (byte {raw[exc.start]:#04x})",
            hint="save it as UTF-8",
            file=path,
        )
        return None


def _requirements_in(
    c: Checker, path: Path, display: str, lines: list[str], seen: frozenset[Path]
) -> list[Requirement_]:
    out: list[Requirement_] = []
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(lines, 1):
        line = raw if raw.lstrip().startswith("#") else re.sub(r"(^|\s)#.*$", "", raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            logical.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        logical.append((start, buffer.strip()))

    for number, line in logical:
        where = (path, number)
        if line.startswith("#"):
            continue
        words = line.split()
        head = words[0]
        if head in ("-r", "--requirement", "-c", "--constraint") or head.startswith(
            ("-r", "--requirement=", "-c", "--constraint=")
        ):
            target = _option_value(words)
            if head.startswith(("-c", "--constraint")):
                c.add_at(
                    number,
                    1,
                    f"constraint files ({line!r}) are not supported",
                    hint="list the pins you need in "
                    "python.packages, or drop the line; the lock pins "
                    "every version",
                    file=path,
                )
                continue
            if not target:
                c.add_at(
                    number,
                    1,
                    f"{head} names no file to include",
                    hint=f"write `-r other.txt`, relative to {display}",
                    file=path,
                )
                continue
            included = (path.parent / target).resolve()
            if not included.is_file():
                c.add_at(
                    number,
                    1,
                    f"included file {target!r} does not exist",
                    hint=f"fix the path, relative to {display}",
                    file=path,
                )
                continue
            if included in seen:
                continue
            try:
                text = _file_lines(c, included)
            except OSError as exc:
                c.add_at(
                    number,
                    1,
                    f"cannot read included file {target!r}: {exc.strerror or exc}",
                    hint="make it a readable file",
                    file=path,
                )
                continue
            if text is None:
                continue
            out.extend(
                _requirements_in(
                    c,
                    included,
                    _relative(included, c.path.parent),
                    text,
                    seen | {included},
                )
            )
            continue
        if head in ("-e", "--editable") or head.startswith("--editable="):
            c.add_at(
                number,
                1,
                f"editable requirement {line!r} cannot be locked into an image",
                hint="the app's own source is "
                "copied into the image; list published packages only",
                file=path,
            )
            continue
        if head.startswith("-"):
            c.add_at(
                number,
                1,
                f"pip option {head!r} is not supported in a requirement file here",
                hint="set indexes with "
                "python.index-url, python.extra-index-urls or "
                "python.find-links in envspec.toml",
                file=path,
            )
            continue
        # Drop per-requirement options such as --hash: the lock makes its own.
        requirement = re.split(r"\s+--\S", " " + line, maxsplit=1)[0].strip()
        # A bare URL, VCS link (git+https://...) or path names no project.
        bare = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", requirement)
        if bare or requirement.startswith(("./", "../", "/")):
            c.add_at(
                number,
                1,
                f"{requirement!r} has no package name",
                hint="write it as `name @ URL`",
                file=path,
            )
            continue
        req = read_requirement(c, requirement, None, f"{display}:{number}", where)
        if req:
            out.append(req)
    return out


def check_duplicates(c: Checker, requirements: list[Requirement_]) -> None:
    """A problem for each package listed twice under the same marker."""
    seen: dict[tuple[str, str], Requirement_] = {}
    for req in requirements:
        marker = str(Requirement(req.text).marker or "")
        key = (req.name, marker)
        if key in seen:
            first = seen[key]
            file, line = _source_position(req.source, c.path)
            c.add_at(
                line,
                1,
                f"package {req.name!r} is listed twice (also at {first.source})",
                hint="merge the two into one requirement",
                file=file,
            )
        else:
            seen[key] = req


def _option_value(words: list[str]) -> str | None:
    head = words[0]
    if "=" in head:
        return head.split("=", 1)[1]
    if head in ("-r", "-c", "--requirement", "--constraint"):
        return words[1] if len(words) > 1 else None
    return head[2:] or None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _source_position(source: str, spec_path: Path) -> tuple[Path, int]:
    if ":" in source:
        name, line = source.rsplit(":", 1)
        path = spec_path if name == spec_path.name else spec_path.parent / name
        return path, int(line)
    return spec_path, 1


def _refused_requirement(req: Requirement) -> tuple[str, str] | None:
    """Why a well-formed requirement cannot be locked into an image, and the fix."""
    if req.name.lower().endswith((".whl", ".tar.gz", ".tgz", ".zip")):
        return (
            f"{req.name!r} is a file name, not a package name",
            "name the package, pinned if need be (alpha==1.0), and serve the "
            "file from an index",
        )
    if req.url and has_credentials(req.url):
        return (
            f"the URL of {req.name!r} holds a user name or password",
            CREDENTIALS_HINT,
        )
    if req.url and req.url.startswith("file:"):
        return (
            f"{req.name!r} comes from {req.url}, a file on this machine that "
            "the image build cannot see",
            "publish it to an index that the build can reach and name it "
            "without the URL",
        )
    return None
