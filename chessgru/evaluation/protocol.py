"""The evaluation protocol: held-out newest games, top-k move matching, baselines, report.

For each player (:mod:`chessgru.games.split` picks their newest games as the test set) only the
player's own moves in their test games are scored. A position is scored "at plies >= 10"
when its ply index, counted from 0 for White's first move, is at least 10: the first ten
half-moves (five moves per side) are skipped, White's 6th move is the first one counted.
This is the Maia convention.

Methods, all in one run over the same positions:

* ``random``: a uniformly random legal move, its exact expectation min(k, n) / n.
* ``opening_tree``: the player's most frequent move in the exact position in their *train*
  games, then the population's (every game of the corpus except the test games of every
  evaluated player, and their dropped copies; see :func:`chessgru.games.split.holdout`), then
  random legal moves (exact expectation for the random fill).
* ``model``: the chessgru model, conditioned on the player by name when the model knows
  them, else on the population.
* ``engine``: an optional UCI engine at fixed depth, its MultiPV lines as its top-k; slow, so
  optionally on a fixed-seed sample of each player's scored positions.

The report is a plain dict; :mod:`chessgru.evaluation.report` renders it as text and a plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import chess
import numpy as np

from chessgru.errors import UserError
from chessgru.evaluation.baselines import (
    KS,
    EngineBaseline,
    MoveCounts,
    OpeningTree,
    position_keys,
    random_hits,
    topk_hits,
)
from chessgru.games.split import holdout, protocol_split
from chessgru.model.encoding import FLAG_WHITE_TO_MOVE, decode_move
from chessgru.progress import progress_bar

#: Plies below this index are left out of the "plies >= 10" figures (Maia convention).
MIN_PLY = 10
#: Seed of the engine's position sample: the same run samples the same positions.
ENGINE_SEED = 20240601
METHOD_LABELS = {
    "random": "random legal move",
    "opening_tree": "opening tree",
    "model": "chessgru model",
    "engine": "engine",
}


def _ply_ranges(offsets: np.ndarray, games: Sequence[int]) -> np.ndarray:
    """Corpus ply indices of ``games``, concatenated in order."""
    if not len(games):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(offsets[g], offsets[g + 1]) for g in games])


def _player_plies(corpus: Any, player: str, games: Sequence[int]) -> np.ndarray:
    """Corpus ply indices in ``games`` where ``player`` is the side to move."""
    plies = _ply_ranges(corpus.offsets, games)
    white_to_move = (corpus.positions[plies, 8] & np.uint64(FLAG_WHITE_TO_MOVE)) != 0
    sides = [(corpus.games[g].white == player, corpus.games[g].black == player) for g in games]
    lengths = np.diff(corpus.offsets)[np.asarray(games, dtype=np.int64)]
    plays = np.repeat(np.array(sides, dtype=bool).reshape(-1, 2), lengths, axis=0)
    return plies[np.where(white_to_move, plays[:, 0], plays[:, 1])]


@dataclass
class PlayerScores:
    """One player's scored positions: ply index and each method's top-k hits (NaN = not scored)."""

    name: str
    games: int
    train: list[int]
    test: list[int]
    model_conditioning: str | None = None
    plies: list[int] = field(default_factory=list)
    hits: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, ply: int, method_hits: dict[str, np.ndarray]) -> None:
        self.plies.append(ply)
        for method, hits in method_hits.items():
            self.hits.setdefault(method, []).append(hits)

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Plies as an array, and each method's hits as [positions, len(KS)]."""
        plies = np.asarray(self.plies, dtype=np.int64)
        empty = np.zeros((0, len(KS)))
        return plies, {m: np.vstack(h) if h else empty for m, h in self.hits.items()}


def _accuracy(hits: np.ndarray) -> dict[str, float | None]:
    scored = hits[~np.isnan(hits[:, 0])]
    return {
        f"top{k}": (float(scored[:, j].mean()) if len(scored) else None) for j, k in enumerate(KS)
    }


