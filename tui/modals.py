"""Modal screens: a question before a change, and an error that blocks."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from envspec.errors import EnvspecError, SpecError


class ConfirmScreen(ModalScreen[bool]):
    """Asks whether to go ahead with a change; dismisses with the answer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self, title: str, body: str, confirm: str = "Write", danger: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm = confirm
        self.danger = danger  # the change deletes something for good

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-danger" if self.danger else ""):
            yield Label(self.title_text, id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                yield Static(self.body, markup=False, id="dialog-text")
            with Horizontal(id="dialog-buttons"):
                yield Button(
                    f"{self.confirm} (y)",
                    variant="error" if self.danger else "primary",
                    id="yes",
                )
                yield Button("Cancel (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ErrorScreen(ModalScreen[str]):
    """An error that stops the app from working: fix it, then retry or quit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('retry')", "Retry"),
        Binding("q,escape", "choose('quit')", "Quit"),
    ]

    def __init__(self, exc: EnvspecError, then: str = "") -> None:
        super().__init__()
        self.exc = exc
        self.then = then  # what retry does, after the error's own hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-error"):
            yield Label(self.exc.title, id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                yield Static(self._text(), markup=False, id="dialog-text")
            with Horizontal(id="dialog-buttons"):
                yield Button("Retry (r)", variant="primary", id="retry")
                yield Button("Quit (q)", variant="error", id="quit")

    def _text(self) -> str:
        if isinstance(self.exc, SpecError) and self.exc.problems:
            return "\n".join(p.render() for p in self.exc.problems)
        text = self.exc.message
        if self.exc.hint:
            text += f"\n\nhint: {self.exc.hint}"
        if self.then:
            text += f"\n\n{self.then}"
        return text

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "quit")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
