"""The trainer: one model of every named player, on CPU, one GPU or many (DDP).

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

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from chessgru.errors import UserError
from chessgru.games import split
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.model.bundle import Bundle, build_model, load_bundle, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.progress import progress_bar
from chessgru.training import checkpoint as ckpt
from chessgru.training import data
from chessgru.training import report as train_report
from chessgru.training.runtime import Runtime, all_sum, autocast, resolve_runtime

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
    from_model: str | None = None  # fine-tune this model file
    tune: str = "all"  # all | players: with from_model, train every weight or only the players
    max_plies: int = 200  # longer games train on their first max_plies plies
    max_steps: int | None = None  # stop (and plan the schedule) at this many steps
    patience: int = 3  # epochs without a better validation loss before stopping; 0 = never
    eval_positions: int = 20000  # validation plies scored over the legal moves at the end
    log_every: int = 50  # steps between log lines when not on a terminal

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
        }
        key = {k: v for k, v in self.to_dict().items() if k not in loose}
        if key["tune"] == "all":  # added later: older checkpoints must still resume
            del key["tune"]
        return key


@dataclass
class Progress:
    """Where a run is; all of it goes into the checkpoint."""

    step: int = 0
    epoch: int = 0
    batch: int = 0  # next batch of the epoch's plan
    best_val: float = math.inf
    bad_epochs: int = 0
    stopped_early: bool = False
    epoch_sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # loss, hits, plies
    history: list[dict[str, float]] = field(default_factory=list)


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
    """
    if config.tune == "players":
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("player_emb."))
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
    if len(plan.val) == 0:
        return math.nan
    model.eval()
    total = plies = 0.0
    for games in data.fixed_batches(plan.val, plan.lengths, config.batch_tokens):
        _, mine = data.shard(games, rt.rank, rt.world)
        if len(mine) == 0:
            continue
        batch = data.make_batch(plan.corpus, mine, plan.conditions, plan.lengths).to(rt.device)
        with autocast(rt):
            logits, _ = model(batch.tokens_in, batch.positions, batch.cond)
        total += float(
            F.cross_entropy(
                logits.float().flatten(0, 1),
                batch.targets.flatten(),
                ignore_index=data.IGNORE,
                reduction="sum",
            )
        )
        plies += batch.n_tokens
    model.train()
    total, plies = all_sum([total, plies], rt)
    return total / max(plies, 1.0)


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
) -> Progress:
    """Train ``model`` in place through the plan; keeps the best weights in ``model`` at the end."""
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
                state.step += 1
                state.batch += 1
                state.epoch_sums = [a + b for a, b in zip(state.epoch_sums, figures, strict=True)]
                seen += figures[2]
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
                if config.checkpoint_every and state.step % config.checkpoint_every == 0:
                    save()
            epoch_done = state.batch >= len(batches)
            if epoch_done:
                best = _end_epoch(model, plan, config, rt, state, log) or best
            finished = state.stopped_early or state.step >= plan.total_steps
            if epoch_done or finished:
                save()
    if best is not None and not math.isinf(state.best_val):
        model.load_state_dict(best)
    return state


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
    improved = math.isnan(val) or val < state.best_val  # no validation games: keep the last
    if improved:
        state.best_val = state.best_val if math.isnan(val) else val
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


@dataclass
class Result:
    """What a finished run wrote and measured."""

    out: Path
    players: list[dict[str, Any]]
    metrics: dict[str, Any]
    table: str


def default_checkpoint(out: Path, directory: Path | None = None) -> Path:
    """``<out>.ckpt`` next to the model file, or in ``directory``."""
    name = out.name + ".ckpt"
    return (directory / name) if directory else out.with_name(name)


def _load(
    paths: Sequence[str | Path],
    rt: Runtime,
    *,
    aliases: dict[str, str] | None,
    merge_names: bool,
    progress: bool,
) -> Corpus:
    """The corpus; under DDP rank 0 fills the cache first and the others read it."""
    if rt.world > 1 and not rt.main:
        dist.barrier()
    corpus = load_corpus(
        paths, aliases=aliases, merge_names=merge_names, progress=progress and rt.main
    )
    if rt.world > 1 and rt.main:
        dist.barrier()
    if not corpus.games:
        raise UserError(
            f"The PGN files hold no usable games ({len(corpus.skipped)} skipped as unreadable)."
        )
    return corpus


