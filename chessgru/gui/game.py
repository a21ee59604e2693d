"""The game on the board: start position, the line of moves, and where we are in it.

A plain object with Qt signals: widgets call its methods with the user's intent (play this
move, go back one) and redraw on ``changed``; nothing here knows about widgets or models.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import chess
import chess.pgn
from PySide6.QtCore import QObject, Signal

from chessgru.errors import UserError
from chessgru.games.names import POPULATION


@dataclass(frozen=True)
class Ending:
    """How the game at the current position ended, in words for the board's banner."""

    result: str  # "1-0", "0-1", "1/2-1/2"
    reason: str  # "Checkmate", "Stalemate", ...

    @property
    def text(self) -> str:
        winner = {"1-0": "White wins", "0-1": "Black wins"}.get(self.result, "Draw")
        return f"{self.reason} · {winner} ({self.result.replace('1/2', '½')})"


_REASONS = {
    chess.Termination.CHECKMATE: "Checkmate",
    chess.Termination.STALEMATE: "Stalemate",
    chess.Termination.INSUFFICIENT_MATERIAL: "Insufficient material",
    chess.Termination.SEVENTYFIVE_MOVES: "75-move rule",
    chess.Termination.FIVEFOLD_REPETITION: "Fivefold repetition",
    chess.Termination.FIFTY_MOVES: "50-move rule",
    chess.Termination.THREEFOLD_REPETITION: "Threefold repetition",
}


def ending(board: chess.Board) -> Ending | None:
    """The game's end at `board` (draw claims count: two people at one board take them)."""
    outcome = board.outcome(claim_draw=True)
    if outcome is None:
        return None
    return Ending(outcome.result(), _REASONS.get(outcome.termination, "Game over"))


def parse_fen(fen: str) -> chess.Board:
    """A board from `fen`, or UserError in one sentence when it is not a playable position."""
    try:
        board = chess.Board(fen.strip())
    except ValueError as exc:
        reason = str(exc).split(": '")[0]  # python-chess repeats the FEN after a colon
        raise UserError(f"not a valid FEN: {fen.strip()!r} ({reason})") from None
    if not board.is_valid():
        raise UserError(f"the FEN {fen.strip()!r} is not a legal chess position")
    return board


@dataclass(frozen=True)
class Conditions:
    """What the model conditions on besides the players: ratings and the game's speed."""

    white_elo: int | None = None
    black_elo: int | None = None
    time_control: str | None = None  # PGN TimeControl, e.g. "300+3"; None = unknown

    def elo(self, color: chess.Color) -> int | None:
        return self.white_elo if color == chess.WHITE else self.black_elo

    @classmethod
    def from_headers(cls, headers: dict[str, str]) -> Conditions:
        def elo(key: str) -> int | None:
            value = headers.get(key, "").strip()
            return int(value) if value.isdigit() and int(value) > 0 else None

        tc = headers.get("TimeControl", "").strip()
        return cls(elo("WhiteElo"), elo("BlackElo"), tc if tc not in ("", "?", "-") else None)

    def headers(self) -> dict[str, str]:
        """The PGN headers for these conditions (only the known ones)."""
        out = {}
        for key, value in (
            ("WhiteElo", self.white_elo),
            ("BlackElo", self.black_elo),
            ("TimeControl", self.time_control),
        ):
            if value is not None:
                out[key] = str(value)
        return out


def today() -> str:
    """Today as a PGN Date."""
    return datetime.date.today().strftime("%Y.%m.%d")


@dataclass(frozen=True)
class LoadedGame:
    """A game read from PGN: its start, moves and the headers worth keeping."""

    start_fen: str
    moves: list[chess.Move]
    white: str
    black: str
    headers: dict[str, str]


