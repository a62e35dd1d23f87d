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


TOAST_LINES = 4  # a longer message is cut there; the rest is on the pane


def toast_text(exc: EnvspecError, brief: bool = False) -> str:
    """An error's sentence, and what to do about it when envspec knows.

    A toast is read at a glance: the message keeps its first line only when
    ``brief``, else its first TOAST_LINES lines, and the hint follows.
    """
    lines = exc.message.splitlines() or [""]
    keep = lines[:1] if brief else lines[:TOAST_LINES]
    if len(lines) > len(keep):
        keep[-1] += " …"
    if exc.hint:
        keep.append(exc.hint)
    return "\n".join(keep)


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

    def report(self, exc: EnvspecError, shown: bool = False) -> None:
        """Show a failed operation as an error toast.

        ``shown`` says the pane shows the whole message itself (the build's
        failure panel): the toast then carries only its first line.
        """
        self.notify(
            toast_text(exc, brief=shown),
            title=exc.title,
            severity="error",
            timeout=8,
            markup=False,
        )

    def reload(self) -> None:
        """Fetch this pane's data again (in a worker)."""
        raise NotImplementedError

    def focus_first(self) -> None:
        """Give focus to the pane's main widget, before the next key is read.

        ``Widget.focus`` only takes effect after the events already queued,
        so a key typed right after the tab key (``5`` then ``S``) would go
        to the old tab; setting the screen's focus at once avoids that.
        """
        if self.FOCUS:
            self.screen.set_focus(self.query_one(self.FOCUS))
            return
        for widget in self.query("*"):
            if widget.focusable:
                self.screen.set_focus(widget)
                return
