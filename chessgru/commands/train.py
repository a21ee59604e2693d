"""`chessgru train`: PGN files in, one model file out that knows every named player."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path

from chessgru.commands.common import add_name_options, add_player_option, aliases
from chessgru.commands.train_settings import check, configs, start_model, wants_personal
from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru train`."""
    parser.add_argument("pgn", nargs="*", metavar="PGN", help="PGN files or folders")
    parser.add_argument(
        "--library",
        nargs="?",
        const="",
        metavar="FILE",
        help="also train on the game library's games (default file: in $CHESSGRU_DATA); "
        "its people get their own embedding unless --player is given",
    )
    parser.add_argument(
        "--out",
        "-o",
        required=True,
        type=Path,
        metavar="MODEL",
        help="model file to write (e.g. me.chessgru)",
    )
    who = parser.add_argument_group("players")
    add_player_option(
        who,
        "player",
        "only these players get their own embedding (default: everyone with --min-games games)",
    )
    who.add_argument(
        "--min-games",
        type=int,
        metavar="N",
        help="games a player needs for their own embedding (default 10)",
    )
    add_name_options(who)
    run = parser.add_argument_group("training")
    run.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help="passes over the games (default 10; 3 when fine-tuning)",
    )
    run.add_argument(
        "--batch-size",
        type=int,
        metavar="PLIES",
        help="padded plies per batch, over all processes (default 4096)",
    )
    run.add_argument(
        "--lr", type=float, help="peak learning rate (default 0.002; 0.0005 when fine-tuning)"
    )
    run.add_argument(
        "--max-steps",
        type=int,
        default=None,
        metavar="N",
        help="stop after N steps (the schedule is planned for N)",
    )
    run.add_argument("--seed", type=int, help="seed of the split, order and init (default 0)")
    run.add_argument(
        "--val-fraction",
        type=float,
        metavar="F",
        help="share of games kept for validation (default 0.05)",
    )
    run.add_argument(
        "--holdout",
        type=float,
        metavar="FRACTION",
        help="leave out each named player's newest FRACTION of games "
        "(the evaluation protocol's test games)",
    )
    add_player_option(run, "holdout-player", "hold out only these players' newest games")
    run.add_argument(
        "--holdout-from",
        nargs="+",
        default=[],
        metavar="PGN",
        help="choose the held-out games on these files (as `chessgru evaluate` would) and "
        "leave every copy of them out of training",
    )
    run.add_argument(
        "--population-from",
        nargs="+",
        default=[],
        metavar="PGN",
        help="the players of these files (among the PGN files) get no embedding row of "
        "their own: their games train the population and the rating conditioning only",
    )
    run.add_argument(
        "--from",
        dest="from_model",
        type=Path,
        metavar="MODEL",
        help="fine-tune this model file (default: the shipped base model)",
    )
    run.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a new network instead of fine-tuning the base model",
    )
    run.add_argument(
        "--tune",
        choices=("auto", "all", "head", "players", "personal"),
        default="auto",
        help="when fine-tuning: auto (default): the network fine-tuned (as all, or head for "
        "a model with a tower) with each person's newest fifth held back, then each person's "
        "move-frequency prior, the network kept only when their held-back games (300 moves "
        "at least) say it helps; "
        "personal: the prior alone (seconds, the network untouched); all, head (all but the "
        "board-reading tower), players (only the embeddings, default lr 0.02): the network "
        "only. With auto, an option of the training group (--epochs, --lr, --max-steps, ...) "
        "asks for the network only (head or all)",
    )
    net = parser.add_argument_group("network (with --from-scratch)")
    net.add_argument("--hidden", type=int, help="GRU width (default 384)")
    net.add_argument("--layers", type=int, help="GRU layers (default 2)")
    net.add_argument("--dropout", type=float, help="dropout inside the network (default 0.1)")
    net.add_argument("--no-board", action="store_true", help="do not feed the board position")
    net.add_argument(
        "--tower-blocks",
        type=int,
        metavar="N",
        help="residual blocks of the convolutional tower that reads the board (0 = none)",
    )
    net.add_argument(
        "--tower-channels", type=int, metavar="N", help="filters of the tower (default 64)"
    )
    net.add_argument(
        "--no-gru",
        action="store_true",
        help="no GRU: predict from the board and who is moving only (needs a tower)",
    )
    hw = parser.add_argument_group("hardware and files")
    hw.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    hw.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads")
    hw.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    hw.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint of an interrupted run, or train the finished "
        "--out model longer (the same settings with a larger --max-steps)",
    )
    hw.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where checkpoints go (default: next to --out)",
    )
    hw.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="STEPS",
        help="steps between checkpoints (default 200)",
    )
    hw.add_argument(
        "--val-every",
        type=int,
        metavar="STEPS",
        help="log validation loss and top-1 every STEPS steps (learning curves; default: "
        "only at the end of each epoch)",
    )
    hw.add_argument(
        "--log", type=Path, default=None, metavar="FILE", help="also append the log lines to FILE"
    )


