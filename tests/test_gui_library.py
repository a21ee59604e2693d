"""The family's flow in the app: add two people, play and finish a game (saved as it goes),
import games, browse and export them, learn from them in a separate process, and the new
model predicts for each of them; one click goes back to the previous model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import chess
import pytest
from fake_sites import FakeServer, OnlineGame, day
from family_data import family_library, tiny_model
from gui_fakes import loaded_app

from chessgru.gui.app import BoardApp
from chessgru.gui.settings import Settings
from chessgru.library.export import write_pgn
from chessgru.library.store import Library

SCHOLAR = "e4 e5 Bc4 Nc6 Qh5 Nf6 Qxf7#"


@pytest.fixture
def app(qtbot, tmp_path: Path, settings: Settings, monkeypatch):
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path / "data"))
    with loaded_app(qtbot, settings, tiny_model(tmp_path / "tiny.chessgru")) as board:
        yield board


def add_person(dialog, name: str, rating: int = 0, lichess: str = "") -> None:
    dialog.name.setText(name)
    dialog.rating.setValue(rating)
    dialog.lichess.setText(lichess)
    dialog.add_button.click()


def play(app: BoardApp, sans: str) -> None:
    board = chess.Board()
    for san in sans.split():
        move = board.push_san(san)
        app.window.play(move)


def stored(app: BoardApp) -> Library:
    return Library(app.family.library.path)  # a second connection sees only what is committed


def test_people_come_first_and_every_move_is_saved(qtbot, app: BoardApp) -> None:
    family = app.family
    dialog = family.show_people()
    add_person(dialog, "Dad", 1500)
    add_person(dialog, "Kid")
    assert dialog.list.count() == 2
    items = [app.window.top_bar.combo.itemText(i) for i in range(app.window.top_bar.combo.count())]
    assert items[:2] == ["Dad", "Kid"] and items[-1] == "population"
    app.window.choose_player(chess.WHITE, "Dad")
    app.window.choose_player(chess.BLACK, "Kid")
    qtbot.waitUntil(lambda: app.predictions.current() is not None, timeout=10000)
    board = chess.Board()
    for i, san in enumerate(SCHOLAR.split()[:3], start=1):
        app.window.play(board.push_san(san))
        with stored(app) as lib:  # committed after every move: a crash loses at most one
            (game,) = lib.games()
            assert len(game.moves) == i and game.result == "*" and not game.finished
    app.game.undo()
    with stored(app) as lib:
        assert len(lib.games()[0].moves) == 2
    app.game.new_game()
    play(app, SCHOLAR)
    with stored(app) as lib:
        finished = lib.games(result="1-0")
        assert [(g.white_name, g.black_name, g.white_elo) for g in finished] == [
            ("Dad", "Kid", 1500)
        ]
        assert finished[0].finished and lib.person("Dad").games == 2
    app.game.go(3)  # browsing back saves nothing
    with stored(app) as lib:
        assert len(lib.games(result="1-0")[0].moves) == 7


def test_import_browse_learn_and_go_back(qtbot, app: BoardApp, tmp_path: Path) -> None:
    family = app.family
    pgn = tmp_path / "theirs.pgn"
    lib_file = family_library(tmp_path / "source.sqlite3", games=8)
    with Library(lib_file) as source:
        write_pgn(pgn, source.games())
    dialog = family.import_pgn([str(pgn)])
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    assert dialog.label.text().startswith("8 new, 0 already there, 0 skipped")
    server = FakeServer()
    try:
        server.sites.lichess["dadonline"] = [OnlineGame("dadonline", "x", day(1), 7)]
        app.settings.set("lichess_url", server.url)
        people = family.show_people()
        add_person(people, "Dad", lichess="dadonline")
        add_person(people, "Kid")
        online = family.import_account("lichess", "dadonline")
        qtbot.waitUntil(lambda: online.summary is not None, timeout=20000)
        assert online.summary.new == 1
    finally:
        server.close()
    assert app.predictions.players[:2] == ["Dad", "Kid"]

    browser = family.show_library()
    browser.person.setCurrentText("Dad")
    assert browser.count.text() == "9 games"
    browser.table.selectRow(0)
    browser.open_selected()
    assert app.game.white == "Dad" or app.game.black == "Dad"
    assert len(app.game.moves) == len(browser.selected()[0].moves)
    assert browser.export(str(tmp_path / "dad.pgn")) == 1
    browser.table.clearSelection()  # selectRow extends a selection under held modifiers
    browser.table.selectRow(1)
    assert browser.delete(confirm=False) == 1
    assert browser.count.text() == "8 games"
    browser.result.setCurrentIndex(6)  # unfinished
    assert browser.count.text() == "0 games"

    before = app.predictions.model.path
    assert family.learn()
    qtbot.waitUntil(lambda: family.bar.isVisible(), timeout=5000)
    app.window.choose_player(chess.WHITE, "Dad")  # the board works on while it learns
    qtbot.waitUntil(lambda: not family.learner.running, timeout=180000)
    qtbot.waitUntil(
        lambda: app.predictions.model is not None and app.predictions.model.path != before,
        timeout=60000,
    )
    message = app.window.statusBar().currentMessage()
    assert message.startswith("Learned from your games. Dad: top-1 "), message
    assert {"Dad", "Kid"} <= set(app.predictions.model.players)
    app.window.choose_player(chess.WHITE, "Dad")
    app.window.choose_player(chess.BLACK, "Kid")
    app.game.new_game()
    play(app, "e4")
    assert app.predictions.model_player("Kid") == "Kid"  # the new model knows them
    qtbot.waitUntil(lambda: app.predictions.current() is not None, timeout=20000)

    family.actions["undo_learn"].trigger()
    qtbot.waitUntil(
        lambda: app.predictions.model is not None and app.predictions.model.path == before,
        timeout=60000,
    )
    assert app.game.black == "Kid"  # still offered; predicted as the population again
    assert app.predictions.model_player("Kid") == "population"


def test_pgn_files_dropped_on_the_window_are_imported(qtbot, app: BoardApp, tmp_path) -> None:
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    pgn = tmp_path / "dropped.pgn"
    pgn.write_text('[White "Dad"]\n[Black "Kid"]\n[Result "*"]\n\n1. e4 e5 *\n')
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pgn)), QUrl.fromLocalFile(str(tmp_path / "x.txt"))])
    drop = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt delivers drops only during a real drag; the window's filter gets this one directly.
    assert app.family.drop_filter.eventFilter(app.window, drop)
    (dialog,) = [d for d in app.family.dialogs if hasattr(d, "summary")]
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    assert dialog.summary.new == 1


def test_learning_starts_by_itself_after_a_finished_game(app: BoardApp, monkeypatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(app.family.learner, "start", started.append)
    play(app, "e4 e5")
    assert started == []  # the option is off by default
    app.family.actions["learn_after_game"].trigger()
    assert app.settings.get("learn_after_game") is True
    app.game.new_game()
    play(app, SCHOLAR)
    assert started == [app.predictions.model.path]
