"""One set of ply arrays from several cache entries, in bounded memory.

When a corpus spans several files, or drops duplicate games, its arrays cannot be the
cache's own memory maps. They are copied, a chunk at a time, into temporary files that
are then memory-mapped and unlinked (the maps stay valid until the corpus is freed; the
disk space returns then). Sources are read with plain file reads, so the copy never holds
more than one chunk in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from chessgru.games.cache import FileData, map_array
from chessgru.model.encoding import POSITION_WORDS

#: Plies copied per read: 4M plies are 8 MB of tokens and 300 MB of positions at most.
CHUNK_PLIES = 1 << 20


def _runs(keep: np.ndarray) -> Iterator[tuple[int, int]]:
    """``[start, end)`` ranges of consecutive kept games."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    yield from zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True)


def join_files(
    datas: Sequence[FileData], keeps: Sequence[np.ndarray], scratch: Path | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, tokens, positions) of the kept games of every file, in order.

    ``scratch`` is the folder for the temporary files (the cache, so a killed run's
    leftovers are cleaned like its other ``.tmp-`` folders), else the system's.
    """
    try:
        folder = Path(tempfile.mkdtemp(dir=scratch, prefix=".tmp-"))
    except OSError:  # a missing or read-only cache: the system's temporary folder
        folder = Path(tempfile.mkdtemp(prefix=".tmp-"))
    try:
        lengths: list[np.ndarray] = []
        with (
            (folder / "tokens.bin").open("wb") as tokens,
            (folder / "positions.bin").open("wb") as positions,
        ):
            for data, keep in zip(datas, keeps, strict=True):
                offsets = np.array(data.array("offsets"))
                lengths.append(np.diff(offsets)[keep])
                for first, last in _runs(keep):
                    start, stop = int(offsets[first]), int(offsets[last])
                    for at in range(start, stop, CHUNK_PLIES):
                        end = min(at + CHUNK_PLIES, stop)
                        data.read("tokens", at, end).tofile(tokens)
                        data.read("positions", at, end).tofile(positions)
        all_lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
        offsets = np.zeros(len(all_lengths) + 1, dtype=np.int64)
        np.cumsum(all_lengths, out=offsets[1:])
        plies = int(offsets[-1])
        tokens_map = map_array(folder / "tokens.bin", np.uint16, (plies,))
        positions_map = map_array(folder / "positions.bin", np.uint64, (plies, POSITION_WORDS))
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the maps keep the data until freed
    return offsets, tokens_map, positions_map
