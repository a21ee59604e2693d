"""Predictions for the game on the board: the model's state, a per-ply cache, live scoring.

A plain object with signals between the GameState and the worker thread. It asks the
worker for every ply of the line it does not know yet, keeps the answers for the latest
request only, and forgets what a changed line or a changed player makes wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import chess
from PySide6.QtCore import QObject, Signal

from chessgru.errors import UserError
from chessgru.gui.game import POPULATION, GameState, common_prefix
from chessgru.gui.worker import Dist, ModelInfo, PredictionWorker, Request


@dataclass(frozen=True)
class SideScore:
    """How well the model knew one side's moves so far."""

    moves: int = 0
    top1: int = 0
    top3: int = 0

    def line(self) -> str:
        if not self.moves:
            return "no moves yet"
        return (
            f"top-1 {self.top1}/{self.moves} ({100 * self.top1 / self.moves:.0f}%) · "
            f"top-3 {self.top3}/{self.moves} ({100 * self.top3 / self.moves:.0f}%)"
        )


@dataclass(frozen=True)
class Surprise:
    """How surprising the move played at `ply` was: -log2 of its predicted probability."""

    ply: int
    color: chess.Color
    bits: float


def score(
    moves: list[chess.Move], dists: dict[int, Dist], upto: int, first: chess.Color
) -> tuple[dict[chess.Color, SideScore], list[Surprise]]:
    """Top-1/top-3 counts per side and the surprise of each move among the first `upto`."""
    counts = {chess.WHITE: [0, 0, 0], chess.BLACK: [0, 0, 0]}
    surprises: list[Surprise] = []
    for ply in range(min(upto, len(moves))):
        dist = dists.get(ply)
        if not dist:
            continue
        color = first if ply % 2 == 0 else not first
        ranked = [m for m, _ in dist]
        probs = dict(dist)
        rank = ranked.index(moves[ply]) if moves[ply] in probs else len(ranked)
        c = counts[color]
        c[0] += 1
        c[1] += rank == 0
        c[2] += rank < 3
        p = max(probs.get(moves[ply], 0.0), 1e-9)
        surprises.append(Surprise(ply, color, -math.log2(p)))
    return {color: SideScore(*c) for color, c in counts.items()}, surprises


def _model_status(info: ModelInfo) -> str:
    return f"Model: {info.name} ({len(info.players) - 1} players)"


