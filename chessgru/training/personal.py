"""The personal fit: a person's habits from a handful of games, checked on their own games.

For one person and a trained network it fits, in seconds on a CPU,

* their **move-frequency prior** (:mod:`chessgru.model.prior`): what they chose in each
  position they reached, blended with the network at a strength fitted on the same
  held-back games, and optionally (``steps > 0``; off by default, see
  :data:`EMBEDDING_STEPS`) their **embedding row** (only that row learns; the network is
  untouched), from the population row, with early stopping on their held-back games,

and keeps whichever combination predicts their held-back games best (negative
log-likelihood over the legal moves). It never ships something worse than the population:
when no candidate beats the population on the held-back games in both top-1 and
log-likelihood, the person gets the population row and no prior, and the fit says so.
The held-back games are the newest fifth (as the evaluation protocol splits); after the
choice, the prior is rebuilt from all the person's games.

Everything goes through the network's public interface (``model(tokens_in, positions,
cond, hidden) -> (logits, hidden)``, ``add_players``, ``player_emb``), so any ChessGRU works.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import chess
import numpy as np
import torch

from chessgru.games.corpus import Corpus
from chessgru.model import encoding
from chessgru.model.network import BOS, ChessGRU
from chessgru.model.prior import PersonalPrior, blend_seen, position_keys

#: Blend strengths tried on the held-back games (pseudo-games the network's opinion is worth).
STRENGTHS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: Embedding steps of the default fit: none. Measured on cmrade and falc0nfeast
#: (training/README.md), tuning the row (12 steps) cost 20-40 s of CPU per person and lost
#: top-1 against the prior alone at most N; ``steps > 0`` still tries it as a candidate.
EMBEDDING_STEPS = 0
#: Share of the person's newest games held back to choose and check the fit ...
VALIDATION_FRACTION = 0.2
#: ... at most this many of them (the newest), so a person with 3,000 games fits in minutes.
MAX_VALIDATION_GAMES = 50
#: The embedding learns from the first plies of each game: the backward pass through the
#: GRU dominates the fit's time on a CPU, and openings are where a row differs most.
TUNE_PLIES = 40


@dataclass
class PersonGames:
    """One person's games as the network reads them, oldest first."""

    tokens: list[np.ndarray]  # int64 [T]: move played at each ply
    positions: list[np.ndarray]  # uint64 [T, 9]: position before each ply
    cond: list[np.ndarray]  # int64 [T, 3]: (0, Elo bucket, speed); column 0 set per use
    mine: list[np.ndarray]  # bool [T]: the person is to move

    def __len__(self) -> int:
        return len(self.tokens)

    def take(self, indices: Sequence[int]) -> PersonGames:
        """The games at ``indices``, in that order."""
        return PersonGames(*([part[i] for i in indices] for part in self._parts()))

    def _parts(self) -> tuple[list[np.ndarray], ...]:
        return self.tokens, self.positions, self.cond, self.mine

    def plies(self) -> int:
        """Moves the person played."""
        return int(sum(m.sum() for m in self.mine))


def person_games(corpus: Corpus, name: str, indices: Sequence[int]) -> PersonGames:
    """``name``'s games ``indices`` of ``corpus`` (canonical names) as :class:`PersonGames`."""
    out = PersonGames([], [], [], [])
    for i in indices:
        g = corpus.games[i]
        positions = corpus.game_positions(i)
        white = (positions[:, 8] & np.uint64(encoding.FLAG_WHITE_TO_MOVE)) != 0
        speed = encoding.speed_class(g.time_control)
        elo = np.where(white, encoding.elo_bucket(g.white_elo), encoding.elo_bucket(g.black_elo))
        cond = np.stack([np.zeros_like(elo), elo, np.full_like(elo, speed)], axis=1)
        out.tokens.append(corpus.game_tokens(i).astype(np.int64))
        out.positions.append(np.asarray(positions, dtype=np.uint64))
        out.cond.append(cond.astype(np.int64))
        out.mine.append(np.where(white, g.white == name, g.black == name))
    return out


