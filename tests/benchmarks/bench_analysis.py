"""`who` and `lines` on the shipped base model, against a single-player forward in the same run.

who: rank every person the model knows (2,898) as one side of an 80-ply game, as `chessgru
who` does (shared-state shortlist, then the shortlist rescored exactly), on ``--threads``
threads (the target: under 1 s on 2 cores); optionally (``--exact``) every candidate with
its own forward, once. lines: a depth-6, 5-line beam search on one thread (target: under
1 s). Each time is the median of ``--repeats`` runs; the baseline is one public forward of
the same game for one player.

    .venv/bin/python tests/benchmarks/bench_analysis.py [--repeats 5] [--threads 2] [--exact]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import chess
import torch
from bench_predict import random_game

from chessgru.analysis.game import prepare_game
from chessgru.analysis.lines import beam_lines
from chessgru.analysis.who import exact_scores, rank, shared_state_scores
from chessgru.predict import Predictor


def median_time(work: Callable[[], object], repeats: int) -> float:
    work()  # warm-up: first calls allocate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plies", type=int, default=80)
    parser.add_argument("--exact", action="store_true", help="also time exact scoring of all")
    args = parser.parse_args()
    predictor = Predictor.load()
    model, names = predictor.model, predictor.players
    game = prepare_game(random_game(args.plies))
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {len(names) - 1} people, ")
    print(f"{args.plies}-ply game, median of {args.repeats}\n")

    def single() -> None:
        exact_scores(model, game, chess.WHITE, [1])

    base = median_time(single, args.repeats)
    rows = [("one player, one forward (baseline)", base)]
    rows.append(
        (
            "shared-state scores, all people, one side",
            median_time(lambda: shared_state_scores(model, game, chess.WHITE), args.repeats),
        )
    )
    rows.append(
        (
            "who, all people, one side",
            median_time(lambda: rank(model, names, [(game, chess.WHITE)]), args.repeats),
        )
    )
    rows.append(
        (
            "who, all people, both sides",
            median_time(
                lambda: [rank(model, names, [(game, s)]) for s in (chess.WHITE, chess.BLACK)],
                args.repeats,
            ),
        )
    )
    if args.exact:
        start = time.perf_counter()
        exact_scores(model, game, chess.WHITE, range(1, len(names)))
        rows.append(("exact, all people, one side (one run)", time.perf_counter() - start))
    torch.set_num_threads(1)
    moves = game.moves[:20]
    white, black = predictor.player_cond("Tal, Mihail"), predictor.player_cond("Kasparov, Gary")
    rows.append(
        (
            "lines depth 6, 5 lines (1 thread)",
            median_time(lambda: beam_lines(model, moves, white, black, 6, 5), args.repeats),
        )
    )
    print("| what | median s | / baseline |")
    print("|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} | {seconds / base:.1f}x |")


if __name__ == "__main__":
    main()
