"""The family's part of the board: people, the game library, imports and learning.

One object hooks it all onto the main window without the window knowing: a "Family" menu,
PGN drops, the recorder that saves every game played, and the learner. People are offered
first in the player choice (``Predictions.set_family``); the board predicts for them with
the population until a learned model knows them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import chess
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QProgressBar

from chessgru.errors import UserError
from chessgru.gui.game import LoadedGame
from chessgru.gui.importing import ImportDialog, ImportJob, PgnDropFilter
from chessgru.gui.learning import Learner
from chessgru.gui.library_dialog import LibraryDialog
from chessgru.gui.people_dialog import PeopleDialog
from chessgru.gui.recorder import GameRecorder
from chessgru.library import online
from chessgru.library.ingest import import_pgn_files
from chessgru.library.records import GameRecord
from chessgru.library.store import Library

if TYPE_CHECKING:
    from chessgru.gui.main_window import MainWindow

BASE = "base"  # previous_model when it was the shipped base model
SITES = {"lichess": ("lichess", "lichess_url"), "chesscom": ("chess.com", "chesscom_url")}


class Family(QObject):
    """Wires the library, its dialogs, the recorder and the learner to the main window."""

    def __init__(self, window: MainWindow, library_path: str | Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.settings, self.predictions = window.settings, window.predictions
        self.library = Library(library_path)
        self.recorder = GameRecorder(window.game, self.library, self)
        self.recorder.failed.connect(window.warn)
        self.recorder.finished.connect(self._game_finished)
        self.learner = Learner(self.library.path, self)
        self.learner.progress.connect(self._learning_progress)
        self.learner.learned.connect(self._learned)
        self.learner.failed.connect(window.warn)
        self.learner.running_changed.connect(self._learning_running)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setFormat("Learning… %p%")
        self.bar.hide()
        window.statusBar().addPermanentWidget(self.bar)
        self.dialogs: list[QObject] = []  # open dialogs, kept alive while shown
        self.jobs: list[ImportJob] = []
        self.library_dialog: LibraryDialog | None = None
        self.actions = self._menu()
        self.drop_filter = PgnDropFilter(window, self.import_pgn)
        self.refresh_people()

    # --- people -------------------------------------------------------------------------
    def refresh_people(self) -> None:
        """Offer the library's people first in the player choice."""
        self.predictions.set_family([p.name for p in self.library.people()])
        if self.library_dialog is not None:
            self.library_dialog.reload_people()

    def show_people(self) -> PeopleDialog:
        dialog = PeopleDialog(self.library, self.refresh_people, self.window)
        return self._show(dialog)

    # --- library ------------------------------------------------------------------------
    def show_library(self) -> LibraryDialog:
        dialog = LibraryDialog(self.library, self.window)
        dialog.open_game.connect(self.open_record)
        dialog.finished.connect(lambda *_: setattr(self, "library_dialog", None))
        self.library_dialog = dialog
        return self._show(dialog)

    def open_record(self, record: GameRecord) -> None:
        """Show a stored game on the board, with its people chosen when they can play."""
        headers = {"White": record.white_name, "Black": record.black_name, "Date": record.date}
        moves = [chess.Move.from_uci(u) for u in record.moves]
        self.window.game.load(
            LoadedGame(chess.STARTING_FEN, moves, record.white_name, record.black_name, headers)
        )
        for color, name in ((chess.WHITE, record.white_name), (chess.BLACK, record.black_name)):
            if name in self.predictions.players:
                self.window.choose_player(color, name)

    # --- imports ------------------------------------------------------------------------
    def import_pgn(self, paths: list[str] | None = None) -> ImportDialog | None:
        if paths is None:
            paths, _ = QFileDialog.getOpenFileNames(
                self.window, "Import PGN", "", "PGN (*.pgn *.pgn.gz *.pgn.bz2 *.pgn.zst);;All (*)"
            )
            if not paths:
                return None

        def run(library: Library, on_progress, should_stop):
            return import_pgn_files(
                library, paths, on_progress=on_progress, should_stop=should_stop, progress=False
            )

        return self._import("Import PGN", run)

    def import_account(self, site: str, username: str | None = None) -> ImportDialog | None:
        """Import a lichess or chess.com account's games (asks for the username)."""
        title, url_key = SITES[site]
        if username is None:
            username, ok = QInputDialog.getText(self.window, f"Import from {title}", "Username:")
            if not ok or not username.strip():
                return None
        importer = online.import_lichess if site == "lichess" else online.import_chesscom
        api_url = str(self.settings.get(url_key))

        def run(library: Library, on_progress, should_stop):
            return importer(
                library,
                username.strip(),
                api_url=api_url,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        return self._import(f"Import from {title}: {username}", run)

    def _import(self, title: str, run: Callable) -> ImportDialog:
        job = ImportJob(self.library.path, run, self)
        self.jobs = [j for j in self.jobs if j.isRunning()] + [job]
        dialog = ImportDialog(title, job, self.window)
        dialog.finished_import.connect(lambda *_: self.refresh_people())
        return self._show(dialog)

    # --- learning -----------------------------------------------------------------------
    def learn(self) -> bool:
        """Start learning from the library; the current model predicts until it is done."""
        if self.learner.running:
            self.window.statusBar().showMessage("Already learning…", 5000)
            return False
        if self.library.count_games() == 0:
            self.window.warn("The library has no games to learn from yet; play or import some.")
            return False
        model = self.predictions.model
        return self.learner.start(model.path if model is not None else None)

    def _learning_progress(self, step: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(step)

    def _learning_running(self, running: bool) -> None:
        self.bar.setVisible(running)
        self.bar.setRange(0, 0)
        self.actions["learn"].setEnabled(not running)

    def _learned(self, path: str, message: str) -> None:
        self.settings.set("previous_model", self._current_model())
        self.actions["undo_learn"].setEnabled(True)
        self.predictions.open_model(path)
        self.tell(f"Learned from your games. {message}")

    def undo_learning(self) -> None:
        """Go back to the model used before the last learning (and offer the other again)."""
        previous = str(self.settings.get("previous_model"))
        if not previous:
            return
        self.settings.set("previous_model", self._current_model())
        self.predictions.open_model(None if previous == BASE else previous)
        self.tell(f"Back to {'the base model' if previous == BASE else Path(previous).stem}.")

    def _current_model(self) -> str:
        model = self.predictions.model
        return (model.path or BASE) if model is not None else BASE

    def _game_finished(self, _game_id: int) -> None:
        if self.settings.get("learn_after_game"):
            self.learn()

    # --- plumbing -----------------------------------------------------------------------
    def tell(self, text: str) -> None:
        """A message that does not block the board."""
        self.window.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Information, "chessgru", text, parent=self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show(self, dialog):
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda *_: self.dialogs.remove(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _menu(self) -> dict[str, QAction]:
        bar = self.window.menuBar()
        menu = QMenu("&Family", bar)
        bar.insertMenu(bar.actions()[-1], menu)  # before Help
        actions: dict[str, QAction] = {}

        def add(name: str, text: str, slot: Callable[[], object]) -> QAction:
            action = menu.addAction(text)
            action.triggered.connect(lambda *_: slot())
            actions[name] = action
            return action

        add("people", "&People…", self.show_people)
        add("library", "Game &library…", self.show_library)
        menu.addSeparator()
        add("import_pgn", "Import &PGN files…", self.import_pgn)
        add("import_lichess", "Import from &lichess…", partial(self.import_account, "lichess"))
        add("import_chesscom", "Import from &chess.com…", partial(self.import_account, "chesscom"))
        menu.addSeparator()
        add("learn", "Learn from our &games", self.learn)
        undo = add("undo_learn", "&Go back to the previous model", self.undo_learning)
        undo.setEnabled(bool(self.settings.get("previous_model")))
        after = add(
            "learn_after_game",
            "Learn after every &finished game",
            lambda: self.settings.set("learn_after_game", after.isChecked()),
        )
        after.setCheckable(True)
        after.setChecked(bool(self.settings.get("learn_after_game")))
        return actions

    def close(self) -> None:
        """Stop the learning and any import (what they stored is kept), close the library."""
        self.learner.cancel()
        for job in self.jobs:
            job.requestInterruption()
            job.wait(30000)
        self.library.close()


def open_family(window: MainWindow) -> Family | None:
    """The family's features, or None (with a warning) when the library cannot be opened."""
    try:
        return Family(window)
    except UserError as exc:
        window.warn(str(exc))
        return None
