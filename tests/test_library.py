"""The game library: schema and migrations, people and their games, dedup, WAL concurrency,
a crash mid-game, PGN import and export, and the `import pgn` / `library` commands."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import chess
import pytest

from chessgru.cli import main
from chessgru.errors import UserError
from chessgru.library import schema
from chessgru.library.export import write_pgn
from chessgru.library.ingest import import_pgn_files
from chessgru.library.records import NewGame
from chessgru.library.store import Library, default_path

LINE = ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "a7a6"]


def game(white: str = "Dad", black: str = "Kid", moves=LINE, date="2024.05.01", **kw) -> NewGame:
    return NewGame(white, black, list(moves), date=date, **kw)


@pytest.fixture
def library(tmp_path: Path):
    with Library(tmp_path / "library.sqlite3") as lib:
        yield lib


def test_the_data_folder_follows_chessgru_data(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "library.sqlite3"
    with Library() as lib:
        assert lib.path.is_file()


def test_a_new_library_has_the_current_schema_and_wal(library: Library) -> None:
    conn = sqlite3.connect(library.path)
    assert schema.version(conn) == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"people", "games", "imports"} <= tables


def test_an_older_library_is_migrated_keeping_its_games(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, upto=1)  # the first release's schema
    conn.execute(
        "INSERT INTO games (white, black, date, result, moves, moves_key, source) "
        "VALUES ('Dad', 'Kid', '2020.01.01', '1-0', 'e2e4 e7e5', 'k', 'app')"
    )
    conn.close()
    with Library(path) as lib:
        assert schema.version(lib._conn) == schema.SCHEMA_VERSION
        lib.add_person("Dad")
        (old,) = lib.games(person="Dad")
        assert (old.moves, old.result, old.played_at) == (["e2e4", "e7e5"], "1-0", None)
        assert lib.newest_import("lichess", "dad") is None  # the table version 2 added


def test_a_library_from_a_newer_chessgru_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(UserError, match="newer chessgru"):
        Library(path)


def test_a_file_that_is_not_a_database_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserError, match="Cannot open the game library"):
        Library(path)


def test_people_own_the_games_of_their_names_and_usernames(library: Library) -> None:
    library.add_game(game("dad_on_lichess", "Kid"))
    library.add_game(game("Kid", "someone", moves=LINE[:4]))
    dad = library.add_person("Dad", rating=1450, lichess="Dad_On_Lichess")
    assert dad.games == 1  # linked when added, case-insensitively
    library.add_person("kid")
    assert {p.name: p.games for p in library.people()} == {"Dad": 1, "kid": 2}
    (g,) = library.games(person="Dad")
    assert (g.white, g.white_name) == ("dad_on_lichess", "Dad")
    library.add_game(game("DAD", "Kid", moves=LINE[:2]))  # a later game links at once
    assert library.person("dad").games == 2
    with pytest.raises(UserError, match="already in the library"):
        library.add_person("DAD")
    with pytest.raises(UserError):
        library.add_person("population")
    library.remove_person(dad.id)
    assert library.count_games() == 3  # forgetting a person keeps the games


def test_the_same_moves_on_the_same_date_are_one_game(library: Library) -> None:
    assert library.add_game(game()) is not None
    assert library.add_game(game(white="Other")) is None
    assert library.add_game(game(date="2024.05.02")) is not None
    assert library.add_game(game(moves=LINE[:4])) is not None
    assert library.count_games() == 3


def test_games_are_browsed_by_person_result_and_date(library: Library) -> None:
    library.add_person("Dad")
    library.add_game(game(result="1-0", date="2024.01.01"))
    library.add_game(game("Kid", "Dad", result="1-0", date="2024.02.01"))
    library.add_game(game(result="1/2-1/2", date="2024.03.01"))
    assert [g.date for g in library.games(person="Dad")] == [
        "2024.03.01",
        "2024.02.01",
        "2024.01.01",
    ]
    assert [g.date for g in library.games(person="Dad", result="won")] == ["2024.01.01"]
    assert [g.date for g in library.games(person="Dad", result="lost")] == ["2024.02.01"]
    assert [g.date for g in library.games(result="drawn")] == ["2024.03.01"]
    assert len(library.games(since="2024.02.01", until="2024.02.28")) == 1
    with pytest.raises(UserError, match="not in the library"):
        library.games(person="Nobody")
    ids = [g.id for g in library.games()]
    assert library.delete_games(ids[:2]) == 2
    assert library.count_games() == 1


WRITER = textwrap.dedent(
    """
    import sys
    from chessgru.library.records import NewGame
    from chessgru.library.store import Library
    path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lib = Library(path)
    for i in range(n):
        lib.add_game(NewGame(who, "x", ["e2e4"], date=f"{who}.{i:05d}"))
        lib.people()
    """
)


def test_two_processes_write_at_once_without_losing_a_game(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    Library(path).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, "150"])
        for who in ("gui", "cli")
    ]
    with Library(path) as reader:  # a third connection reads all the while
        while any(w.poll() is None for w in writers):
            reader.games()
        assert [w.returncode for w in writers] == [0, 0]
        assert reader.count_games() == 300
        assert reader._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


CRASH = textwrap.dedent(
    """
    import os, sys
    from chessgru.library.records import NewGame
    from chessgru.library.store import Library
    lib = Library(sys.argv[1])
    moves = sys.argv[2].split()
    gid = lib.add_game(NewGame("Dad", "Kid", [], result="*", finished=False, source="app"),
                       dedup=False)
    for i in range(1, len(moves) + 1):
        lib.update_game(gid, moves=moves[:i], result="*", finished=False)
    os._exit(9)  # the process dies mid-game: no close, no cleanup
    """
)


def test_a_crash_mid_game_keeps_every_move_saved(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    done = subprocess.run([sys.executable, "-c", CRASH, str(path), " ".join(LINE)], check=False)
    assert done.returncode == 9
    with Library(path) as lib:
        (g,) = lib.games()
        assert (g.moves, g.result, g.finished) == (LINE, "*", False)


PGN = """[Event "Casual"]
[Date "2024.06.01"]
[White "Dad"]
[Black "Kid"]
[Result "1-0"]
[WhiteElo "1500"]

