"""Widgets of the analysis: who each side plays like, the likeliest lines, and their arrows.

They draw what :class:`chessgru.gui.analysis.Analysis` holds and forward the hovered line;
the arrows are an overlay on the board that never takes the mouse.
"""

from __future__ import annotations

import html
import math

import chess
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from chessgru.gui.analysis import TOO_SLOW, Analysis, ShownLine
from chessgru.gui.board_widget import BoardWidget

SIDE = {chess.WHITE: "White", chess.BLACK: "Black"}


def short_name(name: str) -> str:
    """ "Tal, Mihail" -> "Tal"; names without a comma stay whole."""
    return name.split(",")[0].strip() or name


def percent(p: float) -> str:
    """41%, 4.1%, 0.42%: two significant figures below 10%, so small chances stay visible."""
    value = 100 * p
    if value >= 10:
        return f"{value:.0f}%"
    return f"{value:.1f}%" if value >= 1 else f"{value:.2f}%"


def who_text(who: dict[chess.Color, list[tuple[str, float]]] | str | None, status: str) -> str:
    """Rich text: "White plays like: Tal 41%, Kasparov 22%, ..." for each side with moves."""
    if status:
        return html.escape(status)
    if who is None:
        return "Who plays like this? <i>thinking…</i>"
    if who == TOO_SLOW:
        return "Who plays like this: this model ranks people too slowly here; run `chessgru who`."
    rows = []
    for color in (chess.WHITE, chess.BLACK):
        ranked = who.get(color)
        if not ranked:
            rows.append(f"<b>{SIDE[color]}</b> has not moved yet.")
            continue
        people = ", ".join(f"{html.escape(short_name(n))} {percent(p)}" for n, p in ranked)
        rows.append(f"<b>{SIDE[color]} plays like:</b> {people}")
    return "<br>".join(rows)


class WhoPanel(QLabel):
    """ "White plays like: Tal 41%, Kasparov 22%, ...", one line per side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)

    def show_analysis(self, analysis: Analysis) -> None:
        self.setText(who_text(analysis.who, analysis.status))


class LinesPanel(QWidget):
    """The likeliest continuations, one row each; hovering a row emits its moves."""

    hovered = Signal(object)  # tuple[chess.Move, ...] or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.title = QLabel("Likely next moves")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.rows = [QLabel() for _ in range(5)]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        for row in self.rows:
            row.setTextFormat(Qt.TextFormat.PlainText)
            row.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(row)
        self._lines: list[ShownLine] = []
        self._hover: int | None = None

    def show_analysis(self, analysis: Analysis) -> None:
        self._lines = list(analysis.lines or [])
        if analysis.lines is None and not analysis.status:
            self.rows[0].setText("thinking…")
        elif not self._lines:
            self.rows[0].setText("" if analysis.status else "no continuation: the game is over")
        for i, row in enumerate(self.rows):
            if i < len(self._lines):
                line = self._lines[i]
                row.setText(f"{i + 1}. {percent(line.p):>6}  {line.text}")
            elif i or self._lines:
                row.setText("")
        self._set_hover(None)

    def line_at(self, y: float) -> int | None:
        for i, row in enumerate(self.rows[: len(self._lines)]):
            if row.geometry().top() <= y <= row.geometry().bottom():
                return i
        return None

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.hovered.emit(None if index is None else self._lines[index].moves)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._set_hover(self.line_at(event.position().y()))

    def leaveEvent(self, event: object) -> None:
        self._set_hover(None)


class LineArrows(QWidget):
    """Faint numbered arrows of a line over the board (1 = the next move)."""

    def __init__(self, board: BoardWidget) -> None:
        super().__init__(board)
        self.board = board
        self.moves: tuple[chess.Move, ...] = ()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setGeometry(board.rect())
        board.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.board and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.board.rect())
        return False

    def set_line(self, moves: tuple[chess.Move, ...] | None) -> None:
        self.moves = tuple(moves or ())
        self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.moves:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        size = self.board.square_size()
        font = QFont(self.font())
        font.setPixelSize(max(8, size // 4))
        font.setBold(True)
        p.setFont(font)
        for i, move in enumerate(self.moves):
            white_move = i % 2 == 0
            color = QColor(40, 90, 200, 110) if white_move else QColor(200, 60, 40, 110)
            a = self.board.square_center(move.from_square)
            b = self.board.square_center(move.to_square)
            pen = QPen(color, max(2.0, size / 10))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawLine(a, b)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color.darker(130))
            r = size / 5
            # The number sits a little back along the arrow, clear of the prediction labels.
            length = max(1.0, math.hypot(b.x() - a.x(), b.y() - a.y()))
            back = min(0.45 * size, length / 2) / length
            b = QPointF(b.x() + (a.x() - b.x()) * back, b.y() + (a.y() - b.y()) * back)
            p.drawEllipse(b, r, r)
            p.setPen(QColor("white"))
            label = QRectF(b.x() - r, b.y() - r, 2 * r, 2 * r)
            p.drawText(label, Qt.AlignmentFlag.AlignCenter, str(i + 1))
        p.end()


class AnalysisPanels(QWidget):
    """The lines and who panels stacked, wired to an Analysis and to arrows over ``board``."""

    def __init__(self, analysis: Analysis, board: BoardWidget) -> None:
        super().__init__()
        self.analysis = analysis
        self.lines, self.who, self.arrows = LinesPanel(), WhoPanel(), LineArrows(board)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.lines)
        layout.addSpacing(4)
        layout.addWidget(self.who)
        analysis.updated.connect(self.sync)
        self.lines.hovered.connect(self.arrows.set_line)
        self.sync()

    def sync(self) -> None:
        self.lines.show_analysis(self.analysis)
        self.who.show_analysis(self.analysis)
