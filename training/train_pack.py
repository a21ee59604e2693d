"""Train the base model from a pack (``training/make_pack.py``) in time-limited pieces.

    python training/train_pack.py runs/pack/base.pack.npz --out runs/base.chessgru \\
        --device cuda --minutes 9 [--batch-size 16384 --lr 0.004 --epochs 3]

Made for a lent GPU: one command may run 10 minutes and the files travel with each call.
Every call unpacks the games (replayed on every core; kept next to the pack while the
machine stays up), resumes from ``<out>.ckpt`` when it is there, trains until ``--minutes``
are spent or the schedule ends, and checkpoints. Exit 0: the model file is written.
Exit 3: time was up first; run the same command again (with the checkpoint) to go on.
The recipe's network and settings come from the pack; options given here override them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from chessgru.cli import build_parser
from chessgru.commands.train_settings import configs
from chessgru.errors import UserError
from chessgru.games.corpus import Corpus
from chessgru.training import fit, pack
from chessgru.training.loop import make_logger
from chessgru.training.runtime import resolve_runtime

UNFINISHED = 3
_OVERRIDES = {
    "batch_size": "batch_tokens",
    "lr": "lr",
    "epochs": "epochs",
    "max_steps": "max_steps",
    "val_every": "val_every",
    "checkpoint_every": "checkpoint_every",
}


def load(path: Path, workers: int | None) -> tuple[Corpus, dict]:
    """The packed corpus; replayed once, then read from ``<pack>.d/`` while it is there."""
    cache = path.with_name(path.name + ".d")
    stamp = f"{path.stat().st_size}-{path.stat().st_mtime_ns}"
    if (cache / "stamp").is_file() and (cache / "stamp").read_text() == stamp:
        corpus, header = pack.read_pack_header(path)
        corpus.offsets = np.load(cache / "offsets.npy")
        corpus.tokens = np.load(cache / "tokens.npy")
        corpus.positions = np.load(cache / "positions.npy")
        return corpus, header
    corpus, header = pack.read_pack(path, workers)
    cache.mkdir(exist_ok=True)
    for name in ("offsets", "tokens", "positions"):
        np.save(cache / f"{name}.npy", getattr(corpus, name))
    (cache / "stamp").write_text(stamp)
    return corpus, header


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=9.0, help="stop and checkpoint after")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None, help="unpacking processes")
    for option in _OVERRIDES:
        parser.add_argument("--" + option.replace("_", "-"), type=float if option == "lr" else int)
    args = parser.parse_args()
    deadline = time.monotonic() + 60 * args.minutes
    try:
        corpus, header = load(args.pack, args.workers)
    except (UserError, OSError) as exc:
        print(f"chessgru: {exc}", file=sys.stderr)
        return 2
    recipe = build_parser().parse_args(shlex.split(header["recipe"]))
    config, model_config = configs(recipe)
    given = {field: getattr(args, o) for o, field in _OVERRIDES.items() if getattr(args, o)}
    config = dataclasses.replace(
        config,
        **given,
        device=args.device,
        precision=args.precision,
        threads=args.threads,
        players=tuple(header["players"][1:]),  # the rows the recipe chose, in its order
        holdout_fraction=0.0,  # the held-out games were never packed
        holdout_from=(),
        holdout_players=(),
        population_from=(),  # the amateurs were packed anonymous
    )
    rt = resolve_runtime(config.device, config.precision, config.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = fit.default_checkpoint(args.out)
    with open(args.out.with_suffix(".log"), "a", encoding="utf-8") as log_file:
        log = make_logger(log_file, rt)
        log(f"{header['games']} packed games; settings {json.dumps(config.to_dict())}")
        result = fit.fit_corpus(
            corpus,
            config,
            model_config,
            args.out,
            rt=rt,
            log=log,
            checkpoint=checkpoint,
            resume=checkpoint.exists(),
            show_progress=False,
            deadline=deadline,
        )
    if result is None:
        return UNFINISHED
    print(result.table)
    print(f"model written to {result.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