def summarise(scores: PlayerScores) -> dict[str, Any]:
    """The report entry of one player: counts, accuracies, and accuracy by move number."""
    plies, hits = scores.arrays()
    late = plies >= MIN_PLY
    results, by_move = {}, {}
    move_number = plies // 2 + 1
    for method, h in hits.items():
        scored = ~np.isnan(h[:, 0])
        results[method] = {
            "positions": int(scored.sum()),
            "positions_ply10": int((scored & late).sum()),
            "all": _accuracy(h),
            "ply10": _accuracy(h[late]),
        }
        moves = np.unique(move_number[scored])
        by_move[method] = {
            "move": moves.tolist(),
            "positions": [int((move_number[scored] == m).sum()) for m in moves],
            **{
                f"top{k}": [float(h[scored & (move_number == m), j].mean()) for m in moves]
                for j, k in enumerate(KS)
            },
        }
    return {
        "name": scores.name,
        "games": scores.games,
        "train_games": len(scores.train),
        "test_games": len(scores.test),
        "positions": len(plies),
        "positions_ply10": int(late.sum()),
        "model_conditioning": scores.model_conditioning,
        "results": results,
        "by_move": by_move,
    }


def _engine_sample(n_positions: int, max_positions: int | None, seed: int) -> set[int] | None:
    if max_positions is None or n_positions <= max_positions:
        return None
    rng = np.random.default_rng(seed)
    return set(rng.choice(n_positions, size=max_positions, replace=False).tolist())


def _model_conditioning(predictor: Any, name: str) -> str:
    """ "player" when the model knows ``name``, else "population"."""
    try:
        return "player" if predictor.resolve_player(name) > 0 else "population"
    except UserError:
        return "population"


def _replay(tokens: np.ndarray) -> list[chess.Move]:
    board = chess.Board()
    moves = []
    for token in tokens.tolist():
        moves.append(decode_move(token, board))
        board.push(moves[-1])
    return moves


def _model_predictions(predictor: Any, corpus: Any, games: Sequence[int], moves: list) -> Any:
    """The model's top-k at every ply of each game, lazily, in order (None without a model)."""
    if predictor is None:
        return iter([None] * len(games))
    from chessgru.predict import GameInput

    known: dict[str, str | int] = {}

    def side(name: str) -> str | int:
        # Opponents the model does not know are played by the population row.
        if name not in known:
            known[name] = name if _model_conditioning(predictor, name) == "player" else 0
        return known[name]

    inputs = []
    for g, game_moves in zip(games, moves, strict=True):
        info = corpus.games[g]
        inputs.append(
            GameInput(
                game_moves,
                side(info.white),
                side(info.black),
                white_elo=info.white_elo,
                black_elo=info.black_elo,
                time_control=info.time_control,
            )
        )
    return predictor.predict_games(inputs, k=max(KS))


def score_player(
    corpus: Any,
    scores: PlayerScores,
    tree: OpeningTree,
    keys: np.ndarray,
    *,
    predictor: Any = None,
    engine: EngineBaseline | None = None,
    engine_sample: set[int] | None = None,
    bar: Any = None,
) -> None:
    """Replays the player's test games and scores every one of their moves with each method."""
    moves = [_replay(corpus.game_tokens(g)) for g in scores.test]
    predictions = _model_predictions(predictor, corpus, scores.test, moves)
    ordinal = 0
    for g, game_moves, model_top in zip(scores.test, moves, predictions, strict=True):
        info = corpus.games[g]
        start = int(corpus.offsets[g])
        tokens = corpus.game_tokens(g)
        board = chess.Board()
        for ply, move in enumerate(game_moves):
            mover = info.white if board.turn == chess.WHITE else info.black
            if mover == scores.name:
                n_legal = board.legal_moves.count()
                hits = {
                    "random": random_hits(n_legal),
                    "opening_tree": tree.hits(int(keys[start + ply]), int(tokens[ply]), n_legal),
                }
                if model_top is not None:
                    hits["model"] = topk_hits([m for m, _ in model_top[ply]], move, n_legal)
                if engine is not None:
                    sampled = engine_sample is None or ordinal in engine_sample
                    hits["engine"] = (
                        engine.hits(board, move) if sampled else np.full(len(KS), np.nan)
                    )
                scores.add(ply, hits)
                ordinal += 1
            board.push(move)
        if bar is not None:
            bar.update(1)


