"""Issue 12's broken items, each reproduced as a new user met it (fakes in gui_fakes.py)."""

from __future__ import annotations

from pathlib import Path

import chess
from gui_fakes import assert_predicted_for_mover, sans, wait_predicted
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def test_take_back_and_the_same_move_again_is_predicted(qtbot, make_app) -> None:
    app = make_app()
    e4 = sans("e4")[0]
    app.window.play(e4)
    wait_predicted(qtbot, app)
    QTest.keyClick(app.window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert app.game.moves == []
    app.window.play(e4)
    assert_predicted_for_mover(qtbot, app)
    assert app.predictions.scores()[0][chess.WHITE].moves == 1  # the ply is scored


def test_new_game_then_the_same_pgn_again_is_predicted(qtbot, make_app, tmp_path: Path) -> None:
    pgn = tmp_path / "g.pgn"
    pgn.write_text('[White "?"]\n[Black "?"]\n\n1. e4 e5 2. Nf3 *\n')
    app = make_app()
    assert app.window.open_pgn(str(pgn))
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(4)), timeout=3000)
    app.window.new_game()
    assert app.window.open_pgn(str(pgn))
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(4)), timeout=3000)