class GameState(QObject):
    """The line of moves from a start position, with a cursor for browsing it."""

    changed = Signal()  # position, line or cursor changed
    players_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.start_fen = chess.STARTING_FEN
        self.moves: list[chess.Move] = []
        self.ply = 0
        self.white = POPULATION
        self.black = POPULATION
        self.headers: dict[str, str] = {"Date": today()}
        self.conditions = Conditions()
        self.decided: Ending | None = None  # a result the players agreed on (resign, draw)
        self._board = chess.Board()
        self._sans: list[str] = []

    # --- reading -------------------------------------------------------------------
    @property
    def board(self) -> chess.Board:
        """A copy of the position at the cursor (callers may push on it freely)."""
        return self._board.copy()

    @property
    def sans(self) -> list[str]:
        """SAN of every move of the line."""
        return list(self._sans)

    def player(self, color: chess.Color) -> str:
        return self.white if color == chess.WHITE else self.black

    def turn_at(self, ply: int) -> chess.Color:
        """Side to move after `ply` moves of the line."""
        first = chess.Board(self.start_fen).turn
        return first if ply % 2 == 0 else not first

    def ending(self) -> Ending | None:
        """How the game ended at the shown position: on the board, or decided by the players."""
        return ending(self._board) or (self.decided if self.ply == len(self.moves) else None)

    # --- changing ------------------------------------------------------------------
    def play(self, move: chess.Move) -> bool:
        """Play `move` at the cursor; a different move replaces the rest of the line."""
        if not self._board.is_legal(move) or self.ending() is not None:
            return False
        if self.ply < len(self.moves) and self.moves[self.ply] == move:
            return self.go(self.ply + 1)
        self._set_line([*self.moves[: self.ply], move], self.ply + 1)
        return True

    def undo(self) -> bool:
        """Take back the move that led to the shown position (and the line after it)."""
        if self.ply == 0:
            return False
        self._set_line(self.moves[: self.ply - 1], self.ply - 1)
        return True

    def go(self, ply: int) -> bool:
        """Show the position after `ply` moves of the line (clamped)."""
        ply = max(0, min(ply, len(self.moves)))
        if ply == self.ply:
            return False
        self._set_line(self.moves, ply)
        return True

    def new_game(self, fen: str = chess.STARTING_FEN) -> None:
        """Start over from `fen` (UserError for an unplayable FEN; nothing changes then)."""
        board = parse_fen(fen)
        self.start_fen = board.fen()
        self.headers = {"Date": today()}
        self._set_line([], 0)

    def load(self, game: LoadedGame, at_end: bool = False) -> None:
        """Show a loaded game from its start (or its end), keeping the chosen players."""
        parse_fen(game.start_fen)
        self.start_fen = game.start_fen
        self.headers = dict(game.headers)
        self._set_line(list(game.moves), len(game.moves) if at_end else 0)
        result = game.headers.get("Result", "*")
        # A diagram (a set-up position without moves) is there to be played, whatever its
        # Result tag says (puzzles carry the result of the game they come from).
        decided = result in ("1-0", "0-1", "1/2-1/2") and bool(game.moves)
        if decided and ending(self._final_board()) is None:
            self.decided = Ending(result, "Game over")  # resigned, agreed or on time: PGN says not
            self.changed.emit()
        self.set_conditions(Conditions.from_headers(game.headers))

    def resign(self) -> bool:
        """The side to move at the end of the line resigns."""
        if self._final_ending() is not None:
            return False
        loser = self.turn_at(len(self.moves))
        side = "White" if loser == chess.WHITE else "Black"
        return self.decide(Ending("0-1" if loser == chess.WHITE else "1-0", f"{side} resigns"))

    def agree_draw(self) -> bool:
        """Both players agree to a draw at the end of the line."""
        if self._final_ending() is not None:
            return False
        return self.decide(Ending("1/2-1/2", "Draw agreed"))

    def decide(self, end: Ending) -> bool:
        """The game ends at the end of the line with `end` (resignation, draw, flag)."""
        self._set_line(self.moves, len(self.moves))
        self.decided = end
        self.changed.emit()
        return True

    def _final_ending(self) -> Ending | None:
        return ending(self._final_board()) or self.decided

    def set_conditions(self, conditions: Conditions) -> None:
        """Ratings and time control of this game (the model conditions on them)."""
        if conditions != self.conditions:
            self.conditions = conditions
            self.players_changed.emit()

    def set_player(self, color: chess.Color, name: str) -> None:
        """Choose who plays `color` (a model player's name or "population")."""
        if self.player(color) == name:
            return
        if color == chess.WHITE:
            self.white = name
        else:
            self.black = name
        self.players_changed.emit()

    def _set_line(self, moves: list[chess.Move], ply: int) -> None:
        board = chess.Board(self.start_fen)
        sans: list[str] = []
        shown = board.copy() if ply == 0 else None
        for i, move in enumerate(moves):
            sans.append(board.san(move))
            board.push(move)
            if i + 1 == ply:
                shown = board.copy()
        if moves != self.moves or not moves:
            self.decided = None  # another line (a take-back, a new game) undoes a decision
        self.moves, self.ply, self._sans = moves, ply, sans
        self._board = shown if shown is not None else board
        self.changed.emit()

    # --- PGN -----------------------------------------------------------------------
    def pgn(self, comment: Callable[[int], str | None] | None = None) -> str:
        """The line as PGN; `comment(ply)` may annotate the position after `ply` moves."""
        game = chess.pgn.Game()
        for key, value in self.headers.items():
            if key not in ("FEN", "SetUp"):
                game.headers[key] = value
        game.headers["White"] = self.white
        game.headers["Black"] = self.black
        for key, value in self.conditions.headers().items():
            game.headers[key] = value
        if self.start_fen != chess.STARTING_FEN:
            game.setup(chess.Board(self.start_fen))
        end = self._final_ending()
        game.headers["Result"] = end.result if end else "*"
        if self.decided is not None:
            game.headers["Termination"] = self.decided.reason
        node: chess.pgn.GameNode = game
        for ply in range(len(self.moves) + 1):
            if comment is not None:
                text = comment(ply)
                if text:
                    node.comment = text
            if ply < len(self.moves):
                node = node.add_variation(self.moves[ply])
        return str(game) + "\n"

    def _final_board(self) -> chess.Board:
        board = chess.Board(self.start_fen)
        for move in self.moves:
            board.push(move)
        return board


def common_prefix(a: Sequence[chess.Move], b: Sequence[chess.Move]) -> int:
    """Number of leading moves `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
