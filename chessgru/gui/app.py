"""Assembles the board: game, predictions, the worker thread and the window."""

from __future__ import annotations

import chess
from PySide6.QtCore import QObject

from chessgru.gui.analysis import Analysis, AnalysisWorker
from chessgru.gui.family import open_family
from chessgru.gui.game import GameState
from chessgru.gui.main_window import MainWindow
from chessgru.gui.predictions import Predictions
from chessgru.gui.qtcompat import protect_singletons
from chessgru.gui.settings import Settings
from chessgru.gui.worker import Loader, PredictionWorker, WorkerThread, default_loader


class BoardApp(QObject):
    """Everything the board needs, built in order; `close()` stops the worker thread."""

    def __init__(self, settings: Settings, loader: Loader = default_loader) -> None:
        super().__init__()
        protect_singletons()  # before the first signal: PySide6 6.12.0 on Python < 3.12
        self.settings = settings
        self.game = GameState()
        self.game.white = str(settings.get("white"))
        self.game.black = str(settings.get("black"))
        self.worker = PredictionWorker(loader)
        self.thread = WorkerThread(self.worker)
        self.predictions = Predictions(self.game, self.worker)
        # Its own thread and model copy: a ranking never delays the live predictions.
        self.analysis_worker = AnalysisWorker(loader)
        self.analysis_thread = WorkerThread(self.analysis_worker)  # type: ignore[arg-type]
        self.analysis = Analysis(self.game, self.analysis_worker)
        self._analysed: tuple[str | None] | None = None
        self.predictions.model_changed.connect(self._follow_model)
        self.window = MainWindow(self.game, self.predictions, settings, self.analysis)
        self.family = open_family(self.window)  # people, the game library, learning

    def start(self, model: str | None = None, use_saved_model: bool = True) -> None:
        """Load `model` (else the last one used, else the shipped base model)."""
        saved = str(self.settings.get("model_path")) if use_saved_model else ""
        self.predictions.open_model(model or saved or None)

    def set_players(self, white: str | None, black: str | None) -> None:
        """Players asked for by name (as `--player` takes them), resolved once the model loads."""
        for color, name in ((chess.WHITE, white), (chess.BLACK, black)):
            if name:
                self.predictions.choose_player(color, name)

    def _follow_model(self) -> None:
        """The analysis reads the model the board predicts with, once it has loaded."""
        info = self.predictions.model
        if info is not None and self._analysed != (info.path,):
            self._analysed = (info.path,)
            self.analysis.open_model(info.path)

    def close(self) -> None:
        self.window.close()
        self.window.pgn_file.stop()  # also when the window never showed (no closeEvent)
        self.thread.stop()
        if self.family is not None:
            self.family.close()
        self.analysis_thread.stop()
        self.analysis_thread.thread.wait()  # a ranking in progress finishes first
