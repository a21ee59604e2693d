"""A family's library for the learning tests: two people, random legal games, a tiny model."""

from __future__ import annotations

from pathlib import Path

import chess
import torch
from fake_sites import random_moves

from chessgru.library.records import NewGame
from chessgru.library.store import Library
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig


def tiny_model(path: Path) -> Path:
    """A small random model that knows nobody: learning must add the family."""
    torch.manual_seed(0)
    config = ModelConfig(n_players=1, hidden=32, layers=1, embed=16, board_dim=32)
    save_bundle(path, ChessGRU(config), [player_entry("population")])
    return path


def uci(seed: int) -> list[str]:
    board = chess.Board()
    return [board.push_san(san).uci() for san in random_moves(seed, 40)]


def family_library(path: Path, games: int = 6) -> Path:
    with Library(path) as lib:
        lib.add_person("Dad", rating=1500)
        lib.add_person("Kid")
        for i in range(games):
            white, black = ("Dad", "Kid") if i % 2 else ("Kid", "Dad")
            lib.add_game(NewGame(white, black, uci(i), date=f"2024.01.{i + 1:02d}", result="1-0"))
    return path
