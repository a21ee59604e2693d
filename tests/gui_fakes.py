"""Fakes, fixtures and mouse helpers shared by the board's tests (a pytest plugin).

The fake follows chessgru.predict.Predictor's interface and logs every call, so the tests
can check which position and which player each prediction was made for.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import chess
import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from chessgru.errors import UserError
from chessgru.gui.app import BoardApp
from chessgru.gui.settings import Settings

PLAYERS = [
    "population",
    "Morphy, Paul",
    "Anderssen, Adolf",
    "Tal, Mihail",
    "Talbot, Ann",  # "Tal" is inside these two names, but it is not their surname
    "Vitali, Ivan",
    "Kasparov, Gary",
    "Polgar, Judit",
    "Polgar, Susan",
]
SCHOLAR = "e4 e5 Bc4 Nc6 Qh5 Nf6 Qxf7#"


def fake_dist(board: chess.Board, player: str) -> list[tuple[chess.Move, float]]:
    """A deterministic distribution that depends on the position and the player."""
    moves = sorted(board.legal_moves, key=lambda m: (hash((m.uci(), player)) % 997, m.uci()))
    weights = [1.0 / (i + 1) for i in range(len(moves))]
    total = sum(weights)
    return [(m, w / total) for m, w in zip(moves, weights, strict=True)]


class FakePredictor:
    """Predictor's live interface; logs (fen, player to move) for every top() call."""

    players = PLAYERS
    player_entries: ClassVar[list[dict[str, str]]] = [{"name": name} for name in PLAYERS]

    def __init__(self, log: list[tuple[str, str]], delay: float = 0.0, fail: bool = False):
        self.log, self.delay, self.fail = log, delay, fail
        self.playing = {chess.WHITE: "population", chess.BLACK: "population"}
        self.conditions: dict[chess.Color, tuple[object, object]] = {}
        self._board = chess.Board()
        self.thread: threading.Thread | None = None

    def new_game(self, board: chess.Board | None = None) -> None:
        self._board = chess.Board() if board is None else board.copy()

    def set_player(self, color: chess.Color, name: str, elo=None, time_control=None) -> None:
        if name not in self.players:
            raise UserError(f"unknown player {name}")
        self.playing[color] = name
        self.conditions[color] = (elo, time_control)

    def push(self, move: chess.Move) -> None:
        time.sleep(self.delay)
        self._board.push(move)

    def pop(self) -> chess.Move:
        return self._board.pop()

    @property
    def board(self) -> chess.Board:
        return self._board.copy()

    def top(self, k: int = 5) -> list[tuple[chess.Move, float]]:
        if self.fail:
            raise RuntimeError("boom")
        self.thread = threading.current_thread()
        player = self.playing[self._board.turn]
        self.log.append((self._board.fen(), player))
        return fake_dist(self._board, player)[:k]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def fake_loader(log: list[tuple[str, str]], **fake: object) -> Callable[[str | None], object]:
    """A model loader giving FakePredictors; a path with "broken" in it fails as a bad file."""

    def loader(path: str | None) -> FakePredictor:
        if path is None or "broken" in path:
            raise UserError("this is not a chessgru model file")
        return FakePredictor(log, **fake)  # type: ignore[arg-type]

    return loader


def close_boxes() -> None:
    """Close the window-modal message boxes a test opened."""
    while (box := QApplication.activeModalWidget()) is not None:
        box.close()
        QApplication.processEvents()


@pytest.fixture
def make_app(qtbot, settings: Settings):
    apps: list[BoardApp] = []

    def make(model: str | None = "fake.chessgru", **fake: object) -> BoardApp:
        log: list[tuple[str, str]] = []
        app = BoardApp(settings, fake_loader(log, **fake))
        app.log = log  # type: ignore[attr-defined]
        app.window.show()
        app.start(model)
        apps.append(app)
        if model and "broken" not in model:
            qtbot.waitUntil(lambda: app.predictions.model is not None, timeout=3000)
        return app

    yield make
    for app in apps:
        dispose(app)
    apps.clear()


@contextlib.contextmanager
def loaded_app(qtbot, settings: Settings, model: Path) -> Iterator[BoardApp]:
    """A shown board with the real model file ``model`` loaded; disposed of afterwards."""
    app = BoardApp(settings)
    app.window.show()
    app.start(str(model))
    qtbot.waitUntil(lambda: app.predictions.model is not None, timeout=60000)
    try:
        yield app
    finally:
        dispose(app)


def dispose(app: BoardApp) -> None:
    """Close and free an app's widgets now, on the GUI thread.

    Left to Python's cycle collector, a window could be freed whenever the next test's worker
    thread happens to trigger a collection, and Qt aborts on widgets deleted off the GUI thread.
    """
    app.close()
    app.window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def wait_predicted(qtbot, app: BoardApp) -> list[tuple[chess.Move, float]]:
    qtbot.waitUntil(lambda: app.predictions.current() is not None, timeout=3000)
    return app.predictions.current()  # type: ignore[return-value]


def assert_predicted_for_mover(qtbot, app: BoardApp) -> None:
    """The shown prediction is the fake's for this position and the player to move."""
    dist = wait_predicted(qtbot, app)
    board = app.game.board
    player = app.game.player(board.turn)
    if board.is_game_over():
        assert dist == []
        return
    assert (board.fen(), player) in app.log  # type: ignore[attr-defined]
    assert dist == fake_dist(board, player)
    if not app.game.ending():
        assert app.window.pred_list.rows[0][0] == dist[0][0]


def sans(text: str, board: chess.Board | None = None) -> list[chess.Move]:
    board = board or chess.Board()
    return [board.push_san(s) for s in text.split()]


def center(app: BoardApp, name: str) -> QPointF:
    return app.window.board.square_center(chess.parse_square(name))


def mouse(widget, kind: QEvent.Type, pos: QPointF, button=Qt.MouseButton.LeftButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    if kind == QEvent.Type.MouseMove:
        button = Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def drag(app: BoardApp, a: str, b: str) -> None:
    board = app.window.board
    start, end = center(app, a), center(app, b)
    mouse(board, QEvent.Type.MouseButtonPress, start)
    for t in (0.25, 0.5, 0.75, 1.0):
        mouse(board, QEvent.Type.MouseMove, start + (end - start) * t)
    mouse(board, QEvent.Type.MouseButtonRelease, end)


def click(app: BoardApp, name: str) -> None:
    QTest.mouseClick(app.window.board, Qt.MouseButton.LeftButton, pos=center(app, name).toPoint())


ONE = '[Event "{n}"]\n[White "{w}"]\n[Black "{b}"]\n[Result "{r}"]\n\n1. e4 e5 2. Nf3 {r}\n\n'


def games_text(n: int, white: str = "Morphy, Paul", black: str = "Anderssen, Adolf") -> str:
    return "".join(ONE.format(n=i + 1, w=white, b=black, r="1-0") for i in range(n))


def status(app) -> str:
    return app.window.statusBar().currentMessage()


def wait_read(qtbot, app) -> None:
    qtbot.waitUntil(lambda: not app.window.pgn_file.reading, timeout=10000)
