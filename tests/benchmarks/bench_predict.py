"""Live prediction latency on one CPU thread: incremental (push + top) against re-running.

What a live move costs after ply 10, 40 and 120: the incremental path runs one GRU step and
masks to the legal moves; the baselines re-run the whole prefix, either as one forward plus
masking of the last position ("rerun") or through ``predict_game`` (masks every ply).
Reports p50/p95 in ms and ratios against the incremental path, at the default size and a
bigger one. Aim: incremental p95 under 10 ms.

    .venv/bin/python tests/benchmarks/bench_predict.py [--repeats 300] [--players 1000]
"""

from __future__ import annotations

import argparse
import random
import time

import chess
import numpy as np
import torch

from chessgru.model import encoding
from chessgru.model.network import BOS, ChessGRU, ModelConfig
from chessgru.predict import Predictor

PLIES = (10, 40, 120)
SIZES = {
    "default (384x2)": ModelConfig(),
    "bigger (768x3)": ModelConfig(hidden=768, layers=3, embed=256, board_dim=512, player_dim=128),
    "tower 4x32 + GRU 256x1": ModelConfig(hidden=256, layers=1, tower_blocks=4, tower_channels=32),
}


def random_game(plies: int, seed: int = 0) -> list[chess.Move]:
    """A reproducible legal game of at least ``plies`` moves (random moves, retried)."""
    for attempt in range(1000):
        rng = random.Random(seed + attempt)
        board = chess.Board()
        while not board.is_game_over() and len(board.move_stack) < plies:
            board.push(rng.choice(list(board.legal_moves)))
        if len(board.move_stack) == plies:
            return board.move_stack
    raise RuntimeError("no game long enough")


def percentiles(times: list[float]) -> tuple[float, float]:
    ms = np.asarray(times) * 1e3
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def time_incremental(
    predictor: Predictor, moves: list[chess.Move], ply: int, repeats: int
) -> list[float]:
    """Push the move of ``ply`` and rank the replies, as the GUI does after each move."""
    predictor.new_game()
    for move in moves[: ply - 1]:
        predictor.push(move)
    predictor.top()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.push(moves[ply - 1])
        predictor.top(5)
        times.append(time.perf_counter() - start)
        predictor.pop()
    return times


def time_rerun(
    predictor: Predictor, moves: list[chess.Move], ply: int, repeats: int
) -> list[float]:
    """One forward over the whole prefix, then legal masking of the last position."""
    tokens, positions = encoding.encode_game(moves[:ply])
    board = chess.Board()
    for move in moves[:ply]:
        board.push(move)
    last = np.asarray(encoding.position_words(board), dtype=np.uint64).view(np.int64)
    tokens_in = torch.tensor([[BOS, *tokens.tolist()]])
    pos = torch.from_numpy(np.concatenate([positions.view(np.int64), last[None]]))[None]
    cond = torch.zeros(1, ply + 1, 3, dtype=torch.long)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.inference_mode():
            logits, _ = predictor.model(tokens_in, pos, cond)
        legal, _ = encoding.legal_tokens(board)
        row = logits[0, -1].numpy()[legal]
        np.argsort(-np.exp(row - row.max()))[:5]
        times.append(time.perf_counter() - start)
    return times


def time_predict_game(
    predictor: Predictor, moves: list[chess.Move], ply: int, repeats: int
) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict_game(moves[: ply + 1], k=5)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--players", type=int, default=1000, help="rows of the player table")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    moves = random_game(max(PLIES) + 1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, {args.repeats} repeats\n")
    print(
        "| model | params | ply | incremental p50 / p95 ms | rerun p50 / p95 ms | "
        "predict_game p50 / p95 ms | rerun / incr. (p50) | predict_game / incr. (p50) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, config in SIZES.items():
        config = ModelConfig(**{**config.to_dict(), "n_players": args.players})
        model = ChessGRU(config).eval()
        params = sum(p.numel() for p in model.parameters()) / 1e6
        players = [{"name": "population"}] + [{"name": f"p{i}"} for i in range(1, args.players)]
        predictor = Predictor(model, players)
        for ply in PLIES:
            slow_repeats = max(20, args.repeats // 5)
            inc = percentiles(time_incremental(predictor, moves, ply, args.repeats))
            rerun = percentiles(time_rerun(predictor, moves, ply, slow_repeats))
            whole = percentiles(time_predict_game(predictor, moves, ply, slow_repeats))
            print(
                f"| {label} | {params:.1f}M | {ply} | {inc[0]:.2f} / {inc[1]:.2f} | "
                f"{rerun[0]:.2f} / {rerun[1]:.2f} | {whole[0]:.2f} / {whole[1]:.2f} | "
                f"{rerun[0] / inc[0]:.1f}x | {whole[0] / inc[0]:.1f}x |"
            )


if __name__ == "__main__":
    main()
