"""The game library: one SQLite file of people and their games.

Every write is a transaction (``BEGIN IMMEDIATE``), the journal is WAL and waits for a busy
lock, so the GUI and a ``chessgru`` command can use one library at once; a killed process
loses at most the transaction it was in. Games are stored as their moves (UCI) plus the
headers chessgru uses; PGN is made on export. A game belongs to a person when one of its
names is the person's name or one of their online usernames.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from chessgru.errors import UserError
from chessgru.library import schema
from chessgru.library.records import (
    GAME_COLUMNS,
    GAME_FROM,
    GameRecord,
    NewGame,
    Person,
    moves_key,
    record_from_row,
)
from chessgru.paths import data_dir

LIBRARY_NAME = "library.sqlite3"
SITES = ("lichess", "chesscom")  # the people columns holding online usernames
BUSY_TIMEOUT_MS = 15000


def default_path() -> Path:
    """The library file in the user's data folder (``$CHESSGRU_DATA`` moves it)."""
    return data_dir() / LIBRARY_NAME


def _person_name(name: str) -> str:
    """A person's name, whitespace-normalised; UserError when empty or "population"."""
    name = " ".join(name.split())
    if not name or name.lower() == "population":
        raise UserError("A person needs a name (and 'population' is taken).")
    return name


