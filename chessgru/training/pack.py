"""A training corpus packed small enough to travel: one byte per move, zstd-compressed.

A lent GPU machine receives at most 64 MiB of files per call and cannot reach the PGN
files. The cache's arrays (74 bytes a ply) are far too big and even the bare move tokens
compress only to 1.25 bytes a ply; the *rank of the move played among the legal moves*
(python-chess's generation order) compresses to 0.66 bytes a ply, so the base model's
500k games (39M plies) fit in about 26 MB. The receiving machine replays the games to
rebuild tokens and position words, in parallel (about 25 us a ply on one core).

The pack holds exactly the games a run trains on (held-out games are left out when it is
written) with what the trainer reads of each game: both players (canonical names, ""
for the population), ratings and time control. The python-chess version is recorded:
another version may generate the legal moves in another order, so it is refused.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import chess
import numpy as np
import zstandard

from chessgru.atomic import atomic_write
from chessgru.errors import UserError
from chessgru.games.corpus import Corpus
from chessgru.games.names import Merge
from chessgru.games.pgn import GameInfo
from chessgru.model import encoding

FORMAT = 1
_CHUNK_GAMES = 2000  # games per worker task when packing or unpacking


def _ranks_of(tokens: np.ndarray, lengths: np.ndarray) -> bytes:
    """Rank of each played move among the legal moves, game after game."""
    out = bytearray()
    start = 0
    for n in lengths.tolist():
        board = chess.Board()
        for token in tokens[start : start + n].tolist():
            move = encoding.decode_move(token, board)
            out.append(list(board.generate_legal_moves()).index(move))
            board.push(move)
        start += n
    return bytes(out)


def _replay(ranks: bytes, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and position words of games given as move ranks (the inverse of _ranks_of)."""
    total = int(lengths.sum())
    tokens = np.empty(total, dtype=np.uint16)
    words = np.empty((total, encoding.POSITION_WORDS), dtype=np.uint64)
    i = 0
    for n in lengths.tolist():
        board = chess.Board()
        for _ in range(n):
            move = list(board.generate_legal_moves())[ranks[i]]
            words[i] = encoding.position_words(board)
            tokens[i] = encoding.encode_move(move, board.turn)
            board.push(move)
            i += 1
    return tokens, words


def _chunks(lengths: np.ndarray) -> list[tuple[int, int, int, int]]:
    """``(first game, end game, first ply, end ply)`` of each worker task."""
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return [
        (
            g,
            min(g + _CHUNK_GAMES, len(lengths)),
            int(offsets[g]),
            int(offsets[min(g + _CHUNK_GAMES, len(lengths))]),
        )
        for g in range(0, len(lengths), _CHUNK_GAMES)
    ]


