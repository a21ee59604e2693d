"""A person's own move choices, blended with the network: the personal move-frequency prior.

With tens of games a person's habits (1.e4 in 11 of 14 White games) are sharp facts that
a network conditioned on a barely-trained embedding row washes out. The prior keeps, per
person, how often they chose each move in each position they reached (positions keyed
like a FEN without move counters, see :func:`position_keys`), and blends it with the
network's probabilities over the legal moves as a Dirichlet posterior whose prior mean is
the network::

    p(move) = (count(move) + strength * p_net(move)) / (total + strength)

so a position seen once moves the prediction a little, one seen eleven times a lot, and
an unseen position is the network alone. ``strength`` is fitted per person on their
held-back games (:mod:`chessgru.training.personal`); ``None`` means "no prior" (the fit
found it did not help).

In the model file the counts are four flat tensors (``prior.row``, ``prior.key``,
``prior.token``, ``prior.count``, sorted by row then key) and the strengths are in the
JSON header under ``"personal"``; files without them load as having no prior.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import chess
import numpy as np
import torch

from chessgru.model import encoding

#: Tensor names of the prior inside the model file.
TENSOR_PREFIX = "prior."
_FIELDS = ("row", "key", "token", "count")

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: every input bit moves every output bit.
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def position_keys(positions: np.ndarray) -> np.ndarray:
    """A 64-bit key per position row (nine words from ``encoding.position_words``).

    The words hold exactly what a FEN without move counters holds (pieces, side to move,
    castling rights, a legal en-passant file), so equal positions get equal keys; like a
    Zobrist hash, two different positions collide with probability about 2^-64.
    """
    if np.asarray(positions).dtype.kind == "f":  # np.asarray([words]) of a word >= 2**63
        raise TypeError("position words must be integers: as floats they lost their low bits")
    words = np.ascontiguousarray(positions, dtype=np.uint64).reshape(-1, positions.shape[-1])
    key = np.zeros(len(words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            key = _mix(key ^ words[:, j] ^ np.uint64(j))
    return key


def board_key(board: chess.Board) -> int:
    """The key of one board, equal to the corpus's key of the same position."""
    words = np.asarray([encoding.position_words(board)], dtype=np.uint64)
    return int(position_keys(words)[0])


def blend(probs: np.ndarray, counts: np.ndarray, strength: float | None) -> np.ndarray:
    """Network probabilities over the legal moves blended with the person's counts of them.

    ``probs`` and ``counts`` are aligned over the legal moves; ``strength`` None (no prior)
    or no counts returns ``probs`` unchanged.
    """
    total = float(counts.sum())
    if strength is None or total == 0:
        return probs
    return (counts + strength * probs) / (total + strength)


def blend_seen(
    probs: np.ndarray, tokens: np.ndarray, seen: Mapping[int, int], strength: float
) -> np.ndarray:
    """:func:`blend` with the counts of ``seen`` (token -> times chosen) over ``tokens``."""
    counts = np.array([seen.get(int(t), 0) for t in tokens], dtype=np.float64)
    return blend(probs, counts, strength)


def _flatten(table: Mapping[int, Mapping[int, int]]) -> tuple[np.ndarray, ...]:
    """(keys uint64, tokens, counts) of one row's table, sorted by key then token."""
    flat = [(k, t, n) for k, moves in sorted(table.items()) for t, n in sorted(moves.items())]
    return (
        np.array([k for k, _, _ in flat], dtype=np.uint64),
        np.array([t for _, t, _ in flat], dtype=np.int64),
        np.array([n for _, _, n in flat], dtype=np.int64),
    )


def _small(values: np.ndarray) -> torch.Tensor:
    """``values`` as int16 when they all fit, else int32."""
    fits = values.min() >= np.iinfo(np.int16).min and values.max() <= np.iinfo(np.int16).max
    return torch.from_numpy(values.astype(np.int16 if fits else np.int32))


