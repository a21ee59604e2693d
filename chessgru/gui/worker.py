"""Inference off the GUI thread: a long-lived worker owning the one Predictor.

The worker lives in its own QThread and is driven by queued signals. It keeps its
Predictor synced to the last game it was asked about by the common prefix (pop back, push
forward), so the prediction after one new move costs one GRU step. Requests carry an id;
a newer announced id makes the worker abandon older work between steps, and the controller
drops any answer that is not for its latest id. No exception leaves the worker: each one
comes back as a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chess
from PySide6.QtCore import QObject, QThread, Signal, Slot

from chessgru.errors import UserError
from chessgru.games.names import PlayerNames
from chessgru.gui.game import Conditions, common_prefix

Dist = list[tuple[chess.Move, float]]
Loader = Callable[[str | None], Any]  # path (None = shipped base model) -> Predictor

ALL_MOVES = 256  # more than any position's legal moves: top() returns the full distribution
EMIT_EVERY_S = 0.03  # long requests (a loaded PGN) report in slices so the board fills in


@dataclass(frozen=True)
class Request:
    """Predict the positions after `plies` moves of `moves` from `start_fen`."""

    id: int
    start_fen: str
    moves: tuple[chess.Move, ...]
    white: str
    black: str
    plies: tuple[int, ...]
    conditions: Conditions = field(default_factory=Conditions)  # ratings, time control


@dataclass(frozen=True)
class ModelInfo:
    """What the GUI shows about a loaded model."""

    name: str
    path: str | None
    names: PlayerNames  # the CLI's resolver over the model's players (read-only)

    @property
    def players(self) -> list[str]:
        return self.names.players


def default_loader(path: str | None) -> Any:
    """Load a Predictor (imported here so torch loads on the worker thread, not at startup)."""
    from chessgru.predict import Predictor

    return Predictor.load(path)


class PredictionWorker(QObject):
    """Owns the Predictor; every slot runs on the worker thread."""

    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    predicted = Signal(int, object)  # request id, {ply: Dist}
    failed = Signal(int, str)  # request id, message

    def __init__(self, loader: Loader = default_loader) -> None:
        super().__init__()
        self._loader = loader
        self._predictor: Any = None
        self._synced: tuple[object, ...] | None = None  # (start fen, players, conditions)
        self._moves: list[chess.Move] = []
        self._latest = 0

    def announce(self, request_id: int) -> None:
        """Called from the GUI thread: work for older ids may stop (a plain int write is atomic)."""
        self._latest = request_id

    @Slot(object)
    def load_model(self, path: str | None) -> None:
        """Load the model at `path` (None = the shipped base model); a failure keeps the old one."""
        try:
            predictor = self._loader(path)
            names = PlayerNames(predictor.player_entries)
        except UserError as exc:
            self.model_failed.emit(str(exc))
            return
        except Exception as exc:  # a broken file must never take the board down
            self.model_failed.emit(f"could not load {path or 'the base model'}: {exc}")
            return
        self._predictor, self._synced, self._moves = predictor, None, []
        name = Path(path).stem if path else "base model"
        self.model_loaded.emit(ModelInfo(name, path, names))

    @Slot(object)
    def predict(self, request: Request) -> None:
        """Answer `request` with the distributions at its plies (in slices if it takes long)."""
        if self._predictor is None or request.id < self._latest:
            return
        try:
            self._answer(request)
        except Exception as exc:
            self._synced = None  # the predictor's state is unknown now: rebuild next time
            self.failed.emit(request.id, f"prediction failed: {exc}")

    def _answer(self, request: Request) -> None:
        predictor = self._predictor
        key = (request.start_fen, request.white, request.black, request.conditions)
        if self._synced != key:
            predictor.new_game(chess.Board(request.start_fen))
            tc = request.conditions.time_control
            for color, name in ((chess.WHITE, request.white), (chess.BLACK, request.black)):
                predictor.set_player(color, name, request.conditions.elo(color), tc)
            self._synced, self._moves = key, []
        wanted = sorted(set(request.plies))
        if not wanted:
            return
        keep = min(common_prefix(self._moves, request.moves), wanted[0])
        while len(self._moves) > keep:
            predictor.pop()
            self._moves.pop()
        out: dict[int, Dist] = {}
        last_emit = time.monotonic()
        for ply in range(keep, wanted[-1] + 1):
            if request.id < self._latest:
                return  # superseded: the newer request asks for what is still needed
            if ply > len(self._moves):
                move = request.moves[ply - 1]
                predictor.push(move)
                self._moves.append(move)
            if ply in wanted:
                out[ply] = _distribution(predictor)
            if out and time.monotonic() - last_emit > EMIT_EVERY_S:
                self.predicted.emit(request.id, out)
                out, last_emit = {}, time.monotonic()
        if out:
            self.predicted.emit(request.id, out)


def _distribution(predictor: Any) -> Dist:
    """Every legal move with its probability, best first (empty when the game is over)."""
    if predictor.board.is_game_over():
        return []
    return [(move, float(p)) for move, p in predictor.top(ALL_MOVES)]


class WorkerThread(QObject):
    """Starts a PredictionWorker on its own QThread and stops it cleanly."""

    def __init__(self, worker: PredictionWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("chessgru-predictions")
        worker.moveToThread(self.thread)
        self.thread.start()

    def stop(self) -> None:
        """Finish the current step, then end the thread (waits at most a few seconds)."""
        if self.thread.isRunning():
            self.worker.announce(1 << 62)
            self.thread.quit()
            self.thread.wait(5000)
