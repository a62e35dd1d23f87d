"""Parse TOML with tomlkit and remember where each key and value starts.

tomlkit keeps comments and formatting (so the TUI and ``envspec init`` can
edit a spec without losing them) but does not say where an item came from.
Validation errors must name a line and column, so this parser records the
source offset of every key, value and table header it creates.

The hooks below override three methods of tomlkit's ``Parser``, which is not
a public API; ``tests/test_tomlpos.py`` pins their behaviour so that a
tomlkit upgrade that changes them fails there first.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.parser import Parser

from envspec.errors import Problem, SpecError


class _TrackingParser(Parser):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        # id(obj) -> (obj, offset); obj is kept so that its id is not reused.
        self.offsets: dict[int, tuple[object, int]] = {}

    def _skip_spaces(self) -> int:
        idx = self._idx
        src = self._src
        while idx < len(src) and src[idx] in " \t":
            idx += 1
        return idx

    def _parse_key(self):  # type: ignore[no-untyped-def]
        start = self._skip_spaces()
        key = super()._parse_key()
        self.offsets[id(key)] = (key, start)
        return key

    def _parse_value(self):  # type: ignore[no-untyped-def]
        start = self._skip_spaces()
        value = super()._parse_value()
        self.offsets[id(value)] = (value, start)
        return value

    def _parse_table(self, parent_name=None, parent=None):  # type: ignore[no-untyped-def]
        start = self._idx
        key, table = super()._parse_table(parent_name, parent)
        self.offsets.setdefault(id(table), (table, start))
        self.offsets.setdefault(id(key), (key, start))
        return key, table


class Located:
    """A parsed TOML document with the positions of its keys and values."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        parser = _TrackingParser(text)
        try:
            self.doc = parser.parse()
        except ParseError as exc:
            line, col = getattr(exc, "line", 1), getattr(exc, "col", 1)
            message = str(exc).split(" at line ")[0]
            hint = "fix the TOML syntax at this place (https://toml.io)"
            if message.startswith("Control characters"):
                # tomlkit's words for a string that runs into the line's end;
                # the place to fix is where that string opens.
                message = "a string is not closed before the end of the line"
                lines = text.splitlines()
                source = lines[line - 1] if 0 < line <= len(lines) else ""
                opening = min(
                    (i for i in (source.find('"'), source.find("'")) if i >= 0),
                    default=-1,
                )
                if opening >= 0:
                    col = opening + 1
                hint = (
                    "close it with a matching quote on the same line; a string "
                    'over several lines is written in triple quotes ("""...""")'
                )
            problem = Problem(
                path,
                line,
                col + 1 if col == 0 else col,
                f"TOML syntax error: {message}",
                hint,
            )
            raise SpecError([problem], title="TOML syntax error") from exc
        self._offsets = parser.offsets
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)

    def position(self, *items: object) -> tuple[int, int]:
        """Line and column of the first of ``items`` whose position is known."""
        for item in items:
            entry = self._offsets.get(id(item))
            if entry is not None and entry[0] is item:
                return self.line_col(entry[1])
        return (1, 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def problem(self, message: str, *items: object, hint: str | None = None) -> Problem:
        line, col = self.position(*items)
        return Problem(self.path, line, col, message, hint)


def entries(container: Any) -> list[tuple[Any, Any]]:
    """The (Key, item) pairs of a tomlkit table or inline table, in file order.

    Whitespace and comments are left out; a key that appears in several places
    (a super table split across the file) appears once per place.
    """
    body = getattr(container, "body", None)
    if body is None:
        body = container.value.body
    return [(k, v) for k, v in body if k is not None]


def load(path: Path) -> Located:
    """Read and parse ``path``; unreadable or non-UTF-8 files raise SpecError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [
                Problem(
                    path,
                    1,
                    1,
                    f"not UTF-8 text ({exc.reason})",
                    "save the file as UTF-8",
                )
            ]
        ) from exc
    return Located(path, text)


__all__ = ["Located", "entries", "load", "tomlkit"]
