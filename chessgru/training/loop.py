"""The epoch loop: one model of every named player, on CPU, one GPU or many (DDP).

The loss is the cross-entropy over the whole move vocabulary on every ply (each ply is a
move of its mover, conditioned on who that is); see ARCHITECTURE.md for why training does
not mask to the legal moves. AdamW, linear warm-up then cosine decay, gradient clipping.

Determinism is by construction rather than by saved generator states: the batch plan of an
epoch comes from ``(seed, epoch)``, player dropout from ``(seed, step)`` and the torch
generator (nn.Dropout) is reseeded from ``(seed, step, rank)`` before every step. A
checkpoint therefore only needs the weights, the optimizer state and the position
``(step, epoch, batch)`` for ``--resume`` to continue exactly as if never stopped.

Distributed runs (``torchrun``) split every global batch across ranks and normalise the
loss by the global number of plies, so the averaged gradient equals the single-process one.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
import torch.nn.functional as F

from chessgru.errors import UserError
from chessgru.model import encoding
from chessgru.model.network import ChessGRU
from chessgru.progress import progress_bar
from chessgru.training import checkpoint as ckpt
from chessgru.training import data
from chessgru.training.config import Progress, TrainConfig
from chessgru.training.runtime import Runtime, all_sum, autocast

# Cross-entropy of a uniform guess over every move token. A validation loss a nat above it
# predicts far worse than knowing nothing (a far too large --lr), however finite; the nat
# of slack lets a freshly initialised network, a hair above uniform, pass.
UNIFORM_LOSS = math.log(encoding.VOCAB_SIZE)


def lr_at(step: int, total: int, config: TrainConfig) -> float:
    """Learning rate of ``step``: linear warm-up, then cosine decay to zero at ``total``."""
    warm = max(int(config.warmup * total), 1)
    if step < warm:
        return config.lr * (step + 1) / warm
    done = (step - warm) / max(total - warm, 1)
    return config.lr * 0.5 * (1 + math.cos(math.pi * min(done, 1.0)))


def _step_seed(seed: int, step: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1)[0])


def make_optimizer(model: ChessGRU, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices only (not biases, norms).

    ``tune="players"`` freezes everything but the player embeddings, so fine-tuning cannot
    change what the network knows about chess, only where each player sits in it.
    ``tune="head"`` freezes the board-reading tower: what a position holds is the same for
    everyone, and a frozen tower needs no backward pass (fine-tuning runs about 3x faster).
    """
    if config.tune == "players":
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("player_emb."))
    elif config.tune == "head":
        for name, p in model.named_parameters():
            p.requires_grad_(not name.startswith("tower."))
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    groups = [g for g in groups if g["params"]]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.98))


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    plan: data.Plan,
    games: np.ndarray,
    step: int,
    config: TrainConfig,
    rt: Runtime,
) -> tuple[float, float, int]:
    """One optimizer step on a global batch; returns (loss sum, correct, plies), global."""
    dropped = data.player_dropout(len(games), config.player_dropout, config.seed, step)
    rows, mine = data.shard(games, rt.rank, rt.world)
    batch = data.make_batch(plan.corpus, mine, plan.conditions, plan.lengths, dropped[rows])
    batch = batch.to(rt.device)
    global_tokens = int(plan.lengths[games].sum())
    for group in optimizer.param_groups:
        group["lr"] = lr_at(step, plan.total_steps, config)
    torch.manual_seed(_step_seed(config.seed, step, rt.rank))
    with autocast(rt):
        logits, _ = model(batch.tokens_in, batch.positions, batch.cond)
    flat = logits.float().flatten(0, 1)
    targets = batch.targets.flatten()
    loss_sum = F.cross_entropy(flat, targets, ignore_index=data.IGNORE, reduction="sum")
    # DDP averages gradients over ranks: scale so the result is sum / global plies.
    (loss_sum * (rt.world / global_tokens)).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        correct = ((flat.argmax(-1) == targets) & (targets != data.IGNORE)).sum()
    loss, hits = all_sum([float(loss_sum.detach()), float(correct)], rt)
    return loss, hits, global_tokens