class Library:
    """An open library file; one per thread (SQLite connections are not shared)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")  # a committed move survives a crash
            self._conn.execute("PRAGMA foreign_keys = ON")
            schema.migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"Cannot open the game library {self.path}: {exc}.") from exc
        except OSError as exc:
            raise UserError(
                f"Cannot create the game library in {self.path.parent}: {exc.strerror or exc}."
            ) from exc
        self._owners: dict[str, int] | None = None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or none of it."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------------------- people

    def people(self) -> list[Person]:
        """Everyone, by name, with the number of games they played."""
        rows = self._conn.execute(
            "SELECT p.id, p.name, p.rating, p.lichess, p.chesscom, "
            "(SELECT count(*) FROM games g WHERE g.white_person = p.id OR g.black_person = p.id) "
            "FROM people p ORDER BY p.name COLLATE NOCASE"
        ).fetchall()
        return [Person(*row) for row in rows]

    def person(self, name: str) -> Person | None:
        """The person called ``name`` (case-insensitive), or None."""
        found = [p for p in self.people() if p.name.casefold() == name.strip().casefold()]
        return found[0] if found else None

    def person_for_account(self, site: str, username: str) -> Person | None:
        """The person whose ``site`` (lichess or chesscom) username this is, or None."""
        key = username.strip().casefold()
        found = [p for p in self.people() if (getattr(p, site) or "").casefold() == key]
        return found[0] if found else None

    def add_person(
        self,
        name: str,
        rating: int | None = None,
        lichess: str | None = None,
        chesscom: str | None = None,
    ) -> Person:
        """Add someone; the games already stored under their names become theirs."""
        name = _person_name(name)
        try:
            with self.transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO people (name, rating, lichess, chesscom) VALUES (?, ?, ?, ?)",
                    (name, rating, lichess or None, chesscom or None),
                )
                self._link(conn, int(cursor.lastrowid or 0))
        except sqlite3.IntegrityError:
            raise UserError(f"{name} is already in the library.") from None
        return self._person_by_id(int(cursor.lastrowid or 0))

    def update_person(
        self,
        person_id: int,
        *,
        name: str,
        rating: int | None,
        lichess: str | None,
        chesscom: str | None,
    ) -> Person:
        """Change someone's details; games are re-linked to their new names."""
        name = _person_name(name)
        try:
            with self.transaction() as conn:
                conn.execute(
                    "UPDATE people SET name = ?, rating = ?, lichess = ?, chesscom = ? "
                    "WHERE id = ?",
                    (name, rating, lichess or None, chesscom or None, person_id),
                )
                for side in ("white", "black"):
                    conn.execute(
                        f"UPDATE games SET {side}_person = NULL WHERE {side}_person = ?",
                        (person_id,),
                    )
                self._link(conn, person_id)
        except sqlite3.IntegrityError:
            raise UserError(f"{name} is already in the library.") from None
        return self._person_by_id(person_id)

    def remove_person(self, person_id: int) -> None:
        """Forget someone; their games stay in the library under the names they carry."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
        self._owners = None

    def _person_by_id(self, person_id: int) -> Person:
        return next(p for p in self.people() if p.id == person_id)

    def _link(self, conn: sqlite3.Connection, person_id: int) -> None:
        """Give the person every unowned game played under their name or usernames."""
        self._owners = None
        names = conn.execute(
            "SELECT name, lichess, chesscom FROM people WHERE id = ?", (person_id,)
        ).fetchone()
        for value in filter(None, names):
            for side in ("white", "black"):
                conn.execute(
                    f"UPDATE games SET {side}_person = ? "
                    f"WHERE {side}_person IS NULL AND {side} = ? COLLATE NOCASE",
                    (person_id, value),
                )

    def _owner(self, name: str) -> int | None:
        """The person a name written in a game stands for, or None."""
        if self._owners is None:
            self._owners = {}
            for p in self.people():
                for value in (p.name, p.lichess, p.chesscom):
                    if value:
                        self._owners.setdefault(value.casefold(), p.id)
        return self._owners.get(name.strip().casefold())

    # ------------------------------------------------------------------------- games

    def add_game(self, game: NewGame, *, dedup: bool = True) -> int | None:
        """Store ``game`` in its own transaction; None when it is already there."""
        with self.transaction():
            return self.insert_game(game, dedup=dedup)

    def insert_game(self, game: NewGame, *, dedup: bool = True) -> int | None:
        """Store ``game`` inside the caller's transaction; None when it is already there.

        A game is already there when one with the same moves and date is stored (the same
        game exported twice, or from two sites' copies of one file).
        """
        key = moves_key(game.moves)
        if (
            dedup
            and self._conn.execute(
                "SELECT 1 FROM games WHERE moves_key = ? AND date = ? LIMIT 1", (key, game.date)
            ).fetchone()
        ):
            return None
        cursor = self._conn.execute(
            "INSERT INTO games (white, black, white_person, black_person, date, time_control, "
            "white_elo, black_elo, result, moves, moves_key, source, event, site, finished, "
            "played_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                game.white,
                game.black,
                self._owner(game.white),
                self._owner(game.black),
                game.date,
                game.time_control,
                game.white_elo,
                game.black_elo,
                game.result,
                " ".join(game.moves),
                key,
                game.source,
                game.event,
                game.site,
                int(game.finished),
                game.played_at,
            ),
        )
        return int(cursor.lastrowid or 0)

    def update_game(
        self,
        game_id: int,
        *,
        moves: Sequence[str],
        result: str,
        finished: bool,
        white: str | None = None,
        black: str | None = None,
    ) -> None:
        """Replace a game's moves and result (the board saves its game after every move)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE games SET moves = ?, moves_key = ?, result = ?, finished = ?, "
                "updated = datetime('now') WHERE id = ?",
                (" ".join(moves), moves_key(moves), result, int(finished), game_id),
            )
            for side, name in (("white", white), ("black", black)):
                if name is not None:
                    conn.execute(
                        f"UPDATE games SET {side} = ?, {side}_person = ? WHERE id = ?",
                        (name, self._owner(name), game_id),
                    )

    def delete_games(self, ids: Iterable[int]) -> int:
        """Delete these games; returns how many were there."""
        with self.transaction() as conn:
            return sum(conn.execute("DELETE FROM games WHERE id = ?", (i,)).rowcount for i in ids)

    def game(self, game_id: int) -> GameRecord | None:
        row = self._conn.execute(
            f"SELECT {GAME_COLUMNS} {GAME_FROM} WHERE g.id = ?", (game_id,)
        ).fetchone()
        return record_from_row(row) if row else None

    def games(
        self,
        person: str | None = None,
        result: str | None = None,
        since: str | None = None,
        until: str | None = None,
        with_moves_only: bool = False,
    ) -> list[GameRecord]:
        """Games, newest first, optionally of one person, with one result, between dates.

        ``result`` is a PGN result, or "won"/"lost"/"drawn" from ``person``'s side;
        dates are PGN dates ("2024.05.01"), both ends included.
        """
        where, args = [], []
        if person is not None:
            found = self.person(person)
            if found is None:
                raise UserError(f"{person} is not in the library.")
            where.append("(g.white_person = ? OR g.black_person = ?)")
            args += [found.id, found.id]
            if result in ("won", "lost"):
                win = result == "won"
                where.append(
                    "((g.white_person = ? AND g.result = ?) "
                    "OR (g.black_person = ? AND g.result = ?))"
                )
                args += [found.id, "1-0" if win else "0-1", found.id, "0-1" if win else "1-0"]
                result = None
        if result == "drawn":
            result = "1/2-1/2"
        if result is not None:
            where.append("g.result = ?")
            args.append(result)
        if since:
            where.append("g.date >= ?")
            args.append(since)
        if until:
            where.append("g.date <= ?")
            args.append(until)
        if with_moves_only:
            where.append("g.moves != ''")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._conn.execute(
            f"SELECT {GAME_COLUMNS} {GAME_FROM} {clause} "
            "ORDER BY g.date DESC, g.played_at DESC, g.id DESC",
            args,
        ).fetchall()
        return [record_from_row(row) for row in rows]

    def count_games(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM games").fetchone()[0])

    # ------------------------------------------------------------------------- imports

    def newest_import(self, site: str, username: str) -> int | None:
        """Start time (ms) of the newest game imported from this account, or None."""
        row = self._conn.execute(
            "SELECT newest FROM imports WHERE site = ? AND username = ?", (site, username)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def set_newest_import(self, site: str, username: str, newest: int) -> None:
        """Record how far an account was imported (inside the caller's transaction)."""
        self._conn.execute(
            "INSERT INTO imports (site, username, newest) VALUES (?, ?, ?) "
            "ON CONFLICT (site, username) DO UPDATE SET newest = max(coalesce(newest, 0), ?)",
            (site, username, newest, newest),
        )
