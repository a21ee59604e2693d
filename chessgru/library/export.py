"""The library's games as PGN: for training, for other programs, for sharing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import chess
import chess.pgn

from chessgru.atomic import atomic_write
from chessgru.errors import UserError
from chessgru.library.records import GameRecord


def game_pgn(record: GameRecord) -> str:
    """One game as PGN text; players are named as the library's people when linked."""
    game = chess.pgn.Game()
    game.headers["Event"] = record.event or "chessgru game"
    game.headers["Site"] = record.site or "?"
    game.headers["Date"] = record.date
    game.headers["White"] = record.white_name
    game.headers["Black"] = record.black_name
    game.headers["Result"] = record.result
    for tag, value in (
        ("WhiteElo", record.white_elo),
        ("BlackElo", record.black_elo),
        ("TimeControl", record.time_control),
    ):
        if value is not None:
            game.headers[tag] = str(value)
    node: chess.pgn.GameNode = game
    for uci in record.moves:
        node = node.add_variation(chess.Move.from_uci(uci))
    return str(game) + "\n\n"


def write_pgn(path: str | Path, records: Iterable[GameRecord], overwrite: bool = False) -> int:
    """Write the games to ``path`` atomically; returns how many were written.

    An existing file is kept unless ``overwrite`` (the GUI's save dialog asks first).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserError(f"{path} already exists; give a new file name.")
    count = 0
    with atomic_write(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(game_pgn(record))
            count += 1
    return count
