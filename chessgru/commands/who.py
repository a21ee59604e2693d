"""`chessgru who`: which of the people a model knows play like the sides of these games.

One result per game and side, best candidate first, with a probability over the
candidates and the moves that separated the best from the runner-up. ``--json`` prints
one line per game and side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import chess

from chessgru.errors import UserError

SIDES = {"white": chess.WHITE, "black": chess.BLACK}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru who`."""
    parser.add_argument("pgn", type=Path, metavar="GAME.pgn", help="PGN file (one or many games)")
    parser.add_argument(
        "--model", type=Path, metavar="MODEL", help="model file (default: the shipped base model)"
    )
    parser.add_argument("--side", choices=sorted(SIDES), help="rank only this side (default: both)")
    parser.add_argument(
        "--top", type=int, default=10, metavar="N", help="candidates to show (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per game and side")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="score every candidate with its own GRU state (slow: about a minute a game)",
    )


def _describe(ranking, args: argparse.Namespace, title: str) -> None:
    side = "White" if ranking.side == chess.WHITE else "Black"
    print(f"{title}: {side} ({ranking.moves} moves) plays like:")
    for i, (name, p) in enumerate(ranking.top(args.top), 1):
        print(f"{i:>4}. {name:<32} {100 * p:5.1f}%")
    if ranking.evidence:
        best, runner = ranking.names[0], ranking.versus
        shown = ", ".join(
            f"{_numbered(e.ply, e.san)} ({100 * e.p_best:.0f}% vs {100 * e.p_runner_up:.0f}%)"
            for e in ranking.evidence
        )
        print(f"      moves that made the difference ({best} vs {runner}): {shown}")


def _numbered(ply: int, san: str) -> str:
    return f"{ply // 2 + 1}{'.' if ply % 2 == 0 else '...'} {san}"


def run(args: argparse.Namespace) -> int:
    """Run `chessgru who`."""
    if args.top < 1:
        raise UserError("--top must be at least 1.")
    from chessgru.analysis.game import prepare_game
    from chessgru.analysis.prior_scores import PriorIndex
    from chessgru.analysis.who import SHORTLIST, rank
    from chessgru.games.pgn import find_pgn_files, read_games
    from chessgru.predict import Predictor

    files = find_pgn_files([args.pgn])
    predictor = Predictor.load(args.model)
    if len(predictor.players) < 2:
        raise UserError("this model knows no people by name; there is no one to rank.")
    sides = [SIDES[args.side]] if args.side else [chess.WHITE, chess.BLACK]
    prior = PriorIndex.of(predictor.prior)
    index = 0
    for path in files:
        for item in read_games(path):
            if not isinstance(item, tuple):
                print(
                    f"chessgru: skipped {item.source} game {item.number}: {item.reason}",
                    file=sys.stderr,
                )
                continue
            info, moves = item
            game = prepare_game(moves, None, info.white_elo, info.black_elo, info.time_control)
            title = f"game {index} ({info.white} - {info.black}, {info.date})"
            for side in sides:
                ranking = rank(
                    predictor.model,
                    predictor.players,
                    [(game, side)],
                    shortlist=0 if args.exact else SHORTLIST,
                    prior=prior,
                )
                if args.json:
                    print(json.dumps(_as_json(index, ranking, args.top)), flush=True)
                else:
                    _describe(ranking, args, title)
            index += 1
    if index == 0:
        raise UserError(f"no readable game in {args.pgn}.")
    return 0


def _as_json(index: int, ranking, top: int) -> dict:
    return {
        "game": index,
        "side": "white" if ranking.side == chess.WHITE else "black",
        "moves": ranking.moves,
        "ranking": [{"player": name, "p": round(p, 6)} for name, p in ranking.top(top)],
        "versus": ranking.versus,
        "evidence": [
            {
                "ply": e.ply + 1,
                "san": e.san,
                "p_best": round(e.p_best, 6),
                "p_runner_up": round(e.p_runner_up, 6),
            }
            for e in ranking.evidence
        ],
    }
