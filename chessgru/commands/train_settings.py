"""`chessgru train`'s options turned into the run's settings: what to start from, and
which fit (the network's training or the personal fit) the options ask for.

Kept apart from the command so that training/make_pack.py and training/train_pack.py
build exactly the settings `chessgru train` would, without the command's output.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chessgru.errors import UserError

if TYPE_CHECKING:
    from chessgru.model.network import ModelConfig
    from chessgru.training.config import TrainConfig


# option -> TrainConfig field; options left out keep the TrainConfig default.
_TRAIN_FIELDS = {
    "epochs": "epochs",
    "batch_size": "batch_tokens",
    "lr": "lr",
    "device": "device",
    "threads": "threads",
    "precision": "precision",
    "val_fraction": "val_fraction",
    "seed": "seed",
    "checkpoint_every": "checkpoint_every",
    "min_games": "min_games",
    "holdout": "holdout_fraction",
    "max_steps": "max_steps",
    "val_every": "val_every",
}
_MODEL_FIELDS = {
    "hidden": "hidden",
    "layers": "layers",
    "dropout": "dropout",
    "tower_blocks": "tower_blocks",
    "tower_channels": "tower_channels",
}
_AT_LEAST_ONE = (
    "epochs",
    "batch_size",
    "hidden",
    "layers",
    "threads",
    "max_steps",
    "min_games",
    "tower_channels",
    "val_every",
)


def _given(args: argparse.Namespace, fields: dict[str, str]) -> dict[str, Any]:
    return {f: getattr(args, o) for o, f in fields.items() if getattr(args, o) is not None}


def check(args: argparse.Namespace) -> None:
    """Refuse options out of range, in one sentence each."""
    if not args.pgn and args.library is None:
        raise UserError("Give PGN files or folders to train on, or --library.")
    for option in _AT_LEAST_ONE:
        value = getattr(args, option)
        if value is not None and value < 1:
            flag = "--" + option.replace("_", "-")
            raise UserError(f"{flag} must be at least 1, not {value}.")
    if args.tower_blocks is not None and args.tower_blocks < 0:
        raise UserError(f"--tower-blocks must be 0 or more, not {args.tower_blocks}.")
    if args.no_gru and not args.tower_blocks:
        raise UserError("--no-gru needs a tower to read the board: add --tower-blocks N.")
    if args.lr is not None and args.lr <= 0:
        raise UserError(f"--lr must be positive, not {args.lr}.")
    if args.dropout is not None and not 0 <= args.dropout < 1:
        raise UserError(f"--dropout must be between 0 and 1, not {args.dropout}.")
    for option in ("val_fraction", "holdout"):
        value = getattr(args, option)
        if value is not None and not 0 <= value < 1:
            flag = "--" + option.replace("_", "-")
            raise UserError(f"{flag} must be between 0 and 1, not {value}.")
    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder; give a file name like me.chessgru.")


def start_model(args: argparse.Namespace) -> Path | None:
    """The model file to fine-tune (``--from``, else the shipped base), or None for scratch."""
    network = ["--" + o.replace("_", "-") for o in _MODEL_FIELDS if getattr(args, o) is not None]
    network += [
        flag for flag, on in (("--no-board", args.no_board), ("--no-gru", args.no_gru)) if on
    ]
    if args.from_scratch:
        if args.from_model:
            raise UserError("--from and --from-scratch exclude each other; give one.")
        if args.tune != "auto":
            raise UserError(
                f"--tune {args.tune} fine-tunes a model; it cannot go with --from-scratch."
            )
        return None
    if network:
        raise UserError(
            f"{', '.join(network)} shape a new network: add --from-scratch "
            "(fine-tuning keeps the network of the model it starts from)."
        )
    if args.from_model:
        return args.from_model
    from chessgru.paths import base_model_path

    base = base_model_path()
    if base is None:
        raise UserError("This install has no base model to fine-tune; add --from-scratch.")
    return base


def configs(args: argparse.Namespace) -> tuple[TrainConfig, ModelConfig]:
    """The run's settings from parsed options (also used by training/make_pack.py)."""
    check(args)
    from chessgru.model.network import ModelConfig
    from chessgru.training.config import FINE_TUNE_DEFAULTS, PLAYERS_ONLY_LR, TrainConfig

    start = start_model(args)
    given = _given(args, _TRAIN_FIELDS)
    if start is not None:
        defaults = dict(FINE_TUNE_DEFAULTS)
        if args.tune == "players":
            defaults["lr"] = PLAYERS_ONLY_LR
        given = {**defaults, **given}
    config = TrainConfig(
        **given,
        players=tuple(args.players),
        holdout_players=tuple(args.holdout_players),
        holdout_from=tuple(str(p) for p in args.holdout_from),
        population_from=tuple(str(p) for p in args.population_from),
        from_model=str(start) if start else None,
        tune=args.tune,
    )
    model_config = ModelConfig(
        **_given(args, _MODEL_FIELDS), board_input=not args.no_board, recurrent=not args.no_gru
    )
    return config, model_config


# Options only a gradient fine-tune reads: given with --tune auto, they ask for one.
_GRADIENT_ONLY = (
    "epochs",
    "batch_size",
    "lr",
    "max_steps",
    "val_fraction",
    "holdout",
    "holdout_players",
    "holdout_from",
    "population_from",
    "checkpoint_every",
    "checkpoint_dir",
    "val_every",
    "resume",
)


def wants_personal(args: argparse.Namespace) -> bool:
    """Whether a fine-tune ends with the personal fit: ``--tune personal``, or ``auto`` (the
    default, chosen on the few-shot curves of training/README.md) unless an option that
    only the network's training reads was given."""
    if args.tune == "auto":
        return not any(getattr(args, option) for option in _GRADIENT_ONLY)
    return args.tune == "personal"
