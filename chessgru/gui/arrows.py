"""Prediction arrows: which moves get one, one head per target square, and how they paint.

Pure functions over plain data; the board hands in its geometry (`center` of a square,
square size) so this module knows nothing of the widget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

import chess
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

ARROW = QColor("#1d5fc4")
ARROW_HOVER = QColor("#e68a00")

Center = Callable[[chess.Square], QPointF]


@dataclass(frozen=True)
class Arrow:
    """A predicted move drawn on the board."""

    move: chess.Move
    prob: float


def pick_arrows(dist: list[tuple[chess.Move, float]], k: int, threshold: float) -> list[Arrow]:
    """The top `k` moves at or above `threshold`; the top move is always drawn.

    The four promotions of one pawn share a path, so they make one arrow with their summed
    probability (drawn as the likeliest of them).
    """
    merged: dict[tuple[int, int], Arrow] = {}
    for move, prob in dist:
        key = (move.from_square, move.to_square)
        seen = merged.get(key)
        merged[key] = Arrow(move, prob) if seen is None else Arrow(seen.move, seen.prob + prob)
    ranked = sorted(merged.values(), key=lambda a: -a.prob)[: max(1, k)]
    return [a for i, a in enumerate(ranked) if i == 0 or a.prob >= threshold]


def arrow_heads(arrows: list[Arrow]) -> dict[chess.Square, list[Arrow]]:
    """Arrows by target square, likeliest first: arrows to one square share one head."""
    heads: dict[chess.Square, list[Arrow]] = {}
    for arrow in sorted(arrows, key=lambda a: -a.prob):
        heads.setdefault(arrow.move.to_square, []).append(arrow)
    return heads


def same_path(a: chess.Move | None, b: chess.Move | None) -> bool:
    return (
        a is not None
        and b is not None
        and a.from_square == b.from_square
        and (a.to_square == b.to_square)
    )


def arrow_style(prob: float, square: float) -> tuple[float, float]:
    """Shaft width (pixels) and opacity of an arrow for a move of probability `prob`."""
    strength = math.sqrt(max(0.0, min(1.0, prob)))
    return square * (0.05 + 0.17 * strength), 0.4 + 0.55 * strength


def entry_point(move: chess.Move, center: Center, s: float) -> QPointF:
    """Where the line from ``move``'s origin crosses into its target square's border."""
    start, end = center(move.from_square), center(move.to_square)
    dx, dy = end.x() - start.x(), end.y() - start.y()
    reach = max(abs(dx), abs(dy)) or 1.0  # the border is half a square away along the larger axis
    return QPointF(end.x() - dx / reach * s / 2, end.y() - dy / reach * s / 2)


def head_boxes(
    arrows: list[Arrow], center: Center, s: float, occupied: Collection[chess.Square] = ()
) -> list[tuple[Arrow, QRectF]]:
    """Each arrow's label box: one head per empty target square, its labels stacked (as
    Nibbler); a capture's label sits where its arrow enters the square, so the piece to be
    taken stays in sight."""
    radius = s * 0.21
    rows = []
    for square, group in arrow_heads(arrows).items():
        if square in occupied:
            for arrow in group:
                mid = entry_point(arrow.move, center, s)
                box = QRectF(mid.x() - radius, mid.y() - radius, 2 * radius, 2 * radius)
                rows.append((arrow, box))
            continue
        mid = center(square)
        height = radius * (2 if len(group) == 1 else 1.25)
        top = mid.y() - height * len(group) / 2
        for i, arrow in enumerate(group):
            box = QRectF(mid.x() - radius * 1.15, top + i * height, radius * 2.3, height)
            rows.append((arrow, box))
    return rows


def arrow_color(arrow: Arrow, hover: chess.Move | None, s: float) -> QColor:
    hovered = same_path(arrow.move, hover)
    _, opacity = arrow_style(arrow.prob, s)
    color = QColor(ARROW_HOVER if hovered else ARROW)
    color.setAlphaF(1.0 if hovered else opacity)
    return color


def paint_arrows(
    p: QPainter,
    arrows: list[Arrow],
    hover: chess.Move | None,
    center: Center,
    s: float,
    font: QFont,
    occupied: Collection[chess.Square] = (),
) -> None:
    """Shafts (least likely first, the hovered one on top), then the heads (head_boxes);
    a shaft into an ``occupied`` square stops at the square's border."""
    radius = s * 0.21
    for arrow in sorted(arrows, key=lambda a: (same_path(a.move, hover), a.prob)):
        width, _ = arrow_style(arrow.prob, s)
        start, end = center(arrow.move.from_square), center(arrow.move.to_square)
        if arrow.move.to_square in occupied:
            end = entry_point(arrow.move, center, s)
        dx, dy = end.x() - start.x(), end.y() - start.y()
        length = math.hypot(dx, dy) or 1.0
        shaft_end = QPointF(end.x() - dx / length * radius, end.y() - dy / length * radius)
        color = arrow_color(arrow, hover, s)
        p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(start, shaft_end)
    font.setBold(True)
    for arrow, box in head_boxes(arrows, center, s, occupied):
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(arrow_color(arrow, hover, s))
        single = box.height() > radius * 1.5
        if single:
            p.drawEllipse(box.center(), radius, radius)
        else:
            p.drawRoundedRect(box.adjusted(0, 0.5, 0, -0.5), radius * 0.4, radius * 0.4)
        text = f"{100 * arrow.prob:.0f}%" if arrow.prob >= 0.0095 else "<1%"
        size = radius * (0.85 if len(text) <= 3 else 0.7) if single else box.height() * 0.62
        font.setPixelSize(max(7, round(size)))
        p.setFont(font)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    p.setBrush(Qt.BrushStyle.NoBrush)
