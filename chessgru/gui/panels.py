"""The panels beside the board: ranked predictions, the surprise chart, the move list.

Each panel draws the data it is handed and forwards clicks as signals; none of them knows
about the game or the model.
"""

from __future__ import annotations

import math

import chess
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from chessgru.gui.predictions import Surprise

BAR = QColor("#1d5fc4")
HOVER = QColor("#fbe9c8")
MUTED = QColor("#6b6b6b")
WHITE_BAR, WHITE_EDGE, BLACK_BAR = QColor("#f4ede0"), QColor("#5a4a3a"), QColor("#4a3b2c")
LEGEND_PX = 11  # the chart's small text, in pixels (readable at any desktop font size)
CHART_MAX = 16  # bits: the chart's scale never goes higher


class PredictionList(QWidget):
    """Ranked predicted moves (SAN, a bar, %); hovering a row names its move."""

    hovered = Signal(object)  # chess.Move or None
    activated = Signal(object)  # chess.Move (double click: play it)

    ROW = 28

    def __init__(self, rows: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._rows: list[tuple[chess.Move, str, float]] = []
        self._message = ""
        self._hover = -1
        self._capacity = rows
        self.setFixedHeight(self.ROW * rows + 8)

    def set_capacity(self, rows: int) -> None:
        self._capacity = max(1, rows)
        self.setFixedHeight(self.ROW * self._capacity + 8)
        self.update()

    def set_rows(self, rows: list[tuple[chess.Move, str, float]]) -> None:
        """Show `rows` of (move, SAN, probability), best first."""
        self._rows, self._message = list(rows[: self._capacity]), ""
        self._set_hover(-1)
        self.update()

    def set_message(self, text: str) -> None:
        """Show a sentence instead of moves (no model, hidden side, game over...)."""
        self._rows, self._message = [], text
        self._set_hover(-1)
        self.update()

    @property
    def rows(self) -> list[tuple[chess.Move, str, float]]:
        return list(self._rows)

    @property
    def message(self) -> str:
        return self._message

    def row_center(self, index: int) -> QPointF:
        return QPointF(self.width() / 2, 4 + self.ROW * index + self.ROW / 2)

    def _row_at(self, y: float) -> int:
        index = int((y - 4) // self.ROW)
        return index if 0 <= index < len(self._rows) else -1

    def _set_hover(self, index: int) -> None:
        if index != self._hover:
            self._hover = index
            self.hovered.emit(self._rows[index][0] if index >= 0 else None)
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._set_hover(self._row_at(event.position().y()))

    def leaveEvent(self, event: object) -> None:
        self._set_hover(-1)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self._row_at(event.position().y())
        if index >= 0:
            self.activated.emit(self._rows[index][0])

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._message:
            p.setPen(MUTED)
            p.drawText(
                self.rect().adjusted(8, 4, -8, -4),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                self._message,
            )
            return
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(self.font().pointSizeF() * 1.1)
        w = self.width()
        for i, (_, san, prob) in enumerate(self._rows):
            top = 4 + i * self.ROW
            if i == self._hover:
                p.fillRect(QRectF(0, top, w, self.ROW), HOVER)
            p.setPen(MUTED)
            p.setFont(self.font())
            p.drawText(QRectF(4, top, 22, self.ROW), Qt.AlignmentFlag.AlignVCenter, f"{i + 1}.")
            p.setPen(QColor("#202020"))
            p.setFont(bold)
            p.drawText(QRectF(28, top, 70, self.ROW), Qt.AlignmentFlag.AlignVCenter, san)
            bar = QRectF(100, top + 8, max(2.0, (w - 160) * prob), self.ROW - 16)
            p.setPen(Qt.PenStyle.NoPen)
            color = QColor(BAR)
            color.setAlphaF(0.35 + 0.65 * (1.0 if i == 0 else 0.6))
            p.setBrush(color)
            p.drawRoundedRect(bar, 3, 3)
            p.setPen(QColor("#202020"))
            p.setFont(self.font())
            p.drawText(
                QRectF(w - 58, top, 54, self.ROW),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{100 * prob:.1f}%",
            )


class SurpriseChart(QWidget):
    """One bar per move: how surprising it was to the model (bits); click a bar to go there."""

    jump = Signal(int)  # ply to show (after that move)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._surprises: list[Surprise] = []
        self._plies = 0
        self._current = 0

    def sizeHint(self) -> QSize:
        return QSize(300, 120)

    def set_data(self, surprises: list[Surprise], plies: int, current: int) -> None:
        """Show `surprises` over a line of `plies` moves with the cursor at `current`."""
        self._surprises, self._plies, self._current = list(surprises), plies, current
        self.update()

    def _plot(self) -> QRectF:
        return QRectF(30, 8, max(10, self.width() - 38), max(10, self.height() - 26))

    def _slot(self) -> float:
        return self._plot().width() / max(20, self._plies)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        x = event.position().x() - self._plot().left()
        if x >= 0 and self._plies:
            self.jump.emit(min(self._plies, int(x // self._slot()) + 1))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = self._plot()
        p.fillRect(self.rect(), QColor("#faf7f2"))
        top_bits = chart_top(self._surprises)
        small = QFont(self.font())
        small.setPixelSize(LEGEND_PX)
        p.setFont(small)
        for bits in range(0, top_bits + 1, 4):
            y = plot.bottom() - plot.height() * bits / top_bits
            p.setPen(QPen(QColor("#e2dccf"), 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(MUTED)
            p.drawText(QRectF(0, y - 8, 26, 16), Qt.AlignmentFlag.AlignRight, str(bits))
        self._paint_legend(p, QRectF(plot.left(), plot.bottom() + 3, plot.width(), 14))
        slot = self._slot()
        for s in self._surprises:
            h = plot.height() * min(s.bits, top_bits) / top_bits
            bar = QRectF(
                plot.left() + s.ply * slot + slot * 0.12, plot.bottom() - h, slot * 0.76, h
            )
            white = s.color == chess.WHITE
            p.setPen(QPen(WHITE_EDGE, 1) if white else Qt.PenStyle.NoPen)
            p.setBrush(WHITE_BAR if white else BLACK_BAR)
            p.drawRect(bar)
            if s.bits > top_bits:  # off the scale (an under-promotion): a red cap, not a rescale
                p.fillRect(QRectF(bar.left(), plot.top(), bar.width(), 3), QColor("#c0392b"))
        if self._plies:
            x = plot.left() + self._current * slot
            p.setPen(QPen(QColor("#e68a00"), 2))
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))

    def _paint_legend(self, p: QPainter, box: QRectF) -> None:
        """'surprise (bits)  [White]  [Black]' with each side's own bar colour as its swatch."""
        fm = p.fontMetrics()
        x = box.left()
        p.setPen(MUTED)
        title = "surprise of each move, bits (−log₂ p):"
        p.drawText(QPointF(x, box.bottom() - 3), title)
        x += fm.horizontalAdvance(title) + 8
        for name, fill, edge in (("White", WHITE_BAR, WHITE_EDGE), ("Black", BLACK_BAR, BLACK_BAR)):
            p.setPen(QPen(edge, 1))
            p.setBrush(fill)
            p.drawRect(QRectF(x, box.top() + 2, 10, 10))
            p.setPen(QColor("#202020"))
            p.drawText(QPointF(x + 14, box.bottom() - 3), name)
            x += 14 + fm.horizontalAdvance(name) + 10


def chart_top(surprises: list[Surprise]) -> int:
    """The chart's top in bits: the largest surprise rounded up to 4, between 8 and CHART_MAX.

    A rare move (an under-promotion is 20-30 bits) is drawn capped, so one move cannot
    flatten every other bar.
    """
    top = max([8.0] + [s.bits for s in surprises])
    return min(CHART_MAX, 4 * math.ceil(top / 4))


class MoveList(QTableWidget):
    """The line in two columns; clicking a move shows the position after it."""

    jump = Signal(int)  # ply to show

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["White", "Black"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys belong to the board's shortcuts
        self._offset = 0
        self.cellClicked.connect(self._clicked)

    def set_line(self, sans: list[str], first: chess.Color, first_number: int, ply: int) -> None:
        """Show `sans` starting with `first` to move at move `first_number`; select `ply`."""
        self._offset = 0 if first == chess.WHITE else 1
        total = len(sans) + self._offset
        self.setRowCount((total + 1) // 2)
        self.setVerticalHeaderLabels([str(first_number + r) for r in range(self.rowCount())])
        for j in range(self.rowCount() * 2):
            i = j - self._offset
            text = sans[i] if 0 <= i < len(sans) else ("…" if i < 0 else "")
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if i < 0 or i >= len(sans):
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.setItem(j // 2, j % 2, item)
        self.clearSelection()
        if ply > 0:
            j = ply - 1 + self._offset
            self.setCurrentCell(j // 2, j % 2)
            self.scrollToItem(self.item(j // 2, j % 2))

    def cell_of(self, ply: int) -> tuple[int, int]:
        """Row and column of the move that leads to `ply`."""
        j = ply - 1 + self._offset
        return j // 2, j % 2

    def _clicked(self, row: int, col: int) -> None:
        ply = row * 2 + col - self._offset + 1
        item = self.item(row, col)
        if ply >= 1 and item is not None and item.text():
            self.jump.emit(ply)
