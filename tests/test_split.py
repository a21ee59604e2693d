"""The per-player protocol split: by game, deterministic, oldest train, newest test."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from chessgru.errors import UserError
from chessgru.games.split import holdout, n_test_games, parse_date, player_games, protocol_split


@dataclass
class Game:
    white: str
    black: str
    date: str


@dataclass
class FakeCorpus:
    """Just what split.py reads: games with names and dates, and one token array each."""

    games: list[Game] = field(default_factory=list)
    tokens: list[np.ndarray] = field(default_factory=list)

    def add(self, white: str, black: str, date: str, moves: list[int]) -> int:
        self.games.append(Game(white, black, date))
        self.tokens.append(np.asarray(moves, dtype=np.uint16))
        return len(self.games) - 1

    def game_tokens(self, i: int) -> np.ndarray:
        return self.tokens[i]


def test_parse_date_partial_and_malformed():
    assert parse_date("1975.06.21") == (1975, 6, 21)
    assert parse_date("1975.??.??") == (1975, 0, 0)
    assert parse_date("????.??.??") == (0, 0, 0)
    assert parse_date("2019.1.x") == (2019, 1, 0)
    assert parse_date("") == (0, 0, 0)


def test_test_count_is_ceil_without_float_noise():
    assert n_test_games(10) == 2
    assert n_test_games(15) == 3  # 0.2 * 15 is 3.0000000000000004 in floating point
    assert n_test_games(11) == 3
    assert n_test_games(1) == 1
    assert n_test_games(0) == 0
    with pytest.raises(UserError):
        n_test_games(10, 1.0)


def test_games_sorted_by_date_partial_dates_first_ties_by_file_order():
    c = FakeCorpus()
    late = c.add("A", "x", "1976.01.02", [1])
    year_only = c.add("x", "A", "1976.??.??", [2])
    tie_first = c.add("A", "y", "1975.05.05", [3])
    tie_second = c.add("y", "A", "1975.05.05", [4])
    c.add("x", "y", "1970.01.01", [5])  # not A's
    assert player_games(c, "A") == [tie_first, tie_second, year_only, late]
    assert player_games(c, "nobody") == []


def test_repeated_move_sequence_counts_once_oldest_kept():
    c = FakeCorpus()
    newer = c.add("A", "x", "2001.01.01", [7, 8, 9])
    older = c.add("x", "A", "2000.01.01", [7, 8, 9])
    other = c.add("A", "x", "2002.01.01", [7, 8])
    assert player_games(c, "A") == [older, other]
    assert newer not in player_games(c, "A")


def _dated_corpus(n: int, player: str = "A") -> FakeCorpus:
    # Added newest first, so file order disagrees with date order.
    c = FakeCorpus()
    for k in reversed(range(n)):
        c.add(player, f"opp{k}", f"{1990 + k}.01.01", [k, k + 1])
    return c


def test_protocol_split_oldest_train_newest_test_deterministic():
    c = _dated_corpus(10)
    train, test = protocol_split(c, "A")
    years = [parse_date(c.games[i].date)[0] for i in train + test]
    assert years == list(range(1990, 2000))
    assert len(test) == 2 and len(train) == 8
    assert max(parse_date(c.games[i].date) for i in train) < min(
        parse_date(c.games[i].date) for i in test
    )
    assert not set(train) & set(test)
    assert protocol_split(c, "A") == (train, test)
    assert protocol_split(c, "A", test_fraction=0.5)[1] == player_games(c, "A")[5:]


def test_holdout_is_union_of_test_games_and_their_dropped_copies():
    c = FakeCorpus()
    a_games = [c.add("A", "z", f"{2000 + k}.01.01", [k, 50]) for k in range(5)]
    b_games = [c.add("z", "B", f"{2000 + k}.01.01", [k, 60]) for k in range(5)]
    both = c.add("A", "B", "2010.01.01", [99])  # the newest game of both players
    copy = c.add("A", "B", "2009.06.01", [99])  # the same moves, an older copy kept first
    held = holdout(c, ["A", "B"])
    _, a_test = protocol_split(c, "A")
    _, b_test = protocol_split(c, "B")
    assert set(a_test) | set(b_test) <= held
    assert both in held and copy in held
    assert held == set(a_test) | set(b_test) | {both}
    assert not held & set(a_games[:4]) and not held & set(b_games[:4])
    assert holdout(c, []) == set()
    assert holdout(c, ["unknown"]) == set()
