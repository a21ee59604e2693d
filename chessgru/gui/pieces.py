"""Piece images: python-chess's SVG pieces rendered once per size into pixmaps.

Rendered at the screen's device pixel ratio, so pieces stay sharp on high-DPI screens;
the cache holds one size at a time (the board's current square size).
"""

from __future__ import annotations

import chess
import chess.svg
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


def render_piece(piece: chess.Piece, size: int, ratio: float = 1.0) -> QPixmap:
    """`piece` as a transparent pixmap of `size` logical pixels at device pixel `ratio`."""
    pixels = max(1, round(size * ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(chess.svg.piece(piece).encode()))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class PieceCache:
    """Pixmaps of the 12 pieces at one size; a new size or ratio renders them again."""

    def __init__(self) -> None:
        self._key: tuple[int, float] | None = None
        self._pixmaps: dict[str, QPixmap] = {}

    def get(self, piece: chess.Piece, size: int, ratio: float) -> QPixmap:
        if self._key != (size, ratio):
            self._key, self._pixmaps = (size, ratio), {}
        symbol = piece.symbol()
        if symbol not in self._pixmaps:
            self._pixmaps[symbol] = render_piece(piece, size, ratio)
        return self._pixmaps[symbol]
