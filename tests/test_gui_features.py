"""What players expect of the board: ratings and time control, resign and draw, clocks."""

from __future__ import annotations

from pathlib import Path

import chess
from gui_fakes import click, drag, games_text, sans, wait_predicted, wait_read
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from chessgru.games.pgn import read_games
from chessgru.gui.clocks import Clocks, clock_text
from chessgru.gui.game import Conditions, GameState
from chessgru.gui.setup_dialog import SetupDialog, parse_time_control


def test_ratings_and_time_control_reach_the_predictor(qtbot, make_app) -> None:
    app = make_app()
    wait_predicted(qtbot, app)
    dialog = SetupDialog(app.game.conditions, False, app.window)
    dialog.elo[chess.WHITE].setValue(2650)
    dialog.time_control.setEditText("5+3 blitz")
    app.game.set_conditions(dialog.conditions())
    assert app.game.conditions == Conditions(2650, None, "300+3")
    fake = app.worker._predictor
    qtbot.waitUntil(lambda: fake.conditions.get(chess.WHITE) == (2650, "300+3"), timeout=3000)
    assert fake.conditions[chess.BLACK] == (None, "300+3")
    wait_predicted(qtbot, app)


def test_a_pgns_ratings_and_time_control_are_used_and_saved(qtbot, make_app, tmp_path) -> None:
    path = tmp_path / "g.pgn"
    text = games_text(1).replace("[Result", '[WhiteElo "2410"]\n[TimeControl "600+5"]\n[Result')
    path.write_text(text)
    app = make_app()
    app.window.open_pgn(str(path))
    wait_read(qtbot, app)
    assert app.game.conditions == Conditions(2410, None, "600+5")
    fake = app.worker._predictor
    qtbot.waitUntil(lambda: fake.conditions.get(chess.WHITE) == (2410, "600+5"), timeout=3000)
    out = tmp_path / "out.pgn"
    app.window.save_pgn(str(out))
    [(info, _)] = read_games(out)
    assert (info.white_elo, info.time_control) == (2410, "600+5")


def test_time_controls_parse() -> None:
    assert parse_time_control("300+3") == (300, 3)
    assert parse_time_control("10+5 rapid") == (600, 5)
    assert parse_time_control("5400") == (5400, 0)
    assert parse_time_control("unknown") is None and parse_time_control("-") is None


def test_resigned_game_is_saved_with_result_and_date_and_reopens(qtbot, make_app, tmp_path):
    app = make_app()
    for move in sans("e4 e5 Nf3"):
        app.window.play(move)
    app.window.actions_by_name["resign"].trigger()  # Black, to move, resigns
    assert app.window.turn.text() == "Black resigns · White wins (1-0)"
    assert not app.window.board._interactive and not app.game.play(sans("e4 Nc6")[1])
    out = tmp_path / "resigned.pgn"
    assert app.window.save_pgn(str(out))
    [(info, _)] = read_games(out)
    assert info.result == "1-0" and "?" not in info.date
    app.window.new_game()
    app.window.open_pgn(str(out))
    wait_read(qtbot, app)
    app.game.go(len(app.game.moves))
    assert app.game.ending().text == "Game over · White wins (1-0)"
    app.game.undo()  # a take-back undoes the decision
    assert app.game.ending() is None and app.game.decided is None


def test_draw_agreed_at_the_start_and_new_game() -> None:
    game = GameState()
    assert game.agree_draw() and game.ending().result == "1/2-1/2"
    assert '[Result "1/2-1/2"]' in game.pgn()
    game.new_game()
    assert game.ending() is None and '[Result "*"]' in game.pgn()


def test_game_list_filters_by_player_and_shows_the_pick(qtbot, make_app, tmp_path) -> None:
    path = tmp_path / "many.pgn"
    text = games_text(300) + games_text(200, white="Tal, Mihail", black="Kasparov, Gary")
    path.write_text(text)
    app = make_app()
    app.window.open_pgn(str(path))
    wait_read(qtbot, app)
    dialog = app.window.game_list
    assert dialog is not None and dialog.isVisible() and dialog.proxy.rowCount() == 500
    dialog.filter.setText("kasparov")
    assert dialog.proxy.rowCount() == 200 and dialog.count.text() == "200 of 500 games"
    dialog.table.activated.emit(dialog.proxy.index(5, 0))
    assert (app.game.white, app.game.black) == ("Tal, Mihail", "Kasparov, Gary")
    assert app.game.headers["Event"] == "6"  # the sixth of the Tal-Kasparov games


def test_dropping_a_pgn_on_the_window_opens_it(qtbot, make_app, tmp_path: Path) -> None:
    path = tmp_path / "dropped.pgn"
    path.write_text(games_text(1))
    app = make_app()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    app.window.dropEvent(drop)  # as Qt calls it once the drag entered (offscreen has no drag)
    wait_read(qtbot, app)
    assert app.game.moves == sans("e4 e5 Nf3")


def test_clocks_with_increment_and_a_falling_flag(qtbot) -> None:
    now = [100.0]
    game = GameState()
    clocks = Clocks(game, now=lambda: now[0])
    clocks.configure(True, "60+2")
    assert clocks.text(chess.WHITE) == "1:00" and clocks.running is None
    game.play(sans("e4")[0])  # White's first move starts Black's clock
    assert clocks.running == chess.BLACK
    now[0] += 10
    game.play(sans("e4 e5")[1])
    assert clocks.left[chess.BLACK] == 52_000  # 60 - 10 + 2
    assert clocks.running == chess.WHITE
    now[0] += 61
    clocks.tick()
    assert clocks.left[chess.WHITE] == 0 and clocks.running is None
    assert game.ending().text == "White lost on time · Black wins (0-1)"
    assert clock_text(9_400) == "0:09.4" and clock_text(3_723_000) == "1:02:03"


def test_a_clicked_move_slides_a_dragged_one_does_not(qtbot, make_app) -> None:
    app = make_app()
    board = app.window.board
    click(app, "e2")
    click(app, "e4")
    assert app.game.moves == sans("e4") and board.animating
    board.grab()  # paints the piece between e2 and e4
    qtbot.waitUntil(lambda: not board.animating, timeout=1000)
    drag(app, "e7", "e5")
    assert app.game.moves == sans("e4 e5") and not board.animating
    app.game.go(0)  # browsing jumps two moves back: no slide
    assert not board.animating
    app.game.go(1)  # one move forward slides
    assert board.animating
