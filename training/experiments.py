"""The design experiments of training/README.md ("What makes predictions accurate").

    python training/experiments.py arch --out runs/exp        # board input, size, latency
    python training/experiments.py finetune --base MODEL --out runs/exp

``arch`` trains each network for one epoch on the same games (the 20k broad sample plus
the masters, every masters player's newest 20% held out as in the base recipe) and scores
the held-out games of the nine masters players, pooled, at plies >= 10; it also times a
live prediction (push + top 5, one thread) at plies 10-120.

``finetune`` starts from ``--base`` and fine-tunes on the newest 50, 200, 1000 or all of
the training games (the oldest 80%) of each online player, once with the whole network and
once with only the player embeddings, then scores that player's newest 20%. The other
online player, unknown to every model here, is scored as the population before and after,
and so are two masters (Capablanca and Fischer, by name): how much the network forgot.

Each finished run appends one JSON line to ``<out>/<experiment>.jsonl`` (a rerun skips
what is there), so a killed run loses one configuration at most.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import chess
import torch

from chessgru.evaluation.protocol import KS, evaluate
from chessgru.games import split
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.model import encoding
from chessgru.model.network import ModelConfig
from chessgru.predict import Predictor
from chessgru.training.config import FINE_TUNE_DEFAULTS, PLAYERS_ONLY_LR, TrainConfig
from chessgru.training.fit import fit

DATA = Path(__file__).resolve().parents[2] / "shared/data/pgn"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.benchmarks helpers
MASTERS = [
    "Alekhine, Alexander", "Capablanca, Jose Raul", "Carlsen,M", "Fischer, Robert James",
    "Karpov, Anatoly", "Kasparov, Gary", "Morphy, Paul", "Polgar, Judit", "Tal, Mihail",
]  # fmt: skip
ONLINE = {"cmrade": "online/cmrade_lichess.pgn", "falc0nfeast": "online/falc0nfeast_chesscom.pgn"}
ARCHS = {
    "384x2, board": ModelConfig(),
    "384x2, tokens only": ModelConfig(board_input=False),
    "256x1, board": ModelConfig(hidden=256, layers=1),
    "512x2, board": ModelConfig(hidden=512),
}
SIZES = (50, 200, 1000, None)  # None: all training games
FORGET = ["Capablanca, Jose Raul", "Fischer, Robert James"]


def done(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def append(log: Path, row: dict[str, Any]) -> None:
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def pooled(report: dict[str, Any], method: str = "model") -> dict[str, float]:
    """Top-k at plies >= 10 over every player's positions together (weighted by positions)."""
    n = sum(p["results"][method]["positions_ply10"] for p in report["players"])
    out = {"positions": n}
    for k in KS:
        hits = sum(
            p["results"][method]["ply10"][f"top{k}"] * p["results"][method]["positions_ply10"]
            for p in report["players"]
        )
        out[f"top{k}"] = round(100 * hits / n, 2)
    return out


def latency_p95(path: Path, repeats: int = 200) -> dict[str, float]:
    """p50/p95 ms of push + top 5 at plies 10-120 of a random game, one thread.

    The same measurement as tests/benchmarks/bench_predict.py, whose helpers it uses.
    """
    from tests.benchmarks.bench_predict import percentiles, random_game, time_incremental

    torch.set_num_threads(1)
    predictor = Predictor.load(path)
    moves = random_game(120)
    times = [
        t for ply in (10, 40, 80, 120) for t in time_incremental(predictor, moves, ply, repeats)
    ]
    p50, p95 = percentiles(times)
    return {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}


def arch(args: argparse.Namespace) -> None:
    log = args.out / "arch.jsonl"
    finished = {r["arch"] for r in done(log)}
    paths = [DATA / "broad/pgnmentor_players_sample20k.pgn.gz", DATA / "masters"]
    test_corpus = load_corpus([DATA / "masters"], progress=False)
    for label, model_config in ARCHS.items():
        if label in finished:
            continue
        config = TrainConfig(
            epochs=1, min_games=20, threads=1, precision="bf16", holdout_fraction=0.2,
            holdout_from=(str(DATA / "masters"),), holdout_players=tuple(MASTERS),
        )  # fmt: skip
        out = args.out / f"arch-{label.replace(', ', '-').replace(' ', '_')}.chessgru"
        start = time.perf_counter()
        if not out.exists():  # trained before the scoring failed: keep it
            fit(paths, config, model_config, out, show_progress=False)
        minutes = (time.perf_counter() - start) / 60
        report = evaluate(test_corpus, MASTERS, predictor=Predictor.load(out), progress=False)
        row = {"arch": label, "train_min": round(minutes, 1), **pooled(report)}
        row["tree"] = pooled(report, "opening_tree")
        params = sum(t.numel() for t in Predictor.load(out).model.parameters())
        append(log, {**row, "params": params, **latency_p95(out)})


