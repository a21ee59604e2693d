"""Ingest benchmark: chessgru's PGN reader against python-chess, end to end, cache hits.

Run: ``.venv/bin/python tests/benchmarks/bench_ingest.py [--games 3000] [--repeats 3]``

Measures, in one run on the same games (a prefix of the 20k broad sample, or --pgn):
1. games/s of chessgru's reader (mainline, tokens and positions) vs ``chess.pgn.read_game``
   collecting the mainline moves, one core, text already in memory;
2. end to end ``load_corpus`` (PGN file -> cached arrays, empty cache) with 1 and 2 workers;
3. ``load_corpus`` on a warm cache vs a parse.
Reports medians and ratios (timings on a shared machine are noisy; compare ratios).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import chess.pgn

from chessgru.games import corpus as corpus_module
from chessgru.games import pgn

SAMPLE = (
    Path(__file__).resolve().parents[3] / "shared/data/pgn/broad/pgnmentor_players_sample20k.pgn.gz"
)


def _median_seconds(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function; runs are interleaved so load spikes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _first_games(path: Path, n: int) -> bytes:
    texts = []
    with pgn.open_binary(path) as stream:
        for text in pgn.split_games(stream):
            texts.append(text)
            if len(texts) == n:
                break
    return b"".join(texts)


def _python_chess(text: str) -> int:
    handle, n = io.StringIO(text), 0
    while (game := chess.pgn.read_game(handle)) is not None:
        list(game.mainline_moves())
        n += 1
    return n


def _ours(data: bytes) -> int:
    return sum(1 for _ in pgn.parse_texts("bench", pgn.split_games(io.BytesIO(data))))


def _load(path: Path, cache: Path, workers: int, fresh: bool) -> None:
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    corpus_module.load_corpus(path, workers=workers, progress=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pgn", type=Path, default=SAMPLE)
    parser.add_argument("--games", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.pgn.is_file():
        print(f"no PGN at {args.pgn} (pass --pgn)", file=sys.stderr)
        return 2
    data = _first_games(args.pgn, args.games)
    text = pgn.decode(data)
    games = _ours(data)
    plies = sum(len(g.tokens) for g in pgn.parse_texts("b", pgn.split_games(io.BytesIO(data))))
    results: dict[str, float] = {"games": games, "plies_per_game": plies / games}

    readers = _median_seconds(
        {"python_chess": lambda: _python_chess(text), "reader": lambda: _ours(data)}, args.repeats
    )
    results["python_chess_games_s"] = games / readers["python_chess"]
    results["reader_games_s"] = games / readers["reader"]
    results["reader_vs_python_chess"] = results["reader_games_s"] / results["python_chess_games_s"]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pgn"
        path.write_bytes(data)
        cache = Path(tmp) / "cache"
        os.environ["CHESSGRU_CACHE"] = str(cache)
        loads = _median_seconds(
            {
                "1w": lambda: _load(path, cache, 1, True),
                "2w": lambda: _load(path, cache, 2, True),
                "hit": lambda: _load(path, cache, 1, False),  # the 2w run just cached it
            },
            args.repeats,
        )
    for name in ("1w", "2w"):
        results[f"load_corpus_{name}_games_s"] = games / loads[name]
    results["cache_hit_games_s"] = games / loads["hit"]
    results["scaling_2w_vs_1w"] = (
        results["load_corpus_2w_games_s"] / results["load_corpus_1w_games_s"]
    )
    results["cache_hit_vs_parse_1w"] = (
        results["cache_hit_games_s"] / results["load_corpus_1w_games_s"]
    )

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{games} games, {results['plies_per_game']:.1f} plies/game, median of {args.repeats}, "
            f"CPUs: {os.cpu_count()}"
        )
        for key, value in results.items():
            if key not in ("games", "plies_per_game"):
                print(f"  {key:<28} {value:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
