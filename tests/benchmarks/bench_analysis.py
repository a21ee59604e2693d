"""`who` and `lines` on a model file, against a single-player forward in the same run.

who: rank every person the model knows (2,898 in the base model) as one side of an 80-ply
game (a Najdorf, the most played opening of the masters, then random moves), as `chessgru
who` does (a model with personal priors: the population's forward and every person's
counts; else the shared-state scores; then a shortlist rescored exactly), on ``--threads``
threads (the target: under 1 s on 2 cores); optionally (``--exact``) every candidate with
its own forward, once. lines: a depth-6, 5-line beam search on one thread (target: under
1 s). Each time is the median of ``--repeats`` runs; the baseline is one public forward of
the same game for one player.

    .venv/bin/python tests/benchmarks/bench_analysis.py [--model M] [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import chess
import torch

from chessgru.analysis.game import prepare_game
from chessgru.analysis.lines import beam_lines
from chessgru.analysis.prior_scores import PriorIndex, side_inputs
from chessgru.analysis.who import exact_scores, fast_scores, rank, shared_state_scores
from chessgru.predict import Predictor


def median_time(work: Callable[[], object], repeats: int) -> float:
    work()  # warm-up: first calls allocate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


OPENING = "e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6"


def najdorf_game(plies: int, seed: int = 0) -> list[chess.Move]:
    """The Najdorf, then reproducible random moves up to ``plies`` (retried if it ends early)."""
    for attempt in range(1000):
        rng, board = random.Random(seed + attempt), chess.Board()
        for san in OPENING.split():
            board.push_san(san)
        while not board.is_game_over() and len(board.move_stack) < plies:
            board.push(rng.choice(list(board.legal_moves)))
        if len(board.move_stack) == plies:
            return board.move_stack
    raise RuntimeError("no game long enough")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plies", type=int, default=80)
    parser.add_argument("--exact", action="store_true", help="also time exact scoring of all")
    parser.add_argument("--model", help="model file (default: the shipped base model)")
    args = parser.parse_args()
    predictor = Predictor.load(args.model)
    model, names = predictor.model, predictor.players
    game = prepare_game(najdorf_game(args.plies))
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    prior = PriorIndex.of(predictor.prior)
    print(f"torch {torch.__version__}, {args.threads} threads, {len(names) - 1} people, ")
    print(f"{args.plies}-ply game, median of {args.repeats}; {len(prior):,} prior counts ")
    print(f"(indexed once in {time.perf_counter() - start:.2f} s)\n")

    def single() -> None:
        exact_scores(model, game, chess.WHITE, [1])

    base = median_time(single, args.repeats)
    rows = [("one player, one forward (baseline)", base)]
    if len(prior):
        pair, everyone = [(game, chess.WHITE)], list(range(1, len(names)))
        inputs = [side_inputs(game, chess.WHITE)]
        rows.append(
            (
                "population forward + every person's prior, one side",
                median_time(
                    lambda: fast_scores(model, pair, everyone, prior, inputs), args.repeats
                ),
            )
        )
    if shared_state_scores(model, game, chess.WHITE) is not None:
        rows.append(
            (
                "shared-state scores, all people, one side",
                median_time(lambda: shared_state_scores(model, game, chess.WHITE), args.repeats),
            )
        )

    def who(sides: tuple[chess.Color, ...]) -> None:
        for side in sides:
            rank(model, names, [(game, side)], prior=prior)

    rows.append(
        ("who, all people, one side", median_time(lambda: who((chess.WHITE,)), args.repeats))
    )
    rows.append(
        (
            "who, all people, both sides",
            median_time(lambda: who((chess.WHITE, chess.BLACK)), args.repeats),
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
