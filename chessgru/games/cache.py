"""The on-disk cache of parsed PGN files: one entry per file's bytes, encoder and reader.

An entry is a folder of raw arrays (``tokens.bin``, ``positions.bin``, ``keys.bin``,
``offsets.bin``, and the game headers as rows of codes ``headers.bin`` with the sites'
text ``sites.bin``, ``site_offsets.bin``: see ``games/table.py``) and a meta.json (the
headers' vocabularies, skipped games, array shapes, checksums),
named by the hash of the file's bytes, the encoder version, the reader version and the
cache format, so an edited file or a new encoder never reads a stale entry.

Memory stays bounded whatever the size of the input: an entry is written batch by batch
as the games are parsed (:class:`EntryWriter`), and read back memory-mapped, so neither
a parse nor a cache hit holds a Python object per game: only the vocabularies (distinct
names, dates, events) are in memory. Entries are built in a ``.tmp-`` folder and
renamed into place: a killed run never leaves a half-written entry, and a later load
removes its leftovers. Every array and the headers carry a CRC-32 in meta.json: an entry
damaged on disk, even one that keeps its array sizes, reads as missing and is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chessgru import paths as chessgru_paths
from chessgru.games import pgn
from chessgru.games.table import FIELDS, VOCABS, HeaderEncoder, HeaderPart
from chessgru.model.encoding import ENCODER_VERSION, POSITION_WORDS

#: 4: headers as int32 code rows and vocabularies instead of a JSON list per game.
_CACHE_FORMAT = 4
#: A ``.tmp-`` folder in the cache older than this was left by a killed run (a live
#: write of even the biggest file takes well under a minute).
STALE_TMP_SECONDS = 3600
#: Bytes of a game's de-duplication key (a hash of its date and moves).
KEY_BYTES = 16
#: name -> (dtype, shape of one row) of the arrays an entry holds.
ARRAYS: dict[str, tuple[type, tuple[int, ...]]] = {
    "offsets": (np.int64, ()),
    "tokens": (np.uint16, ()),
    "positions": (np.uint64, (POSITION_WORDS,)),
    "keys": (np.uint8, (KEY_BYTES,)),
    "headers": (np.int32, (len(FIELDS),)),
    "sites": (np.uint8, ()),
    "site_offsets": (np.int64, ()),
}
_CHUNK = 1 << 22


@dataclass
class FileData:
    """One file's games and skips; its arrays stay on disk until asked for.

    Nothing is mapped or read until :meth:`array`, :meth:`read` or :meth:`headers` is
    called, so a corpus of hundreds of files holds no open file per file.
    """

    n_games: int
    vocab: dict[str, list[str]]  # the headers' vocabularies (games/table.py)
    skipped: list[tuple[int, str]]
    shapes: dict[str, int]  # games, plies, site_bytes
    folder: Path | None  # the entry's folder; None: no games, no arrays

    @property
    def plies(self) -> int:
        return self.shapes["plies"]

    def array(self, name: str) -> np.ndarray:
        """A read-only memory map of one of :data:`ARRAYS` (the whole array)."""
        dtype, _ = ARRAYS[name]
        shape = _shape(name, self.shapes)
        if self.folder is None:
            return np.zeros(shape, dtype=dtype)
        return map_array(self.folder / f"{name}.bin", dtype, shape)

    def headers(self, source: str) -> HeaderPart:
        """The games' headers, memory-mapped (see :class:`chessgru.games.table.HeaderPart`)."""
        offsets = self.array("site_offsets") if self.folder is not None else np.zeros(1, np.int64)
        return HeaderPart(source, self.array("headers"), self.vocab, self.array("sites"), offsets)

    def read(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of one array as a private copy, by a plain file read."""
        dtype, row = ARRAYS[name]
        width = int(np.prod(row))
        assert self.folder is not None
        flat = np.fromfile(
            self.folder / f"{name}.bin",
            dtype=dtype,
            count=(stop - start) * width,
            offset=start * width * np.dtype(dtype).itemsize,
        )
        return flat.reshape(-1, *row)


def game_key(date: str, tokens: bytes) -> bytes:
    """What makes two games the same: the date and the exact moves (hashed)."""
    return hashlib.blake2b(date.encode() + b"\0" + tokens, digest_size=KEY_BYTES).digest()


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


def _meta_crc(meta: dict) -> int:
    body = {k: v for k, v in meta.items() if k != "meta_crc"}
    return zlib.crc32(json.dumps(body, ensure_ascii=False, sort_keys=True).encode())


class EntryWriter:
    """Writes one entry batch by batch, so a file's plies are never all in memory.

    ``path=None`` writes to a private temporary folder instead of the cache (the
    ``use_cache=False`` case); it is deleted once read back (the maps stay valid).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        parent = path.parent if path is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=parent, prefix=".tmp-"))
        self._files = {n: (self.tmp / f"{n}.bin").open("wb") for n in ARRAYS if "offsets" not in n}
        self._crc = dict.fromkeys(ARRAYS, 0)
        self._lengths = array("q")
        self._site_lengths = array("q")
        self._encoder = HeaderEncoder()
        self.skipped: list[tuple[int, str]] = []

    def _write(self, name: str, data: bytes) -> None:
        self._files[name].write(data)
        self._crc[name] = zlib.crc32(data, self._crc[name])

    def add(
        self,
        games: list[tuple],
        skipped: list[tuple[int, str]],
        lengths: list[int],
        tokens: bytes,
        words: bytes,
        keys: bytes,
    ) -> None:
        """Append one parsed batch (games already numbered within the file)."""
        rows, sites, site_lengths = self._encoder.encode(games)
        self._write("headers", rows.tobytes())
        self._write("sites", sites)
        self._site_lengths.extend(site_lengths)
        self.skipped.extend(skipped)
        self._lengths.extend(lengths)
        self._write("tokens", tokens)
        self._write("positions", words)
        self._write("keys", keys)

    def commit(self) -> FileData:
        """Finish the entry, rename it into place, and read it back memory-mapped."""
        try:
            for handle in self._files.values():
                handle.close()
            offsets = _offsets(self._lengths)
            self._write_whole("offsets", offsets.tobytes())
            site_offsets = _offsets(self._site_lengths)
            self._write_whole("site_offsets", site_offsets.tobytes())
            shapes = {
                "games": len(self._lengths),
                "plies": int(offsets[-1]),
                "site_bytes": int(site_offsets[-1]),
            }
            vocab = self._encoder.vocab
            meta = {"vocab": vocab, "skipped": self.skipped, "shapes": shapes}
            meta["crc"] = self._crc
            meta["meta_crc"] = _meta_crc(json.loads(json.dumps(meta, ensure_ascii=False)))
            text = json.dumps(meta, ensure_ascii=False)
            (self.tmp / "meta.json").write_text(text, encoding="utf-8")
            if self.path is None:  # the caller removes the folder once it is read
                return FileData(shapes["games"], vocab, self.skipped, shapes, self.tmp)
            _replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        data = load_entry(self.path, verify=False)
        assert data is not None
        return data

    def _write_whole(self, name: str, data: bytes) -> None:
        (self.tmp / f"{name}.bin").write_bytes(data)
        self._crc[name] = zlib.crc32(data)

    def abort(self) -> None:
        for handle in self._files.values():
            handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _offsets(lengths: array) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
    return offsets


