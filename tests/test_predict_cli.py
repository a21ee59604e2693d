"""`chessgru predict` end to end: text, JSON, PGN lines, and one sentence for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import chess
import pytest
import torch

from chessgru import paths
from chessgru.cli import main
from chessgru.commands.predict import parse_moves
from chessgru.errors import UserError
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig

CONFIG = ModelConfig(n_players=3, hidden=32, layers=1, embed=16, board_dim=32, player_dim=8)
PGN = """[Event "t"]
[White "Carlsen, Magnus"]
[Black "Someone Else"]
[WhiteElo "2850"]
[Result "1-0"]

1. e4 e5 2. Nf3 Nc6 3. Bb5 1-0

[Event "t"]
[White "Tal,M"]
[Black "Carlsen,M"]
[Result "0-1"]

1. d4 d5 0-1
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(2)
    path = tmp_path_factory.mktemp("model") / "small.chessgru"
    players = [player_entry("population"), player_entry("Carlsen,M", ["Carlsen, Magnus"]), "Tal,M"]
    save_bundle(path, ChessGRU(CONFIG), players)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_ranks_moves_in_san(model: Path, capsys) -> None:
    code, out, err = run(
        capsys, "--model", str(model), "--player", "Carlsen,M", "--moves", "1. e4 e5 2. Nf3"
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Black to move, move 2, after 2. Nf3"
    assert lines[1] == "Likeliest moves of Carlsen,M:"
    ranked = lines[2:]
    assert len(ranked) == 5 and ranked[0].lstrip().startswith("1. ")
    board = chess.Board()
    for san in ("e4", "e5", "Nf3"):
        board.push_san(san)
    for line in ranked:
        _, san, pct = line.split()
        board.parse_san(san)  # raises if the SAN is not legal here
        assert pct.endswith("%")


def test_json_output(model: Path, capsys) -> None:
    code, out, _ = run(
        capsys,
        "--model",
        str(model),
        "--player",
        "tal m",
        "--moves",
        "e2e4 c7c5",
        "--json",
        "--top",
        "3",
    )
    result = json.loads(out)
    assert code == 0 and result["player"] == "Tal,M"
    assert result["fen"].startswith("rnbqkbnr/pp1ppppp/8/2p5/4P3/8/PPPP1PPP/RNBQKBNR w")
    assert len(result["top"]) == 3
    board = chess.Board(result["fen"])
    for entry in result["top"]:
        move = chess.Move.from_uci(entry["uci"])
        assert board.is_legal(move) and board.san(move) == entry["san"] and 0 < entry["p"] < 1


def test_fen_with_moves_and_elo(model: Path, capsys) -> None:
    fen = "r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3"
    argv = [
        "--model",
        str(model),
        "--player",
        "population",
        "--fen",
        fen,
        "--moves",
        "3. Bb5 a6",
        "--json",
    ]
    code, out, _ = run(capsys, *argv, "--elo", "1500", "--time-control", "60+0")
    assert code == 0
    assert json.loads(out)["fen"].startswith(
        "r1bqkbnr/1ppp1ppp/p1n5/1B2p3/4P3/5N2/PPPP1PPP/RNBQK2R w"
    )
    code, out, _ = run(capsys, "--model", str(model), "--player", "population", "--fen", fen)
    assert code == 0 and out.startswith("White to move, move 3\n")


def test_game_over_is_said_plainly(model: Path, capsys) -> None:
    code, out, _ = run(
        capsys, "--model", str(model), "--player", "population", "--moves", "f3 e5 g4 Qh4#"
    )
    assert code == 0 and "game is over (checkmate)" in out


def test_pgn_gives_one_line_per_position(model: Path, tmp_path: Path, capsys) -> None:
    pgn = tmp_path / "games.pgn"
    pgn.write_text(PGN)
    code, out, _ = run(capsys, "--model", str(model), "--pgn", str(pgn), "--top", "2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 5 + 2
    assert [(x["game"], x["ply"]) for x in lines] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (2, 1),
        (2, 2),
    ]
    assert [x["player"] for x in lines] == ["Carlsen,M", "population"] * 2 + [
        "Carlsen,M",
        "Tal,M",
        "Carlsen,M",
    ]
    assert lines[4]["played"] == "f1b5" and len(lines[4]["top"]) == 2
    assert all(chess.Move.from_uci(uci) for x in lines for uci, _ in x["top"])
    code, out, _ = run(capsys, "--model", str(model), "--pgn", str(pgn), "--player", "Tal,M")
    assert {json.loads(line)["player"] for line in out.splitlines()} == {"Tal,M"}


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        (
            "1. e4 e5 2. Nf3 Nc6 3. Bb9",
            "move 5 (3. Bb9): 'Bb9' is not a legal move in this position.",
        ),
        ("e4 e4", "move 2 (1... e4): 'e4' is not a legal move"),
        ("e2e4 e7e4", "move 2 (1... e7e4): 'e7e4' is not a legal move"),
        ("1. e4 hello", "move 2 (1... hello)"),
        ("1. e4 e5 2. Ke3", "move 3 (2. Ke3): 'Ke3' is not a legal move"),
        ("e4 -- e5", "move 2 (1... --): '--' is not a legal move"),
        ("e4 e5 Z0", "move 3 (2. Z0): 'Z0' is not a legal move"),
        ("e4 e5 0000", "move 3 (2. 0000): '0000' is not a legal move"),
    ],
)
def test_bad_moves_name_the_move_and_ply(model: Path, capsys, moves: str, message: str) -> None:
    code, out, err = run(capsys, "--model", str(model), "--player", "population", "--moves", moves)
    assert code == 2 and out == ""
    assert err.startswith("chessgru: ") and message in err and "Traceback" not in err


