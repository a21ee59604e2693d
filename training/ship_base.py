"""Turn a trained model file into the shipped base model: fp16 weights, same header.

    python training/ship_base.py runs/base.chessgru            # -> assets/base.chessgru

fp16 halves the file (the package must stay small); weights load back as fp32, and the
predictions of the fp16 copy are checked against the original before it is written.
Local file paths in the data summary are cut to file names: they mean nothing elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import chess
import torch

from chessgru.model.bundle import build_model, load_bundle, save_bundle
from chessgru.paths import BASE_MODEL_NAME
from chessgru.predict import Predictor

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _strip_paths(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_paths(v) for v in value]
    if isinstance(value, str) and "/" in value and Path(value).suffix in {".pgn", ".gz", ""}:
        return Path(value).name
    return value


def _top_moves(path: Path) -> list[str]:
    predictor = Predictor.load(path)
    predictor.set_player(chess.WHITE, "population")
    predictor.set_player(chess.BLACK, "population")
    moves = []
    for uci in ("e2e4", "c7c5", "g1f3", "d7d6", "d2d4"):
        moves.append(predictor.top(1)[0][0].uci())
        predictor.push(chess.Move.from_uci(uci))
    return moves


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, default=ASSETS / BASE_MODEL_NAME)
    args = parser.parse_args()
    bundle = load_bundle(args.model)
    personal = {k: v for k, v in (bundle.header.get("personal") or {}).items() if k != "strength"}
    save_bundle(
        args.out,
        build_model(bundle),
        bundle.players,
        train_config=bundle.train_config,
        data=_strip_paths(bundle.data),
        metrics=bundle.metrics,
        dtype=torch.float16,
        # The people's priors (training/base_priors.py) make `who` fast: they ship too.
        prior=bundle.prior if bundle.prior.rows() else None,
        personal=personal,
    )
    if _top_moves(args.model) != _top_moves(args.out):
        print("fp16 copy predicts differently from the original", file=sys.stderr)
        return 1
    size = args.out.stat().st_size / 2**20
    people = len(bundle.prior.rows())
    print(f"{args.out}: {size:.1f} MB, {len(bundle.players) - 1} named players, {people} priors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
