"""The accuracy figure of the README: five players' newest 20% of games, every method.

Reproduces the issue's table: Tal, Carlsen (the masters file, "Carlsen,M" as merged),
Kasparov, and the online players cmrade and falc0nfeast, scored with the protocol of
``chessgru evaluate`` (see ``chessgru/evaluate.py``). The model must have been trained on
the same files with the same players' test games held out, e.g.::

    chessgru train ../shared/data/pgn/masters ../shared/data/pgn/online --holdout 0.2 ...
    python training/eval_players.py --model my.chessgru --engine /usr/games/stockfish

Without ``--model`` only the baselines are scored. Stockfish is slow, so it scores a
fixed-seed sample of ``--engine-max-positions`` moves per player (300 by default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chessgru.baselines import EngineBaseline
from chessgru.commands.evaluate import resolve_player
from chessgru.corpus import load_corpus
from chessgru.evaluate import KS, evaluate
from chessgru.evaluate_report import plot_report

DATA = Path(__file__).resolve().parents[2] / "shared/data/pgn"
PLAYERS = ["Tal, Mihail", "Carlsen,M", "Kasparov, Gary", "cmrade", "falc0nfeast"]


def table(report: dict) -> str:
    """One row per player and method: top-1/3/5 at plies >= 10, then over all plies."""
    labels = report["labels"]
    head = " ".join(f"top-{k}" for k in KS)
    lines = [f"{'player':<16} {'method':<26} {'n>=10':>6} | plies >= 10: {head} | all: {head}"]
    for p in report["players"]:
        for method, r in p["results"].items():
            late = " ".join(f"{100 * r['ply10'][f'top{k}']:5.1f}" for k in KS)
            full = " ".join(f"{100 * r['all'][f'top{k}']:5.1f}" for k in KS)
            lines.append(
                f"{p['name']:<16} {labels[method]:<26} {r['positions_ply10']:>6} | "
                f"{'':13}{late} | {'':5}{full}"
            )
        lines.append("")
    return "\n".join(lines + [f"note: {n}" for n in report["notes"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=[DATA / "masters", DATA / "online"])
    parser.add_argument("--model", help="model file; without it, baselines only")
    parser.add_argument("--player", action="append", help="override the five players")
    parser.add_argument("--engine", help="UCI engine, e.g. /usr/games/stockfish")
    parser.add_argument("--engine-depth", type=int, default=10)
    parser.add_argument("--engine-max-positions", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--report", help="write the full JSON report here")
    parser.add_argument("--plot", help="write the accuracy-by-move PNG here")
    args = parser.parse_args()

    start = time.perf_counter()
    corpus = load_corpus(args.data)
    players = [resolve_player(corpus, name) for name in args.player or PLAYERS]
    predictor = None
    if args.model:
        from chessgru.predict import Predictor

        predictor = Predictor.load(args.model, device=args.device)
    engine = EngineBaseline(args.engine, args.engine_depth) if args.engine else None
    try:
        report = evaluate(
            corpus,
            players,
            predictor=predictor,
            engine=engine,
            engine_max_positions=args.engine_max_positions,
        )
    finally:
        if engine is not None:
            engine.close()
    report["model"] = args.model
    report["data"] = [str(p) for p in args.data]
    print(table(report))
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        plot_report(report, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
