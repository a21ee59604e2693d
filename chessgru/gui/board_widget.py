"""The chess board: painted with QPainter, moves by drag-and-drop or click-click.

The widget only draws what it is given (position, arrows, highlights) and announces the
move the user made with ``move_made``; the game decides what happens next.
"""

from __future__ import annotations

import math

import chess
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QSizeF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRadialGradient,
)
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from chessgru.gui.arrows import Arrow, head_boxes, paint_arrows
from chessgru.gui.pieces import PieceCache

LIGHT = QColor("#f0d9b5")
DARK = QColor("#b58863")
LAST_MOVE = QColor(155, 199, 0, 105)
SELECTED = QColor(20, 85, 30, 128)
DOT = QColor(20, 85, 30, 128)
SLIDE_MS = 180  # a played move slides this long (lichess: about 200 ms)
PROMOTION_CHOICES = (chess.QUEEN, chess.KNIGHT, chess.ROOK, chess.BISHOP)


class BoardWidget(QWidget):
    """Draws a position with arrows; turns mouse gestures into ``move_made``."""

    move_made = Signal(object)  # chess.Move, legal on the shown position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.auto_queen = False
        self._board = chess.Board()
        self._last: chess.Move | None = None
        self._interactive = True
        self._flipped = False
        self._arrows: list[Arrow] = []
        self._hover: chess.Move | None = None
        self._selected: chess.Square | None = None
        self._press_pos: QPointF | None = None
        self._drag_pos: QPointF | None = None
        self._deselect_on_release = False
        self._promotion: tuple[chess.Square, chess.Square] | None = None
        self._pieces = PieceCache()
        self._dragged = False  # the next position comes from a drag: no slide
        self._sliding: chess.Move | None = None
        self._slide = QVariantAnimation(self)
        self._slide.setDuration(SLIDE_MS)
        self._slide.setStartValue(0.0)
        self._slide.setEndValue(1.0)
        self._slide.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._slide.valueChanged.connect(self.update)

    # --- what to draw --------------------------------------------------------------
    def set_position(
        self, board: chess.Board, last: chess.Move | None, interactive: bool = True
    ) -> None:
        """Show `board`; `last` is highlighted; moves are accepted only when `interactive`.

        When `board` is the shown position plus `last`, the moved piece slides there (not
        after a drag: the piece is already where it was dropped).
        """
        self._start_animation(board, last)
        self._board, self._last, self._interactive = board.copy(), last, interactive
        self._selected = self._press_pos = self._drag_pos = self._promotion = None
        self.update()

    def _start_animation(self, board: chess.Board, last: chess.Move | None) -> None:
        dragged, self._dragged = self._dragged, False
        if last is None or dragged or not self._board.is_legal(last):
            return
        after = self._board.copy(stack=False)
        after.push(last)
        if after.fen() != board.fen():
            return  # not one move on from what is shown: a jump, no slide
        self._sliding = last
        self._slide.stop()
        self._slide.start()

    @property
    def animating(self) -> bool:
        return self._slide.state() == QVariantAnimation.State.Running

    def set_arrows(self, arrows: list[Arrow]) -> None:
        self._arrows = list(arrows)
        self.update()

    def set_hover(self, move: chess.Move | None) -> None:
        """Emphasise the arrow of `move` (a hovered row of the prediction list)."""
        if move != self._hover:
            self._hover = move
            self.update()

    @property
    def flipped(self) -> bool:
        return self._flipped

    def set_flipped(self, flipped: bool) -> None:
        self._flipped = flipped
        self.update()

    @property
    def promotion_pending(self) -> bool:
        return self._promotion is not None

    @property
    def arrows(self) -> list[Arrow]:
        return list(self._arrows)

    # --- geometry ------------------------------------------------------------------
    def square_size(self) -> int:
        return max(1, min(self.width(), self.height()) // 8)

    def _origin(self) -> QPointF:
        side = 8 * self.square_size()
        return QPointF((self.width() - side) // 2, (self.height() - side) // 2)

    def _cell(self, square: chess.Square) -> tuple[int, int]:
        file, rank = chess.square_file(square), chess.square_rank(square)
        return (7 - file, rank) if self._flipped else (file, 7 - rank)

    def square_rect(self, square: chess.Square) -> QRectF:
        col, row = self._cell(square)
        s, o = self.square_size(), self._origin()
        return QRectF(o.x() + col * s, o.y() + row * s, s, s)

    def square_center(self, square: chess.Square) -> QPointF:
        return self.square_rect(square).center()

    def square_at(self, pos: QPointF) -> chess.Square | None:
        s, o = self.square_size(), self._origin()
        col, row = math.floor((pos.x() - o.x()) / s), math.floor((pos.y() - o.y()) / s)
        if not (0 <= col < 8 and 0 <= row < 8):
            return None
        return chess.square(7 - col, row) if self._flipped else chess.square(col, 7 - row)

    def _promotion_squares(self) -> list[tuple[chess.Square, chess.PieceType]]:
        """Where each promotion choice is drawn: down the target file, from the board's edge."""
        assert self._promotion is not None
        to = self._promotion[1]
        file, rank = chess.square_file(to), chess.square_rank(to)
        step = -1 if rank == 7 else 1
        return [(chess.square(file, rank + i * step), p) for i, p in enumerate(PROMOTION_CHOICES)]

    def head_at(self, pos: QPointF) -> Arrow | None:
        """The arrow whose head (or stacked label) is under `pos`, when moves may be made."""
        if not self._interactive:
            return None
        return next((arrow for arrow, box in self.head_rows() if box.contains(pos)), None)

    # --- mouse ---------------------------------------------------------------------
    def _targets(self, square: chess.Square) -> set[chess.Square]:
        return {m.to_square for m in self._board.legal_moves if m.from_square == square}

    def _movable(self, square: chess.Square | None) -> bool:
        if square is None or not self._interactive:
            return False
        piece = self._board.piece_at(square)
        return piece is not None and piece.color == self._board.turn

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.button() == Qt.MouseButton.RightButton:
            self._selected = self._promotion = None
            self.update()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        square = self.square_at(pos)
        if self._promotion is not None:
            self._pick_promotion(square)
            return
        if self._selected is not None and square in self._targets(self._selected):
            self._try_move(self._selected, square)
            return
        head = self.head_at(pos)
        if head is not None:  # a click on a predicted move's head plays that move
            self._selected = None
            self.move_made.emit(head.move)
            return
        if self._movable(square):
            self._deselect_on_release = square == self._selected
            self._selected, self._press_pos = square, pos
        else:
            self._selected = None
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press_pos is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = (pos - self._press_pos).manhattanLength()
            if self._drag_pos is not None or moved >= QApplication.startDragDistance():
                self._drag_pos = pos
                self.update()
        over = self.square_at(pos)
        movable = self._movable(over) or (self._selected is not None and over is not None)
        self.setCursor(Qt.CursorShape.PointingHandCursor if movable else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press_pos is None:
            return
        origin, dragged = self._selected, self._drag_pos is not None
        self._press_pos = self._drag_pos = None
        target = self.square_at(event.position())
        if dragged and origin is not None and target in self._targets(origin):
            self._dragged = True
            self._try_move(origin, target)
            return
        if not dragged and self._deselect_on_release:
            self._selected = None
        self._deselect_on_release = False
        self.update()

    def _try_move(self, origin: chess.Square, target: chess.Square | None) -> None:
        if target is None:
            return
        moves = [
            m for m in self._board.legal_moves if m.from_square == origin and m.to_square == target
        ]
        if not moves:
            return
        if moves[0].promotion is not None and not self.auto_queen:
            self._promotion = (origin, target)
            self._selected = None
            self.update()
            return
        move = moves[0] if moves[0].promotion is None else chess.Move(origin, target, chess.QUEEN)
        self._selected = None
        self.move_made.emit(move)

    def _pick_promotion(self, square: chess.Square | None) -> None:
        assert self._promotion is not None
        origin, target = self._promotion
        choices = self._promotion_squares()
        self._promotion = None
        for choice_square, piece in choices:
            if square == choice_square:
                self.move_made.emit(chess.Move(origin, target, piece))
                return
        self.update()  # a click anywhere else cancels

    # --- painting ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self.square_size()
        self._paint_squares(p, s)
        self._paint_pieces(p, s)
        self._paint_dots(p, s)
        self._paint_arrows(p, s)
        if self._drag_pos is not None and self._selected is not None:
            piece = self._board.piece_at(self._selected)
            if piece is not None:
                pix = self._pieces.get(piece, s, self.devicePixelRatioF())
                p.drawPixmap(QPointF(self._drag_pos.x() - s / 2, self._drag_pos.y() - s / 2), pix)
        if self._promotion is not None:
            self._paint_promotion(p, s)
        p.end()

    def _paint_squares(self, p: QPainter, s: int) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        font = QFont(self.font())
        font.setPixelSize(max(8, round(s * 0.17)))
        font.setBold(True)
        p.setFont(font)
        for sq in chess.SQUARES:
            rect = self.square_rect(sq)
            light = (chess.square_file(sq) + chess.square_rank(sq)) % 2 == 1
            p.fillRect(rect, LIGHT if light else DARK)
            if self._last is not None and sq in (self._last.from_square, self._last.to_square):
                p.fillRect(rect, LAST_MOVE)
            if sq == self._selected:
                p.fillRect(rect, SELECTED)
            col, row = self._cell(sq)
            p.setPen(DARK if light else LIGHT)
            pad = s * 0.06
            inner = rect.adjusted(pad, pad * 0.5, -pad, -pad * 0.5)
            if row == 7:
                p.drawText(
                    inner,
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                    chess.FILE_NAMES[chess.square_file(sq)],
                )
            if col == 0:
                p.drawText(
                    inner,
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                    chess.RANK_NAMES[chess.square_rank(sq)],
                )
            p.setPen(Qt.PenStyle.NoPen)
        king = self._board.king(self._board.turn)
        if king is not None and self._board.is_check():
            rect = self.square_rect(king)
            glow = QRadialGradient(rect.center(), s * 0.65)
            glow.setColorAt(0.0, QColor(255, 0, 0, 255))
            glow.setColorAt(0.3, QColor(231, 0, 0, 230))
            glow.setColorAt(1.0, QColor(169, 0, 0, 0))
            p.fillRect(rect, QBrush(glow))

    def _paint_pieces(self, p: QPainter, s: int) -> None:
        ratio = self.devicePixelRatioF()
        slide = self._sliding if self.animating else None
        for sq, piece in self._board.piece_map().items():
            if sq == self._selected and self._drag_pos is not None:
                p.setOpacity(0.3)  # the dragged piece's ghost stays on its square
            at = self.square_rect(sq).topLeft()
            if slide is not None and sq == slide.to_square:
                t = float(self._slide.currentValue())
                start = self.square_rect(slide.from_square).topLeft()
                at = start + (at - start) * t
            p.drawPixmap(at, self._pieces.get(piece, s, ratio))
            p.setOpacity(1.0)

    def _paint_dots(self, p: QPainter, s: int) -> None:
        if self._selected is None:
            return
        p.setBrush(DOT)
        for target in self._targets(self._selected):
            center = self.square_center(target)
            if self._board.piece_at(target) is not None:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(DOT, s * 0.08))
                p.drawEllipse(center, s * 0.46, s * 0.46)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(DOT)
            else:
                p.drawEllipse(center, s * 0.15, s * 0.15)

    def head_rows(self) -> list[tuple[Arrow, QRectF]]:
        """Each arrow's label box on the board (see arrows.head_boxes)."""
        occupied = chess.SquareSet(self._board.occupied)
        return head_boxes(self._arrows, self.square_center, self.square_size(), occupied)

    def _paint_arrows(self, p: QPainter, s: int) -> None:
        occupied = chess.SquareSet(self._board.occupied)
        font = QFont(self.font())
        paint_arrows(p, self._arrows, self._hover, self.square_center, s, font, occupied)

    def _paint_promotion(self, p: QPainter, s: int) -> None:
        side = 8 * s
        p.fillRect(QRectF(self._origin(), QSizeF(side, side)), QColor(0, 0, 0, 110))
        color = self._board.turn
        ratio = self.devicePixelRatioF()
        for square, piece_type in self._promotion_squares():
            rect = self.square_rect(square)
            glow = QRadialGradient(rect.center(), s * 0.5)
            glow.setColorAt(0.0, QColor("#ffffff"))
            glow.setColorAt(1.0, QColor("#b0b0b0"))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QBrush(glow))
            p.drawEllipse(rect.center(), s * 0.48, s * 0.48)
            pix = self._pieces.get(chess.Piece(piece_type, color), s, ratio)
            p.drawPixmap(rect.topLeft(), pix)
