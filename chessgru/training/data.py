"""What the trainer feeds the model: the player table, the game split, the epoch plans and
padded batches.

Everything here is a pure function of the corpus arrays, the settings and a seed, so a
batch can be rebuilt exactly from ``(seed, epoch, batch number)``: that is what makes
``--resume`` continue bit for bit and what lets every DDP rank agree on the global batch
without talking to the others (each one builds the same plan and takes its own slice).

Batches hold whole games, padded at the end and masked. Games are shuffled, then sorted by
length inside pools of a few dozen batches before cutting, so games of similar length
share a batch (little padding) while the batch order stays random. Games longer than
``max_plies`` are truncated to their first ``max_plies`` plies for training.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from chessgru.errors import UserError
from chessgru.games import names, split
from chessgru.model import encoding

if TYPE_CHECKING:
    from chessgru.games.table import GameTable
    from chessgru.model.network import ModelConfig
    from chessgru.training.config import TrainConfig

BOS = encoding.VOCAB_SIZE  # input token of ply 0 ("no previous move"), as in network.py
IGNORE = -100  # target of padded plies (F.cross_entropy's ignore_index)
POPULATION = "population"
_POOL_BATCHES = 32  # batches per length-sorting pool: bigger = less padding, less shuffling


class CorpusLike(Protocol):
    """What the trainer needs from :class:`chessgru.games.corpus.Corpus`."""

    games: GameTable
    offsets: np.ndarray
    tokens: np.ndarray
    positions: np.ndarray


def player_counts(corpus: CorpusLike, indices: Iterable[int] | None = None) -> Counter[str]:
    """Games per player name (a game where someone plays both sides counts once)."""
    if indices is None:
        return corpus.games.player_counts()
    return corpus.games.player_counts(np.fromiter(indices, dtype=np.int64))


def select_players(
    counts: Counter[str], min_games: int, wanted: Sequence[str] = (), known: Sequence[str] = ()
) -> list[str]:
    """Named players in embedding order (row 1 on; row 0 is the population).

    ``known`` (a fine-tuned model's players) keep their rows; then every wanted name, or
    when none are given every player with at least ``min_games`` games, most games first.
    A wanted name is matched case- and space-insensitively; an unknown one is a UserError.
    """
    if wanted:
        by_key = {names.normalise(name): name for name in counts}
        chosen = []
        for name in wanted:
            found = by_key.get(names.normalise(name))
            if found is None:
                near = difflib.get_close_matches(name, list(counts), n=3, cutoff=0.5)
                hint = f" Nearest: {', '.join(near)}." if near else ""
                raise UserError(f"No games of player '{name}' in the PGN files.{hint}")
            chosen.append(found)
    else:
        chosen = [
            n for n, c in counts.items() if c >= min_games and names.normalise(n) not in _ANONYMOUS
        ]
        chosen.sort(key=lambda n: (-counts[n], n))
    ordered = [n for n in known if n != POPULATION]
    ordered += [n for n in dict.fromkeys(chosen) if n not in ordered]
    return ordered


# Placeholder names ("?", "N.N.") are many people: they stay in the population.
_ANONYMOUS = {"", "nn", "unknown", "anonymous"}


def game_conditions(corpus: CorpusLike, players: Sequence[str]) -> np.ndarray:
    """Per game ``[white player, black player, white Elo bucket, black Elo bucket, speed]``.

    ``players`` is the embedding table (row 0 = population); unnamed players map to 0.
    """
    index = {name: i for i, name in enumerate(players) if i > 0}
    games = corpus.games
    row_of_name = np.array([index.get(n, 0) for n in games.names], dtype=np.int64)
    out = np.zeros((len(games), 5), dtype=np.int64)
    out[:, 0] = row_of_name[games.white]
    out[:, 1] = row_of_name[games.black]
    out[:, 2] = games.mapped("white_elo", encoding.elo_bucket)
    out[:, 3] = games.mapped("black_elo", encoding.elo_bucket)
    out[:, 4] = games.mapped("time_control", encoding.speed_class)
    return out


def split_validation(
    candidates: Sequence[int], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(train, validation)`` game indices: a seeded random ``fraction`` of games validates.

    At least one game validates when there are two or more, so early stopping has a signal.
    """
    games = np.sort(np.asarray(candidates, dtype=np.int64))
    n_val = round(fraction * len(games)) if fraction > 0 else 0
    if fraction > 0 and len(games) >= 2:
        n_val = min(max(n_val, 1), len(games) - 1)
    rng = np.random.default_rng([seed, 0x5A11])
    chosen = np.zeros(len(games), dtype=bool)
    chosen[rng.choice(len(games), size=n_val, replace=False)] = True
    return games[~chosen], games[chosen]


def game_lengths(corpus: CorpusLike, max_plies: int) -> np.ndarray:
    """Training length of every game: its plies, truncated to ``max_plies``."""
    return np.minimum(np.diff(corpus.offsets), max_plies).astype(np.int64)


def plan_epoch(
    games: np.ndarray, lengths: np.ndarray, batch_tokens: int, seed: int, epoch: int
) -> list[np.ndarray]:
    """The epoch's batches (arrays of game indices), a pure function of the seed and epoch.

    A batch holds as many games as fit in ``batch_tokens`` padded plies (at least one).
    """
    rng = np.random.default_rng([seed, epoch, 0xBA7C])
    order = games[rng.permutation(len(games))]
    mean = max(float(lengths[games].mean()) if len(games) else 1.0, 1.0)
    pool = max(int(_POOL_BATCHES * batch_tokens / mean), 1)
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        batches += fixed_batches(order[start : start + pool], lengths, batch_tokens)
    return [batches[k] for k in rng.permutation(len(batches))]


def fixed_batches(games: np.ndarray, lengths: np.ndarray, batch_tokens: int) -> list[np.ndarray]:
    """Batches for evaluation: games sorted by length (least padding), no shuffling."""
    order = games[np.argsort(-lengths[games], kind="stable")]
    batches = []
    i = 0
    while i < len(order):
        size = max(batch_tokens // max(int(lengths[order[i]]), 1), 1)
        batches.append(order[i : i + size])
        i += size
    return batches


def player_dropout(n_games: int, rate: float, seed: int, step: int) -> np.ndarray:
    """``bool [n_games, 2]``: which sides of a global batch are shown as the population.

    Drawn for the whole global batch from ``(seed, step)``, so DDP ranks and a resumed run
    agree with an uninterrupted single process.
    """
    if rate <= 0:
        return np.zeros((n_games, 2), dtype=bool)
    return np.random.default_rng([seed, step, 0xD20]).random((n_games, 2)) < rate


@dataclass
class Batch:
    """Model inputs and targets of a padded batch of games (CPU tensors)."""

    tokens_in: torch.Tensor  # int64 [B, T]
    positions: torch.Tensor  # int64 [B, T, 9]
    cond: torch.Tensor  # int64 [B, T, 3]
    targets: torch.Tensor  # int64 [B, T], IGNORE at padding
    players: torch.Tensor  # int64 [B, T] true player index of the mover (no dropout)

    def to(self, device: torch.device) -> Batch:
        """The same batch on ``device``."""
        return Batch(*(t.to(device, non_blocking=True) for t in vars(self).values()))

    @property
    def n_tokens(self) -> int:
        """Real (unpadded) plies in the batch."""
        return int((self.targets != IGNORE).sum())


def make_batch(
    corpus: CorpusLike,
    games: np.ndarray,
    conditions: np.ndarray,
    lengths: np.ndarray,
    dropped: np.ndarray | None = None,
) -> Batch:
    """Pad ``games`` (indices) into a batch; ``dropped [B, 2]`` masks named players to 0.

    An empty ``games`` gives one fully masked ply, so a DDP rank with nothing to do still
    runs the same forward/backward as its peers.
    """
    n = max(len(games), 1)
    t = max(int(lengths[games].max()) if len(games) else 1, 1)
    tokens_in = np.full((n, t), BOS, dtype=np.int64)
    targets = np.full((n, t), IGNORE, dtype=np.int64)
    positions = np.zeros((n, t, encoding.POSITION_WORDS), dtype=np.int64)
    cond = np.zeros((n, t, encoding.COND_FIELDS), dtype=np.int64)
    players = np.zeros((n, t), dtype=np.int64)
    side = np.arange(t) % 2  # 0 = White moves, 1 = Black
    for row, g in enumerate(games):
        start, length = int(corpus.offsets[g]), int(lengths[g])
        moves = corpus.tokens[start : start + length].astype(np.int64)
        targets[row, :length] = moves
        tokens_in[row, 1:length] = moves[:-1]
        positions[row, :length] = corpus.positions[start : start + length].view(np.int64)
        c = conditions[g]
        who = np.where(side[:length] == 0, c[0], c[1])
        players[row, :length] = who
        if dropped is not None:
            who = np.where(dropped[row][side[:length]], 0, who)
        cond[row, :length, 0] = who
        cond[row, :length, 1] = np.where(side[:length] == 0, c[2], c[3])
        cond[row, :length, 2] = c[4]
    return Batch(*(torch.from_numpy(a) for a in (tokens_in, positions, cond, targets, players)))


def shard(games: np.ndarray, rank: int, world: int) -> tuple[slice, np.ndarray]:
    """This rank's part of a global batch: its slice of rows and the game indices."""
    part = slice(rank, None, world)
    return part, games[part]


def fingerprint(*parts: object) -> str:
    """Short hash of the data and settings a checkpoint belongs to."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


@dataclass
class Plan:
    """Everything a run trains on, fixed before the first step."""

    corpus: CorpusLike
    players: list[str]  # embedding rows, "population" first
    train: np.ndarray
    val: np.ndarray
    held_out: np.ndarray
    conditions: np.ndarray
    lengths: np.ndarray
    epochs: list[list[np.ndarray]]  # batch plan of each epoch
    total_steps: int

    def fingerprint(self, config: TrainConfig, model_config: ModelConfig) -> str:
        """Hash of the games, players and settings; a checkpoint must match it to resume."""
        # ModelConfig had player_dropout (always 0.0 in training) when earlier checkpoints
        # were hashed; keeping it in the hash lets them still resume.
        model = {**model_config.to_dict(), "player_dropout": 0.0}
        return fingerprint(self.train, self.val, self.players, config.resume_key(), model)


def make_plan(
    corpus: CorpusLike,
    config: TrainConfig,
    known: Sequence[str] = (),
    held_keys: set[bytes] | None = None,
) -> Plan:
    """Choose the players, split the games and plan every epoch's batches.

    ``held_keys`` (move sequences, see :func:`chessgru.games.split.game_key`) are test games
    chosen on other files (``--holdout-from``): every copy of them here is left out instead
    of this corpus's own newest games.
    """
    counts = player_counts(corpus)
    named = select_players(counts, config.min_games, config.players, known)
    held: set[int] = set()
    if held_keys is not None:
        held = split.matching_games(corpus, held_keys)
    elif config.holdout_fraction > 0:
        # The named players by default (a --from model's players may have no games here).
        who = [n for n in named if n in counts]
        if config.holdout_players:
            who = select_players(counts, 0, config.holdout_players)
        held = split.holdout(corpus, who, config.holdout_fraction)
    candidates = np.setdiff1d(np.arange(len(corpus.games)), np.fromiter(held, np.int64))
    train, val = split_validation(candidates, config.val_fraction, config.seed)
    if len(train) == 0:
        raise UserError("No games are left to train on after the held-out and validation games.")
    lengths = game_lengths(corpus, config.max_plies)
    epochs = [
        plan_epoch(train, lengths, config.batch_tokens, config.seed, e)
        for e in range(config.epochs)
    ]
    total = sum(len(p) for p in epochs)
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    players = [POPULATION, *named]
    return Plan(
        corpus=corpus,
        players=players,
        train=train,
        val=val,
        held_out=np.asarray(sorted(held), dtype=np.int64),
        conditions=game_conditions(corpus, players),
        lengths=lengths,
        epochs=epochs,
        total_steps=max(total, 1),
    )
