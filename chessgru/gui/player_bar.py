"""The strip above or below the board: which player has this colour, and whose turn it is."""

from __future__ import annotations

import chess
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QWidget


class PlayerBar(QWidget):
    """A colour disc, a searchable player chooser and a "to move" badge."""

    chosen = Signal(bool, str)  # chess.Color, the name as typed

    def __init__(self, color: chess.Color, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = color
        self._disc = QLabel()
        self._disc.setFixedSize(16, 16)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumWidth(240)
        self.combo.setMaxVisibleItems(20)
        self.combo.setToolTip("Who plays this colour: type to search the model's players")
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.setCompleter(completer)
        self.combo.activated.connect(self._commit)
        self.combo.lineEdit().editingFinished.connect(self._commit)
        self._badge = QLabel()
        self.note = QLabel()  # e.g. the PGN's player the model does not know
        self.note.setStyleSheet("QLabel { color: #a05a00; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self._disc)
        layout.addWidget(self.combo)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.clock = QLabel()  # empty unless clocks run
        clock_font = QFont(self.clock.font())
        clock_font.setPointSizeF(clock_font.pointSizeF() * 1.3)
        clock_font.setBold(True)
        self.clock.setFont(clock_font)
        layout.addWidget(self.clock)
        layout.addWidget(self._badge)
        self._players: list[str] = []
        self._current = ""
        self.set_color(color)

    def set_color(self, color: chess.Color) -> None:
        """Which colour this strip stands for (flipping the board swaps the strips' colours)."""
        self.color = color
        fill = "#ffffff" if color == chess.WHITE else "#222222"
        self._disc.setStyleSheet(
            f"QLabel {{ background: {fill}; border: 1px solid #555555; border-radius: 8px; }}"
        )

    def set_state(
        self, players: list[str], current: str, to_move: bool, enabled: bool, note: str = ""
    ) -> None:
        """Offer `players`, show `current` (with a `note`), mark whether this colour is to move."""
        self.note.setText(note)
        if players != self._players:
            self._players = list(players)
            self.combo.blockSignals(True)
            self.combo.clear()
            self.combo.addItems(players)
            self.combo.blockSignals(False)
        self._current = current
        if self.combo.currentText() != current:
            self.combo.blockSignals(True)
            index = self.combo.findText(current)
            if index >= 0:
                self.combo.setCurrentIndex(index)
            self.combo.setEditText(current)
            self.combo.blockSignals(False)
        self.combo.setEnabled(enabled)
        side = "White" if self.color == chess.WHITE else "Black"
        self._badge.setText(f"<b>{side} to move</b>" if to_move else side)
        self._badge.setStyleSheet(
            "QLabel { background: #629924; color: white; padding: 2px 8px; border-radius: 4px; }"
            if to_move
            else "QLabel { color: #666666; padding: 2px 8px; }"
        )

    def set_clock(self, text: str, running: bool) -> None:
        """Show this side's remaining time (`text` empty: no clock)."""
        self.clock.setText(text)
        self.clock.setStyleSheet(
            "QLabel { background: #262421; color: white; padding: 1px 8px; border-radius: 3px; }"
            if running
            else "QLabel { color: #444444; padding: 1px 8px; }"
        )

    def _commit(self, *_: object) -> None:
        text = self.combo.currentText().strip()
        if text and text != self._current:  # the window resolves it, or says why it cannot
            self.chosen.emit(self.color, text)
