"""The move vocabulary: every legal move of real positions round-trips, both colours."""

from __future__ import annotations

import itertools

import chess
import chess.pgn
import numpy as np
import pytest

from chessgru.model.encoding import (
    ENCODER_VERSION,
    POSITION_WORDS,
    VOCAB_SIZE,
    VOCABULARY,
    decode_move,
    encode_game,
    encode_move,
    legal_mask,
    legal_tokens,
    position_words,
)


def test_vocabulary_size_and_uniqueness() -> None:
    assert VOCAB_SIZE == 1858
    assert len(set(VOCABULARY)) == VOCAB_SIZE
    assert ENCODER_VERSION >= 1


def test_black_moves_are_mirrored() -> None:
    e4 = encode_move(chess.Move.from_uci("e2e4"), chess.WHITE)
    e5 = encode_move(chess.Move.from_uci("e7e5"), chess.BLACK)
    assert e4 == e5
    board = chess.Board()
    board.push_san("e4")
    assert decode_move(e5, board) == chess.Move.from_uci("e7e5")


def _round_trip(board: chess.Board) -> int:
    tokens, moves = legal_tokens(board)
    assert len(set(tokens.tolist())) == len(moves), board.fen()
    for token, move in zip(tokens.tolist(), moves, strict=True):
        assert decode_move(token, board) == move, (board.fen(), move)
    assert legal_mask(board).sum() == len(moves)
    return len(moves)


PROMOTION_FENS = [
    "8/1P4k1/8/8/8/8/6K1/8 w - - 0 1",  # quiet promotion
    "1r1n4/2P3k1/8/8/8/8/6K1/8 w - - 0 1",  # captures both ways and straight
    "8/6K1/8/8/8/8/1p4k1/R1N5 b - - 0 1",  # Black promotes and captures
    "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1",  # every castling
    "r3k2r/8/8/8/8/8/8/R3K2R b KQkq - 0 1",
    "4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 2",  # en passant
]


@pytest.mark.parametrize("fen", PROMOTION_FENS)
def test_round_trip_special_moves(fen: str) -> None:
    assert _round_trip(chess.Board(fen)) > 0


def test_round_trip_every_legal_move_of_real_games(shared_pgn) -> None:
    positions = 0
    with open(shared_pgn / "masters/Tal.pgn", encoding="utf-8") as handle:
        for _ in range(40):
            game = chess.pgn.read_game(handle)
            board = game.board()
            for move in game.mainline_moves():
                _round_trip(board)
                board.push(move)
                positions += 1
    assert positions > 2000


def test_encode_game_shapes_and_flags() -> None:
    moves = [chess.Move.from_uci(u) for u in ("e2e4", "e7e5", "g1f3")]
    tokens, words = encode_game(moves)
    assert tokens.dtype == np.uint16 and tokens.shape == (3,)
    assert words.dtype == np.uint64 and words.shape == (3, POSITION_WORDS)
    # White to move at even plies, Black at odd; all castling rights at the start.
    flags = words[:, -1]
    assert [int(f) & 1 for f in flags] == [1, 0, 1]
    assert int(flags[0]) & 0b11110 == 0b11110
    assert tuple(int(w) for w in words[0]) == position_words(chess.Board())


def test_random_positions_round_trip() -> None:
    rng = np.random.default_rng(0)
    total = 0
    for _ in range(30):
        board = chess.Board()
        for _ in itertools.repeat(None, 200):
            total += _round_trip(board)
            moves = list(board.legal_moves)
            if not moves:
                break
            board.push(moves[rng.integers(len(moves))])
    assert total > 10000


def test_conditioning_buckets() -> None:
    from chessgru.model.encoding import ELO_BUCKETS, SPEEDS, elo_bucket, speed_class

    assert elo_bucket(None) == 0 and elo_bucket(0) == 0
    assert elo_bucket(500) == 1 and elo_bucket(1500) == 4 and elo_bucket(2850) == 11
    assert elo_bucket(5000) == ELO_BUCKETS - 1
    assert SPEEDS[speed_class("60+0")] == "bullet"
    assert SPEEDS[speed_class("180+2")] == "blitz"
    assert SPEEDS[speed_class("900+10")] == "rapid"
    assert SPEEDS[speed_class("5400+30")] == "classical"
    assert SPEEDS[speed_class("1/86400")] == "correspondence"
    assert speed_class(None) == 0 and speed_class("-") == 0 and speed_class("junk") == 0