class Predictions(QObject):
    """The model's state and the predictions for the shown line."""

    updated = Signal()  # new distributions arrived or the cache was cleared
    model_changed = Signal()  # status text or player list changed
    message = Signal(str)  # one sentence for the status bar
    warning = Signal(str)  # one sentence the user must see (a name not taken, a model kept)
    _request = Signal(object)  # -> worker.predict (queued onto the worker thread)
    _load = Signal(object)  # -> worker.load_model

    def __init__(
        self, game: GameState, worker: PredictionWorker, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.game = game
        self.worker = worker
        self.model: ModelInfo | None = None
        self.status = "No model loaded"
        self.loading = False
        self.requests_sent = 0
        # Names chosen before the model loaded, by side: True = typed (CLI, player box,
        # last session), resolved like the CLI's --player; False = a PGN header (exact only).
        self._typed: dict[chess.Color, bool] = {}
        self.family: list[str] = []  # the library's people: offered first, known or not
        self._cache: dict[int, Dist] = {}
        self._line: tuple[str, list[chess.Move]] = (game.start_fen, list(game.moves))
        self._latest = 0
        # The line (with its players) of the latest request and its plies not answered yet:
        # a repeated request is skipped only while the answer is still to come.
        self._in_flight: tuple[object, set[int]] | None = None
        self._request.connect(worker.predict)
        self._load.connect(worker.load_model)
        worker.model_loaded.connect(self._on_loaded)
        worker.model_failed.connect(self._on_failed)
        worker.predicted.connect(self._on_predicted)
        worker.failed.connect(self._on_error)
        game.changed.connect(self._on_game_changed)
        game.players_changed.connect(self._on_players_changed)

    # --- reading -------------------------------------------------------------------
    @property
    def players(self) -> list[str]:
        """Who can play: the family first, then the model's players, then the population."""
        known = self.model.players if self.model else [POPULATION]
        named = [p for p in known if p != POPULATION and p not in self.family]
        return [*self.family, *named, POPULATION]

    def set_family(self, names: list[str]) -> None:
        """The library's people, offered before the model's players."""
        if names != self.family:
            self.family = list(names)
            self.model_changed.emit()

    def model_player(self, name: str) -> str:
        """Whom the model predicts for ``name``: themselves when it knows them, else the
        population (a family member before the model has learned them)."""
        return name if self.model is not None and name in self.model.players else POPULATION

    def dist(self, ply: int) -> Dist | None:
        """The distribution for the position after `ply` moves, if it has arrived."""
        return self._cache.get(ply)

    def current(self) -> Dist | None:
        return self._cache.get(self.game.ply)

    def scores(self) -> tuple[dict[chess.Color, SideScore], list[Surprise]]:
        g = self.game
        return score(g.moves, self._cache, g.ply, g.turn_at(0))

    # --- model ---------------------------------------------------------------------
    def open_model(self, path: str | None) -> None:
        """Load the model at `path` (None = the shipped base model) on the worker thread.

        The model in use keeps predicting until the new one has loaded; if it fails, it stays.
        """
        self.loading = True
        self.status = "Loading model..."
        self._load.emit(path)
        self.model_changed.emit()

    def _on_loaded(self, info: ModelInfo) -> None:
        self.model, self.loading = info, False
        self.status = _model_status(info)
        self._forget()
        notes = []
        for color in (chess.WHITE, chess.BLACK):
            note = self._apply(color, self.game.player(color), self._typed.get(color, True))
            if note:
                notes.append(note)
        self._typed.clear()
        self.model_changed.emit()
        if notes:
            self.warning.emit(" ".join(notes))
        self._refresh()

    def _on_failed(self, text: str) -> None:
        self.loading = False
        if self.model is None:
            self.status = f"No model: {text}"
        else:
            self.status = _model_status(self.model)
            text = f"{text.rstrip('.')}; still using {self.model.name}."
        self.model_changed.emit()
        self.warning.emit(text[:1].upper() + text[1:])
        self.updated.emit()

    # --- players -------------------------------------------------------------------
    def choose_player(self, color: chess.Color, name: str) -> str:
        """`color` is played by the person typed as `name`; returns the model's name for them.

        Resolved as the CLI's --player is (exact, alias, unique surname); UserError for an
        unknown or ambiguous name, which leaves the side as it was. Before the model has
        loaded, the name is kept and resolved when it arrives.
        """
        if self.model is None:
            self._typed[color] = True
            self.game.set_player(color, name)
            return name
        if name in self.family:
            self.game.set_player(color, name)
            return name
        found = self.model.players[self.model.names.resolve(name.strip())]
        self.game.set_player(color, found)
        return found

    def players_from_headers(self, white: str, black: str) -> None:
        """A loaded game's players: known names are taken, anyone else plays as population."""
        notes = []
        for color, name in ((chess.WHITE, white), (chess.BLACK, black)):
            if self.model is None:
                self._typed[color] = False
                self.game.set_player(color, name)
                continue
            note = self._apply(color, name, typed=False)
            if note:
                notes.append(note)
        if notes:
            self.message.emit(" ".join(notes))

    def _apply(self, color: chess.Color, name: str, typed: bool) -> str | None:
        """Give `color` the model's player for `name`, else population; a note when it fell back."""
        assert self.model is not None
        if name in self.family:  # known to the model or not yet: model_player decides
            self.game.set_player(color, name)
            return None
        side = "White" if color == chess.WHITE else "Black"
        try:
            row = self.model.names.resolve(name) if typed else self.model.names.find(name)
        except UserError as exc:
            self.game.set_player(color, POPULATION)
            return f"{side}: {str(exc).rstrip('.')}; {side} plays as the population."
        self.game.set_player(color, self.model.players[row or 0])
        if row is None and name not in ("", "?"):
            return f"{self.model.name} does not know {name!r}: {side} plays as the population."
        return None

    # --- predictions ---------------------------------------------------------------
    def _forget(self) -> None:
        self._cache.clear()
        self._latest += 1  # whatever is in flight is stale now
        self._in_flight = None
        self.worker.announce(self._latest)
        self.updated.emit()

    def _on_game_changed(self) -> None:
        fen, moves = self._line
        if fen != self.game.start_fen:
            self._cache.clear()
        else:
            keep = common_prefix(moves, self.game.moves)
            self._cache = {p: d for p, d in self._cache.items() if p <= keep}
        self._line = (self.game.start_fen, list(self.game.moves))
        self._refresh()
        self.updated.emit()

    def _on_players_changed(self) -> None:
        self._forget()
        self._refresh()

    def _refresh(self) -> None:
        """Ask for every ply of the line not known yet (the newest request replaces older ones)."""
        if self.model is None:
            return
        g = self.game
        missing = tuple(p for p in range(len(g.moves) + 1) if p not in self._cache)
        line = (g.start_fen, tuple(g.moves), g.white, g.black, g.conditions)
        if not missing or (
            self._in_flight is not None
            and self._in_flight[0] == line
            and set(missing) <= self._in_flight[1]
        ):
            return  # the request in flight already covers it
        self._in_flight = (line, set(missing))
        self._latest += 1
        self.worker.announce(self._latest)
        self.requests_sent += 1
        white, black = self.model_player(g.white), self.model_player(g.black)
        self._request.emit(
            Request(self._latest, g.start_fen, tuple(g.moves), white, black, missing, g.conditions)
        )

    def _on_predicted(self, request_id: int, dists: dict[int, Dist]) -> None:
        if request_id != self._latest or self.model is None:
            return  # stale: asked before the line, the players or the model changed
        if self._in_flight is not None:
            self._in_flight[1].difference_update(dists)  # answered: a take-back may ask again
        self._cache.update(dists)
        self.updated.emit()

    def _on_error(self, request_id: int, text: str) -> None:
        if request_id == self._latest:
            self._in_flight = None
            self.message.emit(text)
