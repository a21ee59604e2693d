"""The baselines of the evaluation protocol: random legal move, opening tree, UCI engine.

Every baseline answers the same question for one scored position: the probability that
the move actually played is among its top-k, for k in :data:`KS`. Deterministic rankings
give 0 or 1; the random parts give their exact expectation, so the figures carry no
sampling noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import chess
import chess.engine
import numpy as np

from chessgru.errors import UserError
from chessgru.model.prior import position_keys  # noqa: F401  (re-export: the prior keys alike)

#: The k of top-k accuracy, everywhere in the report.
KS = (1, 3, 5)


def topk_hits(ranked: Sequence[object], actual: object, n_legal: int) -> np.ndarray:
    """Hits at each k of :data:`KS` for a ranking, padding it with uniformly random legal moves.

    ``ranked`` are distinct legal moves, best first (may be shorter than k, even empty);
    slots beyond it are filled at random from the other legal moves, whose chance of
    including ``actual`` is (free slots) / (moves not ranked).
    """
    hits = np.zeros(len(KS))
    try:
        rank = list(ranked).index(actual)
    except ValueError:
        rank = None
    for j, k in enumerate(KS):
        if rank is not None:
            hits[j] = 1.0 if rank < k else 0.0
        else:
            free, unranked = k - len(ranked), n_legal - len(ranked)
            hits[j] = min(max(free, 0), unranked) / unranked if unranked > 0 else 0.0
    return hits


def random_hits(n_legal: int) -> np.ndarray:
    """Exact top-k accuracy of a uniformly random legal move: min(k, n) / n."""
    return np.array([min(k, n_legal) / n_legal for k in KS])


@dataclass
class MoveCounts:
    """How often each move (token) was played in each position (key), as plain dicts."""

    counts: dict[int, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, keys: np.ndarray, tokens: np.ndarray, only: Iterable[int] | None = None
    ) -> MoveCounts:
        """Counts of ``tokens`` per position ``keys``; ``only`` limits it to the keys asked for."""
        keys = np.asarray(keys, dtype=np.uint64)
        tokens = np.asarray(tokens, dtype=np.uint64)
        if only is not None:
            wanted = np.fromiter(only, dtype=np.uint64)
            keep = np.isin(keys, wanted)
            keys, tokens = keys[keep], tokens[keep]
        pairs = np.stack([keys, tokens], axis=1)
        unique, n = np.unique(pairs, axis=0, return_counts=True)
        counts: dict[int, dict[int, int]] = {}
        for (key, token), c in zip(unique.tolist(), n.tolist(), strict=True):
            counts.setdefault(key, {})[token] = c
        return cls(counts)

    def ranked(self, key: int) -> list[int]:
        """Tokens played in ``key``, most frequent first (ties: lower token first)."""
        moves = self.counts.get(int(key), {})
        return sorted(moves, key=lambda t: (-moves[t], t))


@dataclass
class OpeningTree:
    """The player's own most frequent move here, then the population's, then random."""

    player: MoveCounts
    population: MoveCounts

    def ranked(self, key: int) -> list[int]:
        """Tokens ranked: the player's by count, then the population's not yet listed."""
        ranked = self.player.ranked(key)
        listed = set(ranked)
        ranked += [t for t in self.population.ranked(key) if t not in listed]
        return ranked

    def hits(self, key: int, token: int, n_legal: int) -> np.ndarray:
        """Top-k hits of the tree for the move ``token`` played in position ``key``."""
        return topk_hits(self.ranked(key)[: max(KS)], int(token), n_legal)


class EngineBaseline:
    """A UCI engine at fixed depth; its MultiPV lines are its top-k moves."""

    def __init__(self, path: str | Path, depth: int = 10) -> None:
        self.path, self.depth = str(path), depth
        try:
            self.engine = chess.engine.SimpleEngine.popen_uci(self.path)
        except (OSError, chess.engine.EngineError) as exc:
            raise UserError(f"Cannot start the engine {self.path}: {exc}") from exc
        # One thread and a fixed hash keep the engine's choices repeatable across runs.
        options = {"Threads": 1, "Hash": 16}
        self.engine.configure({k: v for k, v in options.items() if k in self.engine.options})
        self.name = self.engine.id.get("name", Path(self.path).name)

    def top_moves(self, board: chess.Board) -> list[chess.Move]:
        """The engine's best moves on ``board``, best first, up to ``max(KS)``."""
        infos = self.engine.analyse(board, chess.engine.Limit(depth=self.depth), multipv=max(KS))
        return [info["pv"][0] for info in infos if info.get("pv")]

    def hits(self, board: chess.Board, actual: chess.Move) -> np.ndarray:
        """Top-k hits of the engine for ``actual`` played on ``board``."""
        return topk_hits(self.top_moves(board), actual, board.legal_moves.count())

    def close(self) -> None:
        """Stops the engine process."""
        self.engine.quit()

    def __enter__(self) -> EngineBaseline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
