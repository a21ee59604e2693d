"""Ingest memory does not grow by a Python object per game (issue 15, item 8).

The game headers are int32 rows in a memory-mapped cache file and a few numpy columns in
the corpus; only the distinct names, dates and events are Python strings. These tests
measure what stays allocated (tracemalloc: exact, not timing or RSS) for two inputs that
differ only in their number of games, so a per-game object anywhere shows as a slope.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from crafted import write_pgn

from chessgru import paths
from chessgru.games import cache
from chessgru.games.corpus import load_corpus
from chessgru.games.table import GameTable
from chessgru.training import data

SMALL, BIG = 150, 750  # same 4 players, 28 dates and one event: only the game count differs


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return write_pgn(tmp_path / "small.pgn", SMALL), write_pgn(tmp_path / "big.pgn", BIG)


def _traced(action) -> tuple[int, int, object]:
    """(bytes still allocated after ``action``, peak bytes during it, its result)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = action()
        gc.collect()
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return now - base, peak - base, result


def _per_game(small: int, big: int) -> float:
    return (big - small) / (BIG - SMALL)


def test_the_cache_stores_header_rows_and_vocabularies_not_a_json_list_per_game(inputs):
    for path in inputs:
        load_corpus(path, workers=1, progress=False)
    metas = sorted(paths.cache_dir().glob("*/meta.json"), key=lambda m: m.stat().st_size)
    assert len(metas) == 2
    # 600 more games, the same vocabularies: only digits of counts and checksums differ.
    assert metas[1].stat().st_size - metas[0].stat().st_size < 64
    corpus = load_corpus(inputs[1], workers=1, progress=False)  # a hit
    assert isinstance(corpus.games, GameTable) and len(corpus.games) == BIG
    (part,) = corpus.games.parts
    assert isinstance(part.rows, np.memmap) and part.rows.shape == (BIG, 10)
    assert corpus.games[BIG - 1].number == BIG and corpus.games[0].white == "Player0"


def test_a_cache_hit_keeps_bytes_not_objects_per_game(inputs):
    for path in inputs:  # fill the cache, and warm up one-time allocations
        load_corpus(path, workers=1, progress=False)

    def held(path: Path) -> int:
        kept, _, corpus = _traced(lambda: load_corpus(path, workers=1, progress=False))
        assert len(corpus.games) in (SMALL, BIG)
        return kept

    # The table's 20 bytes and the offsets' 8 a game; a GameInfo or a tuple is over 100.
    assert _per_game(held(inputs[0]), held(inputs[1])) < 48


def test_writing_an_entry_keeps_bytes_not_objects_per_game(tmp_path):
    """The writer streams each batch to disk; it keeps two lengths a game, not the headers."""

    def batch(start: int) -> tuple:
        games = [
            (start + i, "White", "Black", "1-0", "2020.01.01", 1500, None, "60+0", "Rated", None)
            for i in range(1, 51)
        ]
        tokens = np.zeros(500, np.uint16).tobytes()
        words = np.zeros((500, 9), np.uint64).tobytes()
        return games, [], [10] * 50, tokens, words, bytes(50 * cache.KEY_BYTES)

    def held(games: int) -> int:
        def write() -> cache.EntryWriter:
            writer = cache.EntryWriter(tmp_path / f"entry-{games}")
            for start in range(0, games, 50):
                writer.add(*batch(start))
            return writer

        kept, _, writer = _traced(write)
        writer.abort()
        return kept

    held(SMALL)  # warm up
    # 16 bytes a game (ply and site lengths); a tuple or GameInfo a game is over 100.
    assert _per_game(held(SMALL), held(BIG)) < 24


def test_training_inputs_are_columns_of_the_table(inputs):
    load_corpus(inputs[0], workers=1, progress=False)
    corpus = load_corpus(inputs[0], workers=1, progress=False)
    conditions = data.game_conditions(corpus, ["population", "Player1", "Player2"])
    row = {"Player1": 1, "Player2": 2}
    expected = [[row.get(g.white, 0), row.get(g.black, 0)] for g in corpus.games]
    assert conditions[:, :2].tolist() == expected
    counts: dict[str, int] = {}  # what a loop over the games gives, in its order
    for g in corpus.games:
        for name in dict.fromkeys((g.white, g.black)):
            counts[name] = counts.get(name, 0) + 1
    assert list(data.player_counts(corpus).items()) == list(counts.items())
