"""`chessgru players`: text table, --json, --verbose, aliases, errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chessgru.cli import main

PGN = (
    '[White "Karpov, Anatoly"]\n[Black "Kasparov,G"]\n[Result "1-0"]\n\n1. e4 e5 1-0\n\n'
    '[White "Karpov,An"]\n[Black "Kasparov, Gary"]\n[Result "0-1"]\n\n1. d4 d5 0-1\n\n'
    '[White "Karpov,Ana"]\n[Black "DrDrunkenstein"]\n[Result "*"]\n\n1. c4 *\n\n'
    '[White "a"]\n[Black "b"]\n[Variant "Crazyhouse"]\n\n1. e4 *\n\n'
    '[White "a"]\n[Black "b"]\n\n*\n'
)


@pytest.fixture()
def games(tmp_path: Path) -> Path:
    path = tmp_path / "g.pgn"
    path.write_text(PGN, encoding="utf-8")
    return path


def test_text_table_merges_and_skip_summary(games: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["players", str(games), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("3 games")
    table = [ln.split(None, 1) for ln in lines[lines.index("  games  player") + 1 :][:3]]
    assert table == [["3", "Karpov, Anatoly"], ["2", "Kasparov, Gary"], ["1", "DrDrunkenstein"]]
    assert "'Karpov,Ana' (1)" in out and "merged spellings" in out
    assert "2 games skipped" in out and "variant Crazyhouse" in out and "no moves" in out
    assert "game 4" not in out


def test_verbose_lists_each_skipped_game(games: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["players", str(games), "--verbose", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{games} game 4: variant Crazyhouse" in out
    assert f"{games} game 5: no moves" in out


def test_json_aliases_and_min_games(games: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["players", str(games), "--json", "--verbose", "--workers", "1"]
    argv += ["--alias", "DrDrunkenstein=Kasparov, Gary", "--min-games", "2"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["players"] == [
        {"name": "Karpov, Anatoly", "games": 3},
        {"name": "Kasparov, Gary", "games": 3},
    ]
    assert report["skipped"]["reasons"] == {"variant Crazyhouse": 1, "no moves": 1}
    assert report["skipped"]["games"][0] == {
        "file": str(games),
        "number": 4,
        "reason": "variant Crazyhouse",
    }


def test_aliases_file_and_no_merge(games: Path, tmp_path: Path, capsys) -> None:
    aliases = tmp_path / "aliases.txt"
    aliases.write_text("Karpov,An = Tolya\n", encoding="utf-8")
    assert main(["players", str(games), "--json", "--no-merge", "--aliases", str(aliases)]) == 0
    names = {p["name"]: p["games"] for p in json.loads(capsys.readouterr().out)["players"]}
    assert names["Tolya"] == 1 and names["Karpov, Anatoly"] == 1 and names["Kasparov,G"] == 1


def test_missing_path_and_empty_folder_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["players", str(tmp_path / "missing.pgn")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    (tmp_path / "empty").mkdir()
    assert main(["players", str(tmp_path / "empty")]) == 2
    assert "No PGN files" in capsys.readouterr().err
    assert main(["players", "--alias", "nonsense", str(tmp_path / "empty")]) == 2


def test_shared_online_file(shared_pgn: Path, capsys) -> None:
    path = shared_pgn / "online/cmrade_lichess.pgn"
    assert main(["players", str(path), "--json", "--workers", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["players"][0] == {"name": "cmrade", "games": 464}
    assert report["skipped"] == {"total": 10, "reasons": {"no moves": 10}}


def test_model_file_lists_the_players_it_knows(tmp_path: Path, capsys) -> None:
    torch = pytest.importorskip("torch")
    from chessgru.model.bundle import player_entry, save_bundle
    from chessgru.model.network import ChessGRU, ModelConfig

    torch.manual_seed(0)
    model = ChessGRU(
        ModelConfig(n_players=3, hidden=16, layers=1, embed=8, board_dim=8, player_dim=4)
    )
    players = [
        player_entry("population", games=10, moves=400),
        player_entry("Carlsen,M", ["Carlsen, Magnus"], 7, 300),
        player_entry("Tal,M", games=1, moves=40),
    ]
    path = tmp_path / "m.chessgru"
    save_bundle(path, model, players)
    assert main(["players", str(path), "--min-games", "2"]) == 0
    out = capsys.readouterr().out
    assert "population" in out and "Carlsen,M  (also: Carlsen, Magnus)" in out
    assert "Tal,M" not in out
    assert main(["players", str(path), "--json"]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["players"]] == [
        "population",
        "Carlsen,M",
        "Tal,M",
    ]
    assert main(["players", str(tmp_path / "missing.chessgru")]) == 2
