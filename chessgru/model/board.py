"""The board-reading half of the network: input planes, the residual tower, the policy head.

Maia and lc0 get their accuracy from a convolutional tower over the 8x8 board: a 3x3
convolution sees what attacks, defends and blocks each square, and stacking them sees
pins, overloads and hanging pieces. The GRU cannot compute any of that from a bag of
bitboard bits, so the tower reads each position and the GRU reads the tower's summary.

* :func:`board_planes`: position words and the previous move -> ``[N, PLANES, 8, 8]``,
  seen from the mover's side (mirrored when Black moves), as the move tokens are.
* :class:`Tower`: residual blocks with squeeze-excitation. It sees only the board and the
  last move, never who is playing, so one pass per position serves every player (the
  "who is playing" ranking and fine-tuning with the tower frozen rely on it).
* :class:`PolicyHead`: the tower's features modulated by a context vector (the GRU state
  and who is moving, FiLM), a 3x3 convolution and AlphaZero's 73 move planes per
  from-square, gathered onto the 1858 move tokens; plus a per-token bias from the context
  for preferences the board does not show (a person's favourite opening moves).
"""

from __future__ import annotations

import chess
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from chessgru.model import encoding

# ---------------------------------------------------------------------------------------
# Input planes

#: own P N B R Q K, opponent's P N B R Q K, previous move from/to, castling x4, en passant,
#: mover is Black, ones (lets the zero-padded convolutions find the board's edge).
PLANES = 12 + 2 + 4 + 1 + 1 + 1


def _move_squares() -> np.ndarray:
    """``[VOCAB_SIZE + 1, 2]`` from/to squares of each token in the *next* mover's frame.

    A token is written in its own mover's frame; the next mover sees the board mirrored,
    so the squares are mirrored vertically. Row VOCAB_SIZE (BOS) points at square 64, a
    column the planes drop.
    """
    out = np.full((encoding.VOCAB_SIZE + 1, 2), 64, dtype=np.int64)
    for token, (from_sq, to_sq, _) in enumerate(encoding.VOCABULARY):
        out[token] = (chess.square_mirror(from_sq), chess.square_mirror(to_sq))
    return out


