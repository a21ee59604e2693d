"""`chessgru evaluate`: the evaluation protocol on PGN files, with its baselines.

Each player's newest games (by date) are held out and the player's own moves in them are
scored: the model against a random legal move, the opening tree and, with ``--engine``, a
UCI engine. Prints a table, or the full report with ``--json``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chessgru.commands.common import add_name_options, add_player_option, aliases
from chessgru.errors import UserError
from chessgru.games.names import normalise, quoted, surname_matches


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru evaluate`."""
    parser.add_argument("pgn", nargs="+", metavar="PGN", help="PGN files or folders")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--model", help="model file (default: the shipped base model)")
    model.add_argument("--no-model", action="store_true", help="score only the baselines, no model")
    add_player_option(
        parser, "player", "player to evaluate (default: everyone with --min-games games)"
    )
    parser.add_argument("--test-fraction", type=float, default=0.2, metavar="F")
    parser.add_argument(
        "--min-games",
        type=int,
        default=20,
        metavar="N",
        help="without --player: evaluate every player with at least N games (default 20)",
    )
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--report", metavar="FILE.json", help="also write the report here")
    parser.add_argument("--plot", metavar="FILE.png", help="accuracy by move number (PNG)")
    parser.add_argument("--engine", metavar="PATH", help="UCI engine, e.g. /usr/games/stockfish")
    parser.add_argument("--engine-depth", type=int, default=10, metavar="D")
    parser.add_argument(
        "--engine-max-positions",
        type=int,
        metavar="N",
        help="score the engine on a fixed-seed sample of N moves per player (it is slow)",
    )
    add_name_options(parser)
    parser.add_argument("--device", default=None, help="torch device for the model (default: auto)")


def resolve_player(corpus: Any, name: str) -> str:
    """The corpus's canonical name for ``name``: exact, any merged spelling, or a unique surname.

    UserError naming the nearest players when nothing (or more than one player) matches.
    """
    counts = corpus.player_games()
    if name in counts:
        return name
    key = normalise(name)
    spellings = {normalise(s): m.canonical for m in corpus.merges for s in m.spellings}
    spellings.update({normalise(c): c for c in counts})
    if key in spellings and spellings[key] in counts:
        return spellings[key]
    by_surname = surname_matches(name, counts)
    if len(by_surname) == 1:
        return by_surname[0]
    if by_surname:
        listed = ", ".join(f"'{c}' ({counts[c]} games)" for c in by_surname[:6])
        raise UserError(f"'{name}' could be any of: {listed}; give the full name.")
    folded = {normalise(c): c for c in counts}
    near = [folded[k] for k in difflib.get_close_matches(key, folded, n=5, cutoff=0.6)]
    hint = f"nearest: {quoted(near)}" if near else f"the files have {len(counts)} players"
    raise UserError(f"No player '{name}' in these games ({hint}).")


def choose_players(corpus: Any, names: Sequence[str] | None, min_games: int) -> list[str]:
    """The players to evaluate: ``names`` resolved, else everyone with ``min_games`` or more.

    Without names: most games first, anonymous names ("NN", "?") left out.
    """
    if names:
        return list(dict.fromkeys(resolve_player(corpus, n) for n in names))
    from chessgru.training.data import select_players  # imports torch: only when no names are given

    counts = corpus.player_games()
    # The trainer's rule, so the players evaluated are the ones a model learns by name.
    chosen = select_players(counts, min_games)
    if not chosen:
        best = counts.most_common(1)
        most = f"the most is {best[0][1]} ({best[0][0]})" if best else "there are no games"
        raise UserError(
            f"No player has {min_games} or more games ({most}); lower --min-games or name "
            "players with --player."
        )
    return chosen


def _check(args: argparse.Namespace) -> None:
    if not 0 < args.test_fraction < 1:
        raise UserError(f"--test-fraction must be between 0 and 1, not {args.test_fraction}.")
    if args.engine_depth < 1:
        raise UserError("--engine-depth must be at least 1.")
    if args.engine_max_positions is not None and args.engine_max_positions < 1:
        raise UserError("--engine-max-positions must be at least 1.")
    if args.engine and not Path(args.engine).is_file():
        raise UserError(f"No engine at {args.engine}.")


def _load_predictor(args: argparse.Namespace):
    if args.no_model:
        return None
    import torch

    from chessgru.predict import Predictor

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    return Predictor.load(args.model, device=device)


def run(args: argparse.Namespace) -> int:
    """Run `chessgru evaluate`."""
    from chessgru.evaluation import protocol as ev
    from chessgru.evaluation.baselines import EngineBaseline
    from chessgru.evaluation.report import format_report, plot_report
    from chessgru.games.corpus import load_corpus
    from chessgru.games.pgn import skip_line
    from chessgru.model.bundle import json_safe

    _check(args)
    predictor = _load_predictor(args)
    corpus = load_corpus(args.pgn, aliases=aliases(args), merge_names=not args.no_merge)
    if corpus.skipped:  # on stderr: stdout may be the JSON report
        print(f"chessgru: {skip_line(corpus.skipped)}", file=sys.stderr)
    players = choose_players(corpus, args.players, args.min_games)
    engine = EngineBaseline(args.engine, args.engine_depth) if args.engine else None
    try:
        report = ev.evaluate(
            corpus,
            players,
            predictor=predictor,
            test_fraction=args.test_fraction,
            engine=engine,
            engine_max_positions=args.engine_max_positions,
        )
    finally:
        if engine is not None:
            engine.close()
    report["model"] = None if predictor is None else (args.model or "shipped base model")
    as_json = json_safe(report)  # JSON has no NaN: a figure with nothing to score is null
    if args.report:
        try:
            text = json.dumps(as_json, indent=1, allow_nan=False)
            Path(args.report).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"Cannot write {args.report}: {exc.strerror or exc}.") from exc
    if args.plot:
        plot_report(report, args.plot)
    if args.json:
        json.dump(as_json, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_report(report))
    return 0