def _padded(games: PersonGames, row: int) -> dict[str, torch.Tensor]:
    """Model inputs for ``games`` with the person shown as ``row``, opponents as the population."""
    n, length = len(games), max(len(t) for t in games.tokens)
    tokens_in = np.zeros((n, length), dtype=np.int64)
    target = np.zeros((n, length), dtype=np.int64)
    positions = np.zeros((n, length, encoding.POSITION_WORDS), dtype=np.int64)
    cond = np.zeros((n, length, encoding.COND_FIELDS), dtype=np.int64)
    mine = np.zeros((n, length), dtype=bool)
    for i, (tok, pos, c, m) in enumerate(zip(*games._parts(), strict=True)):
        t = len(tok)
        tokens_in[i, 0], tokens_in[i, 1:t] = BOS, tok[:-1]
        target[i, :t], positions[i, :t], mine[i, :t] = tok, pos.view(np.int64), m
        cond[i, :t] = c
        cond[i, :t, 0] = np.where(m, row, 0)
    arrays = {"tokens_in": tokens_in, "positions": positions, "cond": cond}
    out = {k: torch.from_numpy(v) for k, v in arrays.items()}
    out["target"], out["mine"] = torch.from_numpy(target), torch.from_numpy(mine)
    return out


def _logits(model: ChessGRU, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    logits, _ = model(batch["tokens_in"], batch["positions"], batch["cond"])
    return logits


@dataclass
class Scored:
    """The person's moves in some games: legal moves, what was played, where, and keys."""

    keys: np.ndarray  # uint64 [P] position keys
    legal: list[np.ndarray]  # legal tokens per position
    played: np.ndarray  # int64 [P] index of the played move within ``legal``
    plies: np.ndarray  # int64 [P] ply index in its game


def scored_moves(games: PersonGames) -> Scored:
    """The person's moves in ``games`` with the legal moves there (replays each game once)."""
    keys, legal, played, plies = [], [], [], []
    for tok, pos, m in zip(games.tokens, games.positions, games.mine, strict=True):
        board = chess.Board()
        for ply, token in enumerate(tok.tolist()):
            if m[ply]:
                tokens, _ = encoding.legal_tokens(board)
                legal.append(tokens)
                played.append(int(np.flatnonzero(tokens == token)[0]))
                plies.append(ply)
            board.push(encoding.decode_move(token, board))
        keys.append(position_keys(pos[m]))
    return Scored(
        np.concatenate(keys) if keys else np.zeros(0, np.uint64),
        legal,
        np.asarray(played, dtype=np.int64),
        np.asarray(plies, dtype=np.int64),
    )


@torch.inference_mode()
def legal_probs(
    model: ChessGRU, games: PersonGames, scored: Scored, row: int, batch_games: int = 64
) -> list[np.ndarray]:
    """The network's probabilities over the legal moves at each of the person's moves."""
    out: list[np.ndarray] = []
    for start in range(0, len(games), batch_games):
        chunk = games.take(range(start, min(start + batch_games, len(games))))
        batch = _padded(chunk, row)
        logits = _logits(model, batch)[batch["mine"]].double().numpy()
        for lg in logits:
            tokens = scored.legal[len(out)]
            x = lg[tokens] - lg[tokens].max()
            p = np.exp(x)
            out.append(p / p.sum())
    return out


def tune_row(
    model: ChessGRU,
    row: int,
    train: PersonGames,
    val: PersonGames | None,
    *,
    steps: int = 12,
    lr: float = 0.05,
    batch_games: int = 8,
    seed: int = 0,
) -> int:
    """Train embedding row ``row`` alone on the person's moves in ``train``; returns steps kept.

    With ``val``, the row is evaluated every few steps and the best one is kept (early
    stopping); without, all ``steps`` run. Batches are ``batch_games`` games drawn with a
    fixed seed, each cut to its first :data:`TUNE_PLIES` plies, so the cost is bounded by
    ``steps`` whatever the number of games.
    """
    weight = model.player_emb.weight
    for p in model.parameters():
        p.requires_grad_(False)
    vector = weight.data[row].clone().requires_grad_(True)
    opt = torch.optim.Adam([vector], lr=lr)
    rng = np.random.default_rng(seed)
    train, val = _cut(train), _cut(val) if val is not None else None
    val_batch = _padded(val, row) if val is not None else None
    best, best_step, since = math.inf, 0, 0
    best_vector = vector.detach().clone()

    def loss_on(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = _with_row(model, batch, row, vector)
        mine = batch["mine"]
        return torch.nn.functional.cross_entropy(logits[mine], batch["target"][mine])

    model.eval()  # no dropout: one row of 64 numbers needs no more regularising
    for step in range(1, steps + 1):
        pick = rng.choice(len(train), size=min(batch_games, len(train)), replace=False)
        loss = loss_on(_padded(train.take(sorted(pick.tolist())), row))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if val_batch is not None and (step % 3 == 0 or step == steps):
            with torch.no_grad():
                v = float(loss_on(val_batch))
            if v < best - 1e-4:
                best, best_step, since = v, step, 0
                best_vector = vector.detach().clone()
            else:
                since += 1
                if since >= 2:
                    break
    weight.data[row] = best_vector if val_batch is not None else vector.detach()
    return best_step if val_batch is not None else steps


def _cut(games: PersonGames) -> PersonGames:
    """``games`` cut to their first :data:`TUNE_PLIES` plies."""
    parts = (tuple(a[:TUNE_PLIES] for a in part) for part in games._parts())
    return PersonGames(*(list(p) for p in parts))


def _with_row(
    model: ChessGRU, batch: dict[str, torch.Tensor], row: int, vector: torch.Tensor
) -> torch.Tensor:
    """Logits with embedding ``row`` replaced by ``vector`` (differentiable in ``vector``)."""
    emb = model.player_emb
    original = emb.forward

    def patched(index: torch.Tensor) -> torch.Tensor:
        out = original(index)
        return torch.where((index == row)[..., None], vector.expand_as(out), out)

    emb.forward = patched  # type: ignore[method-assign]
    try:
        return _logits(model, batch)
    finally:
        del emb.forward


def blended(
    probs: Sequence[np.ndarray],
    scored: Scored,
    prior: PersonalPrior | None = None,
    row: int = 0,
    strength: float | None = None,
) -> list[np.ndarray]:
    """``probs`` at the scored moves blended with ``row``'s counts in ``prior`` at ``strength``."""
    if prior is None or strength is None:
        return list(probs)
    out = []
    for p, tokens, key in zip(probs, scored.legal, scored.keys, strict=True):
        seen = prior.table(row).get(int(key), {})
        out.append(blend_seen(p, tokens, seen, strength) if seen else p)
    return out


def score(
    probs: Sequence[np.ndarray],
    scored: Scored,
    prior: PersonalPrior | None = None,
    row: int = 0,
    strength: float | None = None,
) -> tuple[float, float]:
    """(top-1, mean negative log-likelihood) of ``probs`` blended with ``row``'s prior."""
    hits, nll = 0, 0.0
    for p, played in zip(blended(probs, scored, prior, row, strength), scored.played, strict=True):
        hits += int(np.argmax(p) == played)
        nll -= math.log(max(float(p[played]), 1e-12))
    n = max(len(scored.played), 1)
    return hits / n, nll / n


def prior_of(games: PersonGames, row: int) -> PersonalPrior:
    """``row``'s counts of the person's choices in ``games`` (no strength set yet)."""
    prior = PersonalPrior()
    for tok, pos, m in zip(games.tokens, games.positions, games.mine, strict=True):
        prior.add(row, position_keys(pos[m]), tok[m])
    return prior


@dataclass
class PersonFit:
    """What the personal fit chose for one person, and why."""

    name: str
    games: int
    moves: int
    choice: str  # "population" | "embedding" | "prior" | "embedding+prior"
    strength: float | None
    val_games: int = 0
    val_moves: int = 0
    before: dict[str, float] = field(default_factory=dict)  # population on held-back games
    after: dict[str, float] = field(default_factory=dict)  # the choice on them
    steps: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # all threads: on a shared machine, what the fit itself cost
    note: str = ""
    #: Best strength on the held-back games per candidate family (for the experiments).
    best: dict[str, float | None] = field(default_factory=dict)
    #: The tuned embedding row, whether chosen or not (not stored in the model file).
    tuned: torch.Tensor | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able part (the model file's report)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("best", "tuned")}


def fit_person(
    model: ChessGRU,
    row: int,
    name: str,
    games: PersonGames,
    prior: PersonalPrior,
    *,
    start_row: int = 0,
    steps: int = EMBEDDING_STEPS,
    seed: int = 0,
) -> PersonFit:
    """Fit ``name`` (embedding ``row``, already in ``model``) and their entry in ``prior``.

    The row starts from ``start_row`` (0, the population, for a new person; their own row
    for a person the model knows) and every candidate must beat it. On return the row
    holds the chosen embedding (``start_row``'s when the fit fell back) and ``prior`` holds
    the person's counts from all ``games`` with the chosen strength, or nothing.
    """
    start, cpu = time.perf_counter(), time.process_time()
    model.eval()  # every candidate is scored without dropout
    weight = model.player_emb.weight.data
    population = weight[start_row].clone()
    weight[row] = population
    prior.without(row)
    kept = "the population model" if start_row == 0 else "their row as it was"
    fit = PersonFit(
        name, len(games), games.plies(), "population" if start_row == 0 else "unchanged", None
    )
    n_val = math.ceil(round(VALIDATION_FRACTION * len(games), 9)) if len(games) >= 2 else 0
    if n_val == 0:
        fit.note = f"too few games to check a personal fit; {kept} is used"
        fit.seconds, fit.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return fit
    cut = len(games) - n_val
    train = games.take(range(cut))
    val = games.take(range(max(cut, len(games) - MAX_VALIDATION_GAMES), len(games)))
    n_val = len(val)
    scored = scored_moves(val)
    fit.val_games, fit.val_moves = n_val, len(scored.played)
    base_probs = legal_probs(model, val, scored, start_row)
    if steps > 0:
        fit.steps = tune_row(model, row, train, val, steps=steps, seed=seed)
        tuned_probs = legal_probs(model, val, scored, row)
    else:  # the row stays the starting one: its candidates equal the population's
        tuned_probs = base_probs
    tuned_vector = weight[row].clone()
    counts = prior_of(train, row)
    options: list[tuple[str, float | None, tuple[float, float]]] = []
    for label, probs in (("population", base_probs), ("embedding", tuned_probs)):
        options.append((label, None, score(probs, scored)))
        for s in STRENGTHS:
            tag = "prior" if label == "population" else "embedding+prior"
            options.append((tag, s, score(probs, scored, counts, row, s)))
    fit.tuned = tuned_vector
    for family in ("prior", "embedding+prior"):
        ranked = sorted((o for o in options if o[0] == family), key=lambda o: o[2][1])
        fit.best[family] = ranked[0][1]
    base = options[0][2]
    fit.before = {"top1": base[0], "nll": base[1]}
    better = [o for o in options[1:] if o[2][0] >= base[0] and o[2][1] < base[1]]
    if not better:
        fit.after = dict(fit.before)
        fit.note = (
            "no personal fit beat the population model on this person's newest "
            f"{n_val} games; {kept} is used"
        )
        fit.seconds, fit.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return fit
    choice, strength, (top1, nll) = min(better, key=lambda o: o[2][1])
    fit.choice, fit.strength, fit.after = choice, strength, {"top1": top1, "nll": nll}
    weight[row] = tuned_vector if choice.startswith("embedding") else population
    if strength is not None:
        full = prior_of(games, row)
        prior.counts[row] = full.table(row)
        prior.strength[row] = strength
    fit.seconds, fit.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return fit


def with_person(model: ChessGRU) -> tuple[ChessGRU, int]:
    """A copy of ``model`` with one more embedding row (a copy of the population's)."""
    grown = copy.deepcopy(model)
    grown.add_players(1)
    return grown, grown.config.n_players - 1
