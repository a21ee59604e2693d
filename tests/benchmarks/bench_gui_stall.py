"""How long the GUI's event loop stalls while the board plays and predicts quickly.

A 5 ms QTimer records the gaps between its ticks while 40 moves are played 10 ms apart,
first with no model (the baseline: painting and bookkeeping only), then with a random-init
model of the default size (every move predicted on the worker thread), then while the board
reads a large PGN (5,000 generated games, or --pgn FILE) with the timer alone. Reports the
median and max gap of each run and the ratios of the maxima; also the RSS of the process.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui_stall.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared stall probe

import chess
import torch
from gui_stall import StallProbe
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from chessgru.gui.app import BoardApp
from chessgru.gui.settings import Settings
from chessgru.model.bundle import player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig

LINE = (
    "e4 e5 Nf3 Nc6 Bb5 a6 Ba4 Nf6 O-O Be7 Re1 b5 Bb3 d6 c3 O-O h3 Nb8 d4 Nbd7 "
    "Nbd2 Bb7 Bc2 Re8 Nf1 Bf8 Ng3 g6 a4 c5 d5 c4 Bg5 h6 Be3 Nc5 Qd2 h5 Bg5 Be7"
)


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait(app: QApplication, done, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def run_once(app: QApplication, model: str | None, folder: Path) -> list[int]:
    """Gaps (ms) between 5 ms ticks while LINE is played 10 ms apart."""
    settings = Settings(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    board = BoardApp(settings)
    board.window.show()
    board.start(model, use_saved_model=False)
    wait(app, lambda: not board.predictions.loading)
    moves = []
    b = chess.Board()
    for san in LINE.split():
        moves.append(b.push_san(san))
    probe = StallProbe(board.game, board.window, moves)
    predicted = board.predictions.model is not None
    wait(
        app,
        lambda: (
            board.game.ply == len(moves)
            and (not predicted or board.predictions.current() is not None)
        ),
    )
    probe.stop()
    board.close()
    return probe.gaps


def read_once(app: QApplication, pgn: Path, folder: Path) -> list[int]:
    """Gaps (ms) between 5 ms ticks while the board reads `pgn` (no model: the reading only)."""
    settings = Settings(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    board = BoardApp(settings)
    board.window.show()
    board.start(str(folder / "missing"), use_saved_model=False)
    wait(app, lambda: not board.predictions.loading)
    probe = StallProbe(board.game, board.window, [])
    board.window.open_pgn(str(pgn))
    wait(app, lambda: not board.window.pgn_file.reading, timeout=600)
    probe.stop()
    print(f"  read {len(board.window.pgn_file.games)} games, RSS {rss_mb():.0f} MB")
    board.close()
    return probe.gaps


def write_games(path: Path, n: int) -> Path:
    """`n` copies of LINE with varying players: a large PGN of known size."""
    line = " ".join(f"{i // 2 + 1}. {s}" if i % 2 == 0 else s for i, s in enumerate(LINE.split()))
    with path.open("w") as f:
        for i in range(n):
            f.write(f'[White "Player {i % 97}"]\n[Black "Morphy, Paul"]\n\n{line} *\n\n')
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pgn", type=Path, help="PGN to read (default: 5,000 generated games)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        torch.manual_seed(0)
        path = folder / "random.chessgru"
        players = [player_entry("population"), "Morphy, Paul"]
        save_bundle(path, ChessGRU(ModelConfig(n_players=2)), players)
        pgn = args.pgn or write_games(folder / "games.pgn", 5000)
        results: dict[str, list[tuple[float, int]]] = {
            "no model": [],
            "random model": [],
            "reading PGN": [],
        }
        for _ in range(args.repeats):
            for name, model in (("no model", str(folder / "missing")), ("random model", str(path))):
                gaps = run_once(app, model, folder)
                results[name].append((statistics.median(gaps), max(gaps)))
            gaps = read_once(app, pgn, folder)
            results["reading PGN"].append((statistics.median(gaps), max(gaps)))
        for name, runs in results.items():
            medians = [m for m, _ in runs]
            maxima = [x for _, x in runs]
            print(
                f"{name:>13}: median tick gap {statistics.median(medians):.1f} ms, "
                f"max gap median {statistics.median(maxima)} ms (runs: {maxima})"
            )
        base = statistics.median(x for _, x in results["no model"])
        model = statistics.median(x for _, x in results["random model"])
        reading = statistics.median(x for _, x in results["reading PGN"])
        print(f"max-gap ratio model/no model: {model / max(base, 1):.2f}")
        print(f"max-gap ratio reading PGN/no model: {reading / max(base, 1):.2f}")
        print(f"RSS after the runs: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
