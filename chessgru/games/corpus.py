"""PGN files -> one encoded corpus (tokens, positions, game metadata), via an on-disk cache.

Each file is parsed once: its games become flat numpy arrays (a token and nine position
words per ply, plus offsets), stored in the cache (``games/cache.py``) under the hash of
the file's bytes, the encoder version and the reader version. A re-run over unchanged
files only hashes and loads. Big files are cut into batches of game texts that worker
processes parse in parallel; the results come back in file order, so game numbers and
the cache entry are the same whatever the number of workers.

After loading, exact duplicates (same moves, same date) are dropped, keeping the first,
and player spellings are merged into canonical names (``names.resolve_names``). Nothing
here holds a Python object per game: plies and headers are memory maps of the cache, and
the corpus adds a few numpy arrays over its games (``games/table.py``), so the memory a
corpus takes grows by about 20 bytes a game (plus its distinct names, dates and events).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chessgru import paths as chessgru_paths
from chessgru.atomic import describe_os_error
from chessgru.errors import UserError
from chessgru.games import cache, gather, names, pgn
from chessgru.games.cache import FileData
from chessgru.games.pgn import SkippedGame
from chessgru.games.table import VOCABS, GameTable, header_fields
from chessgru.progress import progress_bar

#: Game texts per batch sent to a worker: big enough to amortise the hand-over, small
#: enough that a 354k-game file spreads over every worker.
BATCH_GAMES = 500
#: Below this much PGN to parse, parsing stays in this process.
SMALL_INPUT_BYTES = 1 << 20


@dataclass
class Corpus:
    """Encoded games: ply arrays indexed through ``offsets``, with a GameInfo per game.

    ``games`` may be given as a list of GameInfo; it is kept as a :class:`GameTable`.
    """

    games: GameTable
    offsets: np.ndarray
    tokens: np.ndarray
    positions: np.ndarray
    skipped: list[SkippedGame] = field(default_factory=list)
    merges: list[names.Merge] = field(default_factory=list)
    duplicates: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.games, GameTable):
            self.games = GameTable.from_infos(self.games)

    def __len__(self) -> int:
        return len(self.games)

    def game_tokens(self, i: int) -> np.ndarray:
        """Tokens of game ``i`` (uint16, one per ply; a view, not a copy)."""
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    def game_positions(self, i: int) -> np.ndarray:
        """Position words before each ply of game ``i`` (uint64 [plies, 9]; a view)."""
        return self.positions[self.offsets[i] : self.offsets[i + 1]]

    def player_games(self) -> Counter[str]:
        """Canonical name -> number of games played (either colour)."""
        return self.games.player_counts(both=True)

    def subset(self, indices: Sequence[int]) -> Corpus:
        """A corpus of the games at ``indices`` (in that order), with their own arrays."""
        index = np.asarray(indices, dtype=np.int64)
        tokens, positions, offsets = _gather(self.offsets, self.tokens, self.positions, index)
        return Corpus(
            games=self.games.subset(index),
            offsets=offsets,
            tokens=tokens,
            positions=positions,
            skipped=list(self.skipped),
            merges=list(self.merges),
            duplicates=self.duplicates,
        )


def _gather(
    offsets: np.ndarray, tokens: np.ndarray, positions: np.ndarray, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ply arrays of the games at ``index``, concatenated, with their new offsets."""
    starts, ends = offsets[index], offsets[index + 1]
    lengths = ends - starts
    new_offsets = np.zeros(len(index) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    # One ply index per kept ply: start of its game + position inside the game.
    plies = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return tokens[plies], positions[plies], new_offsets


# ----------------------------------------------------------------------------- one file


@dataclass
class _FilePart:
    """Parsed games of one batch of a file, in file order."""

    games: list[tuple]  # table.header_fields of each game
    skipped: list[tuple[int, str]]
    lengths: list[int]
    tokens: bytes
    words: bytes
    keys: bytes  # cache.KEY_BYTES per game


def _parse_batch(
    source: str, texts: list[bytes], first_number: int, damage: str | None = None
) -> _FilePart:
    """Worker entry point: parse game texts into plain data that pickles cheaply.

    ``damage`` is why the file could not be read past these texts: it becomes a skip
    entry numbered after them.
    """
    from array import array

    games: list[tuple] = []
    skipped: list[tuple[int, str]] = []
    lengths: list[int] = []
    keys: list[bytes] = []
    tokens, words = array("H"), array("Q")
    for game in pgn.parse_texts(source, texts, first_number):
        if game.info is None:
            assert game.skipped is not None
            skipped.append((game.skipped.number, game.skipped.reason))
            continue
        games.append(header_fields(game.info))
        lengths.append(len(game.tokens))
        keys.append(cache.game_key(game.info.date, game.tokens.tobytes()))
        tokens.extend(game.tokens)
        words.extend(game.words)
    if damage is not None:
        skipped.append((first_number + len(games) + len(skipped), damage))
    return _FilePart(games, skipped, lengths, tokens.tobytes(), words.tobytes(), b"".join(keys))


def _count_games(part: _FilePart) -> int:
    return len(part.games) + len(part.skipped)


def _batches(path: Path) -> Iterator[tuple[list[bytes], str | None]]:
    """Game texts of a file in batches; the last says why reading stopped early, if it did."""
    batch: list[bytes] = []
    try:
        for text in pgn.game_texts(path):
            batch.append(text)
            if len(batch) >= BATCH_GAMES:
                yield batch, None
                batch = []
    except pgn.DamagedFile as exc:
        yield batch, str(exc)
        return
    if batch:
        yield batch, None


# ----------------------------------------------------------------------------- parsing


def _parse_files(
    todo: list[tuple[Path, Path | None]], workers: int, bar
) -> Iterator[tuple[Path, FileData]]:
    """Parse files in order, ``workers`` processes wide, each batch straight to its entry.

    A file's entry (``None``: a private temporary one) is written as its batches arrive,
    so memory holds a few batches, never a whole file.
    """

    def tasks() -> Iterator[tuple[int, str, list[bytes], str | None]]:
        for k, (path, _) in enumerate(todo):
            for batch, damage in _batches(path):
                yield k, str(path), batch, damage

    writers: dict[int, cache.EntryWriter] = {}
    numbered = [0] * len(todo)  # games (used or skipped) of each file so far
    done = 0

    def writer(k: int) -> cache.EntryWriter:
        if k not in writers:
            try:
                writers[k] = cache.EntryWriter(todo[k][1])
            except OSError:  # a read-only cache costs speed next time, never the run
                writers[k] = cache.EntryWriter(None)
        return writers[k]

    def finish(k: int, part: _FilePart) -> Iterator[tuple[Path, FileData]]:
        nonlocal done
        base = numbered[k]  # each batch numbered its games from 1: shift them
        games = [(g[0] + base, *g[1:]) for g in part.games]
        skipped = [(n + base, r) for n, r in part.skipped]
        writer(k).add(games, skipped, part.lengths, part.tokens, part.words, part.keys)
        numbered[k] += _count_games(part)
        bar.update(_count_games(part))
        # Files complete in order because batches are submitted and collected in order.
        while k > done:
            yield todo[done][0], writer(done).commit()
            done += 1

    try:
        if workers <= 1:
            for k, source, batch, damage in tasks():
                yield from finish(k, _parse_batch(source, batch, 1, damage))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: deque[tuple[int, Future[_FilePart]]] = deque()
                for k, source, batch, damage in tasks():
                    pending.append((k, pool.submit(_parse_batch, source, batch, 1, damage)))
                    while len(pending) > 2 * workers:
                        k0, future = pending.popleft()
                        yield from finish(k0, future.result())
                while pending:
                    k0, future = pending.popleft()
                    yield from finish(k0, future.result())
        while done < len(todo):
            yield todo[done][0], writer(done).commit()
            done += 1
    except OSError as exc:
        entry = todo[min(done, len(todo) - 1)][1]
        where = entry.parent if entry is not None else tempfile.gettempdir()
        raise UserError(
            f"Cannot write the parsed games to {where}: {describe_os_error(exc)}; "
            "make room there or set CHESSGRU_CACHE to another folder."
        ) from exc
    finally:
        for k in range(done, len(todo)):
            if k in writers:
                writers[k].abort()


# ----------------------------------------------------------------------------- corpus


def _dedupe(datas: list[tuple[str, FileData]]) -> tuple[list[np.ndarray], int]:
    """Per file, a bool per game: False for a game seen before (in it or an earlier file).

    Only the 16-byte keys are compared, as two uint64 columns sorted together (a stable
    sort keeps the first copy first): no Python object per game.
    """
    sizes = [data.n_games for _, data in datas]
    keys = np.zeros((sum(sizes), 2), dtype=np.uint64)
    at = 0
    for (_, data), size in zip(datas, sizes, strict=True):
        if size:
            keys[at : at + size] = data.read("keys", 0, size).view(np.uint64)
        at += size
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    ranked = keys[order]
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[1:] = np.all(ranked[1:] == ranked[:-1], axis=1)
    keep = np.ones(len(keys), dtype=bool)
    keep[order[repeat]] = False
    bounds = np.cumsum([0, *sizes])
    keeps = [keep[bounds[k] : bounds[k + 1]] for k in range(len(sizes))]
    return keeps, int(len(keep) - keep.sum())


def load_corpus(
    paths: Iterable[str | Path] | str | Path,
    *,
    aliases: Mapping[str, str] | None = None,
    merge_names: bool = True,
    workers: int | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> Corpus:
    """Read PGN files and folders into one de-duplicated :class:`Corpus`.

    Only games from the standard start with at least one legal move are kept; the rest
    are listed in ``Corpus.skipped``. ``workers`` defaults to the number of CPUs.
    The arrays are memory maps of the cache (or of unlinked temporary files), so memory
    holds the game headers, not the plies. Raises UserError for a missing path or when
    no PGN file is found.
    """
    files = pgn.find_pgn_files([paths] if isinstance(paths, str | Path) else paths)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if use_cache:
        cache.remove_stale_tmp(chessgru_paths.cache_dir())
    loaded: dict[Path, FileData] = {}
    todo: list[tuple[Path, Path | None]] = []
    for path in files:
        try:
            entry = cache.entry_path(cache.file_digest(path))
        except OSError as exc:  # reported with the skipped games; the other files go on
            loaded[path] = _unreadable(path, exc)
            continue
        data = cache.load_entry(entry) if use_cache else None
        if data is None:
            todo.append((path, entry if use_cache else None))
        else:
            loaded[path] = data
    if sum(path.stat().st_size for path, _ in todo) < SMALL_INPUT_BYTES:
        workers = 1  # starting processes would cost more than it saves
    try:
        with progress_bar("reading games", enabled=progress) as bar:
            for path, data in _parse_files(todo, workers, bar):
                loaded[path] = data
        datas = [(str(p), loaded[p]) for p in files]
        scratch = chessgru_paths.cache_dir() if use_cache else None
        return _assemble(datas, aliases, merge_names, scratch)
    finally:
        if not use_cache:  # private entries: the maps made of them stay valid
            for data in loaded.values():
                if data.folder is not None:
                    shutil.rmtree(data.folder, ignore_errors=True)


def _unreadable(path: Path, exc: OSError) -> FileData:
    """A file (or folder) that cannot be read at all: no games, one skip entry saying why."""
    shapes = {"games": 0, "plies": 0, "site_bytes": 0}
    skipped = [(1, pgn.damage_reason(path, exc))]
    return FileData(0, {v: [] for v in VOCABS}, skipped, shapes, folder=None)


def _assemble(
    datas: list[tuple[str, FileData]],
    aliases: Mapping[str, str] | None,
    merge_names: bool,
    scratch: Path | None,
) -> Corpus:
    keeps, duplicates = _dedupe(datas)
    parts = [data.headers(source) for source, data in datas]
    games, merges = GameTable.assemble(parts, keeps, aliases, merge_names)
    skipped = [SkippedGame(s, n, r) for s, data in datas for n, r in data.skipped]
    if len(datas) == 1 and keeps[0].all():  # the usual case: the cache's own maps
        data = datas[0][1]
        offsets = np.array(data.array("offsets"))
        tokens, positions = data.array("tokens"), data.array("positions")
    else:
        offsets, tokens, positions = gather.join_files([d for _, d in datas], keeps, scratch)
    return Corpus(
        games=games,
        offsets=np.asarray(offsets),
        tokens=tokens,
        positions=positions,
        skipped=skipped,
        merges=merges,
        duplicates=duplicates,
    )
