"""Bringing games in from the GUI: PGN files, a lichess or a chess.com account.

An import runs on its own thread with its own library connection (SQLite connections stay
on the thread that made them); a dialog shows how many games have been read, cancels
between games, and ends with the summary: new, already there, skipped with reasons, and
the one sentence of a source that failed part way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QThread, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from chessgru.errors import UserError
from chessgru.games.pgn import PGN_SUFFIXES
from chessgru.library.ingest import Summary
from chessgru.library.store import Library

PROGRESS_EVERY_S = 0.1
_DRAG = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
Importer = Callable[[Library, Callable[[Summary], None], Callable[[], bool]], Summary]


class ImportJob(QThread):
    """Runs one importer on its own thread; reports progress, then the summary."""

    progress = Signal(int)  # games read so far
    done = Signal(object)  # Summary
    failed = Signal(str)  # the import could not start (bad file, unknown account)

    def __init__(self, library_path: Path, importer: Importer, parent: QObject | None = None):
        super().__init__(parent)
        self.library_path, self.importer = library_path, importer

    def run(self) -> None:
        last = 0.0

        def report(summary: Summary) -> None:
            nonlocal last
            if time.monotonic() - last > PROGRESS_EVERY_S:  # not a signal per game
                last = time.monotonic()
                self.progress.emit(summary.received)

        try:
            with Library(self.library_path) as library:
                summary = self.importer(library, report, self.isInterruptionRequested)
        except UserError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # never let a worker thread die silently
            self.failed.emit(f"The import failed: {exc}")
            return
        self.done.emit(summary)


def summary_text(summary: Summary) -> str:
    """The summary as the dialog shows it."""
    lines = [summary.line() + "."]
    if summary.error:
        lines.append(summary.error)
    skipped = summary.skip_lines(10)
    if skipped:
        lines.append("Skipped:")
        lines += [f"  {line}" for line in skipped]
    return "\n".join(lines)


class ImportDialog(QDialog):
    """Progress, Cancel, then the summary of one import."""

    finished_import = Signal(object)  # Summary, or None when it could not start

    def __init__(self, title: str, job: ImportJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.job = job
        self.summary: Summary | None = None
        self.label = QLabel("Starting…")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: online sources do not say how many games will come
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)
        self.resize(460, 160)
        job.progress.connect(self._progress)
        job.done.connect(self._done)
        job.failed.connect(self._failed)
        job.start()

    def _progress(self, games: int) -> None:
        self.label.setText(f"{games} games read…")

    def _cancel(self) -> None:
        if self.job.isRunning():
            self.job.requestInterruption()
            self.label.setText("Cancelling after this game…")
        else:
            self.reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window cancels the import; the games read so far are kept."""
        self.job.requestInterruption()
        super().closeEvent(event)

    def reject(self) -> None:
        self.job.requestInterruption()
        super().reject()

    def _end(self, text: str) -> None:
        self.job.wait()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.label.setText(text)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def _done(self, summary: Summary) -> None:
        self.summary = summary
        self._end(summary_text(summary))
        self.finished_import.emit(summary)

    def _failed(self, text: str) -> None:
        self._end(text)
        self.finished_import.emit(None)


def pgn_paths(urls: list) -> list[str]:
    """The local PGN files among dropped URLs."""
    paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
    return [p for p in paths if p.lower().endswith(PGN_SUFFIXES) or Path(p).is_dir()]


class PgnDropFilter(QObject):
    """Lets PGN files be dropped on a window; calls ``on_drop(paths)``."""

    def __init__(self, window: QWidget, on_drop: Callable[[list[str]], None]) -> None:
        super().__init__(window)
        self.on_drop = on_drop
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in _DRAG or not event.mimeData().hasUrls():  # type: ignore[attr-defined]
            return False
        paths = pgn_paths(event.mimeData().urls())  # type: ignore[attr-defined]
        if not paths:
            return False
        event.acceptProposedAction()  # type: ignore[attr-defined]
        if event.type() == QEvent.Type.Drop:
            self.on_drop(paths)
        return True
