"""Who plays like this? Rank the people a model knows by how well they explain a side's moves.

A person's score is the sum of the log-probabilities the model gives the moves that side
actually played, with that person's row as the mover (the other side is the population);
the probability over candidates is the softmax of the scores (every candidate equally
likely beforehand). Games of the same person pool by adding their scores.

Two ways to score, one exact and one fast:

* :func:`exact_scores` tiles the game over candidate rows and runs the public model call
  ``model(tokens_in, positions, cond)`` in chunks: any network, every candidate's own GRU
  state. It costs one full forward per candidate (about 50 s for 2,900 people on a busy
  2-core machine), so it rescores a shortlist.
* :func:`shared_state_scores` runs the GRU once with the population and scores every
  candidate through the head only: the head of today's network reads the player next to
  the GRU output, so a candidate costs one small matrix product per ply. It ignores how the
  person would have changed the GRU's memory, so it only picks the shortlist; networks
  without that head (a residual tower) return None.

A model whose people have personal priors (``training/base_priors.py`` gives the base
model's people theirs) is ranked by them: the population's one forward, each candidate's
counts blended in where they have some (:mod:`chessgru.analysis.prior_scores`), then the
shortlist rescored exactly with their own rows and priors. That works for any network;
a network with neither a prior nor the shared-state head is scored exactly (slow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import chess
import numpy as np
import torch
from torch import nn

from chessgru.analysis.game import PreparedGame
from chessgru.analysis.prior_scores import PriorIndex, side_inputs
from chessgru.model.network import board_features

#: Candidate rows per forward of the exact scorer (bounds memory: rows x plies x 1858 logits).
CHUNK = 64
#: How many of the shortlist's best are rescored exactly.
SHORTLIST = 24


@dataclass(frozen=True)
class Evidence:
    """A move that separated the best candidate from the runner-up."""

    ply: int
    san: str
    p_best: float
    p_runner_up: float


@dataclass(frozen=True)
class Ranking:
    """Candidates for one side, best first: rows, names, scores (nats) and probabilities."""

    side: chess.Color
    players: list[int]
    names: list[str]
    scores: np.ndarray
    probs: np.ndarray
    evidence: list[Evidence]
    versus: str | None  # the runner-up the evidence compares with (best exactly scored)
    moves: int  # moves of this side that were scored

    def top(self, n: int) -> list[tuple[str, float]]:
        """The best ``n`` names with their probabilities."""
        return [(self.names[i], float(self.probs[i])) for i in range(min(n, len(self.names)))]


@torch.inference_mode()
def exact_scores(
    model: nn.Module,
    game: PreparedGame,
    side: chess.Color,
    players: Sequence[int],
    opponent: int = 0,
    chunk: int = CHUNK,
) -> torch.Tensor:
    """Log-probability ``[len(players), S]`` of each of ``side``'s moves, per candidate.

    One forward per chunk of candidates (``forward_players``: the board tower once); only
    the player column of the conditioning differs between rows, the legal-move gathering is
    the game's own (computed once).
    """
    plies = game.sides[side]
    out = torch.zeros(len(players), len(plies))
    if not len(plies):
        return out
    last = int(plies.plies[-1]) + 1  # the plies after the side's last move change nothing
    for start in range(0, len(players), chunk):
        rows = list(players[start : start + chunk])
        cond = game.rows(side, rows, opponent)[:, :last]
        tokens, positions = game.tokens_in[None, :last], game.positions[None, :last]
        logits = model.forward_players(tokens, positions, cond)
        out[start : start + len(rows)] = plies.log_probs(logits)
    return out


def has_shared_state(model: nn.Module) -> bool:
    """True for today's network (a GRU and an MLP head over [GRU output, board, who]), the
    one :func:`shared_state_scores` shortlists for; others are ranked exactly (slow)."""
    config = model.config
    head = getattr(model, "head", None)
    return (
        getattr(config, "tower_blocks", 0) == 0
        and getattr(config, "recurrent", True)
        and isinstance(head, nn.Sequential)
        and len(head) == 5
        and isinstance(head[0], nn.Linear)
        and isinstance(head[4], nn.Linear)
    )


@torch.inference_mode()
def shared_state_scores(
    model: nn.Module, game: PreparedGame, side: chess.Color, chunk: int = 512
) -> torch.Tensor | None:
    """Approximate log-probability ``[n_players, S]`` of each of ``side``'s moves, per
    player row, or None for networks without today's head.

    The GRU runs once with the population on both sides; each candidate then changes only
    the player part of the head's first layer (a per-player vector added before its norm),
    and only the legal moves' rows of the last layer are computed.
    """
    if not has_shared_state(model):
        return None
    config, plies = model.config, game.sides[side]
    weights = model.player_emb.weight
    if not len(plies):
        return torch.zeros(len(weights), 0)
    tokens, positions, cond = game.tokens_in[None], game.positions[None], game.cond[None]
    context = _context(model, positions, cond)
    out, _ = model.gru(torch.cat([model.move_emb(tokens), context], dim=-1))
    first, norm, act, _, last = model.head
    base = first(torch.cat([out, context], dim=-1))[0, plies.plies]  # [S, H], the population
    offset = config.hidden + (config.board_dim if config.board_input else 0)
    w_player = first.weight[:, offset : offset + config.player_dim]
    shift = (weights - weights[0]) @ w_player.T  # [P, H]
    w_legal = last.weight[plies.legal]  # [S, L, H]
    b_legal = last.bias[plies.legal]  # [S, L]
    played = plies.valid & (plies.legal == plies.played[:, None])
    first_played = played & (played.cumsum(1) == 1)  # the played token once, not its padding
    scores = torch.empty(len(weights), len(plies))
    for start in range(0, len(weights), chunk):
        hidden = act(norm(base[None] + shift[start : start + chunk, None]))  # [p, S, H]
        logits = torch.einsum("psh,slh->psl", hidden, w_legal) + b_legal
        logits = logits.masked_fill(~plies.valid, float("-inf"))
        chosen = logits.masked_fill(~first_played, 0.0).sum(-1)
        scores[start : start + chunk] = chosen - logits.logsumexp(-1)
    return scores


def _context(model: nn.Module, positions: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
    """The per-ply features the GRU and the head share: [board projection, player, Elo, speed]."""
    parts = [
        model.player_emb(cond[..., 0]),
        model.elo_emb(cond[..., 1]),
        model.speed_emb(cond[..., 2]),
    ]
    if model.config.board_input:
        parts.insert(0, model.board_proj(board_features(positions)))
    return torch.cat(parts, dim=-1)


def _agrees(model: nn.Module, game: PreparedGame, side: chess.Color, approx: torch.Tensor) -> bool:
    """The shortcut must give the population's exact scores; a network whose head changed
    shape silently would fail here, and is then ranked exactly."""
    exact = exact_scores(model, game, side, [0])[0]
    return bool(torch.allclose(approx[0], exact, atol=1e-3, rtol=1e-3))


def rank(
    model: nn.Module,
    names: Sequence[str],
    games: Sequence[tuple[PreparedGame, chess.Color]],
    candidates: Sequence[int] | None = None,
    shortlist: int = SHORTLIST,
    prior: PriorIndex | None = None,
) -> Ranking:
    """Rank ``candidates`` (default: every named row) as the player of these game sides.

    ``games`` are (game, side) pairs of one person: one pair for one game, several to pool
    them (scores add). The ``shortlist`` best by the fast scores (:func:`fast_scores`) are
    rescored exactly, blended with their ``prior`` when given; the rest keep the fast
    score moved by the shortlist's median difference (:func:`shift`). ``shortlist=0``
    scores everyone exactly.
    """
    rows = list(range(1, len(names)) if candidates is None else candidates)
    if not rows:
        raise ValueError("no candidates to rank")
    pairs = list(games)
    prior = prior if prior is not None and len(prior) else None
    inputs = [side_inputs(g, side) for g, side in pairs] if prior is not None else []
    scores = torch.zeros(len(rows))
    fast = fast_scores(model, pairs, rows, prior, inputs) if shortlist and pairs else None
    if fast is not None:
        scores = fast
        exact = torch.topk(scores, min(shortlist, len(rows))).indices.tolist()
    else:
        exact = list(range(len(rows)))
    chosen = [rows[i] for i in exact]
    per_ply = [exact_scores(model, g, side, chosen) for g, side in pairs]
    if prior is not None:
        per_ply = [prior.blend(*inp, p, chosen) for inp, p in zip(inputs, per_ply, strict=True)]
    rescored = sum(p.sum(1) for p in per_ply)
    if fast is not None:
        scores = scores + shift(scores[exact], rescored)
    scores[exact] = rescored
    order = torch.argsort(scores, descending=True, stable=True).tolist()
    ordered = scores[order].double().numpy()
    probs = np.exp(ordered - ordered.max())
    probs /= probs.sum()
    in_shortlist = set(exact)
    ranked_exact = [i for i in order if i in in_shortlist][:2]
    evidence = _evidence(pairs, per_ply, exact, ranked_exact)
    side = pairs[0][1] if pairs else chess.WHITE
    return Ranking(
        side=side,
        players=[rows[i] for i in order],
        names=[names[rows[i]] for i in order],
        scores=ordered,
        probs=probs,
        evidence=evidence,
        versus=names[rows[ranked_exact[1]]] if len(ranked_exact) > 1 else None,
        moves=sum(len(g.sides[s]) for g, s in pairs),
    )


def fast_scores(
    model: nn.Module,
    pairs: list[tuple[PreparedGame, chess.Color]],
    rows: list[int],
    prior: PriorIndex | None,
    inputs: list[tuple[np.ndarray, np.ndarray]],
) -> torch.Tensor | None:
    """Approximate scores ``[len(rows)]`` that pick the shortlist, or None (none fast).

    With a prior: the population's log-probabilities (one forward per game) blended with
    each candidate's counts. Without: the shared-state scores of today's network, checked
    against the exact population scores first.
    """
    if prior is not None:
        scores = torch.zeros(len(rows))
        for (game, side), inp in zip(pairs, inputs, strict=True):
            population = exact_scores(model, game, side, [0]).expand(len(rows), -1)
            scores += prior.blend(*inp, population, rows).sum(1)
        return scores
    approximate = [shared_state_scores(model, g, side) for g, side in pairs]
    if any(a is None for a in approximate) or not _agrees(model, *pairs[0], approximate[0]):
        return None
    index = torch.as_tensor(rows)
    return sum(a[index].sum(1) for a in approximate)


def shift(fast: torch.Tensor, exact: torch.Tensor) -> float:
    """How much the shortlist's exact scores differ from their fast ones (the median).

    The fast scores leave out each person's own row, which on new games costs most people
    a few nats; without this shift the rescored shortlist would sink below everyone who
    kept a fast score, the true person first among them.
    """
    return float((exact - fast).median()) if len(exact) else 0.0


def is_fast(model: nn.Module, prior: PriorIndex | None) -> bool:
    """True when :func:`rank` shortlists for this model (a prior, or today's head)."""
    return (prior is not None and len(prior) > 0) or has_shared_state(model)


def _evidence(
    pairs: list[tuple[PreparedGame, chess.Color]],
    per_ply: list[torch.Tensor],
    exact: list[int],
    best_two: list[int],
    n: int = 3,
) -> list[Evidence]:
    """The moves where the best candidate beat the runner-up by most (first game only)."""
    if len(best_two) < 2 or not pairs:
        return []
    game, side = pairs[0]
    best, runner = exact.index(best_two[0]), exact.index(best_two[1])
    gain = per_ply[0][best] - per_ply[0][runner]
    found = []
    for j in torch.argsort(gain, descending=True)[:n].tolist():
        if gain[j] <= 0:
            break
        ply = int(game.sides[side].plies[j])
        p_best, p_runner = per_ply[0][best, j].exp(), per_ply[0][runner, j].exp()
        found.append(Evidence(ply, game.sans[ply], float(p_best), float(p_runner)))
    return found
