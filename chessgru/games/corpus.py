"""PGN files -> one encoded corpus (tokens, positions, game metadata), via an on-disk cache.

Each file is parsed once: its games become flat numpy arrays (a token and nine position
words per ply, plus offsets), stored in the cache (``games/cache.py``) under the hash of
the file's bytes, the encoder version and the reader version. A re-run over unchanged
files only hashes and loads. Big files are cut into batches of game texts that worker
processes parse in parallel; the results come back in file order, so game numbers and
the cache entry are the same whatever the number of workers.

After loading, exact duplicates (same moves, same date) are dropped, keeping the first,
and player spellings are merged into canonical names (``names.resolve_names``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chessgru import paths as chessgru_paths
from chessgru.games import cache, names, pgn
from chessgru.games.cache import FileData
from chessgru.games.pgn import GameInfo, SkippedGame
from chessgru.model.encoding import POSITION_WORDS
from chessgru.progress import progress_bar

#: Game texts per batch sent to a worker: big enough to amortise the hand-over, small
#: enough that a 354k-game file spreads over every worker.
BATCH_GAMES = 500
#: Below this much PGN to parse, parsing stays in this process.
SMALL_INPUT_BYTES = 1 << 20


@dataclass
class Corpus:
    """Encoded games: ply arrays indexed through ``offsets``, with one GameInfo per game."""

    games: list[GameInfo]
    offsets: np.ndarray
    tokens: np.ndarray
    positions: np.ndarray
    skipped: list[SkippedGame] = field(default_factory=list)
    merges: list[names.Merge] = field(default_factory=list)
    duplicates: int = 0

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
        counts: Counter[str] = Counter()
        for game in self.games:
            counts[game.white] += 1
            counts[game.black] += 1
        return counts

    def subset(self, indices: Sequence[int]) -> Corpus:
        """A corpus of the games at ``indices`` (in that order), with their own arrays."""
        index = np.asarray(indices, dtype=np.int64)
        tokens, positions, offsets = _gather(self.offsets, self.tokens, self.positions, index)
        return Corpus(
            games=[self.games[i] for i in index.tolist()],
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
    """Parsed games of one file (or of one batch of it), in file order."""

    games: list[tuple]  # GameInfo fields without `source`
    skipped: list[tuple[int, str]]
    lengths: list[int]
    tokens: bytes
    words: bytes


def _parse_batch(source: str, texts: list[bytes], first_number: int) -> _FilePart:
    """Worker entry point: parse game texts into plain data that pickles cheaply."""
    from array import array

    games: list[tuple] = []
    skipped: list[tuple[int, str]] = []
    lengths: list[int] = []
    tokens, words = array("H"), array("Q")
    for game in pgn.parse_texts(source, texts, first_number):
        if game.info is None:
            assert game.skipped is not None
            skipped.append((game.skipped.number, game.skipped.reason))
            continue
        games.append(dataclasses.astuple(game.info)[1:])
        lengths.append(len(game.tokens))
        tokens.extend(game.tokens)
        words.extend(game.words)
    return _FilePart(games, skipped, lengths, tokens.tobytes(), words.tobytes())


def _count_games(part: _FilePart) -> int:
    return len(part.games) + len(part.skipped)


def _join_parts(parts: list[_FilePart]) -> FileData:
    """One file's arrays from its batches, freeing each batch once copied (peak memory)."""
    lengths = np.fromiter((n for p in parts for n in p.lengths), dtype=np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    plies = int(offsets[-1])
    tokens = np.empty(plies, dtype=np.uint16)
    words = np.empty(plies * POSITION_WORDS, dtype=np.uint64)
    games: list[tuple] = []
    skipped: list[tuple[int, str]] = []
    at = 0
    for part in parts:
        n = len(part.tokens) // 2
        tokens[at : at + n] = np.frombuffer(part.tokens, dtype=np.uint16)
        words[at * POSITION_WORDS : (at + n) * POSITION_WORDS] = np.frombuffer(
            part.words, dtype=np.uint64
        )
        at += n
        games.extend(part.games)
        skipped.extend(part.skipped)
        part.tokens = part.words = b""
    return FileData(games, skipped, offsets, tokens, words.reshape(-1, POSITION_WORDS))


def _batches(path: Path) -> Iterator[list[bytes]]:
    with pgn.open_binary(path) as stream:
        batch: list[bytes] = []
        for text in pgn.split_games(stream):
            batch.append(text)
            if len(batch) >= BATCH_GAMES:
                yield batch
                batch = []
        if batch:
            yield batch


# ----------------------------------------------------------------------------- parsing


def _parse_files(
    todo: list[tuple[Path, Path]], workers: int, bar
) -> Iterator[tuple[Path, FileData]]:
    """Parse files (with their cache entry paths) in order, ``workers`` processes wide."""

    def tasks() -> Iterator[tuple[int, str, list[bytes]]]:
        for k, (path, _) in enumerate(todo):
            for batch in _batches(path):
                yield k, str(path), batch

    parts: list[list[_FilePart]] = [[] for _ in todo]
    done = 0

    def finish(k: int, part: _FilePart) -> Iterator[tuple[Path, FileData]]:
        nonlocal done
        parts[k].append(part)
        bar.update(_count_games(part))
        # Files complete in order because batches are submitted and collected in order.
        while k > done:
            yield from _flush(done)
            done += 1

    def _flush(k: int) -> Iterator[tuple[Path, FileData]]:
        data = _renumber(parts[k])
        parts[k] = []
        yield todo[k][0], data

    if workers <= 1:
        for k, source, batch in tasks():
            yield from finish(k, _parse_batch(source, batch, 1))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: deque[tuple[int, Future[_FilePart]]] = deque()
            for k, source, batch in tasks():
                pending.append((k, pool.submit(_parse_batch, source, batch, 1)))
                while len(pending) > 2 * workers:
                    k0, future = pending.popleft()
                    yield from finish(k0, future.result())
            while pending:
                k0, future = pending.popleft()
                yield from finish(k0, future.result())
    while done < len(todo):
        yield from _flush(done)
        done += 1


def _renumber(parts: list[_FilePart]) -> FileData:
    """Join a file's batches; each batch numbered its games from 1, so shift them."""
    base = 0
    for part in parts:
        if base:
            part.games = [(g[0] + base, *g[1:]) for g in part.games]
            part.skipped = [(n + base, r) for n, r in part.skipped]
        base += _count_games(part)
    return _drop_duplicates_within(_join_parts(parts))


def _game_key(data: FileData, i: int) -> tuple[str, bytes]:
    """What makes two games the same: the date and the exact moves."""
    return data.games[i][4], data.tokens[data.offsets[i] : data.offsets[i + 1]].tobytes()


def _first_seen(data: FileData, seen: set[tuple[str, bytes]]) -> np.ndarray:
    """A bool per game: False for a game whose key is in ``seen``; adds the new keys."""
    keep = np.ones(len(data.games), dtype=bool)
    for i in range(len(data.games)):
        key = _game_key(data, i)
        if key in seen:
            keep[i] = False
        else:
            seen.add(key)
    return keep


def _drop_duplicates_within(data: FileData) -> FileData:
    """Drop a file's own repeated games before caching, so loading it alone never copies."""
    keep = _first_seen(data, set())
    if keep.all():
        return data
    tokens, positions, offsets = _select(data, keep)
    games = [g for g, k in zip(data.games, keep.tolist(), strict=True) if k]
    dropped = int(len(keep) - keep.sum())
    return FileData(games, data.skipped, offsets, tokens, positions, data.duplicates + dropped)


def _select(data: FileData, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ply arrays and offsets of the games where ``keep`` (bool per game) is True."""
    return _gather(data.offsets, data.tokens, data.positions, np.flatnonzero(keep))


# ----------------------------------------------------------------------------- corpus


def _dedupe(datas: list[tuple[str, FileData]]) -> tuple[list[np.ndarray], int]:
    """Per file, a bool per game: False for a game already seen in an earlier file."""
    if len(datas) == 1:  # a file's own duplicates were dropped before it was cached
        return [np.ones(len(datas[0][1].games), dtype=bool)], datas[0][1].duplicates
    seen: set[tuple[str, bytes]] = set()
    keeps: list[np.ndarray] = []
    duplicates = 0
    for _, data in datas:
        keep = _first_seen(data, seen)
        duplicates += data.duplicates + int(len(keep) - keep.sum())
        keeps.append(keep)
    return keeps, duplicates


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
    Raises UserError for a missing path or when no PGN file is found.
    """
    files = pgn.find_pgn_files([paths] if isinstance(paths, str | Path) else paths)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if use_cache:
        cache.remove_stale_tmp(chessgru_paths.cache_dir())
    loaded: dict[Path, FileData] = {}
    todo: list[tuple[Path, Path]] = []
    for path in files:
        entry = cache.entry_path(cache.file_digest(path))
        data = cache.load_entry(entry) if use_cache else None
        if data is None:
            todo.append((path, entry))
        else:
            loaded[path] = data
    entries = dict(todo)
    if sum(path.stat().st_size for path, _ in todo) < SMALL_INPUT_BYTES:
        workers = 1  # starting processes would cost more than it saves
    with progress_bar("reading games", enabled=progress) as bar:
        for path, data in _parse_files(todo, workers, bar):
            if use_cache:
                # A read-only or full cache costs speed next time, never the run.
                with contextlib.suppress(OSError):
                    cache.save_entry(entries[path], data)
            loaded[path] = data
    return _assemble([(str(p), loaded[p]) for p in files], aliases, merge_names)


def _assemble(
    datas: list[tuple[str, FileData]], aliases: Mapping[str, str] | None, merge_names: bool
) -> Corpus:
    keeps, duplicates = _dedupe(datas)
    kept: list[tuple[str, list[tuple]]] = []
    raw_counts: Counter[str] = Counter()
    token_parts, position_parts, length_parts = [], [], []
    for (source, data), keep in zip(datas, keeps, strict=True):
        if keep.all():  # the usual case: no copy of the (possibly gigabytes of) arrays
            games, tokens, positions, offsets = (
                data.games,
                data.tokens,
                data.positions,
                data.offsets,
            )
        else:
            games = [g for g, k in zip(data.games, keep.tolist(), strict=True) if k]
            tokens, positions, offsets = _select(data, keep)
        kept.append((source, games))
        for game in games:
            raw_counts[game[1]] += 1
            raw_counts[game[2]] += 1
        token_parts.append(tokens)
        position_parts.append(positions)
        length_parts.append(np.diff(offsets))
    mapping, merges = names.resolve_names(raw_counts, aliases, merge=merge_names)
    infos = [
        GameInfo(source, g[0], mapping[g[1]], mapping[g[2]], *g[3:])
        for source, games in kept
        for g in games
    ]
    lengths = np.concatenate(length_parts) if length_parts else np.zeros(0, np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    skipped = [SkippedGame(s, n, r) for s, data in datas for n, r in data.skipped]
    return Corpus(
        games=infos,
        offsets=offsets,
        tokens=_concat(token_parts, np.uint16, (0,)),
        positions=_concat(position_parts, np.uint64, (0, POSITION_WORDS)),
        skipped=skipped,
        merges=merges,
        duplicates=duplicates,
    )


def _concat(parts: list[np.ndarray], dtype, empty_shape: tuple[int, ...]) -> np.ndarray:
    if not parts:
        return np.zeros(empty_shape, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