def piece_planes(positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 ``[..., 12, 8, 8]`` own then opponent's pieces, and whether White moves ``[...]``.

    Position words ``[..., 9]``; the board is mirrored when Black moves, as the move tokens
    are. Byte r of a bitboard is rank r: unpacking to bytes first keeps the intermediates
    uint8 (training unpacks millions of positions) and makes mirroring a flip of the ranks.
    """
    pieces, white, black = positions[..., :6], positions[..., 6:7], positions[..., 7:8]
    wtm = (positions[..., 8] & encoding.FLAG_WHITE_TO_MOVE) != 0
    own = torch.where(wtm[..., None], white, black)
    opp = torch.where(wtm[..., None], black, white)
    boards = torch.cat([pieces & own, pieces & opp], dim=-1)  # [..., 12]
    device = positions.device
    ranks = ((boards[..., None] >> torch.arange(0, 64, 8, device=device)) & 0xFF).to(torch.uint8)
    ranks = torch.where(wtm[..., None, None], ranks, ranks.flip(-1))  # [..., 12, 8 ranks]
    bits = torch.arange(8, device=device, dtype=torch.uint8)
    return (ranks[..., None] >> bits) & 1, wtm


def castling_rights(flags: torch.Tensor, wtm: torch.Tensor) -> torch.Tensor:
    """bool ``[..., 4]``: the mover's O-O and O-O-O rights, then the opponent's."""

    def flag(bit: int) -> torch.Tensor:
        return (flags & bit) != 0

    w_oo, w_ooo = flag(encoding.FLAG_WHITE_OO), flag(encoding.FLAG_WHITE_OOO)
    b_oo, b_ooo = flag(encoding.FLAG_BLACK_OO), flag(encoding.FLAG_BLACK_OOO)
    return torch.stack(
        [
            torch.where(wtm, w_oo, b_oo),
            torch.where(wtm, w_ooo, b_ooo),
            torch.where(wtm, b_oo, w_oo),
            torch.where(wtm, b_ooo, w_ooo),
        ],
        dim=-1,
    )


def board_planes(positions: torch.Tensor, tokens_in: torch.Tensor) -> torch.Tensor:
    """``[N, PLANES, 8, 8]`` float planes of position words ``[N, 9]`` and previous moves ``[N]``.

    Mover-relative as the move tokens: the board is mirrored when Black moves.
    """
    n = positions.shape[0]
    device = positions.device
    flags = positions[:, 8]
    pieces, wtm = piece_planes(positions)
    pieces_planes = pieces.float()

    squares = _MOVE_SQUARES.to(device)[tokens_in]  # [N, 2]
    last = torch.zeros(n, 2, 65, device=device)
    last.scatter_(2, squares[..., None], 1.0)
    last = last[..., :64].view(n, 2, 8, 8)
    scalars = castling_rights(flags, wtm).float()
    ep_file = (flags >> encoding.FLAG_EP_SHIFT) & 15  # 0 = none, else file + 1
    # The capturing pawn lands on rank 6 in the mover's frame.
    ep = torch.zeros(n, 8, 8, device=device)
    ep[:, 5] = (ep_file[:, None] == torch.arange(1, 9, device=device)).float()
    consts = torch.stack([(~wtm).float(), torch.ones(n, device=device)], dim=-1)
    return torch.cat(
        [
            pieces_planes,
            last,
            scalars[..., None, None].expand(n, 4, 8, 8),
            ep[:, None],
            consts[..., None, None].expand(n, 2, 8, 8),
        ],
        dim=1,
    )


_MOVE_SQUARES = torch.from_numpy(_move_squares())

# ---------------------------------------------------------------------------------------
# Policy map: every token is (move type, from square) of AlphaZero's 73 x 64 policy planes.

POLICY_PLANES = 73
_DIRECTIONS = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]  # (dr, df)
_KNIGHT = [(2, 1), (1, 2), (-1, 2), (-2, 1), (-2, -1), (-1, -2), (1, -2), (2, -1)]
_UNDER = {chess.KNIGHT: 0, chess.BISHOP: 1, chess.ROOK: 2}


def _policy_index() -> np.ndarray:
    """``[VOCAB_SIZE]`` index into the flattened ``[73, 64]`` policy planes."""
    out = np.empty(encoding.VOCAB_SIZE, dtype=np.int64)
    for token, (from_sq, to_sq, promo) in enumerate(encoding.VOCABULARY):
        dr = chess.square_rank(to_sq) - chess.square_rank(from_sq)
        df = chess.square_file(to_sq) - chess.square_file(from_sq)
        if promo is not None:
            plane = 64 + 3 * _UNDER[promo] + (df + 1)
        elif (dr, df) in _KNIGHT:
            plane = 56 + _KNIGHT.index((dr, df))
        else:
            distance = max(abs(dr), abs(df))
            plane = 7 * _DIRECTIONS.index((dr // distance, df // distance)) + distance - 1
        out[token] = plane * 64 + from_sq
    return out


POLICY_INDEX = torch.from_numpy(_policy_index())

# ---------------------------------------------------------------------------------------
# Tower


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with squeeze-excitation, lc0 style; no batch statistics.

    The residual branch is scaled by a learned per-channel gain that starts at zero
    (ReZero / SkipInit), which trains a deep tower without batch normalisation: nothing
    depends on the batch, so a single live position and a training batch agree exactly.
    """

    def __init__(self, channels: int, se_ratio: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        squeeze = max(channels // se_ratio, 8)
        self.se1 = nn.Linear(channels, squeeze)
        self.se2 = nn.Linear(squeeze, 2 * channels)
        self.gain = nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x)))
        s = self.se2(F.relu(self.se1(y.mean((2, 3)))))
        w, b = s.chunk(2, dim=1)
        y = y * torch.sigmoid(w)[..., None, None] + b[..., None, None]
        return F.relu(x + self.gain * y)


class Tower(nn.Module):
    """Positions in, ``[N, channels, 8, 8]`` features out."""

    def __init__(self, blocks: int, channels: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(PLANES, channels, 3, padding=1)
        self.blocks = nn.Sequential(*(ResidualBlock(channels) for _ in range(blocks)))

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        return self.blocks(F.relu(self.stem(planes)))


class PolicyHead(nn.Module):
    """Tower features modulated by a context vector (FiLM) -> logits over the vocabulary."""

    def __init__(self, channels: int, context: int, vocab: int) -> None:
        super().__init__()
        self.film = nn.Linear(context, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.out = nn.Conv2d(channels, POLICY_PLANES, 1)
        self.bias = nn.Linear(context, vocab)  # move preferences the board cannot show
        self.register_buffer("index", POLICY_INDEX.clone(), persistent=False)

    def forward(self, features: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(context).chunk(2, dim=-1)
        x = features * (1 + scale[..., None, None]) + shift[..., None, None]
        x = self.out(F.relu(self.conv(F.relu(x))))
        return x.flatten(1)[:, self.index] + self.bias(context)
