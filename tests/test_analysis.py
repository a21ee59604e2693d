"""Who is playing and what comes next: rankings, beam lines, and their commands."""

from __future__ import annotations

import json
import math
from pathlib import Path

import chess
import pytest
import torch

from chessgru.analysis.game import prepare_game
from chessgru.analysis.lines import beam_lines
from chessgru.analysis.who import exact_scores, rank, shared_state_scores
from chessgru.cli import main
from chessgru.model.bundle import build_model, load_bundle, player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.predict import Predictor

CONFIG = ModelConfig(n_players=5, hidden=32, layers=1, embed=16, board_dim=32, player_dim=8)
PLAYERS = [
    player_entry("population"),
    player_entry("Tal, Mihail", games=10),
    player_entry("Karpov, Anatoly", games=10),
    player_entry("Kasparov, Gary", games=10),
    player_entry("Kasparov,S", games=3),
]
# What each person played as White in training: Tal attacks, Karpov closes, Kasparov fianchettoes.
OWN_GAMES = {
    1: "e4 e5 f4 exf4 Nf3 g5 Bc4 g4 O-O gxf3 Qxf3",
    2: "d4 Nf6 c4 e6 Nf3 b6 g3 Bb7 Bg2 Be7 O-O",
    3: "c4 e5 g3 Nf6 Bg2 d5 cxd5 Nxd5 Nc3 Nb6 d3",
}


def moves_of(sans: str, board: chess.Board | None = None) -> list[chess.Move]:
    board = chess.Board() if board is None else board.copy()
    return [board.push_san(san) for san in sans.split()]


def _inputs(moves: list[chess.Move], white: int) -> tuple[torch.Tensor, ...]:
    game = prepare_game(moves)
    cond = game.rows(chess.WHITE, [white])
    targets = torch.tensor([int(t) for t in _played(moves)])
    return game.tokens_in[None], game.positions[None], cond, targets


def _played(moves: list[chess.Move]) -> list[int]:
    game = prepare_game(moves)
    return [*game.tokens_in[1:].tolist(), _last_token(moves)]


def _last_token(moves: list[chess.Move]) -> int:
    from chessgru.model import encoding

    board = chess.Board()
    for move in moves[:-1]:
        board.push(move)
    return encoding.encode_move(moves[-1], board.turn)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small network that learned each person's own White game (a few hundred steps)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only wait on a busy machine
    model = ChessGRU(CONFIG)
    batches = [_inputs(moves_of(sans), row) for row, sans in OWN_GAMES.items()]
    optimiser = torch.optim.Adam(model.parameters(), lr=0.03)
    model.train()
    for _ in range(30):
        optimiser.zero_grad()
        loss = sum(
            torch.nn.functional.cross_entropy(model(t, p, c)[0][0], y) for t, p, c, y in batches
        )
        loss.backward()
        optimiser.step()
    torch.set_num_threads(threads)
    path = tmp_path_factory.mktemp("model") / "who.chessgru"
    save_bundle(path, model.eval(), PLAYERS)
    return path


@pytest.fixture(scope="module")
def model(model_path: Path) -> ChessGRU:
    return build_model(load_bundle(model_path))


@pytest.mark.parametrize("row", sorted(OWN_GAMES))
def test_known_person_ranks_first_on_their_own_moves(model: ChessGRU, row: int) -> None:
    game = prepare_game(moves_of(OWN_GAMES[row]))
    names = [p["name"] for p in PLAYERS]
    for shortlist in (0, 2):
        ranking = rank(model, names, [(game, chess.WHITE)], shortlist=shortlist)
        assert ranking.players[0] == row
        assert ranking.names[0] == names[row]
        assert 0 not in ranking.players  # the population is not a person
        assert ranking.probs.sum() == pytest.approx(1.0)
        assert list(ranking.probs) == sorted(ranking.probs, reverse=True)
        assert ranking.moves == len(game.sides[chess.WHITE])
    assert ranking.evidence and all(e.p_best > e.p_runner_up for e in ranking.evidence)


def test_exact_scores_are_the_predictors_log_probabilities(model_path: Path) -> None:
    predictor = Predictor.load(model_path)
    moves = moves_of("e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6")
    game = prepare_game(moves)
    scores = exact_scores(predictor.model, game, chess.BLACK, [2, 3], opponent=1, chunk=1)
    for i, row in enumerate([2, 3]):
        dists = predictor.predict_game(moves, white=1, black=row, k=None)
        expected = [math.log(dict(dists[p])[moves[p]]) for p in range(1, len(moves), 2)]
        torch.testing.assert_close(scores[i], torch.tensor(expected), atol=1e-4, rtol=1e-4)


def test_shared_state_is_exact_for_the_population(model: ChessGRU) -> None:
    game = prepare_game(moves_of("d4 d5 c4 e6 Nc3 Nf6 Bg5 Be7"), white_elo=2500)
    for side in (chess.WHITE, chess.BLACK):
        approximate = shared_state_scores(model, game, side)
        assert approximate is not None and approximate.shape == (5, 4)
        torch.testing.assert_close(approximate[0], exact_scores(model, game, side, [0])[0])


def test_a_shortcut_that_disagrees_falls_back_to_exact(model: ChessGRU, monkeypatch) -> None:
    from chessgru.analysis import who

    game = prepare_game(moves_of(OWN_GAMES[1]))
    names = [p["name"] for p in PLAYERS]
    monkeypatch.setattr(who, "shared_state_scores", lambda *a: torch.zeros(5, 6))
    ranking = rank(model, names, [(game, chess.WHITE)], shortlist=1)
    exact = exact_scores(model, game, chess.WHITE, ranking.players).sum(1)
    assert ranking.scores == pytest.approx(exact.double().numpy(), abs=1e-4)


