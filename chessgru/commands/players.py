"""`chessgru players`: who plays in PGN files (or who a model file knows), with game counts.

Shows the merges of spellings and a summary of skipped games, so a user can check what
training would see before spending time on it, and fix names with ``--alias``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from chessgru.commands.common import add_name_options, aliases
from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru players`."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PGN_OR_DIR",
        help="PGN files, folders, or one .chessgru model file",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list every skipped game with its file, number and reason",
    )
    add_name_options(parser)
    parser.add_argument(
        "--min-games",
        type=int,
        default=1,
        metavar="N",
        help="list only players with at least N games",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="parsing processes (default: all CPUs)"
    )


def run(args: argparse.Namespace) -> int:
    """Run `chessgru players`."""
    if len(args.paths) == 1 and args.paths[0].lower().endswith(".chessgru"):
        return _model_players(Path(args.paths[0]), args)
    from chessgru.games.corpus import load_corpus
    from chessgru.games.pgn import reason_kind, skip_summary

    corpus = load_corpus(
        args.paths, aliases=aliases(args), merge_names=not args.no_merge, workers=args.workers
    )
    if not corpus.games:
        summary = f" ({len(corpus.skipped)} skipped: {skip_summary(corpus.skipped)})"
        raise UserError(
            f"No usable games in {' '.join(args.paths)}{summary if corpus.skipped else ''}."
        )
    counts = corpus.player_games()
    players = [(n, c) for n, c in counts.most_common() if c >= args.min_games]
    reasons = Counter(reason_kind(s.reason) for s in corpus.skipped)
    if args.json:
        report = {
            "games": len(corpus.games),
            "duplicates": corpus.duplicates,
            "players": [{"name": n, "games": c} for n, c in players],
            "merges": [{"canonical": m.canonical, "spellings": m.spellings} for m in corpus.merges],
            "skipped": {"total": len(corpus.skipped), "reasons": dict(reasons.most_common())},
        }
        if args.verbose:
            report["skipped"]["games"] = [
                {"file": s.source, "number": s.number, "reason": s.reason} for s in corpus.skipped
            ]
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    out = sys.stdout
    print(f"{len(corpus.games)} games, {len(counts)} players", end="", file=out)
    print(f", {corpus.duplicates} duplicates dropped" if corpus.duplicates else "", file=out)
    width = max((len(n) for n, _ in players), default=6)
    print(f"\n{'games':>7}  player", file=out)
    for name, games in players:
        print(f"{games:>7}  {name}", file=out)
    if len(players) < len(counts):
        hidden = len(counts) - len(players)
        print(f"({hidden} players with fewer than {args.min_games} games not shown)", file=out)
    if corpus.merges:
        print("\nmerged spellings:", file=out)
        for merge in corpus.merges:
            parts = ", ".join(f"{s!r} ({g})" for s, g in merge.spellings.items())
            print(f"  {merge.canonical:<{width}} <- {parts}", file=out)
    if corpus.skipped:
        print(f"\n{len(corpus.skipped)} games skipped:", file=out)
        for reason, n in reasons.most_common():
            print(f"{n:>7}  {reason}", file=out)
        if args.verbose:
            for s in corpus.skipped:
                print(f"  {s.source} game {s.number}: {s.reason}", file=out)
        else:
            print("(--verbose lists each skipped game)", file=out)
    return 0


def _model_players(path: Path, args: argparse.Namespace) -> int:
    """Players a model file knows (row 0 is the population, shown first)."""
    from chessgru.model.bundle import load_bundle

    if not path.is_file():
        raise UserError(f"{path} does not exist.")
    known = load_bundle(path).players
    players = [p for i, p in enumerate(known) if i == 0 or p.get("games", 0) >= args.min_games]
    if args.json:
        json.dump(
            {"model": str(path), "players": players}, sys.stdout, ensure_ascii=False, indent=2
        )
        print()
        return 0
    print(f"{'games':>7} {'moves':>9}  player")
    for p in players:
        aliases = f"  (also: {', '.join(p['aliases'])})" if p.get("aliases") else ""
        print(f"{p.get('games', 0):>7} {p.get('moves', 0):>9}  {p['name']}{aliases}")
    return 0
