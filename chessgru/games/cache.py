"""The on-disk cache of parsed PGN files: one entry per file's bytes, encoder and reader.

An entry is a folder of plain .npy arrays (offsets, tokens, position words) and a
meta.json (game headers, skipped games, duplicates dropped), named by the hash of the
file's bytes, the encoder version, the reader version and the cache format, so an edited
file or a new encoder never reads a stale entry. Entries are written to a ``.tmp-``
folder and renamed into place: a killed run never leaves a half-written entry, and a
later load removes its leftovers. A damaged entry reads as missing and is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chessgru import paths as chessgru_paths
from chessgru.games import pgn
from chessgru.model.encoding import ENCODER_VERSION, POSITION_WORDS

_CACHE_FORMAT = 2
#: A ``.tmp-`` folder in the cache older than this was left by a killed run (a live
#: write of even the biggest file takes well under a minute).
STALE_TMP_SECONDS = 3600


@dataclass
class FileData:
    """Everything the cache holds for one file."""

    games: list[tuple]
    skipped: list[tuple[int, str]]
    offsets: np.ndarray
    tokens: np.ndarray
    positions: np.ndarray
    duplicates: int = 0  # dropped inside this file (same moves and date as an earlier game)


def file_digest(path: Path) -> str:
    """Hash of the file's bytes (streamed), the cache key's first part."""
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def entry_path(digest: str) -> Path:
    name = f"{digest}-e{ENCODER_VERSION}-r{pgn.READER_VERSION}-c{_CACHE_FORMAT}"
    return chessgru_paths.cache_dir() / name


_ARRAYS = ("offsets", "tokens", "positions")


def save_entry(path: Path, data: FileData) -> None:
    """Write a folder of .npy files and meta.json, then rename it into place.

    The rename is atomic, so a killed run leaves at most a ``.tmp-`` folder (a later load
    removes it), never a half-written entry. Plain .npy files (not .npz) load at disk
    speed: no zip, no CRC.
    """
    meta = {"games": data.games, "skipped": data.skipped, "duplicates": data.duplicates}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
    try:
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(data, name), allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if path.exists():  # a corrupt or stale entry being rebuilt
            stale = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
            os.replace(path, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_stale_tmp(cache: Path) -> None:
    """Delete ``.tmp-`` folders of runs killed while writing an entry (see save_entry)."""
    cutoff = time.time() - STALE_TMP_SECONDS
    with contextlib.suppress(OSError):  # a missing or unreadable cache has nothing to clean
        for tmp in cache.glob(".tmp-*"):
            if tmp.stat().st_mtime < cutoff:
                shutil.rmtree(tmp, ignore_errors=True)


def load_entry(path: Path) -> FileData | None:
    """The cached arrays, or None when the entry is missing or unreadable (then rebuilt)."""
    if not path.is_dir():
        return None
    try:
        offsets, tokens, positions = (
            np.load(path / f"{name}.npy", allow_pickle=False) for name in _ARRAYS
        )
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        games = [tuple(g) for g in meta["games"]]
        skipped = [(int(n), str(r)) for n, r in meta["skipped"]]
        duplicates = int(meta["duplicates"])
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    valid = (
        offsets.dtype == np.int64
        and tokens.dtype == np.uint16
        and positions.dtype == np.uint64
        and offsets.shape == (len(games) + 1,)
        and positions.shape == (len(tokens), POSITION_WORDS)
        and offsets[0] == 0
        and offsets[-1] == len(tokens)
    )
    if not valid:
        return None
    return FileData(games, skipped, offsets, tokens, positions, duplicates)