def test_an_empty_side_scores_nothing(model: ChessGRU) -> None:
    game = prepare_game(moves_of("e4"))
    ranking = rank(model, [p["name"] for p in PLAYERS], [(game, chess.BLACK)])
    assert ranking.moves == 0 and ranking.probs == pytest.approx([0.25] * 4)


def test_lines_are_legal_and_products_of_the_move_probabilities(model_path: Path) -> None:
    predictor = Predictor.load(model_path)
    start = moves_of("e4 e5 Nf3")
    white, black = predictor.player_cond("Tal"), predictor.player_cond("Karpov")
    found = beam_lines(predictor.model, start, white, black, depth=4, lines=5)
    assert len(found) == 5
    assert [line.p for line in found] == sorted((line.p for line in found), reverse=True)
    assert len({line.moves for line in found}) == 5
    predictor.set_player(chess.WHITE, "Tal")
    predictor.set_player(chess.BLACK, "Karpov")
    for line in found:
        assert len(line.moves) == 4
        assert line.p == pytest.approx(math.prod(line.move_probs))
        predictor.new_game()
        for move in start:
            predictor.push(move)
        for move, p in zip(line.moves, line.move_probs, strict=True):
            assert predictor.board.is_legal(move)
            assert predictor.probabilities()[move] == pytest.approx(p, abs=1e-5)
            predictor.push(move)


def test_the_best_line_is_the_greedy_line_at_depth_one(model_path: Path) -> None:
    predictor = Predictor.load(model_path)
    best = beam_lines(predictor.model, [], (1, 0, 0), (2, 0, 0), depth=1, lines=3)
    predictor.set_player(chess.WHITE, 1)
    top = predictor.top(3)
    assert [line.moves[0] for line in best] == [m for m, _ in top]
    assert [line.p for line in best] == pytest.approx([p for _, p in top], abs=1e-6)


def test_lines_stop_at_mate() -> None:
    model = ChessGRU(CONFIG).eval()
    mated = moves_of("f3 e5 g4")  # Black mates with Qh4#
    found = beam_lines(model, mated, (0, 0, 0), (0, 0, 0), depth=3, lines=40, width=40)
    mates = [line for line in found if line.san[0] == "Qh4#"]
    assert mates and len(mates[0].moves) == 1


PGN = """[White "Tal, Mihail"]
[Black "Karpov, Anatoly"]
[Result "*"]

1. e4 e5 2. f4 exf4 3. Nf3 g5 4. Bc4 g4 5. O-O gxf3 6. Qxf3 *

[White "Broken"]
[Black "Game"]

1. e4 Ke7 Qxf7 *

[White "X"]
[Black "Y"]

1. c4 e5 2. g3 Nf6 3. Bg2 d5 *
"""


def test_who_json_one_line_per_game_and_side(model_path: Path, tmp_path: Path, capsys) -> None:
    pgn = tmp_path / "games.pgn"
    pgn.write_text(PGN)
    assert main(["who", str(pgn), "--model", str(model_path), "--json", "--top", "3"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["game"], r["side"]) for r in rows] == [
        (0, "white"), (0, "black"), (1, "white"), (1, "black"),
    ]  # fmt: skip
    for r in rows:
        assert set(r) >= {"game", "side", "ranking"}
        assert len(r["ranking"]) == 3 and set(r["ranking"][0]) == {"player", "p"}
        ps = [c["p"] for c in r["ranking"]]
        assert ps == sorted(ps, reverse=True) and sum(ps) <= 1 + 1e-6
    assert rows[0]["ranking"][0]["player"] == "Tal, Mihail"
    assert rows[3]["ranking"][0]["player"] == "Kasparov, Gary" or rows[2]["ranking"]
    assert "game 2" in err and "skipped" in err


def test_who_text_and_side(model_path: Path, tmp_path: Path, capsys) -> None:
    pgn = tmp_path / "games.pgn"
    pgn.write_text(PGN)
    assert main(["who", str(pgn), "--model", str(model_path), "--side", "white"]) == 0
    out = capsys.readouterr().out
    assert out.count("plays like") == 2 and "Black" not in out.split("plays like")[0][-30:]
    assert "1. Tal, Mihail" in out


def test_lines_json_schema(model_path: Path, capsys) -> None:
    argv = ["lines", "--model", str(model_path), "--white", "Tal", "--black", "Karpov"]
    assert main([*argv, "--moves", "1. e4 e5", "--depth", "3", "--lines", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["lines"]) == 4
    for line in out["lines"]:
        assert set(line) == {"moves", "san", "p"} and len(line["moves"]) == 3
        board = chess.Board()
        board.push_san("e4")
        board.push_san("e5")
        for uci, san in zip(line["moves"], line["san"], strict=True):
            assert board.san(chess.Move.from_uci(uci)) == san
            board.push_uci(uci)
    assert main([*argv, "--moves", "1. e4 e5"]) == 0
    assert "1.  " not in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lines", "--white", "Kasparov"], "could be any of"),
        (["lines", "--moves", "1. e4 e4"], "not a legal move"),
        (["lines", "--depth", "0"], "--depth"),
        (["who", "missing.pgn"], "missing.pgn"),
    ],
)
def test_bad_input_is_one_sentence(model_path: Path, capsys, argv: list[str], message: str) -> None:
    assert main([*argv, "--model", str(model_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
