"""Write a big PGN file for memory measurements: a real file's games, repeated until big enough.

Run: ``.venv/bin/python tests/benchmarks/make_big_pgn.py --out /tmp/big.pgn [--gigabytes 2]``

Copy ``k`` of the source (default: the 132k lichess amateur games, .zst or plain) gets new
headers so no game is a duplicate of another copy and the player list grows like a real
big export's: the year moves by ``20 * k`` (the date is part of chessgru's duplicate key),
player names get ``-k`` and the site ``#k`` (copy 0 is the source as is). The moves are the
source's. Write it outside the repository (it is gigabytes) and delete it afterwards.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

SOURCE = (
    Path(__file__).resolve().parents[3] / "shared/data/pgn/amateur/lichess_amateur_132k.pgn.zst"
)
_DATE = re.compile(rb'^\[(Date|UTCDate) "(\d{4})')
_NAME = re.compile(rb'^\[(White|Black|Site) "(.*)"\]')


def _lines(path: Path) -> Iterator[bytes]:
    if path.suffix == ".zst":
        import zstandard

        with path.open("rb") as raw:
            yield from io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw))
    else:
        with path.open("rb") as handle:
            yield from handle


def _copy_line(line: bytes, k: int) -> bytes:
    """One line of copy ``k``: date, names and site made unique to the copy."""
    if not line.startswith(b"[") or k == 0:
        return line
    date = _DATE.match(line)
    if date:
        year = int(date.group(2)) + 20 * k
        return line[: date.start(2)] + str(year).encode() + line[date.end(2) :]
    name = _NAME.match(line)
    if name:
        mark = b"#" if name.group(1) == b"Site" else b"-"
        return line[: name.end(2)] + mark + str(k).encode() + line[name.end(2) :]
    return line


def write(out: Path, source: Path, size: int) -> tuple[int, int]:
    """Write copies of ``source`` to ``out`` until it holds ``size`` bytes; (bytes, copies)."""
    written, k = 0, 0
    with out.open("wb") as handle:
        while written < size:
            previous = b""
            for line in _lines(source):
                line = _copy_line(line, k)
                handle.write(line)
                written += len(line)
                # Stop between two games: at the blank line after a game's moves.
                if written >= size and not line.strip() and previous[:1] not in (b"[", b""):
                    break
                previous = line.strip()
            k += 1
    return written, k


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="file to write (not in the repo)")
    parser.add_argument("--source", type=Path, default=SOURCE, help="PGN (.pgn or .pgn.zst)")
    parser.add_argument("--gigabytes", type=float, default=2.0, help="size to reach (10^9 B)")
    args = parser.parse_args(argv)
    written, copies = write(args.out, args.source, int(args.gigabytes * 1e9))
    print(f"{args.out}: {written:,} bytes, {copies} copies of {args.source.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