def _library_games(path: str | None, stack: contextlib.ExitStack) -> tuple[Path, list[str]]:
    """The library's games as a temporary PGN file (removed when ``stack`` closes)."""
    import tempfile

    from chessgru.library.learn import export_for_training
    from chessgru.library.store import Library

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chessgru-library-")))
    with Library(path) as library:
        return export_for_training(library, folder)


def run(args: argparse.Namespace) -> int:
    """Run `chessgru train`."""
    from chessgru.training.fit import default_checkpoint, fit

    if wants_personal(args):
        check(args)
        start = start_model(args)
        if start is not None:
            return _run_personal(args, start)
    config, model_config = configs(args)
    checkpoint = default_checkpoint(args.out, args.checkpoint_dir)
    with contextlib.ExitStack() as stack:
        paths = list(args.pgn)
        if args.library is not None:
            library_pgn, people = _library_games(args.library or None, stack)
            paths.append(library_pgn)
            if not args.players:
                config = dataclasses.replace(config, players=tuple(people))
        log_file = None
        if args.log:
            try:
                log_file = stack.enter_context(args.log.open("a", encoding="utf-8"))
            except OSError as exc:
                raise UserError(f"Cannot write the log file {args.log}: {exc.strerror}.") from exc
        result = fit(
            paths,
            config,
            model_config,
            args.out,
            checkpoint=checkpoint,
            resume=args.resume,
            aliases=aliases(args),
            merge_names=not args.no_merge,
            log_file=log_file,
        )
    if result is not None:
        print(result.table)
        figures = result.metrics
        if figures.get("val_top1") is not None:
            print(
                f"validation: top-1 {figures['val_top1']:.1%}, top-3 {figures['val_top3']:.1%} "
                f"over {figures['val_positions']} positions (legal moves, all plies)"
            )
        if figures.get("start_val_top1") is not None:
            print(
                f"before fine-tuning: top-1 {figures['start_val_top1']:.1%}, "
                f"top-3 {figures['start_val_top3']:.1%} on the same positions"
            )
        print(f"model written to {result.out}", file=sys.stdout)
    return 0


def _run_personal(args: argparse.Namespace, start: Path) -> int:
    """The personal fit of every chosen player (after a fine-tune of the network with
    ``--tune auto``, alone with ``--tune personal``); prints the report."""
    from chessgru.training.personal_fit import fit_people

    with contextlib.ExitStack() as stack:
        paths, players = list(args.pgn), list(args.players)
        if args.library is not None:
            library_pgn, people = _library_games(args.library or None, stack)
            paths.append(library_pgn)
            players = players or people
        result = fit_people(
            paths,
            start,
            args.out,
            players=players,
            min_games=args.min_games or 10,
            aliases=aliases(args),
            merge_names=not args.no_merge,
            threads=args.threads,
            seed=args.seed or 0,
            network="auto" if args.tune == "auto" else None,
        )
    print("\n".join(result.lines()))
    print(f"model written to {result.out}")
    return 0
