"""`chessgru lines`: the likeliest continuations when these two people play on from here.

A beam search through the model, each side with its own person; every line's probability
is the product of its moves' probabilities over the legal moves.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chessgru.commands.predict import parse_moves, start_board
from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru lines`."""
    parser.add_argument(
        "--model", type=Path, metavar="MODEL", help="model file (default: the shipped base model)"
    )
    parser.add_argument("--white", default="population", metavar="NAME", help="who plays White")
    parser.add_argument("--black", default="population", metavar="NAME", help="who plays Black")
    parser.add_argument("--moves", default="", metavar="MOVES", help='moves so far, "1. e4 e5"')
    parser.add_argument("--fen", metavar="FEN", help="start position (then --moves from it)")
    parser.add_argument("--depth", type=int, default=6, metavar="PLIES", help="plies (default 6)")
    parser.add_argument("--lines", type=int, default=5, metavar="N", help="lines (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")


def run(args: argparse.Namespace) -> int:
    """Run `chessgru lines`."""
    if not 1 <= args.depth <= 40:
        raise UserError("--depth must be between 1 and 40.")
    if not 1 <= args.lines <= 50:
        raise UserError("--lines must be between 1 and 50.")
    board = start_board(args.fen)
    moves = parse_moves(args.moves, board)
    from chessgru.analysis.lines import beam_lines, numbered
    from chessgru.predict import Predictor

    predictor = Predictor.load(args.model)
    white, black = predictor.player_cond(args.white), predictor.player_cond(args.black)
    found = beam_lines(predictor.model, moves, white, black, args.depth, args.lines, board)
    if args.json:
        out = {
            "white": predictor.players[white[0]],
            "black": predictor.players[black[0]],
            "lines": [
                {"moves": [m.uci() for m in line.moves], "san": list(line.san), "p": line.p}
                for line in found
            ],
        }
        print(json.dumps(out))
        return 0
    now = board.copy(stack=False)
    for move in moves:
        now.push(move)
    if not found or not found[0].moves:
        print("The game is over; there is nothing to continue.")
        return 0
    print(f"{predictor.players[white[0]]} (White) vs {predictor.players[black[0]]} (Black):")
    for i, line in enumerate(found, 1):
        print(f"{i:>3}. {100 * line.p:6.2f}%  {numbered(now, line.san)}")
    return 0
