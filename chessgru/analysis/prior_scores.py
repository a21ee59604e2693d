"""The personal priors of every candidate at once: `who`'s sparse per-person lookup.

A person with a prior (:mod:`chessgru.model.prior`) differs from the network only in the
positions they have counts for; everywhere else their probability is the network's. So
ranking thousands of people costs one network forward (the population's, or a
candidate's own row for the shortlist) plus, per ply, the entries of the people who
reached that position: :class:`PriorIndex` keeps every count in one array sorted by
position key, and :meth:`PriorIndex.blend` blends all the candidates' moves in a few
vectorised steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import chess
import numpy as np
import torch

from chessgru.analysis.game import PreparedGame
from chessgru.model.prior import PersonalPrior, position_keys


@dataclass(frozen=True)
class PriorIndex:
    """Every in-use count of a prior, sorted by position key (then row, then token)."""

    keys: np.ndarray  # uint64 [N]
    rows: np.ndarray  # int64 [N]
    tokens: np.ndarray  # int64 [N]
    counts: np.ndarray  # float64 [N]
    strength: dict[int, float]

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def of(cls, prior: PersonalPrior | None) -> PriorIndex:
        """The index of ``prior``'s rows in use (empty for None or no prior)."""
        if prior is None:
            prior = PersonalPrior()
        rows, keys, tokens, counts = prior.columns()
        order = np.argsort(keys, kind="stable")  # blend looks entries up by key alone
        return cls(
            keys=keys[order],
            rows=rows[order],
            tokens=tokens[order],
            counts=counts[order].astype(np.float64),
            strength=dict(prior.strength),
        )

    def blend(
        self,
        keys: np.ndarray,
        played: np.ndarray,
        log_probs: torch.Tensor,
        rows: Sequence[int],
    ) -> torch.Tensor:
        """``log_probs [len(rows), S]`` of the moves played, each row blended with its prior.

        ``keys [S]`` and ``played [S]`` are the side's positions and move tokens; a row
        without counts in a position keeps the network's log-probability there, one with
        counts gets ``log((count(played) + s p) / (total + s))``.
        """
        out = log_probs.clone()
        if not len(self) or not len(keys) or not len(rows):
            return out
        lo = np.searchsorted(self.keys, keys, "left")
        hi = np.searchsorted(self.keys, keys, "right")
        sizes = hi - lo
        if not sizes.any():
            return out
        ply = np.repeat(np.arange(len(keys)), sizes)
        entry = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        rows_a = np.asarray(rows, dtype=np.int64)
        place = np.full(max(int(rows_a.max()), int(self.rows[entry].max())) + 1, -1)
        place[rows_a] = np.arange(len(rows_a))
        at = place[self.rows[entry]]
        keep = at >= 0
        if not keep.any():
            return out
        ply, entry, at = ply[keep], entry[keep], at[keep]
        group = ply * len(rows_a) + at
        counts = self.counts[entry]
        hit = np.where(self.tokens[entry] == played[ply], counts, 0.0)
        groups, inverse = np.unique(group, return_inverse=True)
        total = np.bincount(inverse, counts)
        hits = np.bincount(inverse, hit)
        g_ply, g_at = groups // len(rows_a), groups % len(rows_a)
        strength = np.array([self.strength[int(r)] for r in rows_a[g_at]])
        p = out[g_at, g_ply].double().exp().numpy()
        blended = np.log((hits + strength * p) / (total + strength))
        out[g_at, g_ply] = torch.from_numpy(blended).to(out.dtype)
        return out


def side_inputs(game: PreparedGame, side: chess.Color) -> tuple[np.ndarray, np.ndarray]:
    """(position keys, played tokens) of ``side``'s moves, as the prior keys them."""
    plies = game.sides[side]
    words = game.positions[plies.plies].numpy().view(np.uint64)
    return position_keys(words), plies.played.numpy()
