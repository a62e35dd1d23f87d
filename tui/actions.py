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
    title: str  # shown in the palette and the help
    help: str  # one sentence
    tab: str  # the pane it acts on ("" for the whole app)
    action: str  # the action method name, without "action_"
    show: bool = True  # shown in the footer
    footer: str = ""  # a shorter title for the footer; "" uses the title
    group: str = ""  # keys of one group share one label in the footer
    # Handled before the key reaches the focused widget, so that the keys
    # typed right after it (a burst from a fast typist, a paste, tmux) go
    # where it moves the focus; for keys that move it.
    priority: bool = False


TABS = (
    ("overview", "Overview"),
    ("lock", "Lock"),
    ("files", "Files"),
    ("build", "Build"),
    ("services", "Services"),
)
# The wizard shown instead of the tabs while the folder has no spec.
INIT = "init"
INIT_TITLE = "New spec"


def _one_and_all(
    key: str, verb: str, action: str, more: str = ""
) -> tuple[Action, Action]:
    """A service verb: the key acts on the selected service, shifted on all.

    ``more`` is said of the whole stack's action, after its sentence.
    """
    return (
        Action(
            key,
            verb,
            f"{verb} the selected service.",
            "services",
            action,
            group=verb,
        ),
        Action(
            key.upper(),
            f"{verb} all",
            f"{verb} the whole stack.{more}",
            "services",
            f"{action}_all",
            group=verb,
        ),
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
        priority=True,
    ),
    Action(
        "escape",
        "Leave filter",
        "Go from the filter back to the table; the filter text stays.",
        "lock",
        "leave_filter",
        priority=True,
    ),
    Action(
        "escape",
        "Clear filter",
        "Clear the filter text, so that the table lists every package again.",
        "lock",
        "clear_filter",
    ),
    Action(
        "c",
        "Preview lock",
        "Resolve the spec and show what a re-lock would change, without writing.",
        "lock",
        "preview",
        footer="Preview",
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
        "u",
        "Upgrade package",
        "Re-lock upgrading only the selected package, after showing the changes.",
        "lock",
        "upgrade_selected",
        group="Upgrade",
    ),
    Action(
        "U",
        "Upgrade all",
        "Re-lock with every package at its newest allowed "
        "version, after showing the changes.",
        "lock",
        "upgrade_all",
        group="Upgrade",
    ),
    Action(
        "v",
        "Switch view",
        "Show the file, its diff against disk, or its diff "
        "against the previous lock's files.",
        "files",
        "cycle_view",
        footer="View",
    ),
    Action(
        "w",
        "Write files",
        "Write the generated files that differ from the lock's render.",
        "files",
        "write",
        footer="Write",
    ),
    Action(
        "b", "Build", "Build every image of the lock, step by step.", "build", "build"
    ),
    Action(
        "x",
        "Cancel build",
        "Stop the running build.",
        "build",
        "cancel",
        footer="Cancel",
    ),
    *_one_and_all("s", "Start", "start"),
    *_one_and_all("t", "Stop", "stop", " Its data is kept (D removes it)."),
    # Taking the stack down with its data is a way to stop it: its key
    # shares the stop keys' label in the footer, which has no room at 80
    # columns for one more; the help and the palette name it in full.
    Action(
        "D",
        "Remove volumes",
        "Stop the stack and remove its volumes, deleting the services' data "
        "(as `envspec down --volumes`), after asking.",
        "services",
        "remove_volumes",
        group="Stop",
    ),
    *_one_and_all("r", "Restart", "restart"),
    Action(
        "f",
        "Follow logs",
        "Follow the selected service's logs, or stop following them.",
        "services",
        "follow",
        footer="Logs",
    ),
    Action(
        "w",
        "Write spec",
        "Write the drafted envspec.toml, then open the project in the tabs.",
        INIT,
        "write",
        footer="Write",
    ),
    Action(
        "r",
        "Draft again",
        "Read the project's files again and draft the spec anew.",
        INIT,
        "redraft",
        footer="Redraft",
    ),
)


def offered(has_tabs: bool) -> tuple[Action, ...]:
    """The actions that work now: the tabs' ones, or the wizard's.

    Without a spec the app shows the wizard, where only its own actions,
    help and quit make sense.
    """
    if has_tabs:
        return tuple(a for a in ACTIONS if a.tab != INIT)
    return tuple(a for a in ACTIONS if a.tab == INIT or a.action in ("help", "quit"))


def bindings_for(tab: str) -> list[BindingType]:
    """The key bindings of one pane ("" for the app's own).

    The footer shows each binding's short title; the keys of one group (a
    verb on the selected service and on all) share one label there.
    """
    return [
        Binding(
            a.key,
            a.action,
            a.footer or a.title,
            show=a.show,
            tooltip=a.help,
            group=Binding.Group(a.group) if a.group else None,
            priority=a.priority,
        )
        for a in ACTIONS
        if a.tab == tab
    ]


def key_label(action: Action) -> str:
    """A key as a person reads it."""
    names = {"question_mark": "?", "slash": "/", "ctrl+r": "^r", "escape": "Esc"}
    return names.get(action.key, action.key)


class ActionsProvider(Provider):
    """The command palette's list of every action of the app."""

    def _run(self, action: Action) -> None:
        app: EnvspecApp = self.app  # type: ignore[assignment]
        app.call_later(app.perform, action)

    def _label(self, action: Action) -> str:
        tab = dict(TABS).get(action.tab, "")
        return f"{tab}: {action.title}" if tab else action.title

    def _offered(self) -> tuple[Action, ...]:
        app: EnvspecApp = self.app  # type: ignore[assignment]
        return offered(app.has_tabs)

    async def discover(self) -> Hits:
        for action in self._offered():
            yield DiscoveryHit(
                self._label(action), partial(self._run, action), help=action.help
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._offered():
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