def write_pack(
    path: Path,
    corpus: Corpus,
    games: Sequence[int],
    extra: dict[str, Any] | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Pack ``corpus``'s ``games`` (indices) into ``path``; returns the pack's header."""
    index = np.asarray(games, dtype=np.int64)
    starts, ends = corpus.offsets[index], corpus.offsets[index + 1]
    lengths = (ends - starts).astype(np.int64)
    if lengths.max(initial=0) > np.iinfo(np.uint16).max:
        raise UserError("A game is too long to pack (over 65,535 plies).")
    tokens = np.concatenate([corpus.game_tokens(i) for i in index.tolist()] or [[]])
    tasks = _chunks(lengths)
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        parts = pool.map(
            _ranks_of,
            [tokens[a:b] for _, _, a, b in tasks],
            [lengths[g0:g1] for g0, g1, _, _ in tasks],
        )
        ranks = b"".join(parts)
    infos = [corpus.games[i] for i in index]
    names = sorted({g.white for g in infos} | {g.black for g in infos} | {""})
    name_row = {n: i for i, n in enumerate(names)}
    controls = ["", *sorted({g.time_control for g in infos if g.time_control})]
    control_row = {c: i for i, c in enumerate(controls)}
    header = {
        "format": FORMAT,
        "encoder_version": encoding.ENCODER_VERSION,
        "chess_version": chess.__version__,
        "games": len(index),
        "plies": int(lengths.sum()),
        "names": names,
        "time_controls": controls,
        "merges": [asdict(m) for m in corpus.merges],
        **(extra or {}),
    }
    arrays = {
        "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        "moves": np.frombuffer(zstandard.ZstdCompressor(level=19).compress(ranks), np.uint8),
        "lengths": lengths.astype(np.uint16),
        "white": np.array([name_row[g.white] for g in infos], dtype=np.uint32),
        "black": np.array([name_row[g.black] for g in infos], dtype=np.uint32),
        "white_elo": np.array([g.white_elo or 0 for g in infos], dtype=np.uint16),
        "black_elo": np.array([g.black_elo or 0 for g in infos], dtype=np.uint16),
        "time_control": np.array([control_row[g.time_control or ""] for g in infos], np.uint16),
    }
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
    return header


def read_pack(path: Path, workers: int | None = None) -> tuple[Corpus, dict[str, Any]]:
    """The corpus packed in ``path`` (games replayed in parallel) and the pack's header."""
    corpus, header, arrays = _open(path)
    lengths = arrays["lengths"].astype(np.int64)
    try:
        ranks = zstandard.ZstdDecompressor().decompress(arrays["moves"].tobytes())
    except zstandard.ZstdError as exc:
        raise UserError(f"{path} is damaged ({exc}).") from exc
    if len(ranks) != int(lengths.sum()):
        raise UserError(f"{path} is damaged: its moves do not match its games.")
    tasks = _chunks(lengths)
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        parts = list(
            pool.map(
                _replay,
                [ranks[a:b] for _, _, a, b in tasks],
                [lengths[g0:g1] for g0, g1, _, _ in tasks],
            )
        )
    if parts:
        corpus.tokens = np.concatenate([t for t, _ in parts])
        corpus.positions = np.concatenate([w for _, w in parts])
    return corpus, header


def read_pack_header(path: Path) -> tuple[Corpus, dict[str, Any]]:
    """The pack's games and header with empty ply arrays (for a caller that has them)."""
    corpus, header, _ = _open(path)
    return corpus, header


def _open(path: Path) -> tuple[Corpus, dict[str, Any], dict[str, np.ndarray]]:
    """Checked header, arrays, and a Corpus of the games with empty ply arrays."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        header = json.loads(arrays["header"].tobytes())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path} is not a readable chessgru pack ({exc}).") from exc
    if header.get("format") != FORMAT or header.get("encoder_version") != encoding.ENCODER_VERSION:
        raise UserError(f"{path} was packed by another version of chessgru; pack it again.")
    if header.get("chess_version") != chess.__version__:
        raise UserError(
            f"{path} was packed with python-chess {header.get('chess_version')}, and this is "
            f"{chess.__version__}: install that version (the move order differs) or pack again."
        )
    lengths = arrays["lengths"].astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    names, controls = header["names"], header["time_controls"]
    source = f"pack:{Path(path).name}"
    columns = zip(
        arrays["white"].tolist(),
        arrays["black"].tolist(),
        arrays["white_elo"].tolist(),
        arrays["black_elo"].tolist(),
        arrays["time_control"].tolist(),
        strict=True,
    )
    games = [
        GameInfo(
            source=source,
            number=i + 1,
            white=names[w],
            black=names[b],
            result="*",
            date="????.??.??",
            white_elo=int(we) or None,
            black_elo=int(be) or None,
            time_control=controls[tc] or None,
            event=None,
            site=None,
        )
        for i, (w, b, we, be, tc) in enumerate(columns)
    ]
    corpus = Corpus(
        games=games,
        offsets=offsets,
        tokens=np.zeros(0, np.uint16),
        positions=np.zeros((0, encoding.POSITION_WORDS), np.uint64),
        merges=[Merge(**m) for m in header["merges"]],
    )
    return corpus, header, arrays