def test_ambiguous_move_says_so() -> None:
    board = chess.Board("4k3/8/8/8/8/8/8/4KN1N w - - 0 1")
    with pytest.raises(UserError, match="'Ng3' is ambiguous"):
        parse_moves("Ng3", board)


def test_parse_moves_accepts_what_people_paste() -> None:
    moves = parse_moves("1.e4 e5 2. Nf3! Nc6?! 3.Bb5 a6 4. O-O 0-1", chess.Board())
    assert [m.uci() for m in moves] == ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "a7a6", "e1g1"]
    after_e4 = chess.Board("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1")
    assert [m.uci() for m in parse_moves("1... c5 2. Nf3", after_e4)] == ["c7c5", "g1f3"]
    assert [m.uci() for m in parse_moves("e2e4 e7e5 g1f3", chess.Board())] == [
        "e2e4",
        "e7e5",
        "g1f3",
    ]


def test_unknown_player_lists_the_nearest(model: Path, capsys) -> None:
    code, _, err = run(capsys, "--model", str(model), "--player", "Carlson", "--moves", "e4")
    assert code == 2 and "'Carlson'" in err and "Carlsen,M" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--moves", "e4"], "--player is required"),
        (["--player", "population"], "--moves MOVES, --fen FEN, or --pgn FILE"),
        (["--player", "population", "--moves", "e4", "--top", "0"], "--top must be"),
        (["--player", "population", "--fen", "not a fen"], "'not a fen' is not a valid FEN"),
        (
            ["--player", "population", "--fen", "8/8/8/8/8/8/8/8 w - - 0 1"],
            "not a legal chess position",
        ),
        (["--pgn", "x.pgn", "--moves", "e4"], "either --pgn or --moves"),
    ],
)
def test_bad_arguments_are_one_sentence(model: Path, capsys, argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "--model", str(model), *argv)
    assert code == 2 and message in err


def test_corrupt_model_is_one_sentence(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.chessgru"
    bad.write_bytes(b"\x00" * 100)
    code, _, err = run(capsys, "--model", str(bad), "--player", "population", "--moves", "e4")
    assert code == 2 and err.count("\n") == 1 and "not a chessgru model file" in err


def test_default_model_is_the_shipped_one(model: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(paths, "base_model_path", lambda: model)
    code, out, _ = run(capsys, "--player", "Carlsen,M", "--moves", "e4", "--json")
    assert code == 0 and json.loads(out)["player"] == "Carlsen,M"
    monkeypatch.setattr(paths, "base_model_path", lambda: None)
    code, _, err = run(capsys, "--player", "Carlsen,M", "--moves", "e4")
    assert code == 2 and "no base model" in err


def test_python_dash_m_runs_the_command(model: Path) -> None:
    argv = [
        "--model",
        str(model),
        "--player",
        "Carlsen,M",
        "--moves",
        "1. d4",
        "--json",
        "--top",
        "2",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "chessgru", "predict", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["top"]) == 2
    bad = subprocess.run(
        [sys.executable, "-m", "chessgru", "predict", *argv[:4], "--moves", "1. d5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "'d5' is not a legal move" in bad.stderr
