"""Train the shipped base model from its recipe, then ship it: one command.

    python training/make_base.py                      # training/base_tower.toml (the shipped base)
    python training/make_base.py --dry-run            # print the `chessgru train` command

The recipe (a TOML file) names the PGN files, the held-out players and every training
option; this script turns it into one `chessgru train` command, adds ``--resume`` when a
checkpoint of an interrupted run is there, and then writes the fp16 copy to
``assets/base.chessgru`` with ``training/ship_base.py`` (checked against the original).
Needs Python 3.11 or newer (``tomllib``).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def train_command(recipe: dict[str, Any], out: Path) -> list[str]:
    """The `chessgru train` argv of a recipe (paths resolved against the repository)."""
    data = recipe["data"]
    root = (ROOT / data["root"]).resolve()
    argv = ["chessgru", "train", *(str(root / p) for p in data["train"]), "--out", str(out)]
    if "holdout" in data:
        argv += ["--holdout", str(data["holdout"])]
    if data.get("holdout_from"):
        argv += ["--holdout-from", *(str(root / p) for p in data["holdout_from"])]
    if data.get("population_from"):
        argv += ["--population-from", *(str(root / p) for p in data["population_from"])]
    for name in data.get("holdout_players", []):
        argv += ["--holdout-player", name]
    for key, value in {**recipe.get("train", {}), **recipe.get("model", {})}.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False:
            argv += [flag, str(value)]
    return argv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=HERE / "base_tower.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "runs/base.chessgru")
    parser.add_argument("--dry-run", action="store_true", help="print the command only")
    parser.add_argument("--no-ship", action="store_true", help="train, do not replace assets/")
    args = parser.parse_args()
    recipe = tomllib.loads(args.recipe.read_text(encoding="utf-8"))
    argv = train_command(recipe, args.out)
    argv += ["--log", str(args.out.with_suffix(".log"))]
    # An interrupted run resumes; a finished one with fewer max_steps is trained longer.
    if args.out.with_name(args.out.name + ".ckpt").exists() or args.out.exists():
        argv.append("--resume")
    print(shlex.join(argv), flush=True)
    if args.dry_run:
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    argv[0:1] = [sys.executable, "-m", "chessgru"]
    if subprocess.call(argv) != 0:
        return 1
    if args.no_ship:
        return 0
    return subprocess.call([sys.executable, str(HERE / "ship_base.py"), str(args.out)])


if __name__ == "__main__":
    sys.exit(main())
