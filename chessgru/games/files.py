"""PGN files: finding them, and their bytes (decompression, UTF-16, old line ends, damage).

Everything here works on bytes and never parses chess: :mod:`chessgru.games.pgn` cuts
what these streams give into games. A file that cannot be read to its end (truncated,
damaged, unreadable) is a :class:`DamagedFile` with a short reason, so the games read
before the damage are kept and the damage is reported.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from chessgru.errors import UserError

PGN_SUFFIXES = (".pgn", ".pgn.gz", ".pgn.bz2", ".pgn.zst")


def _has_pgn_suffix(path: Path) -> bool:
    return path.name.lower().endswith(PGN_SUFFIXES)


def _inside(folder: Path) -> list[Path]:
    """PGN files under ``folder``, and the subfolders that could not be read (sorted).

    An unreadable subfolder is listed rather than skipped in silence: reading it then
    reports it, like an unreadable file.
    """
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        found.append(Path(error.filename))

    for root, _, files in os.walk(folder, onerror=unreadable):
        found.extend(Path(root, f) for f in files if _has_pgn_suffix(Path(f)))
    return sorted(p for p in found if p.is_dir() or p.is_file())


def find_pgn_files(paths: Iterable[str | Path]) -> list[Path]:
    """PGN files named by ``paths``: files as given, folders searched recursively (sorted).

    Raises UserError for a missing path, a folder without PGN files, or no paths at all.
    """
    found: list[Path] = []
    given = [Path(p) for p in paths]
    if not given:
        raise UserError("No PGN file or folder was given.")
    for path in given:
        if path.is_dir():
            inside = _inside(path)
            if not inside:
                raise UserError(f"No PGN files (.pgn, .pgn.gz, .pgn.bz2, .pgn.zst) in {path}.")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise UserError(f"{path} does not exist.")
    return list(dict.fromkeys(found))


class DamagedFile(Exception):
    """Reading a file stopped early (damaged or unreadable); ``str()`` is the reason.

    Raised by :func:`game_texts` after the games before the damage were given, so a
    caller keeps those and reports the rest.
    """


class _ZstdStream(io.RawIOBase):
    """The decompressed bytes of a .zst file, every frame of it.

    Unlike zstandard's stream reader, a file that ends inside a frame is an EOFError,
    not a quiet early end (a truncated download would otherwise lose games unseen).
    """

    def __init__(self, path: Path) -> None:
        import zstandard

        self._error = zstandard.ZstdError
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._raw = path.open("rb")
        self._obj = self._new()
        self._in_frame = False
        self._out = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while self._at >= len(self._out):
            chunk = self._raw.read(1 << 20)
            if not chunk:
                if self._in_frame:
                    raise EOFError("compressed data ends early")
                return 0
            self._out, self._at = self._feed(chunk), 0
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _feed(self, chunk: bytes) -> bytes:
        out = []
        try:
            while chunk:
                if self._obj.eof:
                    self._obj = self._new()
                out.append(self._obj.decompress(chunk))
                chunk = self._obj.unused_data if self._obj.eof else b""
                self._in_frame = not self._obj.eof
        except self._error as exc:
            raise OSError(f"damaged zstd data ({exc})") from exc
        return b"".join(out)


def open_binary(path: Path) -> BinaryIO:
    """The decompressed bytes of a PGN file, streamed; OSError when it cannot be read."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if name.endswith(".zst"):
        return io.BufferedReader(_ZstdStream(path), buffer_size=1 << 20)  # type: ignore[return-value]
    return path.open("rb")


def damage_reason(path: Path, exc: OSError | EOFError) -> str:
    """A short skip reason for a file that could not be read to its end."""
    if path.is_dir():  # listed by find_pgn_files because it could not be searched
        return "unreadable folder (the PGN files in it were not read)"
    if isinstance(exc, EOFError):
        return "damaged file: it ends early (truncated)"
    if exc.errno is not None and exc.strerror:
        return f"unreadable file ({exc.strerror.lower()})"
    return f"damaged file ({exc})"


def read_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of a PGN byte stream, ending in b"\n" whatever the file used.

    UTF-16 files (with or without a byte-order mark) are re-encoded as UTF-8, and old
    Mac files that end lines with a lone CR are split on it; python-chess reads both,
    and a reader that gave "0 games" for them would lose every game without a word.
    """
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    encoding = _utf16(head)
    if encoding is None and (b"\n" in head or b"\r" not in head):
        yield from stream  # the usual case: bytes as they are, fastest
        return
    text = io.TextIOWrapper(stream, encoding=encoding or "latin-1", errors="replace", newline=None)  # type: ignore[arg-type]
    for line in text:
        yield line.encode("utf-8" if encoding else "latin-1")


def _utf16(head: bytes) -> str | None:
    """ "utf-16" when ``head`` is UTF-16 text (a BOM, or NUL bytes beside ASCII), else None."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    even, odd = head[0:64:2], head[1:64:2]
    if len(head) >= 4 and odd.count(0) == len(odd) and 0 not in even:
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) == len(even) and 0 not in odd:
        return "utf-16-be"
    return None
