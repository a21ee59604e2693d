"""The evaluation protocol end to end on a hand-made PGN: tree, random, model, CLI, plot."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import chess
import pytest
import torch

from chessgru.cli import main
from chessgru.commands.evaluate import choose_players, resolve_player
from chessgru.errors import UserError
from chessgru.evaluation.protocol import evaluate
from chessgru.evaluation.report import _binned, format_report, plot_report
from chessgru.games.corpus import load_corpus
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig

STOCKFISH = shutil.which("stockfish") or shutil.which("/usr/games/stockfish")

# (white, black, date, moves). Alice's newest game is the test game (ceil(0.2 x 5) = 1);
# an older copy of it dated a day earlier is the one the de-duplication keeps.
GAMES = [
    ("Bob", "Carol", "1990.01.01", "e4 e5 Nf3"),
    ("Bob", "Carol", "1991.01.01", "e4 e5 Nf3"),
    ("Bob", "Carol", "1992.01.01", "e4 e5 Bc4"),
    ("Alice", "Bob", "2000.01.01", "e4 e5"),
    ("Alice", "Bob", "2001.??.??", "e4 c5"),
    ("Alice", "Bob", "2002.01.01", "d4 d5"),
    ("Bob", "Alice", "2003.01.01", "Nf3 d5"),
    ("Alice", "Carol", "2010.01.02", "e4 e5 Nf3 Nc6 Bb5"),
    ("Alice", "Carol", "2010.01.01", "e4 e5 Nf3 Nc6 Bb5"),
]
#: Legal moves for White after 1.e4 e5 2.Nf3 Nc6, where only the test game went.
N_LEGAL_RUY = 27


def write_pgn(path: Path, games=GAMES) -> Path:
    texts = []
    for white, black, date, moves in games:
        sans = moves.split()
        movetext = " ".join(
            (f"{i // 2 + 1}. " if i % 2 == 0 else "") + san for i, san in enumerate(sans)
        )
        texts.append(
            f'[Event "t"]\n[White "{white}"]\n[Black "{black}"]\n[Date "{date}"]\n'
            f'[Result "*"]\n\n{movetext} *\n'
        )
    path.write_text("\n".join(texts), encoding="utf-8")
    return path


@pytest.fixture
def pgn(tmp_path: Path) -> Path:
    return write_pgn(tmp_path / "games.pgn")


@pytest.fixture
def corpus(pgn: Path):
    return load_corpus([pgn], workers=1, progress=False)


def curve(report: dict, method: str) -> dict:
    return report["players"][0]["by_move"][method]


def test_legal_move_count_of_the_unseen_position():
    board = chess.Board()
    for san in ["e4", "e5", "Nf3", "Nc6"]:
        board.push_san(san)
    assert board.legal_moves.count() == N_LEGAL_RUY


def test_tree_player_first_then_population_then_random_and_no_leak(corpus):
    report = evaluate(corpus, ["Alice"], progress=False)
    alice = report["players"][0]
    assert (alice["games"], alice["train_games"], alice["test_games"]) == (5, 4, 1)
    assert alice["positions"] == 3 and alice["positions_ply10"] == 0
    tree, rand = curve(report, "opening_tree"), curve(report, "random")
    assert tree["move"] == [1, 2, 3]
    # Move 1: Alice's own most frequent first move (e4 twice, d4 once).
    assert tree["top1"][0] == 1.0
    # Move 2: Alice never moved here in train games; the population played Nf3 twice, Bc4 once.
    assert tree["top1"][1] == 1.0 and tree["top3"][1] == 1.0
    # Move 3: only the test game (and its dropped copy) reached it: random, not a leak.
    assert tree["top1"][2] == pytest.approx(1 / N_LEGAL_RUY)
    assert tree["top5"][2] == pytest.approx(5 / N_LEGAL_RUY)
    assert rand["top1"][2] == pytest.approx(1 / N_LEGAL_RUY)
    assert rand["top1"][0] == pytest.approx(1 / 20)
    results = alice["results"]["opening_tree"]
    assert results["all"]["top1"] == pytest.approx((2 + 1 / N_LEGAL_RUY) / 3)
    assert results["ply10"]["top1"] is None
    assert "no model" in " ".join(report["notes"])


def test_tree_uses_only_the_players_train_games(corpus):
    # Carol plays Black only; her 1990 and 1991 games repeat one move sequence: counted once.
    report = evaluate(corpus, ["Carol"], progress=False)
    carol = report["players"][0]
    assert (carol["train_games"], carol["test_games"]) == (2, 1)
    assert carol["positions"] == 2  # her e5 and Nc6 in the newest game


def test_player_names_resolve_and_unknown_names_fail(corpus):
    assert resolve_player(corpus, "alice") == "Alice"
    with pytest.raises(UserError, match="Alice"):
        resolve_player(corpus, "Alicia")
    assert choose_players(corpus, None, min_games=6) == ["Bob", "Alice"]  # most games first
    with pytest.raises(UserError, match="min-games"):
        choose_players(corpus, None, min_games=50)


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(n_players=2, hidden=16, layers=1, embed=8, board_dim=16, player_dim=4)
    path = tmp_path / "tiny.chessgru"
    save_bundle(path, ChessGRU(config), [player_entry("population"), player_entry("Alice")])
    return path


def test_cli_json_report_and_plot(pgn, model_path, tmp_path, capsys):
    plot, report_file = tmp_path / "acc.png", tmp_path / "report.json"
    argv = ["evaluate", "--model", str(model_path), str(pgn), "--min-games", "6", "--json"]
    argv += ["--plot", str(plot), "--report", str(report_file)]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads(report_file.read_text())
    assert [p["name"] for p in report["players"]] == ["Bob", "Alice"]
    conditioning = {p["name"]: p["model_conditioning"] for p in report["players"]}
    assert conditioning == {"Alice": "player", "Bob": "population"}
    for p in report["players"]:
        model = p["results"]["model"]
        assert model["positions"] == p["positions"]
        top = [model["all"][f"top{k}"] for k in (1, 3, 5)]
        assert 0 <= top[0] <= top[1] <= top[2] <= 1
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "does not know Bob" in " ".join(report["notes"])


def test_cli_table_and_errors(pgn, capsys):
    assert main(["evaluate", "--no-model", str(pgn), "--player", "Alice"]) == 0
    out = capsys.readouterr().out
    assert "Alice: 5 games (4 train, 1 test)" in out and "opening tree" in out
    assert main(["evaluate", "--no-model", str(pgn), "--player", "Alicia"]) == 2
    assert "nearest: 'Alice'" in capsys.readouterr().err
    assert main(["evaluate", "--no-model", str(pgn), "--test-fraction", "1.5"]) == 2


def test_format_report_lists_every_method(corpus):
    text = format_report(evaluate(corpus, ["Alice", "Bob"], progress=False))
    assert text.count("random legal move") == 2 and "note: no engine given" in text


@pytest.mark.skipif(STOCKFISH is None, reason="stockfish is not installed")
def test_cli_engine_on_a_fixed_sample(pgn, capsys):
    argv = ["evaluate", "--no-model", str(pgn), "--player", "Alice", "--json"]
    argv += ["--engine", STOCKFISH, "--engine-depth", "4", "--engine-max-positions", "2"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    engine = report["players"][0]["results"]["engine"]
    assert engine["positions"] == 2
    assert report["engine"]["depth"] == 4 and "sample" in " ".join(report["notes"])
    assert main(argv) == 0  # the same seed samples the same moves
    assert json.loads(capsys.readouterr().out)["players"][0]["results"]["engine"] == engine


def test_plot_without_matplotlib_says_what_to_install(corpus, tmp_path, monkeypatch):
    report = evaluate(corpus, ["Alice"], progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UserError, match=r"chessgru\[plot\]"):
        plot_report(report, tmp_path / "x.png")


def test_plot_bins_sparse_curves_by_weighted_mean():
    sparse = {"move": [1, 2, 3], "positions": [3, 1, 3], "top1": [1.0, 0.0, 0.5]}
    sparse |= {"top3": sparse["top1"], "top5": sparse["top1"]}
    binned = _binned(sparse, min_positions=6)  # median 3 per move -> bins of 2 moves
    assert binned["positions"].tolist() == [4.0, 3.0]
    assert binned["top1"].tolist() == pytest.approx([0.75, 0.5])
    assert binned["move"].tolist() == pytest.approx([1.25, 3.0])
    assert _binned(sparse, min_positions=2)["move"].tolist() == [1, 2, 3]
