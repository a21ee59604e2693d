"""`chessgru predict`: the likeliest next moves of a player, from moves, a FEN or a PGN.

``--moves`` takes what people paste: SAN or UCI, move numbers ("1.", "1...", "12.e4"),
check and annotation marks, and a result at the end. ``--pgn`` predicts before every
move of every game in a file, one JSON line per position, for scripts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import chess

from chessgru.errors import UserError

_MOVE_NUMBER = re.compile(r"^\d+\.+")
_RESULTS = {"1-0", "0-1", "1/2-1/2", "½-½", "*"}
_UCI = re.compile(r"^[a-h][1-8][a-h][1-8][qrbn]?$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru predict`."""
    parser.add_argument(
        "--model", type=Path, metavar="MODEL", help="model file (default: the shipped base model)"
    )
    parser.add_argument(
        "--player",
        metavar="NAME",
        help="whose moves to predict ('population' for anyone); with --pgn, default: "
        "whoever is to move, by the game's headers",
    )
    source = parser.add_argument_group("position (one of)")
    source.add_argument("--moves", metavar="MOVES", help='moves so far, e.g. "1. e4 e5 2. Nf3"')
    source.add_argument("--fen", metavar="FEN", help="start position (then --moves from it)")
    source.add_argument("--pgn", type=Path, metavar="FILE", help="predict every position of a PGN")
    parser.add_argument("--top", type=int, default=5, metavar="K", help="moves to show (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.add_argument("--elo", type=int, metavar="N", help="the player's rating")
    parser.add_argument(
        "--time-control", metavar="TC", help='PGN TimeControl, e.g. "180+2" (default: unknown)'
    )


def parse_moves(text: str, board: chess.Board) -> list[chess.Move]:
    """Moves written by a person, checked against ``board``; UserError naming a bad one."""
    board = board.copy(stack=False)
    moves: list[chess.Move] = []
    for word in text.split():
        word = _MOVE_NUMBER.sub("", word).rstrip("!?")
        if not word or word in _RESULTS:
            continue
        dots = "." if board.turn == chess.WHITE else "..."
        where = f"move {len(moves) + 1} ({board.fullmove_number}{dots} {word})"
        try:
            if _UCI.match(word):
                move = chess.Move.from_uci(word)
                if not board.is_legal(move):
                    raise chess.IllegalMoveError(word)
            else:
                move = board.parse_san(word)
            if not move:  # "--", "Z0", "0000": python-chess reads them as a null move
                raise chess.IllegalMoveError(word)
        except chess.AmbiguousMoveError:
            raise UserError(
                f"{where}: '{word}' is ambiguous in this position; name the piece's file or rank."
            ) from None
        except ValueError:
            raise UserError(f"{where}: '{word}' is not a legal move in this position.") from None
        moves.append(move)
        board.push(move)
    return moves


def start_board(fen: str | None) -> chess.Board:
    """The board of `--fen` (default: the standard start); UserError when it is not legal."""
    if fen is None:
        return chess.Board()
    try:
        board = chess.Board(fen)
    except ValueError:
        raise UserError(f"'{fen}' is not a valid FEN.") from None
    if not board.is_valid():
        raise UserError(f"the FEN '{fen}' is not a legal chess position.")
    return board


def _where(board: chess.Board) -> str:
    side = "White" if board.turn == chess.WHITE else "Black"
    text = f"{side} to move, move {board.fullmove_number}"
    if board.move_stack:
        last = board.pop()
        dots = "." if board.turn == chess.WHITE else "..."
        text += f", after {board.fullmove_number}{dots} {board.san(last)}"
        board.push(last)
    return text


def _predict_position(args: argparse.Namespace, predictor) -> int:
    if args.player is None:
        raise UserError("--player is required with --moves or --fen ('population' for anyone).")
    board = start_board(args.fen)
    moves = parse_moves(args.moves or "", board)
    row = predictor.resolve_player(args.player)
    mover = board.turn if len(moves) % 2 == 0 else not board.turn
    # The named player moves now; the opponent is "anyone", unrated.
    predictor.set_player(mover, row, args.elo, args.time_control)
    predictor.set_player(not mover, 0, None, args.time_control)
    predictor.new_game(board)
    for move in moves:
        predictor.push(move)
    now = predictor.board
    top = predictor.top(args.top)
    name = predictor.players[row]
    if args.json:
        out = {
            "player": name,
            "fen": now.fen(),
            "top": [{"uci": m.uci(), "san": now.san(m), "p": round(p, 6)} for m, p in top],
        }
        print(json.dumps(out))
        return 0
    print(f"{_where(now)}")
    if not top:
        outcome = now.outcome()
        why = outcome.termination.name.lower().replace("_", " ") if outcome else "no legal moves"
        print(f"The game is over ({why}); there is nothing to predict.")
        return 0
    print(f"Likeliest moves of {name}:")
    width = max(len(now.san(m)) for m, _ in top)
    for rank, (move, p) in enumerate(top, 1):
        print(f"{rank:>3}. {now.san(move):<{width}}  {100 * p:5.1f}%")
    return 0


def _predict_pgn(args: argparse.Namespace, predictor) -> int:
    from chessgru.games.pgn import GameInfo, SkippedGame, read_games, skip_summary
    from chessgru.predict import GameInput

    fixed = None if args.player is None else predictor.resolve_player(args.player)
    rows: dict[str, int] = {}

    def row(name: str) -> int:
        if fixed is not None:
            return fixed
        if name not in rows:  # a name the model does not know is the population
            rows[name] = predictor.find_player(name) or 0
        return rows[name]

    pending: deque[tuple[GameInfo, GameInput]] = deque()
    skipped: list[SkippedGame] = []

    def games() -> Iterator[GameInput]:
        for item in read_games(args.pgn):
            if not isinstance(item, tuple):
                print(f"chessgru: skipped game {item.number}: {item.reason}", file=sys.stderr)
                skipped.append(item)
                continue
            info, moves = item
            game = GameInput(
                moves,
                row(info.white),
                row(info.black),
                white_elo=args.elo or info.white_elo,
                black_elo=args.elo or info.black_elo,
                time_control=args.time_control or info.time_control,
            )
            pending.append((info, game))
            yield game

    predicted = 0
    for predictions in predictor.predict_games(games(), k=args.top):
        info, game = pending.popleft()
        for ply, (move, top) in enumerate(zip(game.moves, predictions, strict=True)):
            mover = game.white if ply % 2 == 0 else game.black
            line = {
                "game": info.number,
                "ply": ply + 1,
                "player": predictor.players[mover],
                "played": move.uci(),
                "top": [[m.uci(), round(p, 6)] for m, p in top],
            }
            print(json.dumps(line))
        predicted += 1
    if not predicted:
        summary = f" ({len(skipped)} skipped: {skip_summary(skipped)})" if skipped else ""
        raise UserError(f"No usable games in {args.pgn}{summary}.")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run `chessgru predict`."""
    if args.pgn is not None and (args.moves is not None or args.fen is not None):
        raise UserError("use either --pgn or --moves/--fen, not both.")
    if args.pgn is None and args.moves is None and args.fen is None:
        raise UserError("say which position: --moves MOVES, --fen FEN, or --pgn FILE.")
    if args.top < 1:
        raise UserError("--top must be at least 1.")
    from chessgru.predict import Predictor  # torch loads only when the command runs

    predictor = Predictor.load(args.model)
    if args.pgn is not None:
        return _predict_pgn(args, predictor)
    return _predict_position(args, predictor)