@torch.no_grad()
def validation_loss(model: ChessGRU, plan: data.Plan, config: TrainConfig, rt: Runtime) -> float:
    """Mean cross-entropy per ply on the validation games (all ranks share the work)."""
    return validation_figures(model, plan, config, rt)[0]


@torch.no_grad()
def validation_figures(
    model: ChessGRU, plan: data.Plan, config: TrainConfig, rt: Runtime
) -> tuple[float, float]:
    """Mean cross-entropy and top-1 over the whole vocabulary on the validation games.

    Top-1 here is not masked to the legal moves (that needs python-chess per position);
    a trained model rarely ranks an illegal move first, so it tracks the legal figure
    closely and is cheap enough for learning curves.
    """
    if len(plan.val) == 0:
        return math.nan, math.nan
    model.eval()
    total = plies = hits = 0.0
    for games in data.fixed_batches(plan.val, plan.lengths, config.batch_tokens):
        _, mine = data.shard(games, rt.rank, rt.world)
        if len(mine) == 0:
            continue
        batch = data.make_batch(plan.corpus, mine, plan.conditions, plan.lengths).to(rt.device)
        with autocast(rt):
            logits, _ = model(batch.tokens_in, batch.positions, batch.cond)
        flat, targets = logits.float().flatten(0, 1), batch.targets.flatten()
        total += float(F.cross_entropy(flat, targets, ignore_index=data.IGNORE, reduction="sum"))
        hits += float(((flat.argmax(-1) == targets) & (targets != data.IGNORE)).sum())
        plies += batch.n_tokens
    model.train()
    total, hits, plies = all_sum([total, hits, plies], rt)
    return total / max(plies, 1.0), hits / max(plies, 1.0)


Logger = Callable[[str], None]


def run_training(
    model: ChessGRU,
    plan: data.Plan,
    config: TrainConfig,
    rt: Runtime,
    *,
    checkpoint: Path,
    resume: bool,
    log: Logger,
    show_progress: bool = True,
    deadline: float | None = None,
) -> Progress:
    """Train ``model`` in place through the plan; keeps the best weights in ``model`` at the end.

    ``deadline`` (a ``time.monotonic()`` value): checkpoint and return when it passes, so a
    machine lent for minutes at a time trains a long schedule in pieces (``--resume``).
    """
    model.to(rt.device).train()
    optimizer = make_optimizer(model, config)
    key = plan.fingerprint(config, model.config)
    state = Progress()
    best: dict[str, torch.Tensor] | None = None
    if resume:
        state, best = ckpt.restore(checkpoint, model, optimizer, key)
        log(f"resuming at step {state.step} (epoch {state.epoch + 1}, batch {state.batch})")
    net: torch.nn.Module = model
    if rt.world > 1:
        ids = [rt.device.index] if rt.device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def save() -> None:
        if rt.main:
            ckpt.save(checkpoint, model, optimizer, state, best, key)

    finished = state.stopped_early or state.step >= plan.total_steps
    enabled = show_progress and rt.main
    seen, started = 0.0, time.perf_counter()
    with progress_bar(
        "training", total=plan.total_steps, unit="step", enabled=enabled, initial=state.step
    ) as bar:
        while not finished and state.epoch < len(plan.epochs):
            batches = plan.epochs[state.epoch]
            while state.batch < len(batches) and state.step < plan.total_steps:
                games = batches[state.batch]
                figures = train_step(net, optimizer, plan, games, state.step, config, rt)
                if not math.isfinite(figures[0]):
                    raise diverged(state.step + 1, config)
                state.step += 1
                state.batch += 1
                state.epoch_sums = [a + b for a, b in zip(state.epoch_sums, figures, strict=True)]
                seen += figures[2]
                state.plies += figures[2]
                loss, hits, plies = state.epoch_sums
                stats = {
                    "loss": loss / plies,
                    "acc": hits / plies,
                    "plies/s": seen / max(time.perf_counter() - started, 1e-9),
                }
                bar.update(1)
                bar.set_postfix({k: f"{v:.3g}" for k, v in stats.items()})
                if bar.disable and state.step % config.log_every == 0:
                    log(_line(state, plan, stats))
                if config.val_every and state.step % config.val_every == 0:
                    _learning_curve_point(model, plan, config, rt, state, log)
                if config.checkpoint_every and state.step % config.checkpoint_every == 0:
                    save()
                if deadline is not None and time.monotonic() >= deadline:
                    save()
                    log(f"time is up at step {state.step}; the checkpoint resumes from here")
                    return state
            epoch_done = state.batch >= len(batches)
            if epoch_done:
                best = _end_epoch(model, plan, config, rt, state, log) or best
            finished = state.stopped_early or state.step >= plan.total_steps
            if epoch_done or finished:
                save()
    if best is not None and not math.isinf(state.best_val):
        model.load_state_dict(best)
    return state


