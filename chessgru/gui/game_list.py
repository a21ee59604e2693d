"""The games of the open PGN file as a table, filtered by player; picking one shows it.

The table model reads the PgnFile's list as it grows (rows are appended, never rebuilt),
so a 500-game file can be browsed while the rest of it is still being read.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chessgru.gui.pgn_file import ListedGame, PgnFile

COLUMNS = ("#", "White", "Black", "Result", "Date", "Event", "Moves")
Index = QModelIndex | QPersistentModelIndex


def row_values(game: ListedGame) -> tuple[object, ...]:
    """The table's cells for one game."""
    i = game.info
    return (i.number, i.white, i.black, i.result, i.date, i.event or "", (game.plies + 1) // 2)


class GamesModel(QAbstractTableModel):
    """PgnFile.games as rows; `sync()` appends the games read since the last call."""

    def __init__(self, pgn: PgnFile) -> None:
        super().__init__()
        self.pgn = pgn
        self._rows = 0

    def sync(self) -> None:
        total = len(self.pgn.games)
        if total < self._rows:  # another file: start over
            self.beginResetModel()
            self._rows = total
            self.endResetModel()
        elif total > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, total - 1)
            self._rows = total
            self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            value = row_values(self.pgn.games[index.row()])[index.column()]
            return value if role == Qt.ItemDataRole.UserRole else str(value)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class PlayerFilter(QSortFilterProxyModel):
    """Rows whose White or Black contains the typed text (case-insensitive)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.text = text.strip().casefold()
            self.endFilterChange()
        else:
            self.text = text.strip().casefold()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        if not self.text:
            return True
        model = self.sourceModel()
        assert isinstance(model, GamesModel)
        info = model.pgn.games[row].info
        return self.text in info.white.casefold() or self.text in info.black.casefold()


class GameListDialog(QDialog):
    """A non-modal list of the file's games: type a player to filter, double-click to show."""

    chosen = Signal(object)  # ListedGame

    def __init__(self, pgn: PgnFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pgn = pgn
        self.resize(820, 480)
        self.model = GamesModel(pgn)
        self.proxy = PlayerFilter()
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by player (White or Black)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # file order until asked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((50, 180, 180, 60, 90, 140, 50)):
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._chosen)
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        pgn.grew.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        self.model.sync()
        self.setWindowTitle(f"Games in {self.pgn.name}")
        shown, total = self.proxy.rowCount(), len(self.pgn.games)
        reading = " (reading…)" if self.pgn.reading else ""
        self.count.setText(
            f"{shown} of {total} games{reading}" if self.proxy.text else f"{total} games{reading}"
        )

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self.sync()

    def _chosen(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row()
        self.chosen.emit(self.pgn.games[row])
