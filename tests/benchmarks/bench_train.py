"""Training throughput: our trainer's plies/s against a bare ``torch.nn.GRU`` of the same size.

For each thread count and precision, the trainer runs real optimizer steps
(``train.train_step``: batching, embeddings, board features, GRU, head, full-vocabulary
loss, backward, clipping, AdamW) on real games, and a bare ``nn.GRU`` with the same input
width, hidden size and layers runs forward + backward on the same batch shapes, in the
same process, interleaved, so machine load hits both alike. Reported: medians over
repeats and the ratio ours / bare (1.0 would mean the GRU is the only cost).

    .venv/bin/python tests/benchmarks/bench_train.py                  # CPU, 1 and 2 threads
    .venv/bin/python tests/benchmarks/bench_train.py --device cuda --threads 8
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from chessgru.games.corpus import load_corpus
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.training import data
from chessgru.training import loop as train
from chessgru.training.runtime import Runtime

DEFAULT_PGN = Path(__file__).resolve().parents[3] / "shared/data/pgn/masters/Morphy.pgn"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _ours(
    plan: data.Plan,
    model_config: ModelConfig,
    config: train.TrainConfig,
    rt: Runtime,
    batches: list[np.ndarray],
) -> float:
    torch.manual_seed(0)
    model = ChessGRU(dataclasses.replace(model_config, n_players=len(plan.players))).to(rt.device)
    model.train()
    optimizer = train.make_optimizer(model, config)
    train.train_step(model, optimizer, plan, batches[0], 0, config, rt)  # warm-up
    _sync(rt.device)
    start, plies = time.perf_counter(), 0
    for step, games in enumerate(batches, 1):
        plies += train.train_step(model, optimizer, plan, games, step, config, rt)[2]
    _sync(rt.device)
    return plies / (time.perf_counter() - start)


def _bare(
    plan: data.Plan, model_config: ModelConfig, rt: Runtime, batches: list[np.ndarray]
) -> float:
    reference = ChessGRU(dataclasses.replace(model_config, n_players=len(plan.players)))
    gru = torch.nn.GRU(
        reference.gru.input_size, model_config.hidden, model_config.layers, batch_first=True
    ).to(rt.device)
    shapes = [(len(b), int(plan.lengths[b].max())) for b in batches]
    plies = [int(plan.lengths[b].sum()) for b in batches]

    def one(shape: tuple[int, int]) -> None:
        x = torch.randn(*shape, gru.input_size, device=rt.device, requires_grad=True)
        with torch.autocast(rt.device.type, dtype=torch.bfloat16, enabled=rt.bf16):
            out, _ = gru(x)
        out.float().sum().backward()

    one(shapes[0])
    _sync(rt.device)
    start = time.perf_counter()
    for shape in shapes:
        one(shape)
    _sync(rt.device)
    return sum(plies) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pgn", type=Path, default=DEFAULT_PGN)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--precision", nargs="+", choices=("fp32", "bf16"), default=["fp32", "bf16"]
    )
    parser.add_argument("--steps", type=int, default=3, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-tokens", type=int, default=train.TrainConfig.batch_tokens)
    parser.add_argument("--hidden", type=int, default=ModelConfig.hidden)
    parser.add_argument("--layers", type=int, default=ModelConfig.layers)
    args = parser.parse_args()

    corpus = load_corpus([args.pgn], progress=False)
    config = train.TrainConfig(epochs=1, batch_tokens=args.batch_tokens, min_games=5)
    plan = data.make_plan(corpus, config)
    batches = [b for b in plan.epochs[0] if len(b) > 1][: args.steps]
    model_config = ModelConfig(hidden=args.hidden, layers=args.layers)
    device = torch.device(args.device)
    print(
        f"{args.pgn.name}: {len(batches)} batches of ~{args.batch_tokens} padded plies, "
        f"hidden {args.hidden} x {args.layers} layers, {args.repeats} repeats, "
        f"torch {torch.__version__}",
        file=sys.stderr,
    )
    print("| device | threads | precision | trainer plies/s | bare nn.GRU plies/s | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for precision in args.precision:
            rt = Runtime(device=device, bf16=precision == "bf16")
            ours, bare = [], []
            for _ in range(args.repeats):
                ours.append(_ours(plan, model_config, config, rt, batches))
                bare.append(_bare(plan, model_config, rt, batches))
            o, b = statistics.median(ours), statistics.median(bare)
            print(
                f"| {device.type} | {threads} | {precision} | {o:,.0f} | {b:,.0f} | {o / b:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
