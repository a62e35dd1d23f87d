"""Every action of the app, in one table: keys, palette and help read it.

Each pane's ``BINDINGS`` are built from this table, the command palette
lists every entry, and the help screen shows them grouped by tab, so a key
shown in one place is the key that works in the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import EnvspecApp


@dataclass(frozen=True)
class Action:
    key: str  # Textual key name(s)
    title: str  # shown in the footer, the palette and the help
    help: str  # one sentence
    tab: str  # the pane it acts on ("" for the whole app)
    action: str  # the action method name, without "action_"
    show: bool = True  # shown in the footer


TABS = (
    ("overview", "Overview"),
    ("lock", "Lock"),
    ("files", "Files"),
    ("build", "Build"),
    ("services", "Services"),
)

ACTIONS: tuple[Action, ...] = (
    *(
        Action(
            str(n),
            f"Go to {title}",
            f"Show the {title.lower()} tab.",
            "",
            f"show_tab('{tab}')",
            show=False,
        )
        for n, (tab, title) in enumerate(TABS, start=1)
    ),
    Action("question_mark", "Help", "List every key and what it does.", "", "help"),
    Action(
        "ctrl+r",
        "Refresh",
        "Read the spec, lock, files and services again.",
        "",
        "reload_all",
    ),
    Action("q", "Quit", "Leave the app; running services keep running.", "", "quit"),
    Action(
        "slash",
        "Filter",
        "Filter the locked packages by name or by what pulled them in.",
        "lock",
        "focus_filter",
    ),
    Action(
        "c",
        "Preview lock",
        "Resolve the spec and show what a re-lock would change, without writing.",
        "lock",
        "preview",
    ),
    Action(
        "l",
        "Lock",
        "Re-lock keeping the current pins where the spec allows, "
        "after showing the changes.",
        "lock",
        "relock",
    ),
    Action(
        "U",
        "Upgrade all",
        "Re-lock with every package at its newest allowed "
        "version, after showing the changes.",
        "lock",
        "upgrade_all",
    ),
    Action(
        "u",
        "Upgrade package",
        "Re-lock upgrading only the selected package, after showing the changes.",
        "lock",
        "upgrade_selected",
    ),
    Action(
        "v",
        "Switch view",
        "Show the file, its diff against disk, or its diff "
        "against the previous lock's files.",
        "files",
        "cycle_view",
    ),
    Action(
        "w",
        "Write files",
        "Write the generated files that differ from the lock's render.",
        "files",
        "write",
    ),
    Action(
        "b", "Build", "Build every image of the lock, step by step.", "build", "build"
    ),
    Action("x", "Cancel build", "Stop the running build.", "build", "cancel"),
    Action("s", "Start", "Start the selected service.", "services", "start"),
    Action("S", "Start all", "Start the whole stack.", "services", "start_all"),
    Action("t", "Stop", "Stop the selected service.", "services", "stop"),
    Action("T", "Stop all", "Stop the whole stack.", "services", "stop_all"),
    Action("r", "Restart", "Restart the selected service.", "services", "restart"),
    Action("R", "Restart all", "Restart the whole stack.", "services", "restart_all"),
    Action(
        "f",
        "Follow logs",
        "Follow the selected service's logs, or stop following them.",
        "services",
        "follow",
    ),
)


def bindings_for(tab: str) -> list[BindingType]:
    """The key bindings of one pane ("" for the app's own)."""
    return [
        Binding(a.key, a.action, a.title, show=a.show) for a in ACTIONS if a.tab == tab
    ]


def key_label(action: Action) -> str:
    """A key as a person reads it."""
    names = {"question_mark": "?", "slash": "/", "ctrl+r": "^r"}
    return names.get(action.key, action.key)


class ActionsProvider(Provider):
    """The command palette's list of every action of the app."""

    def _run(self, action: Action) -> None:
        app: EnvspecApp = self.app  # type: ignore[assignment]
        app.call_later(app.perform, action)

    def _label(self, action: Action) -> str:
        tab = dict(TABS).get(action.tab, "")
        return f"{tab}: {action.title}" if tab else action.title

    async def discover(self) -> Hits:
        for action in ACTIONS:
            yield DiscoveryHit(
                self._label(action), partial(self._run, action), help=action.help
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in ACTIONS:
            label = self._label(action)
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self._run, action),
                    text=label,
                    help=action.help,
                )