1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# 1-0

[Event "Casual"]
[Date "2024.06.02"]
[White "Kid"]
[Black "Dad"]
[Result "0-1"]

1. e4 e5 2. Ke3 Nc6 0-1

[Event "Casual"]
[Date "2024.06.03"]
[White "Kid"]
[Black "Dad"]
[Result "1/2-1/2"]

1. d4 d5 1/2-1/2
"""


def test_pgn_files_are_imported_once_and_exported_again(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "family.pgn"
    source.write_text(PGN)
    first = import_pgn_files(library, [source], progress=False)
    assert (first.new, first.present, len(first.skipped)) == (2, 0, 1)
    assert first.skip_lines() == ["family.pgn, game 2: illegal move 'Ke3' at ply 3"]
    again = import_pgn_files(library, [source], progress=False)
    assert (again.new, again.present) == (0, 2)
    out = tmp_path / "out.pgn"
    assert write_pgn(out, library.games()) == 2
    back = import_pgn_files(Library(tmp_path / "other.sqlite3"), [out], progress=False)
    assert back.new == 2
    mate = chess.Board()
    for uci in library.games(since="2024.06.01", until="2024.06.01")[0].moves:
        mate.push_uci(uci)
    assert mate.is_checkmate()
    with pytest.raises(UserError, match="already exists"):
        write_pgn(out, [])


def test_import_and_library_commands(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path / "data"))
    source = tmp_path / "family.pgn"
    source.write_text(PGN)
    assert main(["import", "pgn", str(source)]) == 0
    out = capsys.readouterr().out
    assert "2 new, 0 already there, 1 skipped" in out
    assert "family.pgn, game 2: illegal move" in out
    assert main(["library", "--add-person", "Dad", "--rating", "1500", "--lichess", "dad1"]) == 0
    capsys.readouterr()
    assert main(["library", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["games"] == 2
    assert [(p["name"], p["games"], p["rating"]) for p in listed["people"]] == [("Dad", 2, 1500)]
    assert main(["library", "--export", str(tmp_path / "dad.pgn"), "--person", "Dad"]) == 0
    assert (tmp_path / "dad.pgn").read_text().count("[Event") == 2
    assert main(["library", "--export", str(tmp_path / "dad.pgn")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import", "pgn", str(tmp_path / "missing.pgn")]) == 2


def test_a_cancelled_import_keeps_the_games_before_it(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "family.pgn"
    source.write_text(PGN)
    seen: list[int] = []
    summary = import_pgn_files(
        library,
        [source],
        on_progress=lambda s: seen.append(s.received),
        should_stop=lambda: len(seen) >= 1,
        progress=False,
    )
    assert summary.cancelled and summary.line() == "1 new, 0 already there, 0 skipped (cancelled)"
    assert library.count_games() == 1
