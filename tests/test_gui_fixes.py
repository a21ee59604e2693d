"""Issue 12's broken items, each reproduced as a new user met it (fakes in gui_fakes.py)."""

from __future__ import annotations

from pathlib import Path

import chess
import pytest
from gui_fakes import (
    assert_predicted_for_mover,
    close_boxes,
    dispose,
    fake_loader,
    sans,
    wait_predicted,
)
from PySide6.QtCore import QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from chessgru.errors import UserError
from chessgru.gui.app import BoardApp
from chessgru.gui.arrows import Arrow, arrow_heads
from chessgru.gui.game import parse_fen
from chessgru.gui.main_window import default_size
from chessgru.gui.panels import BLACK_BAR, CHART_MAX, WHITE_BAR, chart_top
from chessgru.gui.predictions import Surprise


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
    qtbot.waitUntil(lambda: len(app.game.moves) == 3, timeout=3000)
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in range(4)), timeout=3000)


def test_white_tal_black_kasparov_are_found_as_the_cli_finds_them(qtbot, settings) -> None:
    app = BoardApp(settings, fake_loader([]))
    try:
        app.set_players("Tal", "kasparov")  # as `chessgru gui --white Tal --black kasparov`
        app.start("fake.chessgru")
        qtbot.waitUntil(lambda: app.predictions.model is not None, timeout=3000)
        assert (app.game.white, app.game.black) == ("Tal, Mihail", "Kasparov, Gary")
        assert app.window.bottom_bar.combo.currentText() == "Tal, Mihail"
    finally:
        dispose(app)


def test_typed_surname_in_the_player_box(qtbot, make_app) -> None:
    app = make_app()
    bar = app.window.bottom_bar
    bar.combo.setEditText("Tal")
    bar._commit()
    assert app.game.white == "Tal, Mihail"
    bar.combo.setEditText("Polgar")  # ambiguous: the candidates are shown, nothing changes
    bar._commit()
    assert app.game.white == "Tal, Mihail" and bar.combo.currentText() == "Tal, Mihail"
    shown = app.window.statusBar().currentMessage()
    assert "Polgar, Judit" in shown and "Polgar, Susan" in shown
    close_boxes()


def test_unknown_name_at_start_falls_back_to_population_visibly(qtbot, settings) -> None:
    app = BoardApp(settings, fake_loader([]))
    try:
        app.set_players("Nobody Atall", None)
        app.start("fake.chessgru")
        qtbot.waitUntil(lambda: app.predictions.model is not None, timeout=3000)
        assert app.game.white == "population"
        assert "Nobody Atall" in app.window.statusBar().currentMessage()
    finally:
        close_boxes()
        dispose(app)


GAME = '[White "{}"]\n[Black "{}"]\n\n1. e4 e5 2. Nf3 *\n'


def test_pgn_before_the_model_loads_takes_its_players(qtbot, settings, tmp_path: Path) -> None:
    pgn = tmp_path / "g.pgn"
    pgn.write_text(GAME.format("Korsunsky, Boris", "Kasparov, Gary"))
    settings.set("white", "Morphy, Paul")  # the last session's players
    settings.set("black", "Tal, Mihail")
    app = BoardApp(settings, fake_loader([]))
    try:
        app.window.open_pgn(str(pgn))  # as `chessgru gui --pgn g.pgn`: before the model
        app.start("fake.chessgru")
        qtbot.waitUntil(lambda: app.predictions.model is not None, timeout=3000)
        qtbot.waitUntil(lambda: len(app.game.moves) == 3, timeout=3000)
        assert (app.game.white, app.game.black) == ("population", "Kasparov, Gary")
        assert app.window.bottom_bar.note.text() == "Korsunsky, Boris: not in the model"
    finally:
        close_boxes()
        dispose(app)


def test_pgn_with_an_unknown_player_does_not_keep_the_previous_one(
    qtbot, make_app, tmp_path: Path
) -> None:
    app = make_app()
    app.window.choose_player(chess.WHITE, "Kasparov, Gary")
    pgn = tmp_path / "g.pgn"
    pgn.write_text(GAME.format("Korsunsky, Boris", "Morphy, Paul"))
    app.window.open_pgn(str(pgn))
    qtbot.waitUntil(lambda: len(app.game.moves) == 3, timeout=3000)
    assert (app.game.white, app.game.black) == ("population", "Morphy, Paul")
    assert app.window.bottom_bar.note.text() == "Korsunsky, Boris: not in the model"
    assert_predicted_for_mover(qtbot, app)


def test_a_failed_open_model_keeps_the_working_one(qtbot, make_app) -> None:
    app = make_app()
    wait_predicted(qtbot, app)
    app.window.open_model("broken.chessgru")
    qtbot.waitUntil(lambda: not app.predictions.loading, timeout=3000)
    assert app.predictions.model is not None and app.predictions.model.name == "fake"
    assert app.window.model_label.text() == "Model: fake (8 players)"
    box = QApplication.activeModalWidget()
    assert box is not None and box.text().count("not a chessgru model file") == 1
    assert box.text().endswith("still using fake.")
    close_boxes()
    app.window.play(sans("e4")[0])
    assert_predicted_for_mover(qtbot, app)


