"""The ``chessgru`` command line: parses arguments and hands each command to its module.

Each command lives in ``chessgru/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their command runs, so
``chessgru players`` does not pay for importing torch or Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chessgru import __version__
from chessgru.errors import UserError

COMMANDS: dict[str, str] = {
    "train": "learn one model of every named player in PGN files",
    "predict": "the most likely next moves of a player after a sequence of moves",
    "evaluate": "score a model on games against the random and opening-tree baselines",
    "players": "list the players in PGN files or in a model file",
    "who": "rank the people a model knows by how well they explain each side of games",
    "lines": "the likeliest continuations when two given people play on from a position",
    "gui": "open the board: two people play, chessgru predicts each next move",
    "import": "bring games into the library: PGN files, a lichess or chess.com account",
    "library": "the people and games in the library; add people, export PGN",
}
#: Commands whose module is not named after them ("import" is a Python keyword).
MODULES: dict[str, str] = {"import": "import_games"}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every command's options are registered)."""
    parser = argparse.ArgumentParser(
        prog="chessgru",
        description="Learns how specific people play chess from their PGN games and "
        "predicts what they will play next.",
    )
    parser.add_argument("--version", action="version", version=f"chessgru {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"chessgru.commands.{MODULES.get(name, name)}")
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chessgru`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(f"chessgru.commands.{MODULES.get(args.command, args.command)}")
    try:
        return int(module.run(args) or 0)
    except UserError as exc:
        print(f"chessgru: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chessgru: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chessgru predict --pgn ... | head` is fine
        return 0
