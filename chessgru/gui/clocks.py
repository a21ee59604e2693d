"""Hot-seat chess clocks with increment: a plain object that watches the game.

The clock of the side to move runs from the first move on; a move played at the end of
the line stops the mover's clock and adds the increment; a take-back hands the clock to
whoever is to move (time is not given back). A flag that falls decides the game.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import chess
from PySide6.QtCore import QObject, QTimer, Signal

from chessgru.gui.game import Ending, GameState
from chessgru.gui.setup_dialog import parse_time_control

TICK_MS = 100


def clock_text(ms: float) -> str:
    """ "5:03", or "0:09.4" under ten seconds (when tenths matter)."""
    ms = max(0.0, ms)
    minutes, seconds = divmod(ms / 1000, 60)
    if minutes >= 60:
        return f"{int(minutes // 60)}:{int(minutes % 60):02d}:{int(seconds):02d}"
    if ms < 10_000:
        return f"0:{seconds:04.1f}"
    return f"{int(minutes)}:{int(seconds):02d}"


class Clocks(QObject):
    """Both sides' remaining time; `changed` after every tick and every move."""

    changed = Signal()

    def __init__(
        self, game: GameState, now: Callable[[], float] = time.monotonic, parent=None
    ) -> None:
        super().__init__(parent)
        self.game, self._now = game, now
        self.enabled = False
        self.base_ms, self.increment_ms = 0.0, 0.0
        self.left = {chess.WHITE: 0.0, chess.BLACK: 0.0}
        self.running: chess.Color | None = None
        self._since = 0.0
        self._moves = len(game.moves)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        game.changed.connect(self._on_game)

    def configure(self, enabled: bool, time_control: str | None) -> None:
        """Run clocks for `time_control` ("300+3"); off when disabled or the control is unknown."""
        parsed = parse_time_control(time_control or "")
        self.enabled = enabled and parsed is not None
        if parsed is not None:
            self.base_ms, self.increment_ms = parsed[0] * 1000.0, parsed[1] * 1000.0
        self.reset()

    def reset(self) -> None:
        self.left = {chess.WHITE: self.base_ms, chess.BLACK: self.base_ms}
        self.running = None
        self._moves = len(self.game.moves)
        self._timer.stop()
        self.changed.emit()

    def text(self, color: chess.Color) -> str:
        return clock_text(self.left[color]) if self.enabled else ""

    def tick(self) -> None:
        """Charge the running side for the time since the last tick; a flag may fall."""
        if self.running is None:
            return
        now = self._now()
        self.left[self.running] -= (now - self._since) * 1000
        self._since = now
        if self.left[self.running] <= 0:
            loser = self.running
            self.left[loser] = 0.0
            self._stop()
            side = "White" if loser == chess.WHITE else "Black"
            self.game.decide(
                Ending("0-1" if loser == chess.WHITE else "1-0", f"{side} lost on time")
            )
        self.changed.emit()

    def _stop(self) -> None:
        self.running = None
        self._timer.stop()

    def _on_game(self) -> None:
        if not self.enabled:
            return
        g = self.game
        n = len(g.moves)
        if n == 0:
            self.reset()
            return
        self.tick()
        played = n == self._moves + 1 and g.ply == n
        if played and self.running is not None:
            self.left[g.turn_at(n - 1)] += self.increment_ms
        self._moves = n
        if g.ending() is not None or g.ply != n:
            self._stop()  # the game is over, or someone is browsing back through it
        elif self.running != g.turn_at(n):
            self.running, self._since = g.turn_at(n), self._now()
            self._timer.start(TICK_MS)
        self.changed.emit()
