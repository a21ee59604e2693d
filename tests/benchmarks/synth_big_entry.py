"""Build the cache entry of a make_big_pgn.py file from its source's entry, without parsing.

Run: ``.venv/bin/python tests/benchmarks/synth_big_entry.py --big /tmp/big.pgn
--source ../shared/data/pgn/amateur/lichess_amateur_132k.pgn.zst`` (the source must be
in $CHESSGRU_CACHE already: run ``chessgru players`` on it first).

Parsing a 2 GB file takes hours on one busy core; its entry is what the source's entry
gives after make_big_pgn's header changes (year + 20k, names "-k", site "#k", game
numbers shifted by a copy's length), so it is written from that entry through the same
:class:`chessgru.games.cache.EntryWriter`, copy by copy, the last one cut where the big
file ends. ``--check`` compares the result with a real parse of the big file instead of
writing it to the cache (use it on a small big file), so a cache hit on the entry this
writes measures what a hit after a real parse would.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from chessgru.games import cache
from chessgru.games.table import FIELDS, VOCAB_OF, VOCABS, GameTable, HeaderEncoder

_YEAR = re.compile(r"^\d{4}")
BATCH = 20_000  # games a write: bounded memory here too


def _copied(vocab: str, value: str, k: int) -> str:
    """A vocabulary entry in copy ``k``, as make_big_pgn writes it ("?": no name header)."""
    if k == 0:
        return value
    if vocab == "names" and value != "?":
        return f"{value}-{k}"
    if vocab == "dates" and _YEAR.match(value):
        return str(int(value[:4]) + 20 * k) + value[4:]
    return value


class _Precoded(HeaderEncoder):
    """An encoder handed rows already coded: EntryWriter.add then writes them as they are."""

    def encode(self, games):  # type: ignore[override]
        return games


def write_entry(source: cache.FileData, texts_in_big: int, path: Path | None) -> cache.FileData:
    """The entry of the big file (``texts_in_big`` game texts) built from ``source``'s."""
    part = source.headers("")
    n = source.n_games
    texts = n + len(source.skipped)  # game texts per copy: games and skips are numbered
    offsets = np.array(source.array("offsets"))
    site_offsets = np.array(part.site_offsets)
    rows0 = np.array(part.rows)
    writer = cache.EntryWriter(path)
    encoder = writer._encoder = _Precoded()
    index = {v: {value: i for i, value in enumerate(encoder.vocab[v])} for v in VOCABS}
    for k in range((texts_in_big + texts - 1) // texts):
        left = texts_in_big - k * texts  # game texts of this copy in the big file
        rows = rows0.copy()
        rows[:, FIELDS.index("number")] += k * texts
        for field, vocab in VOCAB_OF.items():  # the copy's values, coded as a parse codes them
            if field == "black":
                continue  # shares "names" with white, done there
            to_code = []
            for value in part.vocab[vocab]:
                value = _copied(vocab, value, k)
                if value not in index[vocab]:
                    index[vocab][value] = len(encoder.vocab[vocab])
                    encoder.vocab[vocab].append(value)
                to_code.append(index[vocab][value])
            to_code = np.array([*to_code, -1], dtype=np.int32)  # -1 (none) stays -1
            for f in ("white", "black") if vocab == "names" else (field,):
                rows[:, FIELDS.index(f)] = to_code[rows0[:, FIELDS.index(f)]]
        mark = f"#{k}".encode() if k else b""
        kept = int(np.searchsorted(rows0[:, 0], left, side="right"))  # numbers <= left
        skipped = [(s + k * texts, r) for s, r in source.skipped if s <= left]
        for start in range(0, kept, BATCH):
            stop = min(start + BATCH, kept)
            a, b = int(offsets[start]), int(offsets[stop])
            tokens = source.read("tokens", a, b)
            text = source.read("sites", int(site_offsets[start]), int(site_offsets[stop]))
            text = text.tobytes()
            sites, keys = [], []
            for i in range(start, stop):
                present = rows0[i, FIELDS.index("site")] >= 0
                site = text[
                    site_offsets[i] - site_offsets[start] : site_offsets[i + 1]
                    - site_offsets[start]
                ]
                sites.append(site + mark if present else b"")
                date = encoder.vocab["dates"][rows[i, FIELDS.index("date")]]
                keys.append(
                    cache.game_key(date, tokens[offsets[i] - a : offsets[i + 1] - a].tobytes())
                )
            coded = (rows[start:stop], b"".join(sites), [len(x) for x in sites])
            writer.add(
                coded,  # type: ignore[arg-type]
                skipped if start == 0 else [],
                np.diff(offsets[start : stop + 1]).tolist(),
                tokens.tobytes(),
                source.read("positions", a, b).tobytes(),
                b"".join(keys),
            )
    return writer.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=Path, required=True, help="the make_big_pgn.py file")
    parser.add_argument("--source", type=Path, required=True, help="the file it copies")
    parser.add_argument("--check", action="store_true", help="compare with a real parse")
    args = parser.parse_args(argv)
    source = cache.load_entry(cache.entry_path(cache.file_digest(args.source)))
    if source is None:
        sys.exit(f"{args.source} is not in the cache: run chessgru players on it first")
    with args.big.open("rb") as handle:
        texts = sum(line.startswith(b"[Event ") for line in handle)
    if not args.check:
        entry = cache.entry_path(cache.file_digest(args.big))
        data = write_entry(source, texts, entry)
        print(f"{entry}: {data.n_games:,} games, {data.plies:,} plies")
        return 0
    from chessgru.games.corpus import _dedupe, load_corpus

    made = write_entry(source, texts, None)
    real = load_corpus(args.big, workers=1, progress=False, merge_names=False)
    keeps, _ = _dedupe([(str(args.big), made)])
    mine, _ = GameTable.assemble([made.headers(str(args.big))], keeps, None, False)
    same = list(mine) == list(real.games)
    same = same and made.skipped == [(s.number, s.reason) for s in real.skipped]
    for name in ("tokens", "positions"):
        same = same and np.array_equal(made.array(name), getattr(real, name))
    print(f"{made.n_games} games: {'identical' if same else 'DIFFERENT'} to a real parse")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
