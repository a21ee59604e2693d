"""The game library: browse games by person, result and date; open, export or delete them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from chessgru.errors import UserError
from chessgru.library.export import write_pgn
from chessgru.library.records import GameRecord
from chessgru.library.store import Library

EVERYONE = "Everyone"
RESULTS = (
    ("Any result", None),
    ("Won (the person chosen)", "won"),
    ("Lost (the person chosen)", "lost"),
    ("Drawn", "drawn"),
    ("White won", "1-0"),
    ("Black won", "0-1"),
    ("Unfinished", "*"),
)
COLUMNS = ("Date", "White", "Black", "Result", "Moves", "From")


class LibraryDialog(QDialog):
    """A filtered table of the library's games; ``open_game`` asks the board to show one."""

    open_game = Signal(object)  # GameRecord

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Game library")
        self.library = library
        self.records: list[GameRecord] = []
        self.person = QComboBox()
        self.result = QComboBox()
        for text, value in RESULTS:
            self.result.addItem(text, value)
        self.since = QLineEdit()
        self.since.setPlaceholderText("from YYYY.MM.DD")
        self.until = QLineEdit()
        self.until.setPlaceholderText("to YYYY.MM.DD")
        for combo in (self.person, self.result):
            combo.currentIndexChanged.connect(self.refresh)
        for edit in (self.since, self.until):
            edit.editingFinished.connect(self.refresh)
        filters = QHBoxLayout()
        for widget in (self.person, self.result, self.since, self.until):
            filters.addWidget(widget)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda *_: self.open_selected())
        self.count = QLabel()
        buttons = QHBoxLayout()
        for text, slot in (
            ("Open on the board", self.open_selected),
            ("Export PGN…", self.export),
            ("Delete", self.delete),
            ("Close", self.reject),
        ):
            button = QPushButton(text)
            button.clicked.connect(lambda *_, s=slot: s())
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addLayout(buttons)
        self.resize(760, 520)
        self.reload_people()

    def reload_people(self) -> None:
        """Offer "Everyone" and each person as the filter."""
        current = self.person.currentText()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItem(EVERYONE)
        self.person.addItems([p.name for p in self.library.people()])
        self.person.setCurrentText(current or EVERYONE)
        self.person.blockSignals(False)
        self.refresh()

    def refresh(self, *_: object) -> None:
        """Read the games matching the filters back from the library."""
        person = self.person.currentText()
        person = None if person in ("", EVERYONE) else person
        result = self.result.currentData()
        if person is None and result in ("won", "lost"):
            result = None
        try:
            self.records = self.library.games(
                person=person,
                result=result,
                since=self.since.text().strip() or None,
                until=self.until.text().strip() or None,
            )
        except UserError as exc:
            self.count.setText(str(exc))
            self.records = []
        self.table.setRowCount(len(self.records))
        for row, g in enumerate(self.records):
            moves = f"{(len(g.moves) + 1) // 2}"
            cells = (g.date, g.white_name, g.black_name, g.result, moves, g.source)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.count.setText(f"{len(self.records)} games")

    def selected(self) -> list[GameRecord]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.records[r] for r in rows]

    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.open_game.emit(chosen[0])

    def export(self, path: str | None = None) -> int:
        """Write the selected games (all shown when none is selected) to a PGN file."""
        games = self.selected() or self.records
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export PGN", "games.pgn", "PGN (*.pgn)")
            if not path:
                return 0
        try:
            written = write_pgn(path, games, overwrite=True)  # the save dialog asked first
        except (OSError, UserError) as exc:
            QMessageBox.warning(self, "Export", f"Could not write {path}: {exc}")
            return 0
        self.count.setText(f"{written} games written to {path}")
        return written

    def delete(self, confirm: bool = True) -> int:
        """Delete the selected games (after asking)."""
        games = self.selected()
        if not games:
            return 0
        if confirm:
            answer = QMessageBox.question(
                self, "Delete games", f"Delete {len(games)} games from the library?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        deleted = self.library.delete_games(g.id for g in games)
        self.refresh()
        return deleted