def evaluate(
    corpus: Any,
    players: Sequence[str],
    *,
    predictor: Any = None,
    test_fraction: float = 0.2,
    engine: EngineBaseline | None = None,
    engine_max_positions: int | None = None,
    seed: int = ENGINE_SEED,
    progress: bool = True,
) -> dict[str, Any]:
    """The full report dict of the protocol for ``players`` (canonical names in ``corpus``)."""
    splits = {p: protocol_split(corpus, p, test_fraction) for p in players}
    held = holdout(corpus, players, test_fraction)
    keys = position_keys(corpus.positions)
    tokens = np.asarray(corpus.tokens)
    scored_plies = {p: _player_plies(corpus, p, test) for p, (_, test) in splits.items()}
    wanted = np.unique(np.concatenate([keys[s] for s in scored_plies.values()] or [keys[:0]]))
    in_population = np.ones(len(corpus.games), dtype=bool)
    in_population[list(held)] = False
    plies = np.repeat(in_population, np.diff(corpus.offsets))
    population = MoveCounts.build(keys[plies], tokens[plies], wanted)

    reports = []
    total = sum(len(test) for _, test in splits.values())
    with progress_bar("evaluating", total=total, enabled=progress) as bar:
        for player, (train, test) in splits.items():
            scores = PlayerScores(player, len(train) + len(test), train, test)
            own = _player_plies(corpus, player, train)
            tree = OpeningTree(MoveCounts.build(keys[own], tokens[own], wanted), population)
            if predictor is not None:
                scores.model_conditioning = _model_conditioning(predictor, player)
            sample = None
            if engine is not None:
                sample = _engine_sample(len(scored_plies[player]), engine_max_positions, seed)
            score_player(
                corpus,
                scores,
                tree,
                keys,
                predictor=predictor,
                engine=engine,
                engine_sample=sample,
                bar=bar,
            )
            reports.append(summarise(scores))
    return {
        "protocol": {
            "test_fraction": test_fraction,
            "test_games": "ceil(test_fraction x games): the newest by PGN date",
            "min_ply": MIN_PLY,
            "plies": "ply 0 is White's first move; plies >= 10 skip each side's first 5 moves",
            "population": "all games except the evaluated players' test games",
        },
        "methods": list(reports[0]["results"]) if reports else [],
        "labels": _labels(engine),
        "engine": _engine_info(engine, engine_max_positions, seed),
        "notes": _notes(reports, predictor, engine, engine_max_positions, seed),
        "players": reports,
    }


def _labels(engine: EngineBaseline | None) -> dict[str, str]:
    labels = dict(METHOD_LABELS)
    if engine is not None:
        labels["engine"] = f"{engine.name} depth {engine.depth}"
    return labels


def _engine_info(
    engine: EngineBaseline | None, max_positions: int | None, seed: int
) -> dict[str, Any] | None:
    if engine is None:
        return None
    return {
        "name": engine.name,
        "path": engine.path,
        "depth": engine.depth,
        "multipv": max(KS),
        "max_positions_per_player": max_positions,
        "seed": seed,
    }


def _notes(
    reports: list[dict[str, Any]],
    predictor: Any,
    engine: EngineBaseline | None,
    max_positions: int | None,
    seed: int,
) -> list[str]:
    notes = []
    if predictor is None:
        notes.append("no model scored: baselines only.")
    for p in reports:
        if p["model_conditioning"] == "population":
            notes.append(f"the model does not know {p['name']}: scored as the population.")
    if engine is None:
        notes.append("no engine given (--engine PATH): the engine baseline was skipped.")
    elif max_positions is not None:
        notes.append(
            f"the engine scored a random sample of at most {max_positions} moves per player "
            f"(seed {seed}); the other methods scored every move."
        )
    return notes
