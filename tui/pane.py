"""What every tab of the app shares: its backend, and how it reports errors.

A pane is one region of the main screen (overview, lock, files, build,
services). It loads its data in a worker with :meth:`Pane.reload`, and
reports an :class:`~envspec.errors.EnvspecError` as a toast with the error's
short title and its sentence, the hint on a second line.
"""

from __future__ import annotations

from typing import Protocol, cast

from textual.containers import Vertical
from textual.message import Message

from envspec.errors import EnvspecError
from tui.backend import Backend


class _HasBackend(Protocol):
    backend: Backend


def toast_text(exc: EnvspecError) -> str:
    """An error's sentence, and what to do about it when envspec knows."""
    text = exc.message
    if exc.hint:
        text += f"\n{exc.hint}"
    return text


class Pane(Vertical):
    """A tab's content; subclasses implement :meth:`reload`."""

    class Blocked(Message):
        """The spec or the lock cannot be read: the app shows a modal."""

        def __init__(self, error: EnvspecError) -> None:
            super().__init__()
            self.error = error

    class Changed(Message):
        """A pane changed the project (lock, files, images, services)."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    FOCUS = ""  # the widget that takes focus when the tab opens; "" the first

    @property
    def backend(self) -> Backend:
        return cast(_HasBackend, self.app).backend

    def report(self, exc: EnvspecError) -> None:
        """Show a failed operation as an error toast."""
        self.notify(toast_text(exc), title=exc.title, severity="error", timeout=8)

    def reload(self) -> None:
        """Fetch this pane's data again (in a worker)."""
        raise NotImplementedError

    def focus_first(self) -> None:
        """Give focus to the pane's main widget."""
        if self.FOCUS:
            self.query_one(self.FOCUS).focus()
            return
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
