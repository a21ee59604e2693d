"""One game as the analysis reads it: model inputs and legal moves, computed once.

Ranking thousands of candidate players over one game changes only the player column of
the conditioning; the rest (previous moves, positions, which plies belong to which side,
the legal moves and the move played at each of them) is the same for every candidate, so
it is prepared here once and reused for every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import chess
import numpy as np
import torch

from chessgru.errors import UserError
from chessgru.model import encoding
from chessgru.model.network import BOS


@dataclass(frozen=True)
class SidePlies:
    """The plies of one side with their legal moves, padded to one width for gathering."""

    plies: torch.Tensor  # long [S]: ply numbers of this side's moves
    legal: torch.Tensor  # long [S, L]: legal tokens, padded with the played token
    valid: torch.Tensor  # bool [S, L]: False on padding
    played: torch.Tensor  # long [S]: token of the move played

    def __len__(self) -> int:
        return len(self.plies)

    def log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """Log-probability ``[B, S]`` of each move played, over the legal moves only.

        ``logits [B, T, V]`` come from the public model call; only this side's plies and
        their legal tokens are read, so the softmax costs S x L per row, not T x V.
        """
        rows = logits.shape[0]
        at = logits[:, self.plies].float()  # [B, S, V]
        legal = at.gather(2, self.legal.expand(rows, -1, -1))
        legal = legal.masked_fill(~self.valid, float("-inf"))
        played = at.gather(2, self.played[None, :, None].expand(rows, -1, 1))[..., 0]
        return played - legal.logsumexp(-1)


@dataclass(frozen=True)
class PreparedGame:
    """Model inputs of one game (``[T]`` rows) and its two sides' scored plies."""

    moves: tuple[chess.Move, ...]
    sans: tuple[str, ...]
    tokens_in: torch.Tensor  # long [T]
    positions: torch.Tensor  # long [T, 9]
    cond: torch.Tensor  # long [T, 3]: population for both sides, with Elo and speed
    sides: dict[chess.Color, SidePlies]

    def __len__(self) -> int:
        return len(self.moves)

    def rows(self, side: chess.Color, players: Sequence[int], opponent: int = 0) -> torch.Tensor:
        """Conditioning ``[B, T, 3]``: ``side`` played by each of ``players``, the other side
        by ``opponent`` (default the population)."""
        cond = self.cond[None].repeat(len(players), 1, 1)
        other = self.sides[not side].plies
        cond[:, other, 0] = opponent
        cond[:, self.sides[side].plies, 0] = torch.as_tensor(list(players))[:, None]
        return cond


def prepare_game(
    moves: Sequence[chess.Move],
    board: chess.Board | None = None,
    white_elo: int | None = None,
    black_elo: int | None = None,
    time_control: str | None = None,
) -> PreparedGame:
    """Replay ``moves`` once: inputs, legal tokens and played token per ply.

    UserError when a move is illegal; an empty game is allowed (nothing to score).
    """
    board = chess.Board() if board is None else board.copy(stack=False)
    speed = encoding.speed_class(time_control)
    elos = {
        chess.WHITE: encoding.elo_bucket(white_elo),
        chess.BLACK: encoding.elo_bucket(black_elo),
    }
    tokens_in, positions, cond, sans = [], [], [], []
    by_side: dict[chess.Color, list[tuple[int, np.ndarray, int]]] = {
        chess.WHITE: [],
        chess.BLACK: [],
    }
    previous = BOS
    for ply, move in enumerate(moves):
        tokens, legal = encoding.legal_tokens(board)
        if move not in legal:
            raise UserError(f"move {ply + 1} ({move.uci()}) is not legal in its position.")
        played = encoding.encode_move(move, board.turn)
        tokens_in.append(previous)
        positions.append(encoding.position_words(board))
        cond.append((0, elos[board.turn], speed))
        by_side[board.turn].append((ply, tokens, played))
        sans.append(board.san(move))
        previous = played
        board.push(move)
    words = np.asarray(positions, dtype=np.uint64).reshape(-1, encoding.POSITION_WORDS)
    return PreparedGame(
        moves=tuple(moves),
        sans=tuple(sans),
        tokens_in=torch.tensor(tokens_in, dtype=torch.long),
        positions=torch.from_numpy(words.view(np.int64).copy()),
        cond=torch.tensor(cond, dtype=torch.long).reshape(-1, encoding.COND_FIELDS),
        sides={color: _side(entries) for color, entries in by_side.items()},
    )


def _side(entries: list[tuple[int, np.ndarray, int]]) -> SidePlies:
    width = max((len(tokens) for _, tokens, _ in entries), default=1)
    legal = np.zeros((len(entries), width), dtype=np.int64)
    valid = np.zeros((len(entries), width), dtype=bool)
    for i, (_, tokens, played) in enumerate(entries):
        legal[i] = played
        legal[i, : len(tokens)] = tokens
        valid[i, : len(tokens)] = True
    return SidePlies(
        plies=torch.tensor([ply for ply, _, _ in entries], dtype=torch.long),
        legal=torch.from_numpy(legal),
        valid=torch.from_numpy(valid),
        played=torch.tensor([played for _, _, played in entries], dtype=torch.long),
    )
