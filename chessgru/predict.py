"""Next-move predictions from a model file: live (one move at a time) and for whole games.

Live use (the GUI) carries the GRU state forward: :meth:`Predictor.push` runs one GRU step
for the move played, so predicting costs the same at move 5 and at move 150, and
:meth:`Predictor.pop` restores the state before it from a stack. Batch use (the CLI, the
evaluation) runs each game through one full-sequence forward. Both are masked to the legal
moves and renormalised over them, and give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chess
import numpy as np
import torch

from chessgru import paths
from chessgru.errors import UserError
from chessgru.games.names import PlayerNames
from chessgru.model import encoding
from chessgru.model.bundle import Bundle, build_model, load_bundle
from chessgru.model.network import BOS, ChessGRU
from chessgru.model.prior import PersonalPrior, position_keys

#: Ranked (move, probability) pairs of the player to move, most likely first.
Prediction = list[tuple[chess.Move, float]]


@dataclass(frozen=True)
class GameInput:
    """One game for :meth:`Predictor.predict_games`; players by name or embedding row."""

    moves: Sequence[chess.Move]
    white: str | int = 0
    black: str | int = 0
    board: chess.Board | None = None  # start position (default: the standard start)
    white_elo: int | None = None
    black_elo: int | None = None
    time_control: str | None = None


@dataclass
class _Ply:
    """Live state before one pushed move, so pop() can return to it."""

    move: chess.Move
    token_in: int
    hidden: torch.Tensor | None
    out: tuple[np.ndarray, torch.Tensor]


def _signed(words: Iterable[int]) -> list[int]:
    """uint64 position words as the int64 values the model reads."""
    return [w - (1 << 64) if w >= 1 << 63 else w for w in words]


def _ranked(
    logits: np.ndarray,
    tokens: np.ndarray,
    moves: list[chess.Move],
    k: int | None,
    personal: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> Prediction:
    """Softmax over the legal moves only, best first, cut to ``k`` (None = all).

    ``personal(tokens, probs)`` blends in the mover's personal prior when they have one.
    """
    if not moves:
        return []
    legal = logits[tokens].astype(np.float64)
    probs = np.exp(legal - legal.max())
    probs /= probs.sum()
    if personal is not None:
        probs = personal(tokens, probs)
    order = np.argsort(-probs, kind="stable")[: len(moves) if k is None else k]
    return [(moves[i], float(probs[i])) for i in order]


class Predictor:
    """A loaded model plus one live game; see the module docstring."""

    def __init__(
        self,
        model: ChessGRU,
        players: Sequence[dict[str, Any]],
        device: str = "cpu",
        prior: PersonalPrior | None = None,
    ):
        self.model = model.to(device).eval()
        self.prior = prior or PersonalPrior()
        self.device = torch.device(device)
        self.names = PlayerNames(players)
        self.player_entries = self.names.entries
        self._cond = {chess.WHITE: (0, 0, 0), chess.BLACK: (0, 0, 0)}
        self.new_game()

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "cpu") -> Predictor:
        """Predictor for the model file at ``path``; None = the shipped base model."""
        if path is None:
            path = paths.base_model_path()
            if path is None:
                raise UserError(
                    "this install has no base model; train one with "
                    "`chessgru train GAMES.pgn --out my.chessgru` and pass it with --model."
                )
        return cls.from_bundle(load_bundle(path), device)

    @classmethod
    def from_bundle(cls, bundle: Bundle, device: str = "cpu") -> Predictor:
        """Predictor for an already loaded model file."""
        return cls(build_model(bundle), bundle.players, device, bundle.prior)

    # --- players -------------------------------------------------------------------------

    @property
    def players(self) -> list[str]:
        """Names the model knows, by embedding row ("population" first)."""
        return [p["name"] for p in self.player_entries]

    def resolve_player(self, name: str | int) -> int:
        """Embedding row of ``name`` as a person types it (see :meth:`PlayerNames.resolve`)."""
        return self.names.resolve(name)

    def find_player(self, name: str) -> int | None:
        """Embedding row of ``name`` as a PGN header writes it, else None (no surname guess)."""
        return self.names.find(name)

    def player_cond(
        self, name: str | int, elo: int | None = None, time_control: str | None = None
    ) -> tuple[int, int, int]:
        """Conditioning triple (player row, Elo bucket, speed) of the model's input."""
        return (
            self.resolve_player(name),
            encoding.elo_bucket(elo),
            encoding.speed_class(time_control),
        )

    # --- live game -----------------------------------------------------------------------

    def new_game(self, board: chess.Board | None = None) -> None:
        """Start a game from ``board`` (default: the standard start); players are kept."""
        self._start = chess.Board() if board is None else board.copy(stack=False)
        self._board = self._start.copy()
        self._token_in = BOS
        self._hidden: torch.Tensor | None = None
        self._out: tuple[np.ndarray, torch.Tensor] | None = None
        self._stack: list[_Ply] = []

    def set_player(
        self,
        color: chess.Color,
        name: str | int,
        elo: int | None = None,
        time_control: str | None = None,
    ) -> None:
        """Who plays ``color``; the moves so far are re-run because the state depends on it."""
        cond = self.player_cond(name, elo, time_control)
        if cond == self._cond[color]:
            return
        self._cond[color] = cond
        moves = [ply.move for ply in self._stack]
        self.new_game(self._start)
        for move in moves:
            self.push(move)

    def player_index(self, color: chess.Color) -> int:
        """Embedding row currently playing ``color``."""
        return self._cond[color][0]

    @property
    def board(self) -> chess.Board:
        """A copy of the live position, with its move stack."""
        return self._board.copy()

    @torch.inference_mode()
    def _step(self) -> tuple[np.ndarray, torch.Tensor]:
        if self._out is None:
            position = torch.tensor(
                [_signed(encoding.position_words(self._board))], device=self.device
            )
            cond = torch.tensor([self._cond[self._board.turn]], device=self.device)
            token = torch.tensor([self._token_in], device=self.device)
            logits, hidden = self.model.step(token, position, cond, self._hidden)
            self._out = (logits[0].float().cpu().numpy(), hidden)
        return self._out

    def push(self, move: chess.Move) -> None:
        """Play ``move`` (legal) in the live game: one GRU step, the state carried on."""
        if not self._board.is_legal(move):
            raise UserError(f"{move.uci()} is not a legal move in this position.")
        out = self._step()
        self._stack.append(_Ply(move, self._token_in, self._hidden, out))
        self._token_in = encoding.encode_move(move, self._board.turn)
        self._hidden = out[1]
        self._out = None
        self._board.push(move)

    def pop(self) -> chess.Move:
        """Take back the last move and return it; the state is restored exactly."""
        if not self._stack:
            raise IndexError("no move to take back")
        ply = self._stack.pop()
        self._board.pop()
        self._token_in, self._hidden, self._out = ply.token_in, ply.hidden, ply.out
        return ply.move

    def top(self, k: int = 5) -> Prediction:
        """The ``k`` likeliest moves of the player to move, probabilities over all legal moves."""
        tokens, moves = encoding.legal_tokens(self._board)
        return _ranked(self._step()[0], tokens, moves, k, self._live_personal())

    def probabilities(self) -> dict[chess.Move, float]:
        """Every legal move with its probability, likeliest first."""
        tokens, moves = encoding.legal_tokens(self._board)
        return dict(_ranked(self._step()[0], tokens, moves, None, self._live_personal()))

    def _personal(
        self, row: int, words: np.ndarray
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
        """The prior blend of ``row`` in the position ``words`` (None when they have none)."""
        if row not in self.prior.strength:
            return None
        key = int(position_keys(words[None])[0])
        return lambda tokens, probs: self.prior.apply(row, key, tokens, probs)

    def _live_personal(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
        row = self._cond[self._board.turn][0]
        words = np.asarray(encoding.position_words(self._board), dtype=np.uint64)
        return self._personal(row, words)

    # --- whole games ---------------------------------------------------------------------

    def predict_game(
        self,
        moves: Sequence[chess.Move],
        white: str | int = 0,
        black: str | int = 0,
        board: chess.Board | None = None,
        k: int | None = 5,
        white_elo: int | None = None,
        black_elo: int | None = None,
        time_control: str | None = None,
    ) -> list[Prediction]:
        """Top-``k`` predictions before each move of a game (one forward for the game)."""
        game = GameInput(moves, white, black, board, white_elo, black_elo, time_control)
        return next(self.predict_games([game], k=k))

    def predict_games(
        self, games: Iterable[GameInput], k: int | None = 5, batch_size: int = 32
    ) -> Iterator[list[Prediction]]:
        """Predictions for many games, ``batch_size`` games per forward, in input order."""
        batch: list[_Prepared] = []
        for game in games:
            batch.append(self._prepare(game))
            if len(batch) == batch_size:
                yield from self._run(batch, k)
                batch = []
        if batch:
            yield from self._run(batch, k)

    def _prepare(self, game: GameInput) -> _Prepared:
        """Replay the game: model inputs and the legal moves at every ply."""
        board = chess.Board() if game.board is None else game.board.copy(stack=False)
        conds = {
            chess.WHITE: self.player_cond(game.white, game.white_elo, game.time_control),
            chess.BLACK: self.player_cond(game.black, game.black_elo, game.time_control),
        }
        n = len(game.moves)
        tokens_in = np.empty(n, dtype=np.int64)
        positions = np.empty((n, encoding.POSITION_WORDS), dtype=np.uint64)
        cond = np.empty((n, encoding.COND_FIELDS), dtype=np.int64)
        legal: list[tuple[np.ndarray, list[chess.Move]]] = []
        previous = BOS
        for ply, move in enumerate(game.moves):
            tokens, moves = encoding.legal_tokens(board)
            if move not in moves:
                raise UserError(f"move {ply + 1} ({move.uci()}) is not legal in its position.")
            tokens_in[ply] = previous
            positions[ply] = encoding.position_words(board)
            cond[ply] = conds[board.turn]
            legal.append((tokens, moves))
            previous = encoding.encode_move(move, board.turn)
            board.push(move)
        return _Prepared(tokens_in, positions.view(np.int64), cond, legal)

    @torch.inference_mode()
    def _run(self, batch: list[_Prepared], k: int | None) -> Iterator[list[Prediction]]:
        length = max(1, *(len(g.legal) for g in batch))
        tokens_in = np.zeros((len(batch), length), dtype=np.int64)
        positions = np.zeros((len(batch), length, encoding.POSITION_WORDS), dtype=np.int64)
        cond = np.zeros((len(batch), length, encoding.COND_FIELDS), dtype=np.int64)
        for i, g in enumerate(batch):
            n = len(g.legal)
            tokens_in[i, :n], positions[i, :n], cond[i, :n] = g.tokens_in, g.positions, g.cond
        logits, _ = self.model(
            *(torch.from_numpy(a).to(self.device) for a in (tokens_in, positions, cond))
        )
        logits = logits.float().cpu().numpy()
        for i, g in enumerate(batch):
            yield [
                _ranked(
                    logits[i, t],
                    tokens,
                    moves,
                    k,
                    self._personal(int(g.cond[t, 0]), g.positions[t].view(np.uint64)),
                )
                for t, (tokens, moves) in enumerate(g.legal)
            ]


@dataclass
class _Prepared:
    tokens_in: np.ndarray
    positions: np.ndarray
    cond: np.ndarray
    legal: list[tuple[np.ndarray, list[chess.Move]]]