@dataclass
class PersonalPrior:
    """Per player row: position key -> {move token: times chosen}; and the blend strength.

    A file's counts stay packed in arrays until a row is used (:meth:`table`): the shipped
    base carries a million of them for its 2,898 people, and a prediction for two people
    should not pay for building everyone's dictionaries.
    """

    counts: dict[int, dict[int, dict[int, int]]] = field(default_factory=dict)
    strength: dict[int, float] = field(default_factory=dict)
    # Rows read from a file and not used yet: (keys uint64, tokens, counts).
    packed: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def rows(self) -> list[int]:
        """Rows that have a prior in use (a fitted strength)."""
        return sorted(self.strength)

    def table(self, row: int) -> dict[int, dict[int, int]]:
        """``row``'s counts, position key -> {token: times chosen} ({} when it has none)."""
        if row in self.packed:
            keys, tokens, counts = self.packed.pop(row)
            table = self.counts.setdefault(row, {})
            for key, token, n in zip(keys.tolist(), tokens.tolist(), counts.tolist(), strict=True):
                table.setdefault(key, {})[token] = n
        return self.counts.get(row, {})

    def add(self, row: int, keys: np.ndarray, tokens: np.ndarray) -> None:
        """Count that ``row`` chose ``tokens[i]`` in position ``keys[i]``."""
        self.table(row)
        table = self.counts.setdefault(row, {})
        for key, token in zip(keys.tolist(), tokens.tolist(), strict=True):
            moves = table.setdefault(int(key), {})
            moves[int(token)] = moves.get(int(token), 0) + 1

    def lookup(self, row: int, key: int) -> dict[int, int]:
        """Tokens ``row`` chose in position ``key`` with their counts ({} when none or no prior)."""
        if row not in self.strength:
            return {}
        return self.table(row).get(int(key), {})

    def apply(self, row: int, key: int, tokens: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """``probs`` over the legal ``tokens`` blended with ``row``'s choices in ``key``."""
        seen = self.lookup(row, key)
        return blend_seen(probs, tokens, seen, self.strength[row]) if seen else probs

    def without(self, row: int) -> None:
        """Forget ``row``'s counts and strength (refitting a person)."""
        self.counts.pop(row, None)
        self.packed.pop(row, None)
        self.strength.pop(row, None)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, keys uint64, tokens, counts)`` of the rows in use, sorted by row then key."""
        parts = []
        for row in self.rows():
            keys, tokens, counts = self.packed.get(row) or _flatten(self.counts.get(row, {}))
            parts.append((np.full(len(keys), row, dtype=np.int64), keys, tokens, counts))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.astype(np.uint64), empty, empty
        rows, keys, tokens, counts = (np.concatenate(c) for c in zip(*parts, strict=True))
        return rows, keys.astype(np.uint64), tokens.astype(np.int64), counts.astype(np.int64)

    # --- the model file ------------------------------------------------------------------

    def tensors(self) -> dict[str, torch.Tensor]:
        """The counts of the rows in use as flat tensors for the model file ({} when empty).

        Rows, tokens and counts are stored in 16 bits when they fit (they do for any real
        model): the shipped base's million counts stay a few MB smaller.
        """
        rows, keys, tokens, counts = self.columns()
        if not len(rows):
            return {}
        columns = (_small(rows), torch.from_numpy(keys.view(np.int64).copy()))
        columns += (_small(tokens), _small(counts))
        return {TENSOR_PREFIX + name: t for name, t in zip(_FIELDS, columns, strict=True)}

    def header(self) -> dict[str, float]:
        """Strengths by row (JSON keys are strings)."""
        return {str(row): float(s) for row, s in sorted(self.strength.items())}

    @classmethod
    def from_file(
        cls, tensors: Mapping[str, torch.Tensor], strengths: Mapping[str, float] | None
    ) -> PersonalPrior:
        """Inverse of :meth:`tensors` and :meth:`header`; missing parts give an empty prior.

        Raises ValueError when the tensors do not line up (a damaged file).
        """
        prior = cls()
        prior.strength = {int(row): float(s) for row, s in (strengths or {}).items()}
        names = [TENSOR_PREFIX + f for f in _FIELDS]
        if not all(n in tensors for n in names):
            return prior
        rows, keys, tokens, counts = (tensors[n].to(torch.int64).numpy() for n in names)
        if not len(rows) == len(keys) == len(tokens) == len(counts):
            raise ValueError("prior tensors of different lengths")
        if len(rows) and (rows[1:] < rows[:-1]).any():  # ours are sorted by row already
            order = np.argsort(rows, kind="stable")
            rows, keys, tokens, counts = rows[order], keys[order], tokens[order], counts[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else []
        for lo, hi in zip(starts, [*starts[1:], len(rows)], strict=True):
            part = slice(int(lo), int(hi))
            prior.packed[int(rows[lo])] = (keys[part].view(np.uint64), tokens[part], counts[part])
        return prior
