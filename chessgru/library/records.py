"""The library's records as plain data: people, games to store, stored games."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    """Someone in the family; ``games`` counts the library's games they played."""

    id: int
    name: str
    rating: int | None = None
    lichess: str | None = None
    chesscom: str | None = None
    games: int = 0


@dataclass(frozen=True)
class NewGame:
    """A game to store: names as written, moves from the standard start (UCI strings)."""

    white: str
    black: str
    moves: Sequence[str]
    date: str = "????.??.??"
    result: str = "*"
    time_control: str | None = None
    white_elo: int | None = None
    black_elo: int | None = None
    source: str = "pgn"
    event: str | None = None
    site: str | None = None
    played_at: int | None = None  # start time, ms since the epoch (online games)
    finished: bool = True


@dataclass(frozen=True)
class GameRecord:
    """A stored game; ``white_name``/``black_name`` are the person's name when linked."""

    id: int
    white: str
    black: str
    white_name: str
    black_name: str
    date: str
    result: str
    moves: list[str] = field(repr=False)
    time_control: str | None
    white_elo: int | None
    black_elo: int | None
    source: str
    event: str | None
    site: str | None
    finished: bool
    played_at: int | None


def moves_key(moves: Sequence[str]) -> str:
    """The de-duplication key of a move sequence (with the date it identifies a game)."""
    return hashlib.sha1(" ".join(moves).encode("ascii")).hexdigest()


def today() -> str:
    """Today's date as PGN writes it."""
    return datetime.date.today().strftime("%Y.%m.%d")


GAME_COLUMNS = (
    "g.id, g.white, g.black, coalesce(w.name, g.white), coalesce(b.name, g.black), g.date, "
    "g.result, g.moves, g.time_control, g.white_elo, g.black_elo, g.source, g.event, g.site, "
    "g.finished, g.played_at"
)
GAME_FROM = (
    "FROM games g LEFT JOIN people w ON w.id = g.white_person "
    "LEFT JOIN people b ON b.id = g.black_person"
)


def record_from_row(row: tuple) -> GameRecord:
    values = list(row)
    values[7] = values[7].split() if values[7] else []
    values[14] = bool(values[14])
    return GameRecord(*values)
