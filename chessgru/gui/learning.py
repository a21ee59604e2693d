""" "Learn from our games": fit each person of the library onto the model, in a separate process.

The learning (the personal fit, seconds per person: ``chessgru.library.learn``) runs as
``python -m chessgru.library.learn`` in a QProcess, so the board keeps its event loop and
its worker keeps predicting with the current model. The process reports JSON lines
(progress per person, then the new model and each person's before/after), and
the board switches to the new model only when it is written; the model it replaced is
remembered, and one click goes back to it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal


class Learner(QObject):
    """Starts one learning at a time and reports its progress and its outcome."""

    progress = Signal(int, int)  # people done, people
    learned = Signal(str, str)  # new model path, message for people
    failed = Signal(str)  # one sentence
    running_changed = Signal(bool)

    def __init__(self, library_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library_path = library_path
        self.process: QProcess | None = None
        self._buffer = b""
        self._outcome: dict | None = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def arguments(self, start: str | None) -> list[str]:
        """The learning process's command line (after the Python interpreter)."""
        args = ["-m", "chessgru.library.learn", "--library", str(self.library_path)]
        if start:
            args += ["--start", start]
        # Leave a core to the board and its predictions.
        args += ["--threads", str(max(1, (os.cpu_count() or 2) - 1))]
        return args

    def start(self, start: str | None) -> bool:
        """Learn from the library, starting from model file ``start`` (None = the base)."""
        if self.process is not None:
            return False
        self._buffer, self._outcome = b"", None
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(self._read)
        process.readyReadStandardError.connect(process.readAllStandardError)  # the log: drop it
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        process.start(sys.executable, self.arguments(start))
        self.running_changed.emit(True)
        return True

    def cancel(self) -> None:
        if self.process is not None:
            self.process.kill()

    def _read(self) -> None:
        assert self.process is not None
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if "step" in report:
                self.progress.emit(int(report["step"]), int(report["total"]))
            else:
                self._outcome = report

    def _done(self) -> None:
        if self.process is not None:
            self.process.deleteLater()
        self.process = None
        self.running_changed.emit(False)

    def _finished(self, code: int, _status: object) -> None:
        self._read()
        outcome = self._outcome or {}
        self._done()
        if "model" in outcome:
            self.learned.emit(outcome["model"], outcome.get("message", ""))
        else:
            self.failed.emit(outcome.get("error") or f"Learning stopped (exit status {code}).")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._done()
            self.failed.emit("The learning process could not be started.")
