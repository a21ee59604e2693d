"""Bringing games into the library: PGN texts in, stored games and a summary out.

Every source (PGN files, lichess, chess.com) ends in :func:`store_games`: games are stored
in transactions of a few hundred, so an interruption (a cut connection, cancel, a killed
process) keeps every batch before it, and a repeat run finds those games already there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from chessgru.games.pgn import GameInfo, SkippedGame, find_pgn_files, parse_texts, read_games
from chessgru.library.records import NewGame
from chessgru.library.store import Library
from chessgru.progress import progress_bar

BATCH = 200  # games per transaction
_UTC_DATE = re.compile(rb'\[UTCDate "(\d{4})\.(\d{2})\.(\d{2})"\]')
_UTC_TIME = re.compile(rb'\[UTCTime "(\d{2}):(\d{2}):(\d{2})"\]')


@dataclass
class Summary:
    """What an import did: new games, games already there, games skipped and why."""

    new: int = 0
    present: int = 0
    received: int = 0  # games read so far (stored or not), for progress bars
    skipped: list[SkippedGame] = field(default_factory=list)
    cancelled: bool = False
    error: str | None = None  # one sentence when the source failed part way

    def line(self) -> str:
        """One line: "12 new, 3 already there, 2 skipped"."""
        text = f"{self.new} new, {self.present} already there, {len(self.skipped)} skipped"
        if self.cancelled:
            text += " (cancelled)"
        return text

    def skip_lines(self, limit: int = 20) -> list[str]:
        """The first skipped games as "file, game N: reason", then a count of the rest."""
        lines = [f"{Path(s.source).name}, game {s.number}: {s.reason}" for s in self.skipped]
        if len(lines) > limit:
            lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
        return lines


Progress = Callable[[Summary], None]
Stop = Callable[[], bool]


def new_game(info: GameInfo, moves: Iterable, source: str, played_at: int | None) -> NewGame:
    """The library's record of a game read by chessgru's PGN reader."""
    return NewGame(
        white=info.white,
        black=info.black,
        moves=[m.uci() for m in moves],
        date=info.date,
        result=info.result,
        time_control=info.time_control,
        white_elo=info.white_elo,
        black_elo=info.black_elo,
        source=source,
        event=info.event,
        site=info.site,
        played_at=played_at,
    )


def utc_start(text: bytes) -> int | None:
    """A game's start (ms since the epoch) from its UTCDate and UTCTime tags, else None."""
    date, time = _UTC_DATE.search(text), _UTC_TIME.search(text)
    if not date or not time:
        return None
    try:
        when = datetime(*map(int, date.groups() + time.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(when.timestamp() * 1000)


def online_games(name: str, texts: Iterable[bytes], source: str) -> Iterator[NewGame | SkippedGame]:
    """Games of a stream of PGN game texts (from ``split_games``) with their start times."""
    number = 1
    for text in texts:
        played_at = utc_start(text)
        for parsed in parse_texts(name, [text], number):
            number += 1
            if parsed.info is None:
                assert parsed.skipped is not None
                yield parsed.skipped
            else:
                yield new_game(parsed.info, parsed.moves, source, played_at)


def store_games(
    library: Library,
    games: Iterable[NewGame | SkippedGame],
    summary: Summary,
    *,
    on_progress: Progress | None = None,
    should_stop: Stop | None = None,
    after_batch: Callable[[list[NewGame]], None] | None = None,
) -> None:
    """Store ``games`` in batches, counting into ``summary``; what arrived is kept on errors.

    ``after_batch`` runs inside each batch's transaction (an importer records there how
    far it got, so that record and the games commit together). Exceptions from ``games``
    propagate after the games before them are committed.
    """
    pending: list[NewGame] = []

    def flush() -> None:
        if not pending:
            return
        with library.transaction():
            for game in pending:
                if library.insert_game(game) is None:
                    summary.present += 1
                else:
                    summary.new += 1
            if after_batch is not None:
                after_batch(pending)
        pending.clear()

    try:
        for item in games:
            if should_stop is not None and should_stop():
                summary.cancelled = True
                break
            summary.received += 1
            if isinstance(item, SkippedGame):
                summary.skipped.append(item)
            else:
                pending.append(item)
                if len(pending) >= BATCH:
                    flush()
            if on_progress is not None:
                on_progress(summary)
    finally:
        flush()
    if on_progress is not None:
        on_progress(summary)


def import_pgn_files(
    library: Library,
    paths: Iterable[str | Path],
    *,
    on_progress: Progress | None = None,
    should_stop: Stop | None = None,
    progress: bool = True,
) -> Summary:
    """Import every game of these PGN files and folders, read by chessgru's robust reader."""
    files = find_pgn_files(paths)
    summary = Summary()

    def games() -> Iterator[NewGame | SkippedGame]:
        for path in files:
            for item in read_games(path):
                if isinstance(item, SkippedGame):
                    yield item
                else:
                    yield new_game(item[0], item[1], "pgn", None)

    with progress_bar("importing", enabled=progress) as bar:

        def report(s: Summary) -> None:
            bar.update(s.received - bar.n)
            if on_progress is not None:
                on_progress(s)

        store_games(library, games(), summary, on_progress=report, should_stop=should_stop)
    return summary