def _held_keys(
    config: TrainConfig, rt: Runtime, *, aliases: dict[str, str] | None, merge_names: bool
) -> set[bytes] | None:
    """With ``--holdout-from``: the move sequences of those files' test games, else None.

    The test games are chosen exactly as ``chessgru evaluate`` chooses them on those files
    (each holdout player's newest games), so training on a larger collection that also
    holds them cannot leak them.
    """
    if not config.holdout_from:
        return None
    if config.holdout_fraction <= 0:
        raise UserError("--holdout-from needs --holdout FRACTION (e.g. 0.2).")
    source = _load(
        config.holdout_from, rt, aliases=aliases, merge_names=merge_names, progress=False
    )
    counts = data.player_counts(source)
    if config.holdout_players:
        who = data.select_players(counts, 0, config.holdout_players)
    else:
        who = data.select_players(counts, config.min_games, ())
    test = split.holdout(source, who, config.holdout_fraction)
    return {split.game_key(source, i) for i in test}


def _build_model(
    config: TrainConfig, model_config: ModelConfig, players: list[str], start: Bundle | None
) -> ChessGRU:
    """A fresh model, or the model fine-tuning starts from, grown by the new players' rows."""
    torch.manual_seed(config.seed)
    if start is not None:
        model = build_model(start)
        model.add_players(len(players) - model.config.n_players)
        return model
    return ChessGRU(dataclasses.replace(model_config, n_players=len(players)))


def fit(
    paths: Sequence[str | Path],
    config: TrainConfig,
    model_config: ModelConfig,
    out: Path,
    *,
    checkpoint: Path | None = None,
    resume: bool = False,
    aliases: dict[str, str] | None = None,
    merge_names: bool = True,
    log_file: TextIO | None = None,
    show_progress: bool = True,
) -> Result | None:
    """Train on the PGN ``paths`` and write the model file ``out`` (None on DDP ranks > 0)."""
    rt = resolve_runtime(config.device, config.precision, config.threads)
    log = make_logger(log_file, rt)
    try:
        corpus = _load(paths, rt, aliases=aliases, merge_names=merge_names, progress=show_progress)
        start = load_bundle(config.from_model) if config.from_model else None
        known = start.player_names if start else ()
        held_keys = _held_keys(config, rt, aliases=aliases, merge_names=merge_names)
        plan = data.make_plan(corpus, config, known, held_keys)
        model = _build_model(config, model_config, plan.players, start)
        checkpoint = checkpoint or default_checkpoint(out)
        log(
            f"{len(corpus.games)} games: {len(plan.train)} train, {len(plan.val)} validation, "
            f"{len(plan.held_out)} held out; {len(plan.players) - 1} named players; "
            f"{plan.total_steps} steps on {rt.device.type}"
            f"{' x' + str(rt.world) if rt.world > 1 else ''} "
            f"({'bf16' if rt.bf16 else 'fp32'}, {torch.get_num_threads()} threads)"
        )
        start_tally = None
        if start is not None and rt.main:  # what fine-tuning is measured against
            start_tally = train_report.legal_accuracy(
                model.to(rt.device), plan, rt.device, config.eval_positions, config.batch_tokens
            )
        state = run_training(
            model,
            plan,
            config,
            rt,
            checkpoint=checkpoint,
            resume=resume,
            log=log,
            show_progress=show_progress,
        )
        val_loss = state.best_val
        if math.isinf(val_loss):
            val_loss = validation_loss(model, plan, config, rt)
        if not rt.main:
            return None
        tally = train_report.legal_accuracy(
            model, plan, rt.device, config.eval_positions, config.batch_tokens
        )
        entries = train_report.player_entries(plan, corpus.merges)
        # The printed table shows this run's players; the file keeps every row's history.
        shown = [e for i, e in enumerate(entries) if i == 0 or e["games"] > 0]
        if start is not None:
            entries = train_report.with_start(entries, start.players)
        figures = train_report.metrics(val_loss, tally, plan.players, state.history)
        if start_tally is not None:
            before = train_report.metrics(math.nan, start_tally, plan.players, [])
            figures["start_val_top1"] = before["val_top1"]
            figures["start_val_top3"] = before["val_top3"]
        save_bundle(
            out,
            model.cpu(),
            entries,
            train_config=config.to_dict(),
            data=train_report.data_summary(corpus, plan),
            metrics=figures,
        )
        checkpoint.unlink(missing_ok=True)  # the model file supersedes it
        return Result(out, entries, figures, train_report.table(shown, figures))
    finally:
        if rt.world > 1 and dist.is_initialized():
            dist.destroy_process_group()
