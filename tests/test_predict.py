"""The predictor: live and batch paths agree, every prediction is legal, players resolve."""

from __future__ import annotations

import itertools
from pathlib import Path

import chess
import pytest
import torch

from chessgru import paths
from chessgru.errors import UserError
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.predict import GameInput, Predictor

CONFIG = ModelConfig(n_players=4, hidden=48, layers=2, embed=16, board_dim=32, player_dim=8)
PLAYERS = [
    player_entry("population"),
    player_entry("Carlsen,M", ["Carlsen, Magnus", "DrDrunkenstein"], 20, 900),
    player_entry("Karpov, Anatoly", ["Karpov,An"], 30, 1200),
    player_entry("Tal,M", games=5),
]
SICILIAN = "e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6 Be3 e5 Nb3 Be6 f3 Be7 Qd2 O-O O-O-O Nbd7"


def sans_to_moves(sans: str, board: chess.Board | None = None) -> list[chess.Move]:
    board = chess.Board() if board is None else board.copy()
    moves = []
    for san in sans.split():
        moves.append(board.push_san(san))
    return moves


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("model") / "small.chessgru"
    save_bundle(path, ChessGRU(CONFIG), PLAYERS)
    return path


@pytest.fixture
def predictor(model_path: Path) -> Predictor:
    return Predictor.load(model_path)


def assert_same(a: list[tuple[chess.Move, float]], b: list[tuple[chess.Move, float]]) -> None:
    assert [m for m, _ in a] == [m for m, _ in b]
    torch.testing.assert_close([p for _, p in a], [p for _, p in b], atol=1e-5, rtol=1e-5)


def test_top_is_legal_ranked_and_normalised(predictor: Predictor) -> None:
    top = predictor.top(5)
    assert len(top) == 5
    assert all(predictor.board.is_legal(m) for m, _ in top)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and sum(probs) < 1
    every = predictor.probabilities()
    assert set(every) == set(chess.Board().legal_moves)
    assert sum(every.values()) == pytest.approx(1.0)
    assert list(every.items())[:5] == top
    assert len(predictor.top(100)) == 20


def test_live_and_batch_agree(predictor: Predictor) -> None:
    moves = sans_to_moves(SICILIAN)
    predictor.set_player(chess.WHITE, "Carlsen,M", elo=2800, time_control="180+2")
    predictor.set_player(chess.BLACK, "Tal,M", elo=2600, time_control="180+2")
    live = []
    for move in moves:
        live.append(predictor.top(7))
        predictor.push(move)
    batch = predictor.predict_game(
        moves, "Carlsen,M", "Tal,M", k=7, white_elo=2800, black_elo=2600, time_control="180+2"
    )
    assert len(batch) == len(moves)
    for a, b in zip(live, batch, strict=True):
        assert_same(a, b)


def test_players_change_the_prediction(predictor: Predictor) -> None:
    moves = sans_to_moves(SICILIAN)
    as_carlsen = predictor.predict_game(moves, "Carlsen,M", "Carlsen,M", k=None)
    as_tal = predictor.predict_game(moves, "Tal,M", "Tal,M", k=None)
    assert dict(as_carlsen[-1]) != pytest.approx(dict(as_tal[-1]))


def test_pop_restores_the_state(predictor: Predictor) -> None:
    moves = sans_to_moves(SICILIAN)
    for move in moves[:6]:
        predictor.push(move)
    before = predictor.top(10)
    for move in moves[6:12]:
        predictor.push(move)
        predictor.top()
    for move in reversed(moves[6:12]):
        assert predictor.pop() == move
    assert predictor.top(10) == before
    assert predictor.board.move_stack == moves[:6]
    predictor.new_game()
    with pytest.raises(IndexError):
        predictor.pop()


def test_set_player_mid_game_replays_the_moves(predictor: Predictor) -> None:
    moves = sans_to_moves(SICILIAN)
    for move in moves:
        predictor.push(move)
    predictor.set_player(chess.BLACK, "karpov anatoly", elo=2700)
    assert predictor.board.move_stack == moves
    assert predictor.player_index(chess.BLACK) == 2
    expected = predictor.predict_game(
        moves, "population", "Karpov, Anatoly", black_elo=2700, k=None
    )
    predictor.pop()  # the batch path's last entry is the position before the last move
    assert_same(list(predictor.probabilities().items()), expected[-1])


