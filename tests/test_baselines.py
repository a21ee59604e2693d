"""Baselines: exact random expectation, random fill, position keys, opening tree, engine."""

from __future__ import annotations

import shutil

import chess
import numpy as np
import pytest

from chessgru.evaluation.baselines import (
    EngineBaseline,
    MoveCounts,
    OpeningTree,
    position_keys,
    random_hits,
    topk_hits,
)
from chessgru.model.encoding import encode_game
from chessgru.model.prior import board_key

STOCKFISH = shutil.which("stockfish") or shutil.which("/usr/games/stockfish")
#: White: king a1, pawn a2; Black: king h8, pawn a4. White has exactly Kb1, Kb2 and a3.
THREE_MOVES = "7k/8/8/8/p7/8/P7/K7 w - - 0 1"


def test_random_hits_exact_on_hand_made_positions():
    assert np.allclose(random_hits(chess.Board().legal_moves.count()), [1 / 20, 3 / 20, 5 / 20])
    n = chess.Board(THREE_MOVES).legal_moves.count()  # Kb1, Kb2, a3
    assert n == 3
    assert np.allclose(random_hits(n), [1 / 3, 1.0, 1.0])


def test_topk_hits_ranked_then_random_fill():
    assert np.allclose(topk_hits(["a", "b"], "a", 10), [1, 1, 1])
    assert np.allclose(topk_hits(["a", "b"], "b", 10), [0, 1, 1])
    # Not ranked: top-3 has one random slot among 8 unranked moves, top-5 three.
    assert np.allclose(topk_hits(["a", "b"], "c", 10), [0, 1 / 8, 3 / 8])
    assert np.allclose(topk_hits([], "c", 10), random_hits(10))
    assert np.allclose(topk_hits(["a", "b", "c", "d", "e", "f"], "f", 10), [0, 0, 0])
    assert np.allclose(topk_hits(["a"], "b", 2), [0, 1, 1])


def test_position_keys_equal_for_transpositions_only():
    a, b, c = chess.Board(), chess.Board(), chess.Board()
    for san in ["Nf3", "Nf6", "Nc3"]:
        a.push_san(san)
    for san in ["Nc3", "Nf6", "Nf3"]:
        b.push_san(san)
    for san in ["Nc3", "Nf6", "Nf3", "Ng8", "Ng1", "Nf6"]:  # same pieces, Black to move
        c.push_san(san)
    assert board_key(a) == board_key(b)
    assert board_key(a) != board_key(c)
    _, words = encode_game([chess.Move.from_uci("e2e4"), chess.Move.from_uci("e7e5")])
    keys = position_keys(words)
    assert len(set(keys.tolist())) == 2 and keys.dtype == np.uint64


def test_move_counts_rank_by_count_then_token_and_filter_keys():
    keys = np.array([1, 1, 1, 1, 2, 7], dtype=np.uint64)
    tokens = np.array([9, 5, 5, 3, 4, 4], dtype=np.uint16)
    counts = MoveCounts.build(keys, tokens)
    assert counts.ranked(1) == [5, 3, 9]  # 5 twice; 3 and 9 once, lower token first
    assert counts.ranked(2) == [4] and counts.ranked(99) == []
    only = MoveCounts.build(keys, tokens, only=[2])
    assert only.ranked(1) == [] and only.ranked(2) == [4]


def test_opening_tree_player_first_then_population_then_random():
    player = MoveCounts({10: {1: 3, 2: 1}})
    population = MoveCounts({10: {2: 50, 3: 40, 4: 1}, 11: {7: 5}})
    tree = OpeningTree(player, population)
    assert tree.ranked(10) == [1, 2, 3, 4]
    assert np.allclose(tree.hits(10, 1, 20), [1, 1, 1])
    assert np.allclose(tree.hits(10, 3, 20), [0, 1, 1])
    # Four ranked moves, the fifth slot random over the 16 others.
    assert np.allclose(tree.hits(10, 9, 20), [0, 0, 1 / 16])
    assert tree.ranked(11) == [7]  # the player never reached it: the population's move
    assert np.allclose(tree.hits(12, 9, 20), random_hits(20))


@pytest.mark.skipif(STOCKFISH is None, reason="stockfish is not installed")
def test_engine_finds_mate_and_ranks_legal_moves():
    mate_in_one = chess.Board("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1")
    with EngineBaseline(STOCKFISH, depth=6) as engine:
        top = engine.top_moves(mate_in_one)
        assert top[0] == chess.Move.from_uci("a1a8")
        assert len(top) == 5 and all(m in mate_in_one.legal_moves for m in top)
        assert np.allclose(engine.hits(mate_in_one, chess.Move.from_uci("a1a8")), [1, 1, 1])
        three = chess.Board(THREE_MOVES)
        assert sorted(m.uci() for m in engine.top_moves(three)) == ["a1b1", "a1b2", "a2a3"]
        blunder = chess.Move.from_uci("h2h3")
        assert engine.hits(mate_in_one, blunder)[0] == 0
