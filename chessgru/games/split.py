"""The evaluation protocol's per-player split: oldest games train, newest games test.

The rule (PRODUCT.md, "Evaluation protocol"), made exact so figures compare:

* A player's games are the corpus games where they play White or Black (canonical names,
  as the corpus merged them). The corpus holds only standard-start games and has dropped
  exact duplicates already; a move sequence that still appears twice in one player's list
  (the same game under two dates or events) counts once: the oldest copy is kept.
* Games are sorted by their PGN date parsed as ``(year, month, day)``, unknown parts
  ("1975.??.??") as 0, so a game known only by year sorts before every dated game of that
  year; ties keep corpus (file) order.
* The newest ``ceil(test_fraction * n)`` games are the test set, the rest train. Ceil, so a
  player with any games and a positive fraction always has at least one test game; the
  product is rounded to 9 decimals first so that 0.2 x 15 is 3, not 4.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from chessgru.errors import UserError

_DATE_PART = re.compile(r"\d+")


class _GameLike(Protocol):
    white: str
    black: str
    date: str


class CorpusLike(Protocol):
    """What the split needs from :class:`chessgru.games.corpus.Corpus`."""

    games: Sequence[_GameLike]

    def game_tokens(self, i: int) -> np.ndarray: ...


def parse_date(date: str | None) -> tuple[int, int, int]:
    """``(year, month, day)`` of a PGN date; unknown or malformed parts are 0."""
    parts = (date or "").replace("-", ".").replace("/", ".").split(".")
    values = []
    for part in [*parts, "", "", ""][:3]:
        match = _DATE_PART.fullmatch(part.strip())
        values.append(int(match.group()) if match else 0)
    return values[0], values[1], values[2]


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise UserError(f"The test fraction must be between 0 and 1, not {test_fraction}.")


def n_test_games(n_games: int, test_fraction: float = 0.2) -> int:
    """How many of ``n_games`` go to the test set: ``ceil(test_fraction * n_games)``."""
    _check_fraction(test_fraction)
    return math.ceil(round(test_fraction * n_games, 9))


def _sorted_unique(corpus: CorpusLike, indices: Iterable[int]) -> tuple[list[int], list[int]]:
    """Indices sorted oldest first with repeated move sequences dropped, and the dropped ones."""
    ordered = sorted(indices, key=lambda i: (parse_date(corpus.games[i].date), i))
    seen: set[bytes] = set()
    kept: list[int] = []
    dropped: list[int] = []
    for i in ordered:
        key = game_key(corpus, i)
        if key in seen:
            dropped.append(i)
        else:
            seen.add(key)
            kept.append(i)
    return kept, dropped


def _games_by_player(corpus: CorpusLike) -> dict[str, list[int]]:
    by_player: dict[str, list[int]] = defaultdict(list)
    for i, game in enumerate(corpus.games):
        by_player[game.white].append(i)
        if game.black != game.white:
            by_player[game.black].append(i)
    return by_player


def player_games(corpus: CorpusLike, player: str) -> list[int]:
    """Indices of ``player``'s games, oldest first, each move sequence once ([] if none)."""
    indices = [i for i, g in enumerate(corpus.games) if player in (g.white, g.black)]
    return _sorted_unique(corpus, indices)[0]


def _split(ordered: list[int], test_fraction: float) -> tuple[list[int], list[int]]:
    n_train = len(ordered) - n_test_games(len(ordered), test_fraction)
    return ordered[:n_train], ordered[n_train:]


def protocol_split(
    corpus: CorpusLike, player: str, test_fraction: float = 0.2
) -> tuple[list[int], list[int]]:
    """``(train, test)`` game indices of ``player``: oldest games train, newest test."""
    return _split(player_games(corpus, player), test_fraction)


def game_key(corpus: CorpusLike, i: int) -> bytes:
    """A game's identity for leak checks: its move sequence (dates and names differ by source)."""
    return np.asarray(corpus.game_tokens(i)).tobytes()


def holdout(corpus: CorpusLike, players: Iterable[str], test_fraction: float = 0.2) -> set[int]:
    """Every game a trainer must not see: the union of these players' test games.

    Copies of a test game's move sequence that the per-player de-duplication dropped are
    held out too, or the trainer would learn the very game it is later scored on.
    """
    _check_fraction(test_fraction)
    by_player = _games_by_player(corpus)
    held: set[int] = set()
    for player in players:
        kept, dropped = _sorted_unique(corpus, by_player.get(player, []))
        test = _split(kept, test_fraction)[1]
        held.update(test)
        if dropped:
            test_keys = {game_key(corpus, i) for i in test}
            held.update(i for i in dropped if game_key(corpus, i) in test_keys)
    return held


def matching_games(corpus: CorpusLike, keys: set[bytes]) -> set[int]:
    """Indices of the games whose move sequence is one of ``keys``.

    How another corpus's test games are kept out of training: the base model trains on a
    broad collection that holds copies of the masters' games under other dates and name
    spellings, so only the moves identify them.
    """
    if not keys:
        return set()
    return {i for i in range(len(corpus.games)) if game_key(corpus, i) in keys}
