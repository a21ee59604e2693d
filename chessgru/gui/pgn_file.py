"""A PGN file opened on the board: read by chessgru's own reader on a thread, game by game.

The reader (:func:`chessgru.games.pgn.read_games`) streams any PGN the CLI reads (.gz,
.bz2, .zst, any encoding, games run together, broken games skipped with a reason), so the
board never holds the file's text: each game keeps its headers and its moves packed in two
bytes each. ``PgnFile`` is the plain object the window and the game list watch; the
``PgnReader`` does the reading on its own QThread and hands over games in batches.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import chess
from PySide6.QtCore import QMimeData, QObject, QThread, Signal, Slot

from chessgru.errors import UserError
from chessgru.games.pgn import PGN_SUFFIXES, GameInfo, SkippedGame, read_games
from chessgru.gui.game import Conditions

BATCH_S = 0.1  # hand games to the GUI thread at most this often


@dataclass(frozen=True)
class ListedGame:
    """One game of the file: its headers and its moves (from << 6 | to | promotion << 12)."""

    info: GameInfo
    packed: bytes

    @classmethod
    def pack(cls, info: GameInfo, moves: list[chess.Move]) -> ListedGame:
        codes = array(
            "H", (m.from_square | m.to_square << 6 | (m.promotion or 0) << 12 for m in moves)
        )
        return cls(info, codes.tobytes())

    @property
    def plies(self) -> int:
        return len(self.packed) // 2

    def moves(self) -> list[chess.Move]:
        codes = array("H")
        codes.frombytes(self.packed)
        return [chess.Move(c & 63, c >> 6 & 63, (c >> 12) or None) for c in codes]

    def headers(self) -> dict[str, str]:
        """The PGN headers worth keeping when the game is saved again."""
        i = self.info
        headers = {
            "Event": i.event or "?",
            "Site": i.site or "?",
            "Date": i.date,
            "White": i.white,
            "Black": i.black,
            "Result": i.result,
        }
        headers.update(Conditions(i.white_elo, i.black_elo, i.time_control).headers())
        return headers


def dropped_pgn(mime: QMimeData) -> str | None:
    """The PGN file dragged onto the window (the first local file with a PGN suffix)."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = url.toLocalFile()
        if path and path.lower().endswith(PGN_SUFFIXES):
            return path
    return None


def skip_note(skipped: list[SkippedGame], total: int) -> str:
    """'2 games skipped (game 3: null move at ply 5; ...)' for the status line, or ''."""
    if not total:
        return ""
    first = "; ".join(f"game {s.number}: {s.reason}" for s in skipped[:3])
    more = ", ..." if total > len(skipped[:3]) else ""
    return f"{total} game{'s' * (total != 1)} skipped ({first}{more})"


class PgnReader(QObject):
    """Reads one file at a time on its own thread; a newer read id stops an older read."""

    games = Signal(int, object)  # read id, list[ListedGame]
    skipped = Signal(int, object)  # read id, list[SkippedGame]
    finished = Signal(int)  # read id
    failed = Signal(int, str)  # read id, one sentence

    def __init__(self) -> None:
        super().__init__()
        self._latest = 0

    def announce(self, read_id: int) -> None:
        """Called from the GUI thread: reads with older ids stop at their next game."""
        self._latest = read_id

    @Slot(int, str)
    def read(self, read_id: int, path: str) -> None:
        batch: list[ListedGame] = []
        skipped: list[SkippedGame] = []
        last, sent = time.monotonic(), False
        try:
            for item in read_games(Path(path), fen_starts=True):
                if read_id != self._latest:
                    return
                time.sleep(0)  # hand the GIL to the GUI thread between games
                if isinstance(item, SkippedGame):
                    skipped.append(item)
                else:
                    batch.append(ListedGame.pack(*item))
                # The first game goes at once: it is what the board shows.
                if time.monotonic() - last > BATCH_S or (batch and not sent):
                    self._flush(read_id, batch, skipped)
                    sent = sent or bool(batch)
                    batch, skipped, last = [], [], time.monotonic()
        except UserError as exc:
            self.failed.emit(read_id, str(exc))
            return
        except Exception as exc:  # a damaged file (bad gzip, binary junk) is a message
            self.failed.emit(read_id, f"{Path(path).name} cannot be read as PGN ({exc})")
            return
        self._flush(read_id, batch, skipped)
        self.finished.emit(read_id)

    def _flush(self, read_id: int, batch: list[ListedGame], skipped: list[SkippedGame]) -> None:
        if batch:
            self.games.emit(read_id, batch)
        if skipped:
            self.skipped.emit(read_id, skipped)


class PgnFile(QObject):
    """The games of the PGN file opened last, growing while its reader runs."""

    first_game = Signal(object)  # ListedGame: the file's first readable game, at once
    grew = Signal()  # more games arrived
    done = Signal(str)  # one sentence: how many games were read and skipped
    failed = Signal(str)  # one sentence
    _read = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = ""
        self.games: list[ListedGame] = []
        self.skipped: list[SkippedGame] = []
        self.skipped_count = 0
        self.reading = False
        self._id = 0
        self._reader = PgnReader()
        self._thread = QThread()
        self._thread.setObjectName("chessgru-pgn")
        self._reader.moveToThread(self._thread)
        self._read.connect(self._reader.read)
        self._reader.games.connect(self._on_games)
        self._reader.skipped.connect(self._on_skipped)
        self._reader.finished.connect(self._on_finished)
        self._reader.failed.connect(self._on_failed)
        self._thread.start()

    def open(self, path: str) -> None:
        """Start reading `path` (the previous file's reading stops); UserError if it is missing."""
        if not Path(path).is_file():
            raise UserError(f"{path} is not a file.")
        self._id += 1
        self._reader.announce(self._id)
        self.path, self.games, self.skipped, self.skipped_count = path, [], [], 0
        self.reading = True
        self._read.emit(self._id, path)
        self.grew.emit()

    @property
    def name(self) -> str:
        return Path(self.path).name

    def _on_games(self, read_id: int, batch: list[ListedGame]) -> None:
        if read_id != self._id:
            return
        first = not self.games
        self.games.extend(batch)
        if first:
            self.first_game.emit(batch[0])
        self.grew.emit()

    def _on_skipped(self, read_id: int, skipped: list[SkippedGame]) -> None:
        if read_id == self._id:
            self.skipped_count += len(skipped)
            self.skipped.extend(skipped[: max(0, 20 - len(self.skipped))])  # a few, for the note

    def _on_finished(self, read_id: int) -> None:
        if read_id != self._id:
            return
        self.reading = False
        note = skip_note(self.skipped, self.skipped_count)
        if not self.games:
            self.failed.emit(
                f"{self.name} holds no game the board can show" + (f": {note}." if note else ".")
            )
            return
        count = f"{len(self.games)} game{'s' * (len(self.games) != 1)}"
        self.done.emit(f"{self.name}: {count}" + (f", {note}." if note else "."))
        self.grew.emit()

    def _on_failed(self, read_id: int, text: str) -> None:
        if read_id == self._id:
            self.reading = False
            self.failed.emit(text)

    def stop(self) -> None:
        """Stop reading and end the thread (before the application quits)."""
        self._id += 1
        self._reader.announce(self._id)
        self._thread.quit()
        self._thread.wait(5000)
