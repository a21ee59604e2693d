"""Crafted model headers: every field checked before anything is built (issue 15, item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from chessgru.cli import main
from chessgru.errors import UserError
from chessgru.model.bundle import HEADER_KEY, load_bundle, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.chessgru"
    torch.manual_seed(0)
    net = ChessGRU(ModelConfig(n_players=2, hidden=8, layers=1, embed=8, board_dim=8))
    save_bundle(path, net, ["population", "Tal,M"])
    return path


def craft(path: Path, edit) -> None:
    """Rewrite the header of ``path`` through ``edit(header) -> header or raw JSON text``."""
    with safe_open(str(path), framework="pt") as f:
        header = json.loads(f.metadata()[HEADER_KEY])
    new = edit(header)
    raw = new if isinstance(new, str) else json.dumps(new)
    save_file(load_file(str(path)), str(path), metadata={HEADER_KEY: raw})


def setting(name: str, value: object):
    def edit(header: dict) -> dict:
        header["model_config"][name] = value
        return header

    return edit


def second_player(entry: dict):
    def edit(header: dict) -> dict:
        header["players"][1] = entry
        return header

    return edit


def player_name(value: object):
    def edit(header: dict) -> dict:
        header["players"][1]["name"] = value
        return header

    return edit


CASES = {
    "name null": player_name(None),
    "name a number": player_name(7),
    "name empty": player_name(" "),
    "aliases not a list": second_player({"name": "x", "aliases": 3}),
    "games negative": second_player({"name": "x", "games": -1}),
    "players not a list": lambda h: {**h, "players": "Tal"},
    "metrics a list": lambda h: {**h, "metrics": [1, 2]},
    "nested deep": lambda h: '{"a": ' * 100_000 + "1" + "}" * 100_000,
    "header a list": lambda h: "[1, 2]",
    "hidden -5": setting("hidden", -5),
    "layers 0": setting("layers", 0),
    "dropout 5": setting("dropout", 5.0),
    "dropout nan": lambda h: json.dumps(h).replace('"dropout": 0.1', '"dropout": NaN'),
    "hidden 200000": setting("hidden", 200_000),
    "players 10**9": setting("n_players", 10**9),
    "layers 60000": setting("layers", 60_000),  # no allocation, but minutes to build
    "model_config a list": lambda h: {**h, "model_config": [1]},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_crafted_header_is_one_sentence(model_file: Path, case: str, capsys) -> None:
    craft(model_file, CASES[case])
    with pytest.raises(UserError) as caught:
        load_bundle(model_file)
    assert str(model_file) in str(caught.value)
    for argv in (
        ["players", str(model_file)],
        ["predict", "--model", str(model_file), "--moves", "e4"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("chessgru: ") and err.count("\n") == 1


def test_another_vocabulary_is_named_as_such(model_file: Path) -> None:
    craft(model_file, setting("vocab_size", 1000))
    with pytest.raises(UserError, match="1000 moves"):
        load_bundle(model_file)


def test_a_sound_file_still_loads(model_file: Path, tmp_path: Path) -> None:
    assert load_bundle(model_file).player_names == ["population", "Tal,M"]
    many = ModelConfig(n_players=3000, hidden=8, layers=3, embed=8, board_dim=8, player_dim=2)
    save_bundle(tmp_path / "many.chessgru", ChessGRU(many), [f"p{i}" for i in range(3000)])
    assert load_bundle(tmp_path / "many.chessgru").config == many
