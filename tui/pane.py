"""What every tab of the app shares: its backend, and how it reports errors.

A pane is one region of the main screen (overview, lock, files, build,
services). It loads its data in a worker with :meth:`Pane.reload`, and
reports an :class:`~envspec.errors.EnvspecError` as a toast with the error's
short title and its sentence, the hint on a second line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

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

    def __init__(self, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._loading: set[str] = set()  # groups of load_once with a worker
        self._again: set[str] = set()  # ... asked for again while it runs

    @property
    def backend(self) -> Backend:
        return cast(_HasBackend, self.app).backend

    def load_after_overview(self) -> None:
        """Reload now, or once the overview is on screen if it is not yet.

        A hidden tab's data (the files rendered and compared, the lock's
        rows, the engine's containers) is not needed for the first paint and
        would compete with the overview for the interpreter.
        """
        waiting = getattr(self.app, "waiting_for_overview", None)
        if waiting is None:
            self.reload()
        else:
            waiting.append(self.reload)

    def overview_shown(self) -> None:
        """Start what waited for the overview's first paint (once)."""
        app = self.app
        waiting = getattr(app, "waiting_for_overview", None)
        if waiting is not None:
            setattr(app, "waiting_for_overview", None)  # noqa: B010
            for reload in waiting:
                reload()

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

    def load_once(self, group: str, load: Callable[[], Awaitable[None]]) -> None:
        """Run ``load`` in a worker of ``group``, never two at a time.

        A call made while one runs does not cancel it, as an exclusive
        worker would: a refresh timer faster than the engine's answers then
        never let one finish, and the table kept its old rows. It makes the
        running one load once more when it is done.
        """
        if group in self._loading:
            self._again.add(group)
            return
        self._loading.add(group)
        self.run_worker(self._load_loop(group, load), group=group)

    async def _load_loop(self, group: str, load: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                self._again.discard(group)
                await load()
                if group not in self._again:
                    return
        finally:
            self._loading.discard(group)

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
