"""``fit``: PGN files in, a model file out.

Sets a run up around the epoch loop (``loop.py``): reads the corpus (rank 0 fills the
cache first under DDP), keeps the ``--holdout-from`` test games out, builds a fresh
network or grows the model being fine-tuned by the new players' rows, runs the loop, then
measures the result and writes the model file, which supersedes the checkpoint.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import torch
import torch.distributed as dist

from chessgru.atomic import check_writable, describe_os_error
from chessgru.errors import UserError
from chessgru.games import split
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.games.pgn import find_pgn_files, skip_line, skip_summary
from chessgru.model.bundle import Bundle, build_model, check_out_path, load_bundle, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.training import data, extend
from chessgru.training import report as train_report
from chessgru.training.config import TrainConfig
from chessgru.training.loop import (
    Logger,
    check_converged,
    make_logger,
    run_training,
    validation_loss,
)
from chessgru.training.runtime import Runtime, resolve_runtime


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
        detail = f": {skip_summary(corpus.skipped)}" if corpus.skipped else ""
        raise UserError(
            f"The PGN files hold no usable games ({len(corpus.skipped)} skipped{detail})."
        )
    return corpus


def held_keys_of(
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


def population_only(corpus: Corpus, files: Sequence[str | Path]) -> int:
    """Make the players of ``files``' games anonymous, in place; returns how many games.

    Their games still teach the population and the rating and speed conditioning, but no
    one in them gets an embedding row: a shipped model must not carry a row for each
    account of a public game dump (and amateurs' rows would be noise at 20 games).
    """
    chosen = {path.resolve() for path in find_pgn_files(files)}
    mask = corpus.games.from_sources(lambda source: Path(source).resolve() in chosen)
    corpus.games.anonymise(mask)
    return int(mask.sum())


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


def _check_checkpoint_folder(checkpoint: Path) -> None:
    try:
        check_writable(checkpoint)
    except OSError as exc:
        raise UserError(
            f"Cannot write checkpoints in {checkpoint.parent}: {describe_os_error(exc)}."
        ) from exc


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
        if corpus.skipped:
            log(skip_line(corpus.skipped))
        if config.population_from:
            anonymous = population_only(corpus, config.population_from)
            log(f"{anonymous} games train the population only (--population-from)")
        held_keys = held_keys_of(config, rt, aliases=aliases, merge_names=merge_names)
        return fit_corpus(
            corpus,
            config,
            model_config,
            out,
            rt=rt,
            log=log,
            checkpoint=checkpoint,
            resume=resume,
            held_keys=held_keys,
            show_progress=show_progress,
        )
    finally:
        if rt.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def fit_corpus(
    corpus: Corpus,
    config: TrainConfig,
    model_config: ModelConfig,
    out: Path,
    *,
    rt: Runtime,
    log: Logger,
    checkpoint: Path | None = None,
    resume: bool = False,
    held_keys: set[bytes] | None = None,
    show_progress: bool = True,
    deadline: float | None = None,
) -> Result | None:
    """Train on a loaded corpus and write ``out``; None on DDP ranks > 0 or when the
    ``deadline`` stopped the run before its last step (its checkpoint resumes it)."""
    checkpoint = checkpoint or default_checkpoint(out)
    if rt.main:  # before the hours of training, not after
        check_out_path(out)
        _check_checkpoint_folder(checkpoint)
    start = load_bundle(config.from_model) if config.from_model else None
    if config.tune == "auto":
        towered = start is not None and start.config.tower_blocks > 0
        config = dataclasses.replace(config, tune="head" if towered else "all")
    known = start.player_names if start else ()
    plan = data.make_plan(corpus, config, known, held_keys)
    model = _build_model(config, model_config, plan.players, start)
    log(
        f"{len(corpus.games)} games: {len(plan.train)} train, {len(plan.val)} validation, "
        f"{len(plan.held_out)} held out; {len(plan.players) - 1} named players; "
        f"{plan.total_steps} steps on {rt.device.type}"
        f"{' x' + str(rt.world) if rt.world > 1 else ''} "
        f"({'bf16' if rt.bf16 else 'fp32'}, {torch.get_num_threads()} threads)"
    )
    if resume and rt.main and not checkpoint.is_file() and out.is_file():
        # A finished run of these settings with fewer steps: go on from where it stopped.
        steps = extend.checkpoint_from_model(out, checkpoint, model, plan, config)
        log(f"{out} finished {steps} steps of this run: extending it to {plan.total_steps}")
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
        deadline=deadline,
    )
    if not state.stopped_early and state.step < plan.total_steps:
        return None
    val_loss = state.best_val
    if math.isinf(val_loss):  # the run ended inside an epoch: no epoch validated it
        val_loss = validation_loss(model, plan, config, rt)
        if len(plan.val):
            check_converged(val_loss, state.step, config)
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
    try:
        save_bundle(
            out,
            model.cpu(),
            entries,
            train_config=config.to_dict(),
            data=train_report.data_summary(corpus, plan),
            metrics=figures,
        )
    except OSError as exc:
        raise UserError(
            f"Could not write {out}: {describe_os_error(exc)}; the trained weights are "
            f"kept in {checkpoint}: make room and run the same command with --resume."
        ) from exc
    checkpoint.unlink(missing_ok=True)  # the model file supersedes it
    return Result(out, entries, figures, train_report.table(shown, figures))
