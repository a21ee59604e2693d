"""The main window: the board in the middle, players above and below, predictions beside.

It wires the plain objects (GameState, Predictions, Settings) to the widgets: user intent
goes to the objects, their signals redraw the widgets.
"""

from __future__ import annotations

import html
from pathlib import Path

import chess
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from chessgru.errors import UserError
from chessgru.gui.analysis import Analysis
from chessgru.gui.analysis_panels import AnalysisPanels
from chessgru.gui.arrows import pick_arrows
from chessgru.gui.board_widget import BoardWidget
from chessgru.gui.clocks import Clocks
from chessgru.gui.game import POPULATION, GameState, LoadedGame
from chessgru.gui.game_list import GameListDialog
from chessgru.gui.menus import build_menus
from chessgru.gui.panels import MoveList, PredictionList, SurpriseChart
from chessgru.gui.pgn_file import ListedGame, PgnFile, dropped_pgn
from chessgru.gui.player_bar import PlayerBar
from chessgru.gui.predictions import Predictions
from chessgru.gui.settings import Settings
from chessgru.gui.setup_dialog import SetupDialog
from chessgru.gui.side_column import SideColumn

SIDE = {chess.WHITE: "White", chess.BLACK: "Black"}
PANEL_WIDTH = 400
WINDOW = QSize(1180, 690)  # fits a 1366x768 laptop's screen under its title and task bars


def default_size(available: QSize) -> tuple[int, int]:
    """The window's first size: WINDOW, shrunk to the screen's free area (frame included)."""
    return min(WINDOW.width(), available.width() - 16), min(
        WINDOW.height(), available.height() - 40
    )


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