def _learning_curve_point(
    model: ChessGRU, plan: data.Plan, config: TrainConfig, rt: Runtime, state: Progress, log: Logger
) -> None:
    """Validation figures against plies seen, kept in the history (``--val-every``)."""
    loss, top1 = validation_figures(model, plan, config, rt)
    state.history.append(
        {"step": state.step, "plies": state.plies, "val_loss": loss, "val_top1": top1}
    )
    log(
        f"step {state.step}: {state.plies:.0f} plies seen, "
        f"val loss {loss:.4f}, val top-1 {top1:.1%}"
    )


def _end_epoch(
    model: ChessGRU, plan: data.Plan, config: TrainConfig, rt: Runtime, state: Progress, log: Logger
) -> dict[str, torch.Tensor] | None:
    """Validate, record the epoch, decide on early stopping; the weights if they are the best."""
    val = validation_loss(model, plan, config, rt)
    loss, hits, plies = state.epoch_sums
    record = {"epoch": state.epoch + 1, "step": state.step, "val_loss": val}
    if plies:
        record |= {"train_loss": loss / plies, "train_acc": hits / plies}
    state.history.append(record)
    no_val = len(plan.val) == 0
    if not no_val:
        check_converged(val, state.step, config)
    improved = no_val or val < state.best_val  # no validation games: keep the last
    if improved:
        state.best_val = state.best_val if no_val else val
        state.bad_epochs = 0
    else:
        state.bad_epochs += 1
    log(
        f"epoch {state.epoch + 1}/{len(plan.epochs)}: val loss {val:.4f}"
        + (" (best)" if improved else f" ({state.bad_epochs} worse)")
    )
    state.epoch += 1
    state.batch = 0
    state.epoch_sums = [0.0, 0.0, 0.0]
    if config.patience and state.bad_epochs >= config.patience:
        state.stopped_early = True
        log(f"stopping early: no better validation loss for {config.patience} epochs")
    if not improved:
        return None
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def check_converged(val: float, step: int, config: TrainConfig) -> None:
    """Stop the run (UserError) when its validation loss ``val`` is not a number or far
    worse than a uniform guess: such weights must never become a model file."""
    if not math.isfinite(val):
        raise diverged(step, config)
    if val > UNIFORM_LOSS + 1:
        raise diverged(step, config, val)


def diverged(step: int, config: TrainConfig, val: float | None = None) -> UserError:
    """The error that stops a run whose loss stopped being a number (NaN or infinite), or
    whose validation loss ``val`` is worse than a uniform guess over the move vocabulary."""
    what = (
        "the loss is no longer a finite number"
        if val is None
        else f"its validation loss {val:.2f} is far worse than a uniform guess's {UNIFORM_LOSS:.2f}"
    )
    return UserError(
        f"The training diverged at step {step} ({what}), so no model was written; "
        f"train again with a smaller --lr than {config.lr:g}."
    )


def _line(state: Progress, plan: data.Plan, stats: dict[str, float]) -> str:
    return (
        f"step {state.step}/{plan.total_steps} epoch {state.epoch + 1}: loss {stats['loss']:.4f} "
        f"acc {stats['acc']:.3f} {stats['plies/s']:.0f} plies/s"
    )


def make_logger(log_file: TextIO | None, rt: Runtime) -> Logger:
    """Plain lines to stderr (and the --log file) from rank 0 only."""

    def log(line: str) -> None:
        if not rt.main:
            return
        stamped = time.strftime("%H:%M:%S ") + line
        print(stamped, file=sys.stderr, flush=True)
        if log_file is not None:
            print(stamped, file=log_file, flush=True)

    return log
