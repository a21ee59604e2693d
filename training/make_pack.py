"""Pack the base model's training games for a GPU machine: one small file, no PGN.

    python training/make_pack.py                       # training/base_tower.toml
    python training/make_pack.py --out runs/pack/base.pack.npz --workers 2

Reads the recipe's games exactly as ``training/make_base.py`` would train on them (the
same files, the amateurs anonymous, the masters' test games and every copy of them left
out), keeps the training and validation games, and writes them with
:mod:`chessgru.training.pack` (about 0.66 bytes a ply). ``training/train_pack.py`` trains
from the pack on the machine it is carried to. Needs Python 3.11+ (``tomllib``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import tomllib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_base import ROOT, train_command  # noqa: E402

from chessgru.cli import build_parser  # noqa: E402
from chessgru.commands.common import aliases  # noqa: E402
from chessgru.commands.train_settings import configs  # noqa: E402
from chessgru.training import data, fit, pack  # noqa: E402
from chessgru.training.runtime import resolve_runtime  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=HERE / "base_tower.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "runs/pack/base.pack.npz")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args()
    recipe = tomllib.loads(args.recipe.read_text(encoding="utf-8"))
    argv = train_command(recipe, args.out.with_suffix(".chessgru"))
    options = build_parser().parse_args(argv[1:])
    config, _ = configs(options)
    rt = resolve_runtime("cpu", "fp32", 1)
    started = time.perf_counter()
    names = dict(aliases=aliases(options), merge_names=not options.no_merge)
    corpus = fit._load(options.pgn, rt, progress=True, **names)
    if config.population_from:
        fit.population_only(corpus, config.population_from)
    plan = data.make_plan(corpus, config, (), fit.held_keys_of(config, rt, **names))
    games = np.union1d(plan.train, plan.val)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = pack.write_pack(
        args.out,
        corpus,
        games,
        extra={"players": plan.players, "recipe": shlex.join(argv[1:])},
        workers=args.workers,
    )
    size = args.out.stat().st_size
    print(
        f"{header['games']} games, {header['plies']} plies, {len(plan.players) - 1} named players "
        f"({len(plan.held_out)} held out) -> {args.out}: {size / 2**20:.1f} MiB, "
        f"{size / header['plies']:.2f} bytes a ply, {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
