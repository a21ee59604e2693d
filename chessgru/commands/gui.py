"""`chessgru gui`: the board for two people, with live predictions of each next move."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chessgru.errors import UserError
from chessgru.paths import asset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru gui`."""
    parser.add_argument(
        "--model",
        metavar="MODEL",
        help="model file (default: the last one used, else the shipped base model)",
    )
    parser.add_argument(
        "--white", metavar="NAME", help="who plays White (a player the model knows)"
    )
    parser.add_argument("--black", metavar="NAME", help="who plays Black")
    parser.add_argument("--fen", metavar="FEN", help="start from this position")
    parser.add_argument("--pgn", metavar="FILE", help="open the first game of this PGN file")


def run(args: argparse.Namespace) -> int:
    """Run `chessgru gui` (Qt is imported here so other commands never pay for it)."""
    if args.model and not Path(args.model).is_file():
        raise UserError(f"model file not found: {args.model}")
    if args.pgn and not Path(args.pgn).is_file():
        raise UserError(f"PGN file not found: {args.pgn}")
    from chessgru.gui.platform_check import check_display

    check_display()  # a missing X11 library is one sentence here, not a Qt abort
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from chessgru.gui.app import BoardApp
    from chessgru.gui.game import parse_fen
    from chessgru.gui.settings import Settings

    if args.fen:
        parse_fen(args.fen)  # a bad FEN is one sentence on the terminal, before any window
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("chessgru")
    app.setOrganizationName("chessgru")
    app.setWindowIcon(QIcon(str(asset("icon.svg"))))
    board = BoardApp(Settings())
    board.set_players(args.white, args.black)
    if args.fen:
        board.game.new_game(args.fen)
    if args.pgn:
        board.window.open_pgn(args.pgn)
    board.start(args.model)
    board.window.show()
    try:
        return int(app.exec())
    finally:
        board.close()
