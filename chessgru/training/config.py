"""How to train: the settings of a run and where a run is.

``TrainConfig`` is saved in the model file and keys the checkpoint; ``Progress`` is the
position of a run, all of it saved in the checkpoint. Both are plain dataclasses so that
the data plan and the checkpoint can use them without importing the trainer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

# Fine-tuning starts from a network that already knows chess: a few gentle passes adapt it
# to new players without forgetting the population (training/README.md, "Fine-tuning").
FINE_TUNE_DEFAULTS: dict[str, Any] = {"epochs": 3, "lr": 5e-4}
# Embeddings alone barely move at that rate; this one suited them best (still far behind).
PLAYERS_ONLY_LR = 0.02


@dataclass(frozen=True)
class TrainConfig:
    """How to train; saved in the model file (``train_config``)."""

    epochs: int = 10
    batch_tokens: int = 4096  # padded plies per (global) batch
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.05  # fraction of all steps spent warming up
    clip: float = 1.0  # gradient-norm clip
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = None  # CPU threads; None = torch's default capped at the cores
    precision: str = "auto"  # auto | fp32 | bf16 (auto: bf16 on GPUs and CPUs that have it)
    val_fraction: float = 0.05
    seed: int = 0
    checkpoint_every: int = 200  # steps
    min_games: int = 10  # games a player needs for an own embedding row
    players: tuple[str, ...] = ()  # only these get rows (when given)
    player_dropout: float = 0.1  # chance a named side is shown as the population
    holdout_fraction: float = 0.0  # > 0: drop these players' newest games (protocol test set)
    holdout_players: tuple[str, ...] = ()  # default: every named player
    holdout_from: tuple[str, ...] = ()  # choose the held-out games on these files instead
    population_from: tuple[str, ...] = ()  # these files' players train the population only
    from_model: str | None = None  # fine-tune this model file
    # With from_model: train every weight (all), all but the board tower (head), only the
    # players (players), or auto: head for a model with a tower, else all.
    tune: str = "all"
    max_plies: int = 200  # longer games train on their first max_plies plies
    max_steps: int | None = None  # stop (and plan the schedule) at this many steps
    patience: int = 3  # epochs without a better validation loss before stopping; 0 = never
    eval_positions: int = 20000  # validation plies scored over the legal moves at the end
    log_every: int = 50  # steps between log lines when not on a terminal
    val_every: int = 0  # steps between validation figures in the log (learning curves); 0 = none

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    def resume_key(self) -> dict[str, Any]:
        """The settings a checkpoint must share with the run that resumes it."""
        loose = {
            "device",
            "threads",
            "precision",
            "checkpoint_every",
            "log_every",
            "eval_positions",
            "val_every",
        }
        key = {k: v for k, v in self.to_dict().items() if k not in loose}
        # Added later, with defaults that change nothing: older checkpoints must still resume.
        if key["tune"] == "all":
            del key["tune"]
        if not key["population_from"]:
            del key["population_from"]
        return key


@dataclass
class Progress:
    """Where a run is; all of it goes into the checkpoint."""

    step: int = 0
    epoch: int = 0
    batch: int = 0  # next batch of the epoch's plan
    best_val: float = math.inf
    bad_epochs: int = 0
    plies: float = 0.0  # plies trained on so far, over all epochs (learning curves)
    stopped_early: bool = False
    epoch_sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # loss, hits, plies
    history: list[dict[str, float]] = field(default_factory=list)
