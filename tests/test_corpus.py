"""load_corpus: arrays, de-duplication, names, the cache (hit, corruption), workers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from chessgru import paths
from chessgru.errors import UserError
from chessgru.games import cache as cache_module
from chessgru.games import corpus as corpus_module
from chessgru.games import pgn
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.model.encoding import encode_game

GAME = '[White "{w}"]\n[Black "{b}"]\n[Date "{d}"]\n[Result "1-0"]\n\n{moves} 1-0\n\n'
MOVES = [
    "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6",
    "1. d4 d5 2. c4 e6 3. Nc3 Nf6 4. Bg5",
    "1. c4 e5",
    "1. e4 c5 2. Nf3 d6 3. d4 cxd4 4. Nxd4 Nf6 5. Nc3 a6",
]


def _pgn(games: list[tuple[str, str, str, str]]) -> bytes:
    return "".join(GAME.format(w=w, b=b, d=d, moves=m) for w, b, d, m in games).encode()


@pytest.fixture()
def two_files(tmp_path: Path) -> Path:
    folder = tmp_path / "games"
    folder.mkdir()
    (folder / "a.pgn").write_bytes(
        _pgn(
            [
                ("Karpov, Anatoly", "X", "1990.01.01", MOVES[0]),
                ("Karpov,An", "Y", "1990.01.02", MOVES[1]),
                ("Z", "Karpov,Ana", "1990.01.03", MOVES[2]),
            ]
        )
        + b'[White "bad"]\n[Black "x"]\n\n1. e4 e5 2. Ke3 *\n\n'
    )
    (folder / "b.pgn").write_bytes(
        _pgn(
            [
                ("Karpov, Anatoly", "X", "1990.01.01", MOVES[0]),  # duplicate of a.pgn game 1
                ("Karpov, Anatoly", "X", "1991.01.01", MOVES[0]),  # same moves, other date
                ("W", "V", "1992.05.05", MOVES[3]),
            ]
        )
    )
    return folder


def _check_arrays(corpus: Corpus, sources: list[Path]) -> None:
    assert corpus.offsets[0] == 0 and corpus.offsets[-1] == len(corpus.tokens)
    assert corpus.tokens.dtype == np.uint16 and corpus.positions.dtype == np.uint64
    assert corpus.positions.shape == (len(corpus.tokens), 9)
    readers = {str(p): [g for g in pgn.read_games(p) if isinstance(g, tuple)] for p in sources}
    for i, game in enumerate(corpus.games):
        (moves,) = [m for info, m in readers[game.source] if info.number == game.number]
        tokens, words = encode_game(moves)
        assert np.array_equal(corpus.game_tokens(i), tokens)
        assert np.array_equal(corpus.game_positions(i), words)


def test_load_corpus_dedupes_merges_and_skips(two_files: Path) -> None:
    corpus = load_corpus(two_files, workers=1, progress=False)
    assert len(corpus.games) == 5
    assert corpus.duplicates == 1
    assert [(g.source.endswith("a.pgn"), g.number) for g in corpus.games] == [
        (True, 1),
        (True, 2),
        (True, 3),
        (False, 2),
        (False, 3),
    ]
    assert corpus.player_games()["Karpov, Anatoly"] == 4
    assert corpus.merges[0].canonical == "Karpov, Anatoly"
    assert [(s.number, s.reason) for s in corpus.skipped] == [(4, "illegal move 'Ke3' at ply 3")]
    _check_arrays(corpus, sorted(two_files.iterdir()))


def test_subset_and_views(two_files: Path) -> None:
    corpus = load_corpus(two_files, workers=1, progress=False)
    sub = corpus.subset([4, 0])
    assert [g.number for g in sub.games] == [3, 1]
    assert np.array_equal(sub.game_tokens(0), corpus.game_tokens(4))
    assert np.array_equal(sub.game_positions(1), corpus.game_positions(0))
    assert sub.offsets[-1] == len(sub.tokens) == len(sub.positions)
    empty = corpus.subset([])
    assert len(empty.games) == 0 and len(empty.tokens) == 0 and empty.offsets.tolist() == [0]


def test_aliases_and_no_merge(two_files: Path) -> None:
    corpus = load_corpus(two_files, workers=1, progress=False, merge_names=False)
    assert corpus.player_games()["Karpov,An"] == 1
    corpus = load_corpus(two_files, workers=1, progress=False, aliases={"W": "Karpov, Anatoly"})
    assert corpus.player_games()["Karpov, Anatoly"] == 5


def test_cache_hit_gives_identical_arrays_without_parsing(
    two_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_corpus(two_files, workers=1, progress=False)
    assert len(_entries()) == 2

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed although the cache holds every file")

    monkeypatch.setattr(corpus_module, "_parse_batch", no_parsing)
    second = load_corpus(two_files, workers=1, progress=False)
    assert second.games == first.games and second.skipped == first.skipped
    assert second.duplicates == first.duplicates
    assert np.array_equal(second.tokens, first.tokens)
    assert np.array_equal(second.positions, first.positions)
    assert np.array_equal(second.offsets, first.offsets)


def test_cache_follows_content_not_path(two_files: Path, tmp_path: Path) -> None:
    load_corpus(two_files, workers=1, progress=False)
    copy = tmp_path / "copy.pgn"
    copy.write_bytes((two_files / "a.pgn").read_bytes())
    corpus = load_corpus(copy, workers=1, progress=False)
    assert all(g.source == str(copy) for g in corpus.games)
    (two_files / "a.pgn").write_bytes(_pgn([("New", "Player", "2000.01.01", MOVES[2])]))
    assert load_corpus(two_files / "a.pgn", workers=1, progress=False).games[0].white == "New"


def _entries() -> list[Path]:
    return sorted(p for p in paths.cache_dir().iterdir() if not p.name.startswith("."))


def test_corrupt_cache_entry_is_rebuilt(two_files: Path) -> None:
    first = load_corpus(two_files, workers=1, progress=False)
    entries = _entries()
    positions = entries[0] / "positions.npy"
    positions.write_bytes(positions.read_bytes()[:100])
    (entries[1] / "meta.json").write_text("{not json", encoding="utf-8")
    second = load_corpus(two_files, workers=1, progress=False)
    assert second.games == first.games
    assert np.array_equal(second.positions, first.positions)
    assert all(cache_module.load_entry(e) is not None for e in entries)
    assert _entries() == entries
    assert not [p for p in paths.cache_dir().iterdir() if p.name.startswith(".tmp-")]


def test_stale_tmp_folders_of_killed_runs_are_removed(two_files: Path) -> None:
    cache = paths.cache_dir()
    old, fresh = cache / ".tmp-killed", cache / ".tmp-writing"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "tokens.npy").write_bytes(b"half")
    hours_ago = time.time() - 2 * cache_module.STALE_TMP_SECONDS
    os.utime(old, (hours_ago, hours_ago))
    load_corpus(two_files, workers=1, progress=False)
    assert not old.exists()
    assert fresh.exists()  # may belong to a run writing right now


def test_duplicates_inside_one_file_are_dropped_before_caching(tmp_path: Path) -> None:
    path = tmp_path / "d.pgn"
    path.write_bytes(
        _pgn([("A", "B", "2000.01.01", MOVES[1]), ("C", "D", "2000.01.01", MOVES[1])] * 2)
        + _pgn([("E", "F", "2000.01.01", MOVES[0])])
    )
    for _ in range(2):  # parse, then cache hit
        corpus = load_corpus(path, workers=1, progress=False)
        assert corpus.duplicates == 3
        assert [(g.white, g.number) for g in corpus.games] == [("A", 1), ("E", 5)]
        assert np.array_equal(corpus.game_tokens(1), encode_game_tokens(MOVES[0]))


def encode_game_tokens(moves: str) -> np.ndarray:
    (game,) = list(pgn.parse_texts("t", [f"{moves} *".encode()]))
    return encode_game(game.moves)[0]


def test_no_cache_writes_nothing(two_files: Path) -> None:
    load_corpus(two_files, workers=1, progress=False, use_cache=False)
    assert not paths.cache_dir().exists() or not list(paths.cache_dir().iterdir())


def test_workers_give_the_same_corpus(two_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_module, "BATCH_GAMES", 1)  # many batches: order must hold
    monkeypatch.setattr(corpus_module, "SMALL_INPUT_BYTES", 0)
    one = load_corpus(two_files, workers=1, progress=False, use_cache=False)
    two = load_corpus(two_files, workers=2, progress=False, use_cache=False)
    assert two.games == one.games and two.skipped == one.skipped
    assert np.array_equal(two.tokens, one.tokens)
    assert np.array_equal(two.positions, one.positions)


def test_errors_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_corpus(tmp_path / "nope.pgn", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="No PGN files"):
        load_corpus(tmp_path / "empty", progress=False)


@pytest.mark.slow
def test_masters_files_with_cross_file_duplicates(shared_pgn: Path) -> None:
    files = [shared_pgn / "masters/Karpov.pgn", shared_pgn / "masters/PolgarJ.pgn"]
    corpus = load_corpus(files, workers=2, progress=False)
    counts = corpus.player_games()
    assert counts["Karpov, Anatoly"] == 3529  # all spellings merged, his own file first
    assert corpus.duplicates > 0
    assert len(corpus.games) == 3529 + 1825 - corpus.duplicates
    assert counts["Polgar, Judit"] == 1825


@pytest.mark.slow
def test_broad_sample_loads_and_caches(shared_pgn: Path) -> None:
    path = shared_pgn / "broad/pgnmentor_players_sample20k.pgn.gz"
    corpus = load_corpus(path, workers=2, progress=False)
    assert len(corpus.games) + corpus.duplicates == 20000
    assert corpus.duplicates <= 1 and not corpus.skipped
    again = load_corpus(path, workers=2, progress=False)
    assert np.array_equal(again.positions, corpus.positions)
