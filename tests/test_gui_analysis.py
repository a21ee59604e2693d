"""The analysis panels on the board: who each side plays like and the likeliest lines,
computed on their own thread from a real (small, random-init) model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import chess
import pytest
import torch
from gui_fakes import loaded_app
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from chessgru.gui.analysis_panels import percent, short_name, who_text
from chessgru.gui.app import BoardApp
from chessgru.gui.settings import Settings
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig

PLAYERS = [
    player_entry("population"),
    player_entry("Tal, Mihail", games=10),
    player_entry("Kasparov, Gary", games=10),
]
CONFIG = ModelConfig(n_players=3, hidden=32, layers=1, embed=16, board_dim=32, player_dim=8)


@pytest.fixture
def app(qtbot, tmp_path: Path, settings: Settings):
    torch.manual_seed(0)
    path = tmp_path / "small.chessgru"
    save_bundle(path, ChessGRU(CONFIG), PLAYERS)
    with loaded_app(qtbot, settings, path) as board:
        yield board


def test_panels_follow_the_shown_position_and_players(qtbot, app: BoardApp) -> None:
    window, analysis = app.window, app.analysis
    window.choose_player(chess.WHITE, "Tal, Mihail")
    window.choose_player(chess.BLACK, "Kasparov, Gary")
    for san in ["e4", "e5", "Nf3", "Nc6"]:
        window.play(app.game.board.parse_san(san))
    qtbot.waitUntil(lambda: analysis.who is not None and bool(analysis.lines), timeout=60000)
    panels = window.analysis
    assert panels is not None
    text = panels.who.text()
    assert "White plays like:" in text and "Black plays like:" in text
    assert "Tal" in text and "Kasparov" in text and "population" not in text
    board = app.game.board
    for line in analysis.lines:
        b = board.copy()
        for move in line.moves:
            assert b.is_legal(move)
            b.push(move)
    assert panels.lines.rows[0].text().startswith("1.")
    assert "3. " in panels.lines.rows[0].text()  # numbered from the shown position
    # stepping back re-asks for the earlier position: White has not moved at ply 0
    app.game.go(0)
    qtbot.waitUntil(lambda: analysis.who is not None and bool(analysis.lines), timeout=60000)
    assert "White</b> has not moved yet" in panels.who.text()
    assert analysis.lines[0].text.startswith("1. ")


def test_hovering_a_line_draws_its_numbered_arrows(qtbot, app: BoardApp) -> None:
    analysis = app.analysis
    app.window.play(chess.Move.from_uci("d2d4"))
    qtbot.waitUntil(lambda: bool(analysis.lines), timeout=60000)
    panels = app.window.analysis
    row = panels.lines.rows[1]
    at = QPointF(row.geometry().center())
    move = QMouseEvent(
        QEvent.Type.MouseMove, at, at, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(panels.lines, move)
    assert panels.arrows.moves == analysis.lines[1].moves
    panels.lines.leaveEvent(None)
    assert panels.arrows.moves == ()


def test_text_helpers() -> None:
    assert [percent(p) for p in (0.41, 0.041, 0.0042)] == ["41%", "4.1%", "0.42%"]
    assert short_name("Tal, Mihail") == "Tal" and short_name("cmrade") == "cmrade"
    assert "thinking" in who_text(None, "")
    assert who_text(None, "no analysis for this model") == "no analysis for this model"
    assert "chessgru who" in who_text("too slow", "")
    text = who_text({chess.WHITE: [("Tal, Mihail", 0.41)], chess.BLACK: []}, "")
    assert text == "<b>White plays like:</b> Tal 41%<br><b>Black</b> has not moved yet."


def test_the_move_list_keeps_its_rows_beside_the_analysis(qtbot, app: BoardApp) -> None:
    from chessgru.gui.side_column import MOVE_ROWS

    window = app.window
    window.resize(1180, 690)
    opening = "e4 e5 Nf3 Nc6 Bb5 a6 Ba4 Nf6 O-O Be7 Re1 b5 Bb3 d6 c3 O-O h3 Nb8"
    for san in opening.split(" "):
        window.play(app.game.board.parse_san(san))
    QApplication.processEvents()
    moves, column = window.moves, window.side_column
    assert moves.viewport().height() >= MOVE_ROWS * moves.verticalHeader().defaultSectionSize()
    assert not window.pred_list.visibleRegion().isEmpty()  # the predictions stay on top
    column.upper.ensureWidgetVisible(window.analysis.who)  # the rest scrolls into view
    QApplication.processEvents()
    assert not window.analysis.who.visibleRegion().isEmpty()
    column.moveSplitter(column.height() - 60, 1)  # dragged: the move list gives way
    window.resize(1180, 700)
    QApplication.processEvents()
    assert column.sizes()[1] < MOVE_ROWS * moves.verticalHeader().defaultSectionSize()