def write_pgn(corpus: Corpus, indices: list[int], path: Path) -> None:
    """The games at ``indices`` as PGN (headers chessgru reads, moves decoded from tokens)."""
    with path.open("w", encoding="utf-8") as f:
        for i in indices:
            g = corpus.games[i]
            board = chess.Board()
            sans = []
            for token in corpus.game_tokens(i):
                move = encoding.decode_move(int(token), board)
                sans.append(board.san(move))
                board.push(move)
            headers = {"White": g.white, "Black": g.black, "Date": g.date, "Result": g.result}
            headers |= {"WhiteElo": g.white_elo, "BlackElo": g.black_elo}
            headers["TimeControl"] = g.time_control
            for key, value in headers.items():
                if value is not None:
                    f.write(f'[{key} "{value}"]\n')
            f.write("\n" + " ".join(sans) + f" {g.result}\n\n")


def finetune(args: argparse.Namespace) -> None:
    log = args.out / "finetune.jsonl"
    finished = {(r["player"], r["games"], r["tune"]) for r in done(log)}
    corpora = {name: load_corpus([DATA / path], progress=False) for name, path in ONLINE.items()}
    masters = load_corpus([DATA / "masters"], progress=False)

    def kept(predictor: Predictor) -> dict[str, float]:
        return pooled(evaluate(masters, FORGET, predictor=predictor, progress=False))

    base = Predictor.load(args.base)
    for player, corpus in corpora.items():
        other = next(p for p in ONLINE if p != player)
        if (player, 0, "none") not in finished:
            own = pooled(evaluate(corpus, [player], predictor=base, progress=False))
            population = pooled(evaluate(corpora[other], [other], predictor=base, progress=False))
            row = {"player": player, "games": 0, "tune": "none", **own, "other": population}
            append(log, {**row, "masters": kept(base)})
        train, _ = split.protocol_split(corpus, player)
        for size in SIZES:
            chosen = train if size is None or size >= len(train) else train[-size:]
            for tune in ("all", "players"):
                if (player, len(chosen), tune) in finished:
                    continue
                pgn = args.out / f"ft-{player}-{len(chosen)}.pgn"
                write_pgn(corpus, chosen, pgn)
                out = args.out / f"ft-{player}-{len(chosen)}-{tune}.chessgru"
                # Embeddings alone move slowly at the whole network's gentle rate.
                lr = FINE_TUNE_DEFAULTS["lr"] if tune == "all" else PLAYERS_ONLY_LR
                config = TrainConfig(
                    epochs=FINE_TUNE_DEFAULTS["epochs"], lr=lr, threads=1, precision="bf16",
                    players=(player,), from_model=str(args.base), tune=tune, min_games=1,
                )  # fmt: skip
                start = time.perf_counter()
                fit([pgn], config, ModelConfig(), out, show_progress=False)
                minutes = (time.perf_counter() - start) / 60
                tuned = Predictor.load(out)
                own = pooled(evaluate(corpus, [player], predictor=tuned, progress=False))
                population = pooled(
                    evaluate(corpora[other], [other], predictor=tuned, progress=False)
                )
                row = {"player": player, "games": len(chosen), "tune": tune, "lr": lr, **own}
                row |= {"other": population, "masters": kept(tuned)}
                append(log, {**row, "train_min": round(minutes, 2)})
            if size is None or size >= len(train):
                break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("arch", "finetune"))
    parser.add_argument("--out", type=Path, default=Path("runs/exp"))
    parser.add_argument("--base", type=Path, help="model to fine-tune (finetune)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    if args.experiment == "arch":
        arch(args)
    else:
        if args.base is None:
            parser.error("finetune needs --base MODEL")
        finetune(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
