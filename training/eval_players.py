"""The accuracy table of the README: every player's newest 20% of games, every method.

Scores the nine masters players (the masters files; "Carlsen,M" as merged) and the online
players cmrade and falc0nfeast with the protocol of ``chessgru evaluate`` (see
``chessgru/evaluation/protocol.py``): random, the opening tree, optionally a UCI engine, and each
``--model`` (repeatable, ``LABEL=PATH`` or ``PATH``), all in one run on the same positions::

    python training/eval_players.py --model base=assets/base.chessgru \
        --model fine-tuned=runs/tuned.chessgru --engine /usr/games/stockfish --markdown

The models must have been trained with these players' test games held out (the base
recipe's ``--holdout-from masters``; a fine-tune with ``--holdout 0.2``). Stockfish is slow,
so it scores a fixed-seed sample of ``--engine-max-positions`` moves per player (300).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chessgru.commands.evaluate import resolve_player
from chessgru.evaluation.baselines import EngineBaseline
from chessgru.evaluation.protocol import KS, evaluate
from chessgru.evaluation.report import plot_report
from chessgru.games.corpus import load_corpus

DATA = Path(__file__).resolve().parents[2] / "shared/data/pgn"
PLAYERS = [
    "Alekhine, Alexander", "Capablanca, Jose Raul", "Carlsen,M", "Fischer, Robert James",
    "Karpov, Anatoly", "Kasparov, Gary", "Morphy, Paul", "Polgar, Judit", "Tal, Mihail",
    "cmrade", "falc0nfeast",
]  # fmt: skip


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


def markdown(report: dict) -> str:
    """A compact Markdown table: one row per player, top-1/3/5 at plies >= 10 per method."""
    labels = report["labels"]
    order = {"random": 0, "opening_tree": 1, "engine": 2}
    methods = sorted(report["players"][0]["results"], key=lambda m: order.get(m, 3))
    lines = [
        "| player | " + " | ".join(labels[m] for m in methods) + " |",
        "| --- |" + " --- |" * len(methods),
    ]
    for p in report["players"]:
        cells = []
        for m in methods:
            r = p["results"][m]["ply10"]
            cells.append(" / ".join(f"{100 * r[f'top{k}']:.1f}" for k in KS))
        lines.append(f"| {p['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_model(report: dict, other: dict, key: str, label: str) -> None:
    """Copy ``other``'s model results into ``report`` as method ``key``."""
    report["labels"][key] = label
    for mine, theirs in zip(report["players"], other["players"], strict=True):
        mine["results"][key] = theirs["results"]["model"]
        mine["by_move"][key] = theirs["by_move"]["model"]


def add_engine(report: dict, earlier: dict) -> None:
    """Copy the engine results of an earlier report on the same players and positions."""
    for mine, theirs in zip(report["players"], earlier["players"], strict=True):
        if (mine["name"], mine["positions"]) != (theirs["name"], theirs["positions"]):
            raise SystemExit(f"--engine-from: {theirs['name']} was scored on other games")
        mine["results"]["engine"] = theirs["results"]["engine"]
        mine["by_move"]["engine"] = theirs["by_move"]["engine"]
    report["labels"]["engine"] = earlier["labels"]["engine"]
    report["engine"] = earlier.get("engine")
    report["notes"] = [n for n in report["notes"] if "engine" not in n] + [
        n for n in earlier["notes"] if "engine" in n
    ]


def _model_arg(value: str) -> tuple[str, str]:
    label, sep, path = value.partition("=")
    return (label, path) if sep else (Path(value).stem, value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=[DATA / "masters", DATA / "online"])
    parser.add_argument(
        "--model",
        action="append",
        type=_model_arg,
        default=[],
        help="LABEL=MODEL or MODEL (repeatable); without it, baselines only",
    )
    parser.add_argument("--player", action="append", help="override the five players")
    parser.add_argument("--engine", help="UCI engine, e.g. /usr/games/stockfish")
    parser.add_argument("--engine-depth", type=int, default=10)
    parser.add_argument("--engine-max-positions", type=int, default=300)
    parser.add_argument(
        "--engine-from",
        metavar="REPORT",
        help="take the engine's results from an earlier --report of the same players and "
        "data (the engine is slow and does not depend on the model)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--report", help="write the full JSON report here")
    parser.add_argument("--plot", help="write the accuracy-by-move PNG here")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args()

    start = time.perf_counter()
    corpus = load_corpus(args.data)
    players = [resolve_player(corpus, name) for name in args.player or PLAYERS]
    from chessgru.predict import Predictor

    predictors = [(label, Predictor.load(path, device=args.device)) for label, path in args.model]
    predictor = predictors[0][1] if predictors else None
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
    if predictors:
        report["labels"]["model"] = f"model: {predictors[0][0]}"
    for label, other in predictors[1:]:
        more = evaluate(corpus, players, predictor=other, progress=False)
        add_model(report, more, f"model:{label}", f"model: {label}")
    if args.engine_from:
        add_engine(report, json.loads(Path(args.engine_from).read_text(encoding="utf-8")))
    report["models"] = dict(args.model)
    report["data"] = [str(p) for p in args.data]
    print(table(report))
    if args.markdown:
        print("\n" + markdown(report))
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        plot_report(report, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
