"""The chessgru network: a GRU over the game's moves, conditioned on the player to move.

At every ply the GRU reads one step made of

* the previous move (a token of :mod:`chessgru.model.encoding`, ``BOS`` at the first ply),
* the position before the move, seen from the mover's side: with ``tower_blocks > 0`` a
  summary of the residual tower's features (:mod:`chessgru.model.board`), else a linear
  projection of the position's bits (the first networks; their files still load),
* who is moving: a player embedding (row 0 = the population), a rating bucket and a speed.

The head reads the GRU output *together with* the current position and the conditioning:
the next move depends most of all on the board in front of the player and on who they
are, while the GRU carries what the board cannot show (the opening played, the plans and
habits visible earlier in this game). With a tower the head is convolutional: the GRU
state and the player modulate the tower's 8x8 features (FiLM) before the move planes are
read off them. ``recurrent=False`` drops the GRU (the head sees only who is moving): a
Maia-like model inside our own code, to measure what the GRU adds. Logits cover the whole
vocabulary; callers mask them to the legal moves (see :mod:`chessgru.predict`).

``forward`` runs whole sequences (training, batch prediction); ``step`` runs one ply
from a carried hidden state (live prediction) and gives the same logits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from chessgru.model import board, encoding

BOS = encoding.VOCAB_SIZE  # input token of the first ply: "no previous move"

# Board features: 12 planes x 64 squares, own/opponent castling (4), en-passant file (8),
# and whether the mover is Black (White and Black play differently even when mirrored).
BOARD_FEATURES = 12 * 64 + 4 + 8 + 1


@dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the network's shape; saved in the model file to rebuild it."""

    vocab_size: int = encoding.VOCAB_SIZE
    n_players: int = 1  # embedding rows, row 0 = the population
    hidden: int = 384  # GRU width
    layers: int = 2  # stacked GRU layers
    embed: int = 128  # previous-move embedding
    board_dim: int = 256  # projection of the position
    player_dim: int = 64  # player embedding
    cond_dim: int = 16  # rating-bucket and speed embeddings (each)
    board_input: bool = True  # feed the position to the GRU and the head
    dropout: float = 0.1
    tower_blocks: int = 0  # residual blocks reading the board; 0 = linear board projection
    tower_channels: int = 64  # filters of each tower convolution
    recurrent: bool = True  # False: no GRU, the head sees the tower and who is moving only

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the model file's ``model_config``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, missing ones take defaults."""
        data = {k: v for k, v in data.items() if k not in _RETIRED}
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown model settings: {', '.join(unknown)}")
        for f in dataclasses.fields(cls):
            if f.name in data and not _same_kind(data[f.name], f.default):
                raise ValueError(f"model setting {f.name} = {data[f.name]!r} has the wrong type")
        return cls(**data)


#: Settings of older model files that no longer change the network; read and ignored.
#: player_dropout: the trainer drops players itself, per side (files wrote 0.0).
_RETIRED = frozenset({"player_dropout"})


def _same_kind(value: Any, default: Any) -> bool:
    """JSON-typed check: bools stay bools, ints stay ints, floats accept ints."""
    if isinstance(default, bool) or isinstance(value, bool):
        return type(value) is type(default)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def board_features(positions: torch.Tensor) -> torch.Tensor:
    """Float features ``[..., BOARD_FEATURES]`` of position words ``[..., 9]`` (int64).

    Pieces are split into the mover's and the opponent's, and the board is mirrored
    vertically when Black moves, matching the mover-relative move tokens.
    """
    flags = positions[..., 8]
    planes, white_to_move = board.piece_planes(positions)
    castling = board.castling_rights(flags, white_to_move)
    device = positions.device
    ep_file = (flags >> encoding.FLAG_EP_SHIFT) & 15  # 0 = none, else file + 1
    en_passant = ep_file[..., None] == torch.arange(1, 9, device=device)
    return torch.cat(
        [
            planes.flatten(-3),
            castling,
            en_passant,
            (~white_to_move)[..., None],
        ],
        dim=-1,
    ).float()


