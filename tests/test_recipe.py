"""The base model's recipe: one command, honest hold-out, never the online players."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from chessgru.cli import build_parser

tomllib = pytest.importorskip("tomllib", reason="the recipe script needs Python 3.11+")
ROOT = Path(__file__).resolve().parents[1]


def _make_base():
    spec = importlib.util.spec_from_file_location("make_base", ROOT / "training/make_base.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_base"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("recipe", "files"),
    [
        ("base_model.toml", ["pgnmentor_players_all.pgn.gz", "masters"]),
        ("base_tower.toml", ["pgnmentor_players_all.pgn.gz", "masters", "amateur"]),
    ],
)
def test_recipe_is_one_valid_train_command_that_holds_out_the_masters(
    recipe: str, files: list[str]
) -> None:
    text = tomllib.loads((ROOT / "training" / recipe).read_text(encoding="utf-8"))
    argv = _make_base().train_command(text, Path("base.chessgru"))
    args = build_parser().parse_args(argv[1:])  # the real CLI accepts every option
    assert args.from_scratch and args.holdout == 0.2
    assert [Path(p).name for p in args.pgn] == files
    # The amateurs' accounts train the population only: no rows of their own.
    assert [Path(p).name for p in args.population_from] == files[2:]
    assert [Path(p).name for p in args.holdout_from] == ["masters"]
    assert len(args.holdout_players) == 9  # every masters file's player
    assert not any("online" in part for part in argv)  # real people's accounts never ship


def test_a_recipe_without_a_holdout_trains_on_everything_it_names() -> None:
    """A base that never saw some players (the few-shot curves' masters-as-new-people arm)
    has no test games of its own to hold out: the command simply has no --holdout."""
    text = tomllib.loads((ROOT / "training/base_tower.toml").read_text(encoding="utf-8"))
    data = text["data"]
    for key in ("holdout", "holdout_from", "holdout_players"):
        del data[key]
    data["train"] = [p for p in data["train"] if p != "masters"]
    argv = _make_base().train_command(text, Path("base.chessgru"))
    args = build_parser().parse_args(argv[1:])
    assert args.holdout is None and not args.holdout_from and not args.holdout_players
    assert [Path(p).name for p in args.pgn] == ["pgnmentor_players_all.pgn.gz", "amateur"]