def _replace(tmp: Path, path: Path) -> None:
    if path.exists():  # a corrupt or stale entry being rebuilt
        stale = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
        os.replace(path, stale / "old")
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(tmp, path)


def _shape(name: str, shapes: dict[str, int]) -> tuple[int, ...]:
    rows = {"offsets": shapes["games"] + 1, "tokens": shapes["plies"]}
    rows |= {"positions": shapes["plies"], "keys": shapes["games"], "headers": shapes["games"]}
    rows |= {"sites": shapes["site_bytes"], "site_offsets": shapes["games"] + 1}
    return (rows[name], *ARRAYS[name][1])


def map_array(file: Path, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only memory map of a raw array file (an empty array for an empty file)."""
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(file, dtype=dtype, mode="r", shape=shape)


def _crc_of(file: Path) -> int:
    crc = 0
    with file.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def remove_stale_tmp(cache: Path) -> None:
    """Delete ``.tmp-`` folders of runs killed while writing an entry (see EntryWriter)."""
    cutoff = time.time() - STALE_TMP_SECONDS
    with contextlib.suppress(OSError):  # a missing or unreadable cache has nothing to clean
        for tmp in cache.glob(".tmp-*"):
            if tmp.stat().st_mtime < cutoff:
                shutil.rmtree(tmp, ignore_errors=True)


def load_entry(path: Path, verify: bool = True) -> FileData | None:
    """The cached arrays (memory-mapped), or None when missing or damaged (then rebuilt).

    ``verify`` checks every array and the headers against their checksums, reading the
    files in chunks (no copy is kept): a flipped byte anywhere means a rebuild.
    """
    if not path.is_dir():
        return None
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        shapes = {k: int(meta["shapes"][k]) for k in ("games", "plies", "site_bytes")}
        if verify and (
            meta["meta_crc"] != _meta_crc(meta)
            or any(_crc_of(path / f"{n}.bin") != int(meta["crc"][n]) for n in ARRAYS)
        ):
            return None
        for name, (dtype, _) in ARRAYS.items():
            size = int(np.prod(_shape(name, shapes))) * np.dtype(dtype).itemsize
            if (path / f"{name}.bin").stat().st_size != size:
                return None
        vocab = {str(k): [str(v) for v in values] for k, values in meta["vocab"].items()}
        skipped = [(int(n), str(r)) for n, r in meta["skipped"]]
        data = FileData(shapes["games"], vocab, skipped, shapes, path)
        games = shapes["games"]
        ends = data.read("offsets", 0, 1)[0], data.read("offsets", games, games + 1)[0]
        site_ends = data.read("site_offsets", games, games + 1)[0]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if ends != (0, shapes["plies"]) or site_ends != shapes["site_bytes"]:
        return None
    if set(vocab) != set(VOCABS):
        return None
    return data
