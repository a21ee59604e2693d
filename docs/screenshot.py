"""Screenshot of the board as a person sees it: ``xvfb-run -s "-screen 0 1400x900x24"
.venv/bin/python docs/screenshot.py MODEL OUT.png [--moves "1. e4 ..."] [--white W] [--black B]``.

Plays the moves through the app's own objects, waits for the worker's predictions, then
grabs the window. Settings go to a temporary folder, so the user's are untouched.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

import chess
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from chessgru.gui.app import BoardApp
from chessgru.gui.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--moves", default="")
    parser.add_argument("--white", default="population")
    parser.add_argument("--black", default="population")
    parser.add_argument("--wait-ms", type=int, default=4000)
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    store = QSettings(f"{tempfile.mkdtemp()}/settings.ini", QSettings.Format.IniFormat)
    board = BoardApp(Settings(store))
    board.set_players(args.white, args.black)
    board.start(args.model, use_saved_model=False)
    position = chess.Board()
    for token in args.moves.split():
        if token[0].isdigit():
            continue
        move = position.parse_san(token)
        position.push(move)
        board.game.play(move)
    board.window.resize(1280, 820)
    board.window.show()

    def grab() -> None:
        board.window.grab().save(args.out)
        board.close()
        app.quit()

    QTimer.singleShot(args.wait_ms, grab)
    app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
