"""Every known person's opening tree, from the base model's own training games.

The baselines of ``eval_who.py``: how often each person (and everyone together) played
each move in each position, over the games the shipped base model trained on (the broad
collection and the masters files, less every copy of the masters' test games). One sorted
index of all plies by position key answers any position with a slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chessgru.evaluation.baselines import position_keys
from chessgru.games.corpus import Corpus


@dataclass
class Trees:
    """Plies sorted by position key, with the move played and the mover's model row."""

    keys: np.ndarray  # uint64 [N], sorted
    tokens: np.ndarray  # int64 [N]
    rows: np.ndarray  # int64 [N]: mover's embedding row, 0 = not a known person

    @classmethod
    def build(cls, corpus: Corpus, row_of: dict[str, int], skip: set[int]) -> Trees:
        """Index ``corpus`` (standard-start games) except the games in ``skip``."""
        lengths = np.diff(corpus.offsets)
        game = np.repeat(np.arange(len(corpus.games)), lengths)
        parity = np.arange(len(game)) - np.repeat(corpus.offsets[:-1], lengths)
        white = np.array([row_of.get(g.white, 0) for g in corpus.games], dtype=np.int64)
        black = np.array([row_of.get(g.black, 0) for g in corpus.games], dtype=np.int64)
        rows = np.where(parity % 2 == 0, white[game], black[game])
        keep = ~np.isin(game, np.fromiter(skip, dtype=np.int64, count=len(skip)))
        keys = position_keys(corpus.positions)[keep]
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], corpus.tokens.astype(np.int64)[keep][order], rows[keep][order])

    def at(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """Moves played and movers in the position ``key``."""
        lo = np.searchsorted(self.keys, np.uint64(key), "left")
        hi = np.searchsorted(self.keys, np.uint64(key), "right")
        return self.tokens[lo:hi], self.rows[lo:hi]

    def log_probs(self, key: int, played: int, n_legal: int, n_rows: int) -> np.ndarray:
        """Each row's smoothed log-probability of ``played`` in ``key`` (``[n_rows]``).

        Everyone's frequencies with add-one smoothing over the legal moves, then each
        person's own counts on top with one pseudo-game of everyone's:
        ``(own(m) + p_all(m)) / (own + 1)``; a person never seen here gets ``p_all``.
        """
        tokens, rows = self.at(key)
        p_all = (np.count_nonzero(tokens == played) + 1) / (len(tokens) + n_legal)
        out = np.full(n_rows, np.log(p_all))
        if len(tokens):
            own = np.bincount(rows, minlength=n_rows).astype(float)
            hit = np.bincount(rows[tokens == played], minlength=n_rows).astype(float)
            seen = own > 0
            seen[0] = False
            out[seen] = np.log((hit[seen] + p_all) / (own[seen] + 1))
        return out

    def ranked(self, key: int, row: int) -> list[tuple[int, float]]:
        """The tree's moves here for ``row``: its own frequencies if it played here, else
        everyone's; (token, frequency), most frequent first; [] when nobody played here."""
        tokens, rows = self.at(key)
        if row and np.any(rows == row):
            tokens = tokens[rows == row]
        if not len(tokens):
            return []
        values, counts = np.unique(tokens, return_counts=True)
        order = np.lexsort((values, -counts))
        return [(int(values[i]), counts[i] / len(tokens)) for i in order]