class MainWindow(QMainWindow):
    """Draws the game and its predictions; forwards moves, choices and commands."""

    def __init__(
        self,
        game: GameState,
        predictions: Predictions,
        settings: Settings,
        analysis: Analysis | None = None,
    ) -> None:
        super().__init__()
        self.game, self.predictions, self.settings = game, predictions, settings
        self.pgn_file = PgnFile(self)
        self.game_list: GameListDialog | None = None
        self.clocks = Clocks(game)
        self.setAcceptDrops(True)  # drop a PGN file on the window to open it
        self.setWindowTitle("chessgru")
        self.board = BoardWidget()
        self.board.auto_queen = bool(settings.get("auto_queen"))
        self.top_bar, self.bottom_bar = PlayerBar(chess.BLACK), PlayerBar(chess.WHITE)
        self.turn = QLabel()
        turn_font = QFont(self.turn.font())
        turn_font.setPointSizeF(turn_font.pointSizeF() * 1.4)
        turn_font.setBold(True)
        self.turn.setFont(turn_font)
        self.pred_title = _heading("Predictions")
        self.pred_list = PredictionList(settings.top_k)
        self.score_labels = {c: QLabel() for c in (chess.WHITE, chess.BLACK)}
        for label in self.score_labels.values():
            label.setWordWrap(False)  # one line always: a wrap made the panel jump (names elide)
        self.chart = SurpriseChart()
        self.moves = MoveList()
        self.analysis = AnalysisPanels(analysis, self.board) if analysis else None
        self.model_label = QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self._layout()
        self.actions_by_name = build_menus(self)
        self.sync_checks()
        self._connect()
        self.resize(*default_size(self.screen().availableGeometry().size()))
        self.sync_all()
        self.board.setFocus()

    def _layout(self) -> None:
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(self.top_bar)
        left.addWidget(self.board, 1)
        left.addWidget(self.bottom_bar)
        score_title = _heading("Live score: was the move played the top-1 / top-3 prediction?")
        score_title.setWordWrap(True)
        for color in (chess.WHITE, chess.BLACK):
            self.score_labels[color].setTextFormat(Qt.TextFormat.RichText)
        analysis = [self.analysis] if self.analysis is not None else []
        upper = [self.pred_title, self.pred_list, *analysis, score_title]
        upper += [*self.score_labels.values(), self.chart]
        self.side_column = SideColumn(upper, _heading("Moves"), self.moves)
        side = QVBoxLayout()
        side.addWidget(self.turn)
        side.addSpacing(6)
        side.addWidget(self.side_column, 1)
        panel = QWidget()
        panel.setLayout(side)
        panel.setFixedWidth(PANEL_WIDTH)
        root = QHBoxLayout()
        root.addLayout(left, 1)
        root.addWidget(panel)
        central = QWidget()
        central.setLayout(root)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        self.game.changed.connect(self.sync_all)
        self.game.players_changed.connect(self.sync_all)
        self.predictions.updated.connect(self.sync_predictions)
        self.predictions.model_changed.connect(self._on_model_changed)
        self.predictions.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.predictions.warning.connect(self.warn)
        self.pgn_file.first_game.connect(self.show_game)
        self.pgn_file.done.connect(self._on_pgn_done)
        self.pgn_file.failed.connect(self.warn)
        self.settings.changed.connect(self._on_setting)
        self.clocks.changed.connect(self.sync_clocks)
        self.board.move_made.connect(self.play)
        self.pred_list.hovered.connect(self.board.set_hover)
        self.pred_list.activated.connect(self.play)
        self.chart.jump.connect(self.game.go)
        self.moves.jump.connect(self.game.go)
        for bar in (self.top_bar, self.bottom_bar):
            bar.chosen.connect(self.choose_player)

    # --- intent ----------------------------------------------------------------------
    def play(self, move: chess.Move) -> None:
        """Play `move` if it is legal here; auto-flip turns the board to the next mover."""
        if self.game.play(move) and self.settings.get("auto_flip"):
            self.settings.set("flipped", self.game.board.turn == chess.BLACK)

    def choose_player(self, color: chess.Color, name: str) -> bool:
        """Let the person typed as `name` play `color`; an unknown or ambiguous name warns."""
        try:
            found = self.predictions.choose_player(color, name)
        except UserError as exc:
            self.warn(str(exc))
            self.sync_all()  # the player box shows the side's player again
            return False
        self.settings.set("white" if color == chess.WHITE else "black", found)
        self.board.setFocus()  # arrow keys browse moves again, not the name field
        return True

    def warn(self, text: str) -> None:
        """Tell the user in one sentence without blocking (status bar and a window-modal box)."""
        self.statusBar().showMessage(text, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, "chessgru", text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def new_game(self, fen: str = chess.STARTING_FEN) -> bool:
        try:
            self.game.new_game(fen)
        except UserError as exc:
            self.warn(str(exc))
            return False
        return True

    def ask_fen(self) -> None:
        fen, ok = QInputDialog.getText(
            self, "New game from FEN", "FEN:", text=self.game.board.fen()
        )
        if ok and fen.strip():
            self.new_game(fen)

    def copy_fen(self) -> None:
        QGuiApplication.clipboard().setText(self.game.board.fen())
        self.statusBar().showMessage("FEN copied", 3000)

    def paste_fen(self) -> None:
        self.new_game(QGuiApplication.clipboard().text())

    def open_pgn(self, path: str | None = None) -> bool:
        """Start reading a PGN file; its first game shows as soon as it is read."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open PGN", "", "PGN (*.pgn *.pgn.gz *.pgn.bz2 *.pgn.zst);;All (*)"
            )
            if not path:
                return False
        try:
            self.pgn_file.open(path)
        except UserError as exc:
            self.warn(str(exc))
            return False
        self.statusBar().showMessage(f"Reading {Path(path).name}…")
        return True

    def show_game(self, listed: ListedGame) -> None:
        """Show a game of the open PGN file from its start, with its own players."""
        info = listed.info
        start = info.fen or chess.STARTING_FEN
        self.game.load(LoadedGame(start, listed.moves(), info.white, info.black, listed.headers()))
        self.predictions.players_from_headers(info.white, info.black)

    def show_game_list(self) -> None:
        """The open PGN file's games, to filter by player and pick one."""
        if not self.pgn_file.games:
            self.statusBar().showMessage("Open a PGN file first (Ctrl+O).", 5000)
            return
        if self.game_list is None:
            self.game_list = GameListDialog(self.pgn_file, self)
            self.game_list.chosen.connect(self.show_game)
        self.game_list.show()
        self.game_list.raise_()

    def setup_game(self) -> None:
        """Ratings, time control and clocks of this game."""
        dialog = SetupDialog(self.game.conditions, self.clocks.enabled, self)
        if dialog.exec() == SetupDialog.DialogCode.Accepted:
            self.game.set_conditions(dialog.conditions())
            self.clocks.configure(dialog.clocks.isChecked(), self.game.conditions.time_control)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_pgn(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_pgn(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_pgn(path)

    def _on_pgn_done(self, text: str) -> None:
        many = len(self.pgn_file.games) > 1
        hint = "Ctrl+L lists the games" if many else "→ or End steps through"
        self.statusBar().showMessage(f"{text} {hint}.", 10000)
        if many:
            self.show_game_list()

    def save_pgn(self, path: str | None = None, with_predictions: bool = False) -> bool:
        """Write the game as PGN, optionally with the top predictions as comments."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save PGN", "game.pgn", "PGN (*.pgn)")
            if not path:
                return False
        comment = self._prediction_comment if with_predictions else None
        try:
            Path(path).write_text(self.game.pgn(comment), encoding="utf-8")
        except OSError as exc:
            self.warn(f"could not write {path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _prediction_comment(self, ply: int) -> str | None:
        dist = self.predictions.dist(ply)
        if not dist:
            return None
        board = chess.Board(self.game.start_fen)
        for move in self.game.moves[:ply]:
            board.push(move)
        who = self.game.player(board.turn)
        top = ", ".join(f"{board.san(m)} {100 * p:.0f}%" for m, p in dist[:3])
        return f"chessgru {who}: {top}"

    def open_model(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open model", "", "chessgru model (*.chessgru);;All (*)"
            )
            if not path:
                return
        self.predictions.open_model(path)

    def toggle(self, key: str) -> None:
        self.settings.set(key, not self.settings.get(key))

    # --- drawing ---------------------------------------------------------------------
    def sync_all(self) -> None:
        g = self.game
        board = g.board
        end = g.ending()
        last = g.moves[g.ply - 1] if g.ply else None
        self.board.set_position(board, last, interactive=end is None)
        self.board.set_flipped(self.settings.flipped)
        self.turn.setText(end.text if end else f"{SIDE[board.turn]} to move")
        players = self.predictions.players
        enabled = self.predictions.model is not None
        top, bottom = (
            (chess.WHITE, chess.BLACK) if self.settings.flipped else (chess.BLACK, chess.WHITE)
        )
        for bar, color in ((self.top_bar, top), (self.bottom_bar, bottom)):
            bar.set_color(color)
            to_move = end is None and board.turn == color
            bar.set_state(players, g.player(color), to_move, enabled, self._note(color))
        self.sync_clocks()
        first = chess.Board(g.start_fen)
        self.moves.set_line(g.sans, first.turn, first.fullmove_number, g.ply)
        self.sync_predictions()

    def sync_clocks(self) -> None:
        for bar in (self.top_bar, self.bottom_bar):
            bar.set_clock(self.clocks.text(bar.color), self.clocks.running == bar.color)

    def _note(self, color: chess.Color) -> str:
        """Who the loaded game says plays `color`, when the model does not know them."""
        written = self.game.headers.get("White" if color == chess.WHITE else "Black", "")
        if self.game.player(color) != POPULATION or written in ("", "?", POPULATION):
            return ""
        return f"{written}: not in the model"

    def sync_predictions(self) -> None:
        g, p, s = self.game, self.predictions, self.settings
        board = g.board
        who = f"{SIDE[board.turn]} ({g.player(board.turn)})"
        self.pred_title.setText(f"Predictions for {who}")
        dist = p.current()
        arrows: list = []
        if p.model is None:
            hint = (
                ""
                if p.loading
                else (
                    "\n\nThe board plays without predictions. Open a model with "
                    "Model ▸ Open model… (Ctrl+M)."
                )
            )
            self.pred_list.set_message(p.status + hint)
        elif g.ending() is not None:
            self.pred_list.set_message("The game is over.")
        elif s.show_for not in ("both", SIDE[board.turn].lower()):
            self.pred_list.set_message(
                f"Predictions for {SIDE[board.turn]} are hidden (View ▸ Show predictions for)."
            )
        elif dist is None:
            self.pred_list.set_message("Predicting…")
        else:
            self.pred_list.set_rows([(m, board.san(m), pr) for m, pr in dist[: s.top_k]])
            if s.arrows:
                arrows = pick_arrows(dist, s.top_k, s.threshold)
        self.board.set_arrows(arrows)
        scores, surprises = p.scores()
        for color, label in self.score_labels.items():
            figures = scores[color].line()
            room = (
                PANEL_WIDTH
                - 24
                - label.fontMetrics().horizontalAdvance(f"{SIDE[color]} (): {figures}")
            )
            name = label.fontMetrics().elidedText(
                g.player(color), Qt.TextElideMode.ElideMiddle, max(40, room)
            )
            label.setText(f"<b>{SIDE[color]}</b> ({html.escape(name)}): {figures}")
            label.setToolTip(g.player(color))
        self.chart.set_data(surprises, len(g.moves), g.ply)

    def _on_model_changed(self) -> None:
        self.model_label.setText(self.predictions.status)
        info = self.predictions.model
        if info is not None and info.path:
            self.settings.set("model_path", info.path)
        self.sync_all()

    def _on_setting(self, key: str) -> None:
        if key == "auto_queen":
            self.board.auto_queen = bool(self.settings.get("auto_queen"))
        if key == "top_k":
            self.pred_list.set_capacity(self.settings.top_k)
        self.sync_checks()
        self.sync_all()

    def sync_checks(self) -> None:
        """Tick the menu items that mirror settings ("arrows", or "top_k:5" in a group)."""
        for name, action in self.actions_by_name.items():
            key, _, value = name.partition(":")
            if action.isCheckable():
                current = self.settings.get(key)
                action.setChecked(str(current) == value if value else bool(current))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pgn_file.stop()
        self.settings.set("white", self.game.white)
        self.settings.set("black", self.game.black)
        super().closeEvent(event)
