"""What a training run reports: legal-move accuracy per player, the model file's players,
the data summary, and the table printed at the end.

Accuracy here is the validation figure of the trainer (random games, all plies), scored
the way predictions are made: the target's rank among the legal moves of each position.
The evaluation protocol's figures (newest games, plies >= 10) come from ``chessgru
evaluate``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import chess
import numpy as np
import torch

from chessgru.games.corpus import Corpus
from chessgru.games.names import Merge
from chessgru.model import encoding
from chessgru.training import data


def _scored_games(plan: data.Plan, limit: int) -> np.ndarray:
    """The first validation games whose plies add up to about ``limit``."""
    if limit <= 0 or len(plan.val) == 0:
        return plan.val[:0]
    cumulative = np.cumsum(plan.lengths[plan.val])
    return plan.val[: int(np.searchsorted(cumulative, limit)) + 1]


def _rank_of_target(logits: np.ndarray, board: chess.Board, target: int) -> tuple[int, chess.Move]:
    """Rank of ``target`` among the legal moves (0 = best; ties count in its favour)."""
    legal, moves = encoding.legal_tokens(board)
    where = np.flatnonzero(legal == target)
    scores = logits[legal]
    mine = scores[where[0]]
    if not np.isfinite(mine):  # a broken model ranks nothing: a miss, never a tie for first
        return len(legal), moves[int(where[0])]
    return int((scores > mine).sum()), moves[int(where[0])]


@torch.no_grad()
def legal_accuracy(
    model: torch.nn.Module, plan: data.Plan, device: torch.device, limit: int, batch_tokens: int
) -> dict[int, list[int]]:
    """Per player row: ``[positions, top-1 hits, top-3 hits]`` over validation plies."""
    model.eval()
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    games = _scored_games(plan, limit)
    for batch_games in data.fixed_batches(games, plan.lengths, batch_tokens):
        batch = data.make_batch(plan.corpus, batch_games, plan.conditions, plan.lengths)
        on_device = batch.to(device)
        logits = model(on_device.tokens_in, on_device.positions, on_device.cond)[0]
        logits = logits.float().cpu().numpy()
        for row, g in enumerate(batch_games):
            board = chess.Board()
            for ply in range(int(plan.lengths[g])):
                rank, move = _rank_of_target(logits[row, ply], board, int(batch.targets[row, ply]))
                counts = tally[int(batch.players[row, ply])]
                counts[0] += 1
                counts[1] += rank == 0
                counts[2] += rank < 3
                board.push(move)
    return dict(tally)


def player_entries(plan: data.Plan, merges: Sequence[Merge]) -> list[dict[str, Any]]:
    """The model file's ``players``: name, spellings merged into it, training games and moves."""
    games = np.zeros(len(plan.players), dtype=np.int64)
    moves = np.zeros(len(plan.players), dtype=np.int64)
    plies = np.diff(plan.corpus.offsets)
    for g in plan.train:
        white, black = plan.conditions[g, 0], plan.conditions[g, 1]
        n = int(plies[g])
        games[white] += 1
        moves[white] += (n + 1) // 2
        if black != white:
            games[black] += 1
        moves[black] += n // 2
    games[0] = len(plan.train)  # the population learns from every game
    moves[0] = int(plies[plan.train].sum())
    spellings = {m.canonical: sorted(s for s in m.spellings if s != m.canonical) for m in merges}
    return [
        {
            "name": name,
            "aliases": spellings.get(name, []),
            "games": int(games[i]),
            "moves": int(moves[i]),
        }
        for i, name in enumerate(plan.players)
    ]


def with_start(
    entries: Sequence[dict[str, Any]], start: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Entries of a fine-tuned model: games and moves of the model it started from added in.

    A player's row carries everything it learned from, so ``chessgru players`` on a
    fine-tuned model still shows the base model's games behind each name.
    """
    before = {e["name"]: e for e in start}
    merged = []
    for entry in entries:
        old = before.get(entry["name"])
        if old is not None:
            entry = {
                **entry,
                "aliases": sorted(set(entry["aliases"]) | set(old.get("aliases", []))),
                "games": entry["games"] + int(old.get("games", 0)),
                "moves": entry["moves"] + int(old.get("moves", 0)),
            }
        merged.append(entry)
    return merged


def data_summary(corpus: Corpus, plan: data.Plan) -> dict[str, Any]:
    """The model file's ``data``: where the games came from and how they were used."""
    return {
        "files": sorted(corpus.games.sources()),
        "games": len(corpus.games),
        "plies": len(corpus.tokens),
        "skipped": len(corpus.skipped),
        "duplicates": corpus.duplicates,
        "merges": [
            {"canonical": m.canonical, "spellings": dict(m.spellings)} for m in corpus.merges
        ],
        "train_games": len(plan.train),
        "val_games": len(plan.val),
        "held_out_games": len(plan.held_out),
    }


def metrics(
    val_loss: float,
    tally: dict[int, list[int]],
    players: Sequence[str],
    history: list[dict[str, float]],
) -> dict[str, Any]:
    """The model file's ``metrics``: validation loss, legal top-1/top-3 overall and per player."""
    per_player = {}
    for row, (n, top1, top3) in sorted(tally.items()):
        per_player[players[row]] = {"positions": n, "top1": top1 / n, "top3": top3 / n}
    n = sum(v[0] for v in tally.values())
    return {
        "val_loss": _finite(val_loss),
        "val_positions": n,
        "val_top1": sum(v[1] for v in tally.values()) / n if n else None,
        "val_top3": sum(v[2] for v in tally.values()) / n if n else None,
        "per_player": per_player,
        "history": [{k: _finite(v) for k, v in epoch.items()} for epoch in history],
    }


def _finite(value: float) -> float | None:
    """NaN/inf (no validation games) as None: JSON has no NaN."""
    return value if math.isfinite(value) else None


def table(entries: Sequence[dict[str, Any]], figures: dict[str, Any], limit: int = 30) -> str:
    """The per-player table printed at the end (most games first, population first)."""
    per = figures.get("per_player", {})
    width = max([len(e["name"]) for e in entries[:limit]] + [6])
    lines = [f"{'player':<{width}}  {'games':>7}  {'moves':>8}  {'val top-1':>9}  {'val top-3':>9}"]
    for entry in entries[:limit]:
        p = per.get(entry["name"])
        top = f"{p['top1']:9.1%}  {p['top3']:9.1%}" if p else f"{'-':>9}  {'-':>9}"
        lines.append(f"{entry['name']:<{width}}  {entry['games']:>7}  {entry['moves']:>8}  {top}")
    if len(entries) > limit:
        lines.append(f"... and {len(entries) - limit} more players (chessgru players MODEL)")
    return "\n".join(lines)
