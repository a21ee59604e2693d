"""Train a finished run longer: its model file becomes the checkpoint of a longer schedule.

A base trained for ``max_steps`` steps on one CPU thread is worth continuing when there is
more time: the same settings with a larger ``max_steps`` and ``--resume`` pick up at the
step the model stopped, on games it has not trained on yet (an epoch's order is a function
of the seed), under the longer run's cosine schedule. A model file keeps no optimizer
moments, so AdamW starts afresh there (a warm restart); nothing else differs from a run
that was planned long from the start.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chessgru.errors import UserError
from chessgru.model.bundle import load_bundle
from chessgru.model.network import ChessGRU
from chessgru.training import checkpoint as ckpt
from chessgru.training import data
from chessgru.training.config import Progress, TrainConfig
from chessgru.training.loop import make_optimizer


def finished_steps(train_config: dict, config: TrainConfig) -> int | None:
    """Steps a finished run with ``train_config`` trained, when ``config`` only extends it:
    the same settings as a checkpoint must share to resume (``TrainConfig.resume_key``)
    but for a larger ``max_steps``."""
    old_steps = train_config.get("max_steps")
    if not isinstance(old_steps, int) or config.max_steps is None or old_steps >= config.max_steps:
        return None
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in train_config.items()}
    try:
        old = TrainConfig(**{k: v for k, v in values.items() if k in known})
    except TypeError:
        return None
    same = old.resume_key() | {"max_steps": None} == config.resume_key() | {"max_steps": None}
    return old_steps if same else None


def _cannot_extend(why: str) -> UserError:
    return UserError(
        f"There is no checkpoint to resume from: {why}; "
        "or choose another --out, or run without --resume to start over."
    )


def _why_not(out: Path, trained: dict, config: TrainConfig) -> str:
    """Why the finished model ``out`` (trained with ``trained``) does not extend to ``config``."""
    steps = trained.get("max_steps")
    if isinstance(steps, int) and config.max_steps is not None and steps >= config.max_steps:
        return f"{out} has already trained {steps} steps; a larger --max-steps trains it longer"
    return (
        f"{out} was trained on other games or with other settings "
        "(only a larger --max-steps extends a finished model)"
    )


def position(plan: data.Plan, steps: int) -> tuple[int, int, float]:
    """``(epoch, batch, plies)`` after ``steps`` steps of the plan."""
    epoch, batch, plies = 0, 0, 0.0
    for _ in range(steps):
        games = plan.epochs[epoch][batch]
        plies += float(plan.lengths[games].sum())  # training lengths (max_plies applied)
        batch += 1
        if batch == len(plan.epochs[epoch]):
            epoch, batch = epoch + 1, 0
    return epoch, batch, plies


def checkpoint_from_model(
    out: Path, checkpoint: Path, model: ChessGRU, plan: data.Plan, config: TrainConfig
) -> int:
    """Write ``checkpoint`` from the finished model ``out`` when ``config`` extends its run.

    Returns the step the longer run resumes at. UserError, nothing written, when ``out``
    is no model, already trained that long, or was trained with other settings or games.
    """
    try:
        bundle = load_bundle(out)
    except UserError:
        raise _cannot_extend(f"{out} is not a chessgru model") from None
    steps = finished_steps(bundle.train_config, config)
    if steps is None or bundle.player_names != plan.players:
        raise _cannot_extend(_why_not(out, bundle.train_config, config))
    model.load_state_dict(bundle.state_dict)
    epoch, batch, plies = position(plan, steps)
    history = list(bundle.metrics.get("history") or [])
    state = Progress(step=steps, epoch=epoch, batch=batch, plies=plies, history=history)
    key = plan.fingerprint(config, model.config)
    ckpt.save(checkpoint, model, make_optimizer(model, config), state, None, key)
    return steps
