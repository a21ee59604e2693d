"""Every game played on the board goes into the library as it is played.

A game is recorded from its first move from the standard start; each move (and each
takeback) is one committed transaction, so a crash loses at most the move being made.
Browsing back and forth saves nothing; a new game (the line emptied) ends the recording;
loading a game from a file or from the library is not a new game (its line jumps by more
than one move), so it stops the recording too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import chess
from PySide6.QtCore import QObject, Signal

from chessgru.errors import UserError
from chessgru.gui.game import GameState, common_prefix, ending
from chessgru.library.records import NewGame, today
from chessgru.library.store import Library


def final_result(moves: Sequence[chess.Move]) -> str | None:
    """The result when the line ends the game (mate, stalemate, draws), else None."""
    board = chess.Board()
    for move in moves:
        board.push(move)
    end = ending(board)
    return end.result if end else None


class GameRecorder(QObject):
    """Saves the board's game to the library after every change of its line."""

    saved = Signal(int)  # game id
    finished = Signal(int)  # game id of a game that just ended
    failed = Signal(str)  # one sentence (the library could not be written)

    def __init__(self, game: GameState, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.game, self.library = game, library
        self.game_id: int | None = None
        self._line: list[chess.Move] = list(game.moves)
        self._ended = False
        game.changed.connect(self._on_changed)
        game.players_changed.connect(self._on_players)

    def _on_changed(self) -> None:
        moves = list(self.game.moves)
        if moves == self._line:
            return  # the cursor moved, the game did not
        standard = self.game.start_fen == chess.STARTING_FEN
        if self.game_id is None:
            starts = standard and not self._line and len(moves) == 1
            self._line = moves
            if starts:
                self._start(moves)
            return
        if not moves:  # a new game, or the first move taken back
            if len(self._line) <= 1:
                self._forget_record()  # one move taken back is no game
            self.game_id, self._line = None, moves
            return
        if not standard or len(moves) > common_prefix(self._line, moves) + 1:
            self.game_id, self._line = None, moves  # another game was loaded
            return
        self._line = moves
        self._save(moves)

    def _forget_record(self) -> None:
        if self.game_id is None:
            return
        try:
            self.library.delete_games([self.game_id])
        except sqlite3.Error as exc:
            self.failed.emit(f"Could not update the game library: {exc}")

    def _on_players(self) -> None:
        if self.game_id is not None:
            self._save(self._line, players=True)

    def _rating(self, name: str) -> int | None:
        person = self.library.person(name)
        return person.rating if person else None

    def _start(self, moves: list[chess.Move]) -> None:
        g = self.game
        record = NewGame(
            white=g.white,
            black=g.black,
            moves=[m.uci() for m in moves],
            date=today(),
            time_control=g.headers.get("TimeControl"),
            white_elo=self._rating(g.white),
            black_elo=self._rating(g.black),
            source="app",
            event="chessgru game",
            finished=False,
        )
        try:
            self.game_id = self.library.add_game(record, dedup=False)
        except (UserError, sqlite3.Error) as exc:  # a full disk must not take the board down
            self.failed.emit(f"Could not save the game to the library: {exc}")
            return
        self._ended = False
        self._save(moves)

    def _save(self, moves: list[chess.Move], players: bool = False) -> None:
        if self.game_id is None:
            return
        result = final_result(moves)
        try:
            self.library.update_game(
                self.game_id,
                moves=[m.uci() for m in moves],
                result=result or "*",
                finished=result is not None,
                white=self.game.white if players else None,
                black=self.game.black if players else None,
            )
        except (UserError, sqlite3.Error) as exc:
            self.failed.emit(f"Could not save the game to the library: {exc}")
            return
        self.saved.emit(self.game_id)
        if result is not None and not self._ended:
            self._ended = True
            self.finished.emit(self.game_id)
        elif result is None:
            self._ended = False
