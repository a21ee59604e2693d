"""Importing a person's games from lichess and chess.com through their public APIs.

lichess: ``GET /api/games/user/{name}`` streams PGN; we ask for the oldest games first
(``sort=dateAsc``) so that a cut stream leaves a clean resume point, and a repeat import
asks only for games since the newest one stored (``since=``). chess.com:
``/pub/player/{name}/games/archives`` lists monthly archives, each served as PGN by
``{archive}/pgn``; a repeat import starts at the month of the newest game stored. Games
are stored as they arrive; whatever goes wrong ends the import with one sentence in the
summary and every game received kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from chessgru.errors import UserError
from chessgru.games.pgn import SkippedGame, split_games
from chessgru.library import web
from chessgru.library.ingest import Progress, Stop, Summary, online_games, store_games
from chessgru.library.records import NewGame, Person
from chessgru.library.store import Library

LICHESS_URL = "https://lichess.org"
CHESSCOM_URL = "https://api.chess.com"
SITE_NAMES = {"lichess": "lichess", "chesscom": "chess.com"}


def account_owner(library: Library, site: str, username: str, person: str | None) -> Person:
    """The person whose account this is: ``person`` (given by name), else the person with
    this username, else a new person named after the account."""
    if person is not None:
        found = library.person(person)
        if found is None:
            raise UserError(f"{person} is not in the library; add them first.")
        if (getattr(found, site) or "").casefold() != username.casefold():
            fields = {"lichess": found.lichess, "chesscom": found.chesscom, site: username}
            found = library.update_person(found.id, name=found.name, rating=found.rating, **fields)
        return found
    owner = library.person_for_account(site, username)
    if owner is not None:
        return owner
    existing = library.person(username)
    if existing is not None:
        fields = {"lichess": existing.lichess, "chesscom": existing.chesscom, site: username}
        return library.update_person(
            existing.id, name=existing.name, rating=existing.rating, **fields
        )
    return library.add_person(username, **{site: username})


def _check_username(username: str) -> str:
    username = username.strip()
    if not username or any(c in username for c in "/?#"):
        raise UserError(f"{username!r} is not a username.")
    return username


def _run(
    library: Library,
    site: str,
    username: str,
    games: Iterable[NewGame | SkippedGame],
    summary: Summary,
    on_progress: Progress | None,
    should_stop: Stop | None,
) -> None:
    """Store the games, recording the newest start time with each batch; errors -> summary."""

    def record(batch: list[NewGame]) -> None:
        starts = [g.played_at for g in batch if g.played_at is not None]
        if starts:
            library.set_newest_import(site, username, max(starts))

    try:
        store_games(
            library,
            games,
            summary,
            on_progress=on_progress,
            should_stop=should_stop,
            after_batch=record,
        )
    except UserError as exc:
        summary.error = (
            f"{exc} The {summary.new} new games received before it are kept; "
            "run the import again for the rest."
        )


def import_lichess(
    library: Library,
    username: str,
    *,
    person: str | None = None,
    api_url: str = LICHESS_URL,
    sleep: web.Sleep = time.sleep,
    on_progress: Progress | None = None,
    should_stop: Stop | None = None,
) -> Summary:
    """Import a lichess account's games (only newer ones when it was imported before)."""
    username = _check_username(username)
    since = library.newest_import("lichess", username)
    query = "sort=dateAsc&clocks=false&evals=false&opening=false"
    if since is not None:
        query += f"&since={since + 1000}"  # PGN times have whole seconds
    url = f"{api_url.rstrip('/')}/api/games/user/{quote(username)}?{query}"
    summary = Summary()
    try:
        response = web.open_url(url, accept="application/x-chess-pgn", sleep=sleep)
    except web.NotFound:
        raise UserError(f"lichess has no user called {username}.") from None
    account_owner(library, "lichess", username, person)
    texts = split_games(web.lines(response, url))
    games = online_games(f"lichess {username}", texts, "lichess")
    _run(library, "lichess", username, games, summary, on_progress, should_stop)
    return summary


def _archive_month(url: str) -> tuple[int, int] | None:
    parts = urlsplit(url).path.rstrip("/").split("/")
    try:
        return int(parts[-2]), int(parts[-1])
    except (IndexError, ValueError):
        return None


def import_chesscom(
    library: Library,
    username: str,
    *,
    person: str | None = None,
    api_url: str = CHESSCOM_URL,
    sleep: web.Sleep = time.sleep,
    on_progress: Progress | None = None,
    should_stop: Stop | None = None,
) -> Summary:
    """Import a chess.com account's games, month by month (from the newest month stored)."""
    username = _check_username(username)
    base = api_url.rstrip("/")
    url = f"{base}/pub/player/{quote(username.lower())}/games/archives"
    try:
        with web.open_url(url, accept="application/json", sleep=sleep) as response:
            archives = json.load(response).get("archives", [])
    except web.NotFound:
        raise UserError(f"chess.com has no player called {username}.") from None
    except (ValueError, AttributeError, OSError):
        raise UserError(f"chess.com sent an unreadable list of {username}'s games.") from None
    account_owner(library, "chesscom", username, person)
    newest = library.newest_import("chesscom", username)
    if newest is not None:
        when = datetime.fromtimestamp(newest / 1000, tz=timezone.utc)
        archives = [
            a for a in archives if (_archive_month(a) or (9999, 0)) >= (when.year, when.month)
        ]

    def games() -> Iterator[NewGame | SkippedGame]:
        for archive in archives:
            path = urlsplit(archive).path
            month_url = f"{base}{path[path.find('/pub/') :]}/pgn"
            response = web.open_url(month_url, accept="application/x-chess-pgn", sleep=sleep)
            texts = split_games(web.lines(response, month_url))
            yield from online_games(f"chess.com {username} {path[-7:]}", texts, "chesscom")

    summary = Summary()
    _run(library, "chesscom", username, games(), summary, on_progress, should_stop)
    return summary
