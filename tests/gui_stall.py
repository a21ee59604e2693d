"""The event-loop stall probe shared by the GUI test and the GUI benchmark."""

from __future__ import annotations

from collections.abc import Sequence

import chess
from PySide6.QtCore import QElapsedTimer, QTimer

from chessgru.gui.game import GameState
from chessgru.gui.main_window import MainWindow


class StallProbe:
    """Plays ``moves`` on ``window`` 10 ms apart while a 5 ms timer records its tick gaps.

    ``gaps`` (ms) grows while the caller waits; a long gap is a stall of the event loop.
    """

    def __init__(self, game: GameState, window: MainWindow, moves: Sequence[chess.Move]) -> None:
        self.gaps: list[int] = []
        self._game, self._window, self._moves = game, window, moves
        self._clock = QElapsedTimer()
        self._clock.start()
        self._last = self._clock.elapsed()
        self._ticker, self._mover = QTimer(), QTimer()
        self._ticker.timeout.connect(self._tick)
        self._mover.timeout.connect(self._play_next)
        self._ticker.start(5)
        self._mover.start(10)

    def _tick(self) -> None:
        now = self._clock.elapsed()
        self.gaps.append(now - self._last)
        self._last = now

    def _play_next(self) -> None:
        if self._game.ply < len(self._moves):
            self._window.play(self._moves[self._game.ply])

    def stop(self) -> None:
        self._ticker.stop()
        self._mover.stop()
