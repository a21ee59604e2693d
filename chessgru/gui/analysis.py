"""Who is playing and what comes next, for the shown position, off the GUI thread.

``Analysis`` is a plain object with signals: it asks its worker (own thread, own copy of
the model, so the live predictions never wait behind a ranking) about the position on the
board whenever the line, the cursor or the players change, and keeps the newest answer.
The worker answers the lines first (a few small steps), then the rankings of both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import chess
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from chessgru.errors import UserError
from chessgru.gui.game import GameState
from chessgru.gui.worker import Loader, default_loader

DEPTH, LINES, SHOWN = 6, 5, 5
#: The `who` answer for models that can only be ranked exactly (minutes a position):
#: networks without the shared-state head whose people have no personal prior.
TOO_SLOW = "too slow"
WAIT_MS = 150  # coalesce fast stepping through a game into one request


@dataclass(frozen=True)
class AnalysisRequest:
    id: int
    start_fen: str
    moves: tuple[chess.Move, ...]  # up to the shown ply
    white: str
    black: str


@dataclass(frozen=True)
class ShownLine:
    """One continuation: moves from the shown position, SAN with numbers, probability."""

    moves: tuple[chess.Move, ...]
    text: str
    p: float


class AnalysisWorker(QObject):
    """Owns a Predictor of its own; every slot runs on the analysis thread."""

    status = Signal(str)  # "" when ready, else why there is no analysis
    lines = Signal(int, object)  # request id, list[ShownLine]
    who = Signal(int, object)  # request id, {color: [(name, p)]}

    def __init__(self, loader: Loader = default_loader) -> None:
        super().__init__()
        self._loader = loader
        self._predictor: Any = None
        self._prior: Any = None  # the model's personal priors, indexed once for `who`
        self._latest = 0

    def announce(self, request_id: int) -> None:
        """From the GUI thread: older requests may be dropped (a plain int write is atomic)."""
        self._latest = request_id

    @Slot(object)
    def load_model(self, path: str | None) -> None:
        self._predictor = None
        try:
            predictor = self._loader(path)
        except Exception as exc:  # the board's own worker reports load errors already
            self.status.emit(f"no analysis: {exc}")
            return
        if getattr(predictor, "model", None) is None or len(predictor.players) < 2:
            self.status.emit("no analysis for this model")
            return
        from chessgru.analysis.prior_scores import PriorIndex

        self._prior = PriorIndex.of(getattr(predictor, "prior", None))
        self._predictor = predictor
        self.status.emit("")

    @Slot(object)
    def analyse(self, request: AnalysisRequest) -> None:
        if self._predictor is None or request.id < self._latest:
            return
        try:
            self._lines(request)
            if request.id >= self._latest:
                self._who(request)
        except UserError as exc:
            self.status.emit(str(exc))
        except Exception as exc:  # never take the board down
            self.status.emit(f"analysis failed: {exc}")

    def _lines(self, request: AnalysisRequest) -> None:
        from chessgru.analysis.lines import beam_lines, numbered

        p, board = self._predictor, chess.Board(request.start_fen)
        white = p.player_cond(p.find_player(request.white) or 0)
        black = p.player_cond(p.find_player(request.black) or 0)
        found = beam_lines(p.model, request.moves, white, black, DEPTH, LINES, board)
        for move in request.moves:
            board.push(move)
        shown = [ShownLine(line.moves, numbered(board, line.san), line.p) for line in found]
        self.lines.emit(request.id, [s for s in shown if s.moves])

    def _who(self, request: AnalysisRequest) -> None:
        from chessgru.analysis.game import prepare_game
        from chessgru.analysis.who import is_fast, rank

        p = self._predictor
        if not is_fast(p.model, self._prior):
            self.who.emit(request.id, TOO_SLOW)
            return
        game = prepare_game(request.moves, chess.Board(request.start_fen))
        out = {}
        for color in (chess.WHITE, chess.BLACK):
            if len(game.sides[color]):
                out[color] = rank(p.model, p.players, [(game, color)], prior=self._prior).top(SHOWN)
        self.who.emit(request.id, out)


class Analysis(QObject):
    """The newest lines and rankings for the shown position."""

    updated = Signal()
    _request = Signal(object)
    _load = Signal(object)

    def __init__(self, game: GameState, worker: AnalysisWorker) -> None:
        super().__init__()
        self.game, self.worker = game, worker
        self.status = "Loading model..."
        self.lines: list[ShownLine] | None = None
        self.who: dict[chess.Color, list[tuple[str, float]]] | str | None = None
        self._latest = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WAIT_MS)
        self._timer.timeout.connect(self._send)
        self._request.connect(worker.analyse)
        self._load.connect(worker.load_model)
        worker.status.connect(self._on_status)
        worker.lines.connect(self._on_lines)
        worker.who.connect(self._on_who)
        game.changed.connect(self.refresh)
        game.players_changed.connect(self.refresh)

    def open_model(self, path: str | None) -> None:
        """Load the model the board uses (None = the shipped base model)."""
        self.status = "Loading model..."
        self._load.emit(path)
        self.refresh()

    def refresh(self) -> None:
        """Forget the shown answers and ask again shortly."""
        self._latest += 1
        self.worker.announce(self._latest)
        self.lines = self.who = None
        self._timer.start()
        self.updated.emit()

    def _send(self) -> None:
        g = self.game
        moves = tuple(g.moves[: g.ply])
        self._request.emit(AnalysisRequest(self._latest, g.start_fen, moves, g.white, g.black))

    def _on_status(self, text: str) -> None:
        self.status = text
        if not text:
            self.refresh()
        self.updated.emit()

    def _on_lines(self, request_id: int, lines: list[ShownLine]) -> None:
        if request_id == self._latest:
            self.lines = lines
            self.updated.emit()

    def _on_who(self, request_id: int, who: dict) -> None:
        if request_id == self._latest:
            self.who = who
            self.updated.emit()
