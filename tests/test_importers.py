"""The lichess and chess.com importers against a fake server on 127.0.0.1 (tests/fake_sites.py):
first and incremental imports, a 404 user, 429 then success, a connection cut mid-stream."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_sites import FakeServer, OnlineGame, day

from chessgru.cli import main
from chessgru.errors import UserError
from chessgru.library.online import import_chesscom, import_lichess
from chessgru.library.store import Library
from chessgru.library.web import retry_after


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def library(tmp_path: Path):
    with Library(tmp_path / "library.sqlite3") as lib:
        yield lib


def games(user: str, days: range, month: int = 1, seed: int = 0) -> list[OnlineGame]:
    return [
        OnlineGame(user if d % 2 else "rival", "rival" if d % 2 else user, day(d, month), seed + d)
        for d in days
    ]


def lichess(library, server, user="DadPlays", **kw):
    waits: list[float] = []
    summary = import_lichess(library, user, api_url=server.url, sleep=waits.append, **kw)
    return summary, waits


def chesscom(library, server, user="KidPlays", **kw):
    waits: list[float] = []
    summary = import_chesscom(library, user, api_url=server.url, sleep=waits.append, **kw)
    return summary, waits


def test_lichess_first_then_incremental_import(library: Library, server: FakeServer) -> None:
    server.sites.lichess["dadplays"] = games("DadPlays", range(1, 6))
    summary, waits = lichess(library, server)
    assert (summary.new, summary.present, summary.skipped, summary.error) == (5, 0, [], None)
    assert waits == []
    (dad,) = library.people()  # a person named after the account, owning its games
    assert (dad.name, dad.lichess, dad.games) == ("DadPlays", "DadPlays", 5)
    path, query, agent = server.sites.requests[-1]
    assert path == "/api/games/user/DadPlays"
    assert query["sort"] == ["dateAsc"] and "since" not in query
    assert agent.startswith("chessgru/")
    stored = library.games(person="DadPlays")
    assert stored[0].played_at == day(5).timestamp() * 1000
    assert (stored[0].time_control, stored[0].white_elo) == ("180+2", 1523)

    server.sites.lichess["dadplays"] += games("DadPlays", range(6, 8))
    again, _ = lichess(library, server)
    assert (again.new, again.present) == (2, 0)
    assert server.sites.requests[-1][1]["since"] == [str(int(day(5).timestamp() * 1000) + 1000)]
    assert library.person("DadPlays").games == 7


def test_lichess_import_for_a_named_person(library: Library, server: FakeServer) -> None:
    library.add_person("Dad", rating=1500)
    server.sites.lichess["dadplays"] = games("DadPlays", range(1, 3))
    lichess(library, server, person="Dad")
    (dad,) = library.people()
    assert (dad.name, dad.lichess, dad.games) == ("Dad", "DadPlays", 2)
    assert {g.white_name for g in library.games()} >= {"Dad"}


def test_a_lichess_user_that_does_not_exist(library: Library, server: FakeServer) -> None:
    with pytest.raises(UserError, match="lichess has no user called Nobody"):
        lichess(library, server, user="Nobody")
    assert library.people() == []


def test_lichess_429_waits_then_resumes(library: Library, server: FakeServer) -> None:
    server.sites.lichess["dadplays"] = games("DadPlays", range(1, 4))
    server.sites.faults += [("/api/games", "429:7"), ("/api/games", "429")]
    summary, waits = lichess(library, server)
    assert waits == [7.0, 60.0]  # Retry-After when sent, else a minute
    assert summary.new == 3


def test_a_cut_lichess_stream_keeps_what_arrived(library: Library, server: FakeServer) -> None:
    server.sites.lichess["dadplays"] = games("DadPlays", range(1, 9))
    server.sites.faults.append(("/api/games", "cut"))
    summary, _ = lichess(library, server)
    assert summary.new == 4 and library.count_games() == 4
    assert "connection to 127.0.0.1" in summary.error and "are kept" in summary.error
    rest, _ = lichess(library, server)
    assert (rest.new, rest.present, rest.error) == (4, 0, None)
    assert library.count_games() == 8


def test_chesscom_months_then_only_new_months(library: Library, server: FakeServer) -> None:
    server.sites.chesscom["kidplays"] = games("KidPlays", range(1, 5), 1) + games(
        "KidPlays", range(1, 4), 2, seed=100
    )
    server.sites.variants.add(102)
    summary, _ = chesscom(library, server)
    assert (summary.new, len(summary.skipped)) == (6, 1)
    assert summary.skipped[0].reason == "variant Chess960"
    paths = [p for p, _, agent in server.sites.requests if agent.startswith("chessgru/")]
    assert paths == [
        "/pub/player/kidplays/games/archives",
        "/pub/player/kidplays/games/2024/01/pgn",
        "/pub/player/kidplays/games/2024/02/pgn",
    ]
    assert library.person("KidPlays").chesscom == "KidPlays"

    server.sites.chesscom["kidplays"] += games("KidPlays", range(10, 11), 2, seed=200)
    server.sites.chesscom["kidplays"] += games("KidPlays", range(1, 3), 3, seed=300)
    server.sites.requests.clear()
    again, _ = chesscom(library, server)
    assert [p for p, _, _ in server.sites.requests][1:] == [
        "/pub/player/kidplays/games/2024/02/pgn",
        "/pub/player/kidplays/games/2024/03/pgn",
    ]
    assert (again.new, again.present) == (3, 2)


def test_a_chesscom_player_that_does_not_exist(library: Library, server: FakeServer) -> None:
    with pytest.raises(UserError, match=r"chess\.com has no player called ghost"):
        chesscom(library, server, user="ghost")


def test_chesscom_429_on_a_month_then_success(library: Library, server: FakeServer) -> None:
    server.sites.chesscom["kidplays"] = games("KidPlays", range(1, 4))
    server.sites.faults.append(("/2024/01/pgn", "429:2"))
    summary, waits = chesscom(library, server)
    assert (waits, summary.new, summary.error) == ([2.0], 3, None)


def test_a_cut_chesscom_month_keeps_what_arrived(library: Library, server: FakeServer) -> None:
    server.sites.chesscom["kidplays"] = games("KidPlays", range(1, 7))
    server.sites.faults.append(("/2024/01/pgn", "cut"))
    summary, _ = chesscom(library, server)
    assert summary.new == 3 and "was cut" in summary.error
    assert library.count_games() == 3


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("30") == 30.0
    assert retry_after(None) == 60.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert retry_after("soon") == 60.0


def test_import_commands_use_the_api_url(tmp_path, monkeypatch, capsys, server) -> None:
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path / "data"))
    server.sites.lichess["dadplays"] = games("DadPlays", range(1, 4))
    server.sites.chesscom["kidplays"] = games("KidPlays", range(1, 3), seed=50)
    assert main(["import", "lichess", "DadPlays", "--api-url", server.url]) == 0
    assert "3 new, 0 already there, 0 skipped" in capsys.readouterr().out
    assert main(["import", "chesscom", "KidPlays", "--api-url", server.url]) == 0
    assert "2 new" in capsys.readouterr().out
    assert main(["import", "lichess", "ghost", "--api-url", server.url]) == 2
    assert capsys.readouterr().err == "chessgru: lichess has no user called ghost.\n"
    server.sites.faults.append(("/api/games", "cut"))
    server.sites.lichess["dadplays"] += games("DadPlays", range(10, 14))
    assert main(["import", "lichess", "DadPlays", "--api-url", server.url]) == 2
    captured = capsys.readouterr()
    assert "2 new" in captured.out and "was cut" in captured.err
    assert main(["import", "lichess", "x", "--api-url", "http://127.0.0.1:9"]) == 2
    assert "Cannot reach 127.0.0.1:9" in capsys.readouterr().err