def test_fen_start_agrees_between_paths(predictor: Predictor) -> None:
    start = chess.Board("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3")
    moves = sans_to_moves("Bb5 a6 Ba4 Nf6 O-O Be7", start)
    predictor.new_game(start)
    live = []
    for move in moves:
        live.append(predictor.top())
        predictor.push(move)
    for a, b in zip(live, predictor.predict_game(moves, board=start), strict=True):
        assert_same(a, b)


def test_black_to_move_fen_start(predictor: Predictor) -> None:
    start = chess.Board("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1")
    predictor.new_game(start)
    assert all(start.is_legal(m) for m, _ in predictor.top())
    assert_same(predictor.top(), predictor.predict_game(sans_to_moves("c5", start), board=start)[0])


def test_batches_of_games_match_single_games(predictor: Predictor) -> None:
    games = [
        GameInput(sans_to_moves(SICILIAN), "Carlsen,M", "Tal,M", white_elo=2850),
        GameInput(sans_to_moves("d4 d5 c4")),
        GameInput([]),
        GameInput(sans_to_moves("e4 e5 Qh5 Nc6 Bc4 Nf6 Qxf7#"), 2, 3, time_control="60+0"),
    ]
    batched = list(predictor.predict_games(games, k=3, batch_size=3))
    assert [len(g) for g in batched] == [20, 3, 0, 7]
    for game, got in zip(games, batched, strict=True):
        single = predictor.predict_game(
            game.moves, game.white, game.black, k=3, white_elo=game.white_elo,
            time_control=game.time_control,
        )  # fmt: skip
        for a, b in zip(single, got, strict=True):
            assert_same(a, b)


def test_checkmate_has_no_prediction(predictor: Predictor) -> None:
    for move in sans_to_moves("f3 e5 g4 Qh4#"):
        predictor.push(move)
    assert predictor.top() == [] and predictor.probabilities() == {}


def test_illegal_moves_are_refused(predictor: Predictor) -> None:
    with pytest.raises(UserError, match="e2e5 is not a legal move"):
        predictor.push(chess.Move.from_uci("e2e5"))
    assert predictor.board.move_stack == []
    moves = [*sans_to_moves("e4 e5"), chess.Move.from_uci("e1e3")]
    with pytest.raises(UserError, match="move 3 \\(e1e3\\)"):
        predictor.predict_game(moves)


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("Carlsen,M", 1),
        ("population", 0),
        ("Population", 0),
        ("carlsen m", 1),
        ("Carlsen, Magnus", 1),
        ("drdrunkenstein", 1),
        ("KARPOV,AN", 2),
        ("Karpov Anatoly", 2),
        ("karpov", 2),  # a unique surname, as people type it
        ("Tal", 3),
        (3, 3),
    ],
)
def test_resolve_player(predictor: Predictor, name: str | int, row: int) -> None:
    assert predictor.resolve_player(name) == row


def test_unknown_player_names_the_nearest(predictor: Predictor) -> None:
    with pytest.raises(UserError, match=r"'Karpow'.*nearest known: 'Karpov, Anatoly'") as err:
        predictor.resolve_player("Karpow")
    assert "population" in str(err.value)
    with pytest.raises(UserError, match="knows 3 players"):
        predictor.resolve_player("Zzyzx Qwerty")
    with pytest.raises(UserError, match="player number 9"):
        predictor.resolve_player(9)


def test_players_list(predictor: Predictor) -> None:
    assert predictor.players == ["population", "Carlsen,M", "Karpov, Anatoly", "Tal,M"]


def test_no_shipped_model_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "base_model_path", lambda: None)
    with pytest.raises(UserError, match=r"no base model.*chessgru train"):
        Predictor.load()


def test_every_prediction_is_legal_on_real_games(predictor: Predictor, shared_pgn: Path) -> None:
    from chessgru.games.pgn import read_games

    games = []
    for source in ("masters/Tal.pgn", "online/cmrade_lichess.pgn"):
        found = (g for g in read_games(shared_pgn / source) if isinstance(g, tuple))
        games += [GameInput(moves) for _, moves in itertools.islice(found, 40)]
    positions = 0
    for game, predictions in zip(
        games, predictor.predict_games(games, k=5, batch_size=16), strict=True
    ):
        board = chess.Board()
        for move, top in zip(game.moves, predictions, strict=True):
            assert top and all(board.is_legal(m) for m, _ in top)
            assert sum(p for _, p in top) <= 1 + 1e-6
            positions += 1
            board.push(move)
    assert positions > 3000
