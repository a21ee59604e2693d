"""The library's SQLite schema and its migrations, numbered by ``PRAGMA user_version``.

A database is brought up to :data:`SCHEMA_VERSION` by running, in one transaction each,
every migration above its own version; a file written by a newer chessgru is refused
rather than guessed at. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

from chessgru.errors import UserError

#: Each entry upgrades the database from version i to version i + 1.
MIGRATIONS: tuple[str, ...] = (
    # 1: people and their games.
    """
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        rating INTEGER,
        lichess TEXT COLLATE NOCASE,
        chesscom TEXT COLLATE NOCASE,
        created TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE games (
        id INTEGER PRIMARY KEY,
        white TEXT NOT NULL,
        black TEXT NOT NULL,
        white_person INTEGER REFERENCES people(id) ON DELETE SET NULL,
        black_person INTEGER REFERENCES people(id) ON DELETE SET NULL,
        date TEXT NOT NULL,
        time_control TEXT,
        white_elo INTEGER,
        black_elo INTEGER,
        result TEXT NOT NULL DEFAULT '*',
        moves TEXT NOT NULL DEFAULT '',
        moves_key TEXT NOT NULL,
        source TEXT NOT NULL,
        event TEXT,
        site TEXT,
        finished INTEGER NOT NULL DEFAULT 0,
        updated TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE INDEX games_key ON games(moves_key, date);
    CREATE INDEX games_white ON games(white_person);
    CREATE INDEX games_black ON games(black_person);
    """,
    # 2: online imports: when each game started, and how far each account was imported.
    """
    ALTER TABLE games ADD COLUMN played_at INTEGER;
    CREATE TABLE imports (
        site TEXT NOT NULL,
        username TEXT NOT NULL COLLATE NOCASE,
        newest INTEGER,
        PRIMARY KEY (site, username)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    """The schema version the database file says it has (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Bring ``conn`` (autocommit mode) to version ``upto``; returns the version found.

    Each step runs with its version bump in one ``BEGIN IMMEDIATE`` transaction, so two
    processes opening a new library at once migrate it once, and a crash leaves the
    previous version intact.
    """
    found = version(conn)
    if found > SCHEMA_VERSION:
        raise UserError(
            f"The game library was written by a newer chessgru (schema {found}, this one "
            f"knows {SCHEMA_VERSION}); update chessgru to open it."
        )
    for target in range(found + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version(conn) < target:  # another process may have just done it
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