class ChessGRU(nn.Module):
    """Next-move model; see the module docstring for what each step sees."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        if c.tower_blocks > 0 and not c.board_input:
            raise ValueError("a tower needs board_input")
        if not c.recurrent and c.tower_blocks == 0:
            raise ValueError("a model without a GRU needs a tower")
        self.move_emb = nn.Embedding(c.vocab_size + 1, c.embed)  # + BOS
        self.player_emb = nn.Embedding(c.n_players, c.player_dim)
        self.elo_emb = nn.Embedding(encoding.ELO_BUCKETS, c.cond_dim)
        self.speed_emb = nn.Embedding(len(encoding.SPEEDS), c.cond_dim)
        cond_dim = c.player_dim + 2 * c.cond_dim
        board_dim = c.board_dim if c.board_input else 0
        self.drop = nn.Dropout(c.dropout)
        if c.tower_blocks > 0:
            self.tower = board.Tower(c.tower_blocks, c.tower_channels)
            self.summary = nn.Sequential(
                nn.Conv2d(c.tower_channels, 8, 1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(8 * 64, c.board_dim),
                nn.GELU(),
            )
        elif c.board_input:
            self.board_proj = nn.Sequential(nn.Linear(BOARD_FEATURES, c.board_dim), nn.GELU())
        if c.recurrent:
            self.gru = nn.GRU(
                c.embed + board_dim + cond_dim,
                c.hidden,
                num_layers=c.layers,
                batch_first=True,
                dropout=c.dropout if c.layers > 1 else 0.0,
            )
        if c.tower_blocks > 0:
            context = (c.hidden if c.recurrent else 0) + cond_dim
            self.policy = board.PolicyHead(c.tower_channels, context, c.vocab_size)
        else:
            self.head = nn.Sequential(
                nn.Linear(c.hidden + board_dim + cond_dim, c.hidden),
                nn.LayerNorm(c.hidden),
                nn.GELU(),
                nn.Dropout(c.dropout),
                nn.Linear(c.hidden, c.vocab_size),
            )

    def _who(self, cond: torch.Tensor) -> torch.Tensor:
        """Who is moving: player, rating-bucket and speed embeddings side by side."""
        parts = [
            self.player_emb(cond[..., 0]),
            self.elo_emb(cond[..., 1]),
            self.speed_emb(cond[..., 2]),
        ]
        return torch.cat(parts, dim=-1)

    def forward(
        self,
        tokens_in: torch.Tensor,
        positions: torch.Tensor,
        cond: torch.Tensor,
        hidden: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits ``[B, T, V]`` and the final hidden state ``[layers, B, hidden]``.

        ``tokens_in [B, T]``: previous move (BOS at ply 0); ``positions [B, T, 9]``: words
        before each ply; ``cond [B, T, 3]``: (player, Elo bucket, speed) of each mover.
        Without a GRU the hidden state is None.
        """
        if self.config.tower_blocks > 0:
            return self._forward_tower(tokens_in, positions, cond, hidden)
        parts = [self._who(cond)]
        if self.config.board_input:
            parts.insert(0, self.board_proj(board_features(positions)))
        context = self.drop(torch.cat(parts, dim=-1))
        x = torch.cat([self.drop(self.move_emb(tokens_in)), context], dim=-1)
        out, hidden = self.gru(x, hidden)
        logits = self.head(torch.cat([self.drop(out), context], dim=-1))
        return logits, hidden

    def forward_players(
        self, tokens_in: torch.Tensor, positions: torch.Tensor, cond: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``[N, T, V]`` of one game (``tokens_in [1, T]``, ``positions [1, T, 9]``)
        under ``N`` conditionings ``cond [N, T, 3]``: what :meth:`forward` gives with the
        game repeated ``N`` times, but the board tower runs once (it never sees who is
        playing), which is most of the cost of scoring many candidate players."""
        n = cond.shape[0]
        tokens = tokens_in.expand(n, -1)
        if self.config.tower_blocks == 0:
            return self.forward(tokens, positions.expand(n, -1, -1), cond)[0]
        features = self.tower(board.board_planes(positions[0], tokens_in[0]))
        return self._forward_tower(tokens, positions, cond, None, features)[0]

    def _forward_tower(
        self,
        tokens_in: torch.Tensor,
        positions: torch.Tensor,
        cond: torch.Tensor,
        hidden: torch.Tensor | None,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, t = tokens_in.shape
        if features is None:
            features = self.tower(board.board_planes(positions.flatten(0, 1), tokens_in.flatten()))
        elif len(features) != b * t:  # one game's features [T, ...], shared by the b rows
            features = features.expand(b, *features.shape).flatten(0, 1)
        who = self._who(cond)
        context = who
        if self.config.recurrent:
            summary = self.summary(features).view(b, t, -1)
            x = torch.cat([self.drop(self.move_emb(tokens_in)), self.drop(summary), who], dim=-1)
            out, hidden = self.gru(x, hidden)
            context = torch.cat([out, who], dim=-1)
        logits = self.policy(features, self.drop(context).flatten(0, 1))
        return logits.view(b, t, -1), hidden

    def step(
        self,
        token_in: torch.Tensor,
        position: torch.Tensor,
        cond: torch.Tensor,
        hidden: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One ply for a batch of games: logits ``[B, V]`` and the next hidden state."""
        logits, hidden = self.forward(token_in[:, None], position[:, None], cond[:, None], hidden)
        return logits[:, 0], hidden

    def add_players(self, n_new: int) -> None:
        """Grow the player table by ``n_new`` rows, each a copy of the population row.

        For fine-tuning a base model on new people: they start as "anyone" and move away
        from it as their games are learned. Updates ``self.config`` to match.
        """
        if n_new <= 0:
            return
        old = self.player_emb.weight.data
        grown = nn.Embedding(old.shape[0] + n_new, old.shape[1], device=old.device, dtype=old.dtype)
        grown.weight.data[: old.shape[0]] = old
        grown.weight.data[old.shape[0] :] = old[0]
        self.player_emb = grown
        self.config = dataclasses.replace(self.config, n_players=old.shape[0] + n_new)
