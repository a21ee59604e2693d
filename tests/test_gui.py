"""The board window against a fake predictor: moves by mouse and API, predictions per player.

The fakes and fixtures (make_app, settings) are in tests/gui_fakes.py.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import chess
import chess.pgn
import pytest
from gui_fakes import (
    SCHOLAR,
    assert_predicted_for_mover,
    click,
    close_boxes,
    dispose,
    drag,
    fake_dist,
    sans,
    wait_predicted,
)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from chessgru.games.pgn import read_games
from chessgru.gui.app import BoardApp
from chessgru.gui.arrows import Arrow, pick_arrows
from chessgru.gui.game import GameState
from chessgru.gui.menus import shortcut_rows
from chessgru.gui.predictions import score
from chessgru.gui.qtcompat import _Probe
from chessgru.gui.settings import Settings
from chessgru.gui.worker import Request


def test_hand_written_game_predicts_for_the_mover_and_ends_in_mate(qtbot, make_app) -> None:
    app = make_app()
    app.window.choose_player(chess.WHITE, "Morphy, Paul")
    app.window.choose_player(chess.BLACK, "Anderssen, Adolf")
    assert_predicted_for_mover(qtbot, app)
    for move in sans(SCHOLAR):
        app.window.board.move_made.emit(move)
        assert_predicted_for_mover(qtbot, app)
    assert app.game.ending().text == "Checkmate · White wins (1-0)"
    assert app.window.turn.text().startswith("Checkmate")
    assert not app.window.board._interactive
    assert not app.game.play(chess.Move.from_uci("a7a6"))
    white, black = app.predictions.scores()[0].values()
    assert (white.moves, black.moves) == (4, 3)
    assert app.window.board.grab().width() > 0  # paints mate, highlights and all


def test_drag_and_click_click_play_moves(qtbot, make_app) -> None:
    app = make_app()
    drag(app, "e2", "e4")
    assert app.game.moves == sans("e4")
    click(app, "e7")
    assert app.window.board._selected == chess.E7
    app.window.board.grab()  # legal-move dots painted
    click(app, "e5")
    assert app.game.moves == sans("e4 e5")
    drag(app, "g1", "g4")  # illegal drop: nothing happens
    click(app, "a2")
    click(app, "a2")  # a second click on the same piece lets go of it
    assert app.game.moves == sans("e4 e5") and app.window.board._selected is None
    assert_predicted_for_mover(qtbot, app)


def test_flipped_board_maps_clicks_to_the_right_squares(qtbot, make_app) -> None:
    app = make_app()
    QTest.keyClick(app.window, Qt.Key.Key_F)
    assert app.window.board.flipped and app.settings.flipped
    drag(app, "d2", "d4")
    assert app.game.moves == sans("d4")
    assert app.window.top_bar.color == chess.WHITE


def test_promotion_picker_chooses_a_knight(qtbot, make_app) -> None:
    app = make_app()
    assert app.window.new_game("8/P6k/8/8/8/8/8/K7 w - - 0 1")
    drag(app, "a7", "a8")
    assert app.window.board.promotion_pending and app.game.moves == []
    app.window.board.grab()  # the picker paints
    click(app, "a7")  # second choice down the file: the knight
    assert app.game.moves == [chess.Move.from_uci("a7a8n")]
    assert_predicted_for_mover(qtbot, app)


def test_auto_queen_skips_the_picker(qtbot, make_app) -> None:
    app = make_app()
    app.window.actions_by_name["auto_queen"].trigger()
    app.window.new_game("8/P6k/8/8/8/8/8/K7 w - - 0 1")
    drag(app, "a7", "a8")
    assert app.game.moves == [chess.Move.from_uci("a7a8q")]


def test_morphy_first_20_moves_through_the_widget(qtbot, make_app, shared_pgn: Path) -> None:
    with open(shared_pgn / "masters" / "Morphy.pgn", encoding="utf-8", errors="replace") as f:
        game = chess.pgn.read_game(f)
    app = make_app()
    app.window.choose_player(chess.WHITE, "Morphy, Paul")
    for move in list(game.mainline_moves())[:20]:
        app.window.board.move_made.emit(move)
        assert_predicted_for_mover(qtbot, app)
    assert len(app.game.moves) == 20
    assert app.window.moves.rowCount() == 10
    white, black = app.predictions.scores()[0].values()
    assert white.moves == black.moves == 10
    assert 0 <= white.top1 <= white.top3 <= 10


def test_undo_restores_the_previous_predictions(qtbot, make_app) -> None:
    app = make_app()
    e4, e5 = sans("e4 e5")
    app.window.play(e4)
    before = wait_predicted(qtbot, app)
    app.window.play(e5)
    wait_predicted(qtbot, app)
    sent = app.predictions.requests_sent
    QTest.keyClick(app.window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert app.game.moves == sans("e4")
    assert app.predictions.current() == before  # from the cache: no new request
    assert app.predictions.requests_sent == sent
    assert_predicted_for_mover(qtbot, app)


def test_switching_a_player_repredicts_at_once(qtbot, make_app) -> None:
    app = make_app()
    first = wait_predicted(qtbot, app)
    app.window.bottom_bar.combo.setEditText("tal,")  # case-insensitive name typed by hand
    app.window.bottom_bar._commit()
    assert app.game.white == "Tal, Mihail" and app.settings.get("white") == "Tal, Mihail"
    qtbot.waitUntil(lambda: app.predictions.current() not in (None, first), timeout=3000)
    assert_predicted_for_mover(qtbot, app)


def test_navigation_keys_and_loading_a_pgn(qtbot, make_app, tmp_path: Path) -> None:
    pgn = tmp_path / "g.pgn"
    pgn.write_text('[White "Morphy, Paul"]\n[Black "Someone"]\n\n1. e4 e5 2. Nf3 Nc6 3. Bb5 *\n')
    app = make_app()
    assert app.window.open_pgn(str(pgn))
    qtbot.waitUntil(lambda: len(app.game.moves) == 5, timeout=3000)
    assert app.game.ply == 0 and app.game.white == "Morphy, Paul"
    assert app.game.black == "population"  # unknown to the model
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(5)), timeout=3000)
    QTest.keyClick(app.window, Qt.Key.Key_Right)
    QTest.keyClick(app.window, Qt.Key.Key_Right)
    assert app.game.ply == 2
    assert_predicted_for_mover(qtbot, app)
    QTest.keyClick(app.window, Qt.Key.Key_End)
    assert app.game.ply == 5
    QTest.keyClick(app.window, Qt.Key.Key_Home)
    assert app.game.ply == 0
    row, col = app.window.moves.cell_of(3)
    app.window.moves.cellClicked.emit(row, col)
    assert app.game.ply == 3
    assert app.predictions.scores()[0][chess.WHITE].moves == 2


def test_bad_pgn_is_a_message_not_a_crash(qtbot, make_app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pgn"
    bad.write_text("1. e4 e5 2. Ke3 Ke6 3. Qh9 *\n")
    app = make_app()
    assert app.window.open_pgn(str(bad))
    qtbot.waitUntil(lambda: "skipped" in app.window.statusBar().currentMessage(), timeout=3000)
    assert "illegal move 'Ke3' at ply 3" in app.window.statusBar().currentMessage()
    assert app.game.moves == []
    close_boxes()
    assert not app.window.open_pgn(str(tmp_path / "missing.pgn"))
    close_boxes()


def test_broken_model_shows_a_message_and_the_board_still_plays(qtbot, make_app) -> None:
    app = make_app(model="broken.chessgru")
    qtbot.waitUntil(lambda: app.predictions.status.startswith("No model"), timeout=3000)
    assert "not a chessgru model file" in app.window.pred_list.message
    assert "Open model" in app.window.pred_list.message
    drag(app, "e2", "e4")
    assert app.game.moves == sans("e4")
    assert app.window.board.arrows == []
    app.window.open_model("good.chessgru")  # then a good one: predictions appear
    assert_predicted_for_mover(qtbot, app)
    assert app.window.model_label.text() == "Model: good (8 players)"


def test_real_loader_on_a_garbage_file(qtbot, settings: Settings, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.chessgru"
    garbage.write_bytes(b"\x00not a model at all" * 10)
    app = BoardApp(settings)
    try:
        app.start(str(garbage))
        qtbot.waitUntil(lambda: app.predictions.status.startswith("No model"), timeout=20000)
        app.window.play(chess.Move.from_uci("e2e4"))
        assert len(app.game.moves) == 1
    finally:
        dispose(app)


def test_worker_exception_goes_to_the_status_bar(qtbot, make_app) -> None:
    app = make_app(fail=True)
    qtbot.waitUntil(lambda: "boom" in app.window.statusBar().currentMessage(), timeout=3000)
    app.window.play(chess.Move.from_uci("e2e4"))
    assert app.game.moves == sans("e4")


def test_predictions_run_on_the_worker_thread(qtbot, make_app) -> None:
    app = make_app()
    wait_predicted(qtbot, app)
    predictor = app.worker._predictor
    assert predictor.thread is not None and predictor.thread is not threading.main_thread()


def test_stale_answers_are_dropped(qtbot, make_app) -> None:
    app = make_app(delay=0.02)
    moves = sans("d4 d5 c4 e6 Nc3 Nf6 Bg5 Be7 e3 O-O")
    for move in moves:  # faster than the worker: most requests are superseded
        app.window.play(move)
        QApplication.processEvents()
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(11)), timeout=5000)
    board = chess.Board()
    for ply in range(11):  # every cached answer belongs to its own position
        assert app.predictions.dist(ply) == fake_dist(board, "population")
        if ply < 10:
            board.push(moves[ply])
    latest = app.predictions._latest
    app.predictions._on_predicted(latest - 1, {0: [(moves[0], 1.0)]})
    assert app.predictions.dist(0) != [(moves[0], 1.0)]


def test_worker_skips_requests_announced_as_superseded(make_app) -> None:
    app = make_app()
    worker, got = app.worker, []
    worker.predicted.connect(lambda i, d: got.append(i), Qt.ConnectionType.DirectConnection)
    worker.announce(10)
    worker.predict(Request(9, chess.STARTING_FEN, (), "population", "population", (0,)))
    assert got == []
    worker.predict(Request(10, chess.STARTING_FEN, (), "population", "population", (0,)))
    assert got == [10]


def test_arrows_hover_show_for_and_threshold(qtbot, make_app) -> None:
    app = make_app()
    dist = wait_predicted(qtbot, app)
    w = app.window
    assert [a.move for a in w.board.arrows] == [m for m, p in dist[:5] if p >= 0.02]
    row = w.pred_list.row_center(1)
    QTest.mouseMove(w.pred_list, row.toPoint())
    assert w.board._hover == w.pred_list.rows[1][0]
    w.board.grab()
    QTest.keyClick(w, Qt.Key.Key_A)
    assert w.board.arrows == [] and app.settings.arrows is False
    QTest.keyClick(w, Qt.Key.Key_A)
    w.actions_by_name["show_for:black"].trigger()
    assert w.board.arrows == [] and "hidden" in w.pred_list.message
    w.play(chess.Move.from_uci("e2e4"))
    wait_predicted(qtbot, app)
    assert w.board.arrows and not w.pred_list.message
    w.actions_by_name["top_k:1"].trigger()
    assert len(w.board.arrows) == 1 and len(w.pred_list.rows) == 1


def test_settings_persist_across_restarts(qtbot, make_app, tmp_path: Path) -> None:
    app = make_app()
    for key in ("auto_flip", "arrows"):
        app.window.toggle(key)
    app.window.actions_by_name["threshold:0.05"].trigger()
    app.window.choose_player(chess.BLACK, "Tal, Mihail")
    again = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert again.get("auto_flip") is True and again.arrows is False
    assert again.threshold == 0.05 and again.get("black") == "Tal, Mihail"
    assert again.get("model_path") == "fake.chessgru"
    app.window.play(chess.Move.from_uci("e2e4"))  # auto-flip: Black to move at the bottom
    assert app.window.board.flipped


def test_save_pgn_with_players_and_predictions(qtbot, make_app, tmp_path: Path) -> None:
    app = make_app()
    app.window.choose_player(chess.WHITE, "Morphy, Paul")
    for move in sans("e4 e5 Nf3"):
        app.window.play(move)
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(4)), timeout=3000)
    out = tmp_path / "out.pgn"
    assert app.window.save_pgn(str(out), with_predictions=True)
    game = chess.pgn.read_game(out.open())
    assert game.headers["White"] == "Morphy, Paul" and game.headers["Black"] == "population"
    assert game.comment.startswith("chessgru Morphy, Paul: ")
    assert [m.uci() for m in game.mainline_moves()] == ["e2e4", "e7e5", "g1f3"]
    [(info, moves)] = read_games(out)
    assert moves == sans("e4 e5 Nf3") and info.white == "Morphy, Paul"


def test_copy_and_paste_fen(qtbot, make_app) -> None:
    app = make_app()
    app.window.play(chess.Move.from_uci("e2e4"))
    QTest.keyClick(app.window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    fen = QGuiApplication.clipboard().text()
    assert fen == app.game.board.fen()
    QGuiApplication.clipboard().setText("not a fen")
    app.window.paste_fen()
    assert app.game.moves == sans("e4")  # unchanged, with a message
    assert "FEN" in app.window.statusBar().currentMessage()
    QApplication.activeModalWidget().close()  # the warning box, window-modal
    QGuiApplication.clipboard().setText("4k3/8/8/8/8/8/8/4K2R b K - 0 1")
    QTest.keyClick(app.window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert app.game.start_fen == "4k3/8/8/8/8/8/8/4K2R b K - 0 1" and app.game.moves == []
    assert app.window.turn.text() == "Black to move"
    assert_predicted_for_mover(qtbot, app)


def test_game_ends_by_repetition_and_new_game_starts_over(qtbot, make_app) -> None:
    app = make_app()
    for move in sans("Nf3 Nf6 Ng1 Ng8 Nf3 Nf6 Ng1 Ng8"):
        app.window.play(move)
    assert app.game.ending().reason == "Threefold repetition"
    assert "Draw" in app.window.turn.text()
    QTest.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert app.game.moves == [] and app.game.ending() is None


def test_shortcut_list_comes_from_the_menus(make_app) -> None:
    app = make_app()
    rows = dict(shortcut_rows(app.window.actions_by_name))
    assert rows["Flip board"] == "F, Ctrl+F"
    assert rows["Take back"] == "Ctrl+Z" and rows["Keyboard shortcuts"] == "F1, ?"
    assert len(rows) >= 15


def test_pure_helpers() -> None:
    e4, d4, nf3 = (chess.Move.from_uci(u) for u in ("e2e4", "d2d4", "g1f3"))
    dist = [(e4, 0.6), (d4, 0.3), (nf3, 0.01)]
    assert pick_arrows(dist, 5, 0.05) == [Arrow(e4, 0.6), Arrow(d4, 0.3)]
    assert pick_arrows([(nf3, 0.01)], 5, 0.5) == [Arrow(nf3, 0.01)]  # top move always
    b8q, b8n, kh1 = (chess.Move.from_uci(u) for u in ("b7b8q", "b7b8n", "g2h1"))
    merged = pick_arrows([(kh1, 0.3), (b8q, 0.2), (b8n, 0.2)], 5, 0.0)
    assert merged == [Arrow(b8q, pytest.approx(0.4)), Arrow(kh1, 0.3)]  # one promotion arrow
    scores, surprises = score([d4], {0: dist}, 1, chess.WHITE)
    assert (scores[chess.WHITE].top1, scores[chess.WHITE].top3) == (0, 1)
    assert surprises[0].bits == pytest.approx(1.737, abs=1e-3)
    game = GameState()
    game.play(e4)
    game.go(0)
    assert game.play(e4) and game.ply == 1 and game.moves == [e4]  # same move: follow line
    game.go(0)
    game.play(d4)
    assert game.moves == [d4]


def test_many_signals_do_not_exhaust_singleton_refcounts(make_app) -> None:
    """PySide6 6.12.0 drops a reference to True/None per emission; the guard absorbs it."""
    make_app()  # the app applies the guard where it is needed
    probe, action = _Probe(), QAction()
    action.setCheckable(True)
    for i in range(150_000):  # more than None and True hold in this process without the guard
        probe.ping.emit(i)
        action.setChecked(i % 2 == 0)
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000


def test_gui_command_checks_files_before_loading_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from chessgru.cli import main; "
        f"rc = main(['gui', '--model', {str(tmp_path / 'none.chessgru')!r}]); "
        "print(rc, 'PySide6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["2", "False"]
    assert "model file not found" in out.stderr
