"""Small crafted PGN games for the reliability tests: written by the tests, never shipped."""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import chess
import numpy as np


def random_game_text(number: int, seed: int, plies: int = 12) -> str:
    """One legal random game between two of four players, as PGN text."""
    rng = np.random.default_rng([seed, number])
    board = chess.Board()
    sans = []
    for _ in range(plies):
        moves = list(board.legal_moves)
        if not moves:
            break
        move = moves[int(rng.integers(len(moves)))]
        sans.append(board.san(move))
        board.push(move)
    movetext = " ".join(
        (f"{i // 2 + 1}. {san}" if i % 2 == 0 else san) for i, san in enumerate(sans)
    )
    white, black = f"Player{number % 4}", f"Player{(number + 1) % 4}"
    return (
        f'[Event "test"]\n[White "{white}"]\n[Black "{black}"]\n'
        f'[Date "2020.01.{number % 28 + 1:02d}"]\n[Result "*"]\n\n{movetext} *\n\n'
    )


def pgn_text(n: int, seed: int = 0) -> str:
    """``n`` distinct random legal games (12 plies each)."""
    return "".join(random_game_text(i, seed) for i in range(n))


def write_pgn(path: Path, n: int, seed: int = 0) -> Path:
    path.write_text(pgn_text(n, seed), encoding="utf-8")
    return path


@contextlib.contextmanager
def file_size_limit(nbytes: int) -> Iterator[None]:
    """Writes that grow a file past ``nbytes`` fail for real (EFBIG), as on a full disk.

    The kernel refuses the write itself, so the libraries' own error paths run, not a
    mock of them (safetensors and torch once reported a full disk as their own errors).
    SIGXFSZ is ignored meanwhile so that the write returns the error instead of a kill.
    """
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
