"""The family: add, change and remove people (a name; a rating, lichess and chess.com names).

The dialog draws the library's people and forwards each change to the library; the list
is read back from the library after every change, so what it shows is what is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from chessgru.errors import UserError
from chessgru.library.records import Person
from chessgru.library.store import Library


def describe(person: Person) -> str:
    """One line for the list: name, rating, accounts and games."""
    parts = [person.name]
    if person.rating:
        parts.append(f"rating {person.rating}")
    if person.lichess:
        parts.append(f"lichess {person.lichess}")
    if person.chesscom:
        parts.append(f"chess.com {person.chesscom}")
    return f"{' · '.join(parts)} — {person.games} games"


class PeopleDialog(QDialog):
    """The people of the library, with a form to add someone or change who is selected."""

    def __init__(
        self, library: Library, on_change: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("People")
        self.library, self.on_change = library, on_change
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._show_selected)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Dad")
        self.rating = QSpinBox()
        self.rating.setRange(0, 3500)
        self.rating.setSpecialValueText("unknown")
        self.lichess = QLineEdit()
        self.lichess.setPlaceholderText("optional: their games there are theirs")
        self.chesscom = QLineEdit()
        self.chesscom.setPlaceholderText("optional")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Rating", self.rating)
        form.addRow("lichess username", self.lichess)
        form.addRow("chess.com username", self.chesscom)
        self.add_button = QPushButton("Add person")
        self.add_button.clicked.connect(self.add)
        self.save_button = QPushButton("Save changes")
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.save_button, self.remove_button):
            buttons.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(close)
        self.resize(520, 420)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Read the people back from the library."""
        self.list.clear()
        for person in self.library.people():
            item = QListWidgetItem(describe(person))
            item.setData(256, person)  # Qt.UserRole
            self.list.addItem(item)
            if person.name == select:
                self.list.setCurrentItem(item)
        self._update_buttons()

    def selected(self) -> Person | None:
        item = self.list.currentItem()
        return item.data(256) if item is not None else None

    def _show_selected(self, *_: object) -> None:
        person = self.selected()
        if person is not None:
            self.name.setText(person.name)
            self.rating.setValue(person.rating or 0)
            self.lichess.setText(person.lichess or "")
            self.chesscom.setText(person.chesscom or "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.save_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _fields(self) -> dict[str, object]:
        return {
            "name": self.name.text(),
            "rating": self.rating.value() or None,
            "lichess": self.lichess.text().strip() or None,
            "chesscom": self.chesscom.text().strip() or None,
        }

    def _apply(self, change: Callable[[], Person]) -> None:
        try:
            person = change()
        except UserError as exc:
            QMessageBox.warning(self, "People", str(exc))
            return
        self.refresh(select=person.name)
        self.on_change()

    def add(self) -> None:
        """Add the person in the form."""
        self._apply(lambda: self.library.add_person(**self._fields()))  # type: ignore[arg-type]
        self.list.setCurrentItem(None)
        for field in (self.name, self.lichess, self.chesscom):
            field.clear()
        self.rating.setValue(0)

    def save(self) -> None:
        """Store the form as the selected person's details."""
        person = self.selected()
        if person is not None:
            self._apply(lambda: self.library.update_person(person.id, **self._fields()))  # type: ignore[arg-type]

    def remove(self) -> None:
        """Forget the selected person (their games stay in the library)."""
        person = self.selected()
        if person is None:
            return
        self.library.remove_person(person.id)
        self.refresh()
        self.on_change()