# --- 7. the smaller ones ---------------------------------------------------------------


def test_a_long_name_does_not_wrap_the_score_line(qtbot, make_app) -> None:
    app = make_app()
    label = app.window.score_labels[chess.WHITE]
    height, moves_top = label.sizeHint().height(), app.window.moves.geometry().top()
    app.game.set_player(chess.WHITE, "Anderssen-Kieseritzky, Adolf Friedrich Lionel " * 3)
    for move in sans("e4 e5 Nf3 Nc6"):
        app.window.play(move)
    QApplication.processEvents()
    assert label.sizeHint().height() == height
    assert app.window.moves.geometry().top() == moves_top
    assert label.fontMetrics().horizontalAdvance(label.text()) < 2 * label.width()


def test_arrows_to_one_square_share_one_head_with_stacked_labels(qtbot, make_app) -> None:
    nf3, nh3, e4 = (chess.Move.from_uci(u) for u in ("g1f3", "g1h3", "e2e4"))
    nd2f3 = chess.Move.from_uci("d2f3")
    arrows = [Arrow(e4, 0.5), Arrow(nf3, 0.3), Arrow(nd2f3, 0.1), Arrow(nh3, 0.05)]
    assert arrow_heads(arrows) == {
        chess.E4: [Arrow(e4, 0.5)],
        chess.F3: [Arrow(nf3, 0.3), Arrow(nd2f3, 0.1)],
        chess.H3: [Arrow(nh3, 0.05)],
    }
    app = make_app()
    app.window.board.set_arrows(arrows)
    boxes = dict((a.move, box) for a, box in app.window.board.head_rows())
    assert not boxes[nf3].intersects(boxes[nd2f3])  # stacked, neither hides the other
    assert boxes[nf3].center().x() == boxes[nd2f3].center().x()
    app.window.board.grab()


def test_a_capture_label_leaves_the_taken_piece_in_sight(qtbot, make_app) -> None:
    """Labels of captures sit where each arrow enters the square, not on the piece; a
    click on one still plays its move."""
    app = make_app()
    for move in sans("e4 e5 Nf3 Nc6 Bb5 a6 Bxc6 dxc6 O-O f6 d4 exd4"):
        app.window.play(move)
    board = app.window.board
    nxd4, qxd4, e5 = (chess.Move.from_uci(u) for u in ("f3d4", "d1d4", "e4e5"))
    board.set_arrows([Arrow(nxd4, 0.9), Arrow(qxd4, 0.05), Arrow(e5, 0.03)])
    boxes = dict((a.move, box) for a, box in board.head_rows())
    taken = board.square_center(chess.D4)
    assert not boxes[nxd4].contains(taken) and not boxes[qxd4].contains(taken)
    assert not boxes[nxd4].intersects(boxes[qxd4])
    assert boxes[e5].contains(board.square_center(chess.E5))  # an empty square: its centre
    QTest.mouseClick(board, Qt.MouseButton.LeftButton, pos=boxes[qxd4].center().toPoint())
    assert app.game.moves[-1] == qxd4


def test_clicking_an_arrow_head_plays_its_move(qtbot, make_app) -> None:
    app = make_app()
    dist = wait_predicted(qtbot, app)
    arrow, box = app.window.board.head_rows()[-1]
    QTest.mouseClick(app.window.board, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert app.game.moves == [arrow.move] and arrow.move in [m for m, _ in dist]


def test_chart_legend_shows_each_sides_colour(qtbot, make_app) -> None:
    app = make_app()
    chart = app.window.chart
    image = chart.grab().toImage()
    legend = {
        image.pixelColor(x, y).name()
        for x in range(image.width())
        for y in range(image.height() - 24, image.height())
    }
    assert WHITE_BAR.name() in legend and BLACK_BAR.name() in legend


def test_one_rare_move_does_not_rescale_the_chart() -> None:
    usual = [Surprise(i, chess.WHITE, 3.0 + i % 5) for i in range(20)]
    assert chart_top(usual) == 8
    assert chart_top([*usual, Surprise(20, chess.BLACK, 30.2)]) == CHART_MAX == 16


def test_invalid_fen_message_names_the_fen_once() -> None:
    fen = "rnbqkbnr/pppppppp/8/8 w KQkq - 0 1"
    with pytest.raises(UserError) as err:
        parse_fen(fen)
    assert str(err.value).count("pppppppp") == 1 and "8 rows" in str(err.value)


def test_default_window_fits_a_1366x768_laptop(make_app) -> None:
    app = make_app()
    assert default_size(QSize(1366, 768 - 32)) == (1180, 690)  # under a 32 px panel
    assert default_size(QSize(1024, 600)) == (1008, 560)
    assert app.window.minimumSizeHint().height() <= 690
    assert app.window.height() <= 690
