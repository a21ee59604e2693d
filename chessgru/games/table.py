"""Game headers as numpy columns, so a corpus of millions of games holds a few bytes a game.

A file's headers are one int32 row per game (:data:`FIELDS`): the game number, the
ratings (0: none), and for each text field a code into that file's vocabulary of
distinct values (-1: none). Names, dates, results, time controls and events repeat
across games, so the vocabularies grow with the distinct values, not with the games; the
site (a URL per game on lichess) is free text kept as bytes with offsets. In the cache
these are memory-mapped files (``games/cache.py``).

A :class:`GameTable` is the corpus's view of those parts: for each game, which part and
which row, and its players as indices into one list of canonical names (spellings merged
by :func:`names.resolve_names`). It is a sequence of :class:`GameInfo` built on access.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from chessgru.games import names as names_module
from chessgru.games.pgn import GameInfo

#: Columns of a header row (GameInfo's fields but source and fen; site: 0 present, -1 none).
FIELDS = (
    "number",
    "white",
    "black",
    "result",
    "date",
    "white_elo",
    "black_elo",
    "time_control",
    "event",
    "site",
)
_COL = {name: i for i, name in enumerate(FIELDS)}
#: Text fields coded into a vocabulary, and which vocabulary (the two sides share names).
VOCAB_OF = {
    "white": "names",
    "black": "names",
    "result": "results",
    "date": "dates",
    "time_control": "time_controls",
    "event": "events",
}
VOCABS = tuple(dict.fromkeys(VOCAB_OF.values()))
_NUMBERS = ("number", "white_elo", "black_elo")


class HeaderEncoder:
    """Turns header tuples into rows, interning text fields (one per file being written)."""

    def __init__(self) -> None:
        self.vocab: dict[str, list[str]] = {v: [] for v in VOCABS}
        self._index: dict[str, dict[str, int]] = {v: {} for v in VOCABS}

    def _code(self, vocab: str, value: str | None) -> int:
        if value is None:
            return -1
        index = self._index[vocab]
        code = index.get(value)
        if code is None:
            code = index[value] = len(index)
            self.vocab[vocab].append(value)
        return code

    def encode(self, games: Sequence[Sequence[Any]]) -> tuple[np.ndarray, bytes, list[int]]:
        """(int32 rows, the sites' UTF-8 bytes, each site's length) of header tuples
        (:func:`header_fields` of a GameInfo)."""
        rows: list[list[int]] = []
        sites: list[bytes] = []
        for game in games:
            row = list(game)
            for name in VOCAB_OF:
                row[_COL[name]] = self._code(VOCAB_OF[name], row[_COL[name]])
            for name in _NUMBERS:
                row[_COL[name]] = row[_COL[name]] or 0
            site = row[_COL["site"]]
            row[_COL["site"]] = -1 if site is None else 0
            sites.append(b"" if site is None else site.encode("utf-8"))
            rows.append(row)
        array = np.array(rows, dtype=np.int32).reshape(len(rows), len(FIELDS))
        return array, b"".join(sites), [len(s) for s in sites]


@dataclass
class HeaderPart:
    """One file's headers: rows (int32 [games, FIELDS]), vocabularies and site text."""

    source: str
    rows: np.ndarray
    vocab: Mapping[str, Sequence[str]]
    site_text: np.ndarray  # uint8
    site_offsets: np.ndarray  # int64 [games + 1]

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, field: str) -> np.ndarray:
        """One field of every game: a strided view (of the memory map), no copy."""
        return self.rows[:, _COL[field]]

    def text(self, field: str, code: int) -> str | None:
        return None if code < 0 else self.vocab[VOCAB_OF[field]][code]

    def site(self, row: int, present: int) -> str | None:
        if present < 0:
            return None
        start, stop = int(self.site_offsets[row]), int(self.site_offsets[row + 1])
        return self.site_text[start:stop].tobytes().decode("utf-8")


def part_from_infos(source: str, infos: Sequence[GameInfo]) -> HeaderPart:
    """An in-memory part for games that are already GameInfo objects (packs, tests)."""
    encoder = HeaderEncoder()
    rows, sites, lengths = encoder.encode([header_fields(g) for g in infos])
    offsets = np.zeros(len(infos) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=offsets[1:])
    return HeaderPart(source, rows, encoder.vocab, np.frombuffer(sites, np.uint8), offsets)


def header_fields(game: GameInfo) -> tuple:
    """The values of a game's header row, in :data:`FIELDS` order (before encoding)."""
    return tuple(getattr(game, name) for name in FIELDS)


class GameTable(Sequence[GameInfo]):
    """The corpus's games: per game a part and a row, and canonical player indices.

    Per game it holds 20 bytes of numpy arrays; everything else is in the parts (memory
    maps of the cache) and in the vocabularies.
    """

    def __init__(
        self,
        parts: Sequence[HeaderPart],
        part_of: np.ndarray,
        row_of: np.ndarray,
        names: list[str],
        white: np.ndarray,
        black: np.ndarray,
    ) -> None:
        self.parts = list(parts)
        self.part_of = np.asarray(part_of, dtype=np.int32)
        self.row_of = np.asarray(row_of, dtype=np.int64)
        self.names = names  # canonical names, in order of first appearance
        self.white = np.asarray(white, dtype=np.int32)
        self.black = np.asarray(black, dtype=np.int32)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_infos(cls, infos: Iterable[GameInfo]) -> GameTable:
        """A table of GameInfo objects as they are (names not merged), in their order."""
        infos = list(infos)
        sources = list(dict.fromkeys(g.source for g in infos))
        parts = [part_from_infos(s, [g for g in infos if g.source == s]) for s in sources]
        part_index = {s: i for i, s in enumerate(sources)}
        part_of = np.array([part_index[g.source] for g in infos], dtype=np.int32)
        row_of = np.zeros(len(infos), dtype=np.int64)
        for games in _by_part(part_of, len(parts)):
            row_of[games] = np.arange(len(games))
        names = list(dict.fromkeys(n for g in infos for n in (g.white, g.black)))
        index = {n: i for i, n in enumerate(names)}
        white = np.array([index[g.white] for g in infos], dtype=np.int32)
        black = np.array([index[g.black] for g in infos], dtype=np.int32)
        return cls(parts, part_of, row_of, names, white, black)

    @classmethod
    def assemble(
        cls,
        parts: Sequence[HeaderPart],
        keeps: Sequence[np.ndarray],
        aliases: Mapping[str, str] | None,
        merge: bool,
    ) -> tuple[GameTable, list[names_module.Merge]]:
        """The kept games of every part, in order, with spellings merged into canonical names.

        Works on codes: the raw spellings are counted per vocabulary entry, never per game.
        """
        rows = [np.flatnonzero(keep) for keep in keeps]
        raw_counts: Counter[str] = Counter()
        for part, kept in zip(parts, rows, strict=True):
            vocab = part.vocab["names"]
            sides = np.stack([part.column("white")[kept], part.column("black")[kept]], 1).ravel()
            counts = np.bincount(sides, minlength=len(vocab))
            for code in _first_appearance(sides):  # the order a loop over games would give
                raw_counts[vocab[code]] += int(counts[code])
        mapping, merges = names_module.resolve_names(raw_counts, aliases, merge=merge)
        canonical = list(dict.fromkeys(mapping[raw] for raw in raw_counts))
        index = {name: i for i, name in enumerate(canonical)}
        whites, blacks = [], []
        for part, kept in zip(parts, rows, strict=True):
            to_canonical = np.array([index.get(mapping.get(n, n), -1) for n in part.vocab["names"]])
            to_canonical = to_canonical.astype(np.int32)
            whites.append(to_canonical[part.column("white")[kept]])
            blacks.append(to_canonical[part.column("black")[kept]])
        part_of = np.concatenate([np.full(len(k), p, np.int32) for p, k in enumerate(rows)] or [[]])
        table = cls(
            parts,
            part_of,
            np.concatenate(rows or [[]]),
            canonical,
            np.concatenate(whites or [[]]),
            np.concatenate(blacks or [[]]),
        )
        return table, merges

    # ------------------------------------------------------------------ sequence

    def __len__(self) -> int:
        return len(self.part_of)

    @overload
    def __getitem__(self, i: int) -> GameInfo: ...

    @overload
    def __getitem__(self, i: slice) -> list[GameInfo]: ...

    def __getitem__(self, i: int | slice) -> GameInfo | list[GameInfo]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"game {i} of {len(self)}")
        part = self.parts[int(self.part_of[i])]
        row = int(self.row_of[i])
        code = dict(zip(FIELDS, part.rows[row].tolist(), strict=True))
        return GameInfo(
            source=part.source,
            number=code["number"],
            white=self.names[int(self.white[i])],
            black=self.names[int(self.black[i])],
            result=part.text("result", code["result"]) or "*",
            date=part.text("date", code["date"]) or "",
            white_elo=code["white_elo"] or None,
            black_elo=code["black_elo"] or None,
            time_control=part.text("time_control", code["time_control"]),
            event=part.text("event", code["event"]),
            site=part.site(row, code["site"]),
        )

    def __iter__(self) -> Iterator[GameInfo]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GameTable | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable (anonymise), like a list

    # ------------------------------------------------------------------ columns

    def subset(self, index: np.ndarray) -> GameTable:
        """The games at ``index`` (in that order), sharing this table's parts."""
        index = np.asarray(index, dtype=np.int64)
        return GameTable(
            self.parts,
            self.part_of[index],
            self.row_of[index],
            self.names,
            self.white[index],
            self.black[index],
        )

    def sources(self) -> list[str]:
        """The distinct files the games come from, in file order."""
        return [self.parts[p].source for p in np.unique(self.part_of).tolist()]

    def from_sources(self, chosen: Callable[[str], bool]) -> np.ndarray:
        """A bool per game: True when its file's name satisfies ``chosen``."""
        by_part = np.array([chosen(part.source) for part in self.parts] + [False], dtype=bool)
        return by_part[self.part_of] if len(self) else np.zeros(0, dtype=bool)

    def anonymise(self, mask: np.ndarray) -> None:
        """Make both players of the games in ``mask`` the unnamed player "" (in place)."""
        if "" not in self.names:
            self.names = [*self.names, ""]
        blank = self.names.index("")
        self.white[mask] = blank
        self.black[mask] = blank

    def player_counts(self, index: np.ndarray | None = None, both: bool = False) -> Counter[str]:
        """Games per canonical name, in order of first appearance (White before Black).

        A game where someone plays both sides counts once, unless ``both``.
        """
        white = self.white if index is None else self.white[index]
        black = self.black if index is None else self.black[index]
        sides = np.stack([white, black], axis=1).ravel()
        counts = np.bincount(white, minlength=len(self.names))
        counts += np.bincount(black if both else black[black != white], minlength=len(self.names))
        return Counter({self.names[i]: int(counts[i]) for i in _first_appearance(sides)})

    def mapped(self, field: str, fn: Callable[[Any], int]) -> np.ndarray:
        """``fn(value)`` of one header field for every game (int64), once per distinct value."""
        out = np.zeros(len(self), dtype=np.int64)
        for part, mine in zip(self.parts, _by_part(self.part_of, len(self.parts)), strict=True):
            codes = part.column(field)[self.row_of[mine]]
            if field in VOCAB_OF:
                values = [None, *part.vocab[VOCAB_OF[field]]]
                out[mine] = np.array([fn(v) for v in values], dtype=np.int64)[codes + 1]
            else:
                distinct, inverse = np.unique(codes, return_inverse=True)
                table = [fn(int(v) or None) for v in distinct.tolist()]
                out[mine] = np.array(table, dtype=np.int64)[inverse.reshape(-1)]
        return out


def _by_part(part_of: np.ndarray, parts: int) -> list[np.ndarray]:
    """For each part, the indices of its games in order (one sort, not a scan per part)."""
    order = np.argsort(part_of, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(part_of, minlength=parts))])
    return [order[bounds[p] : bounds[p + 1]] for p in range(parts)]


def _first_appearance(codes: np.ndarray) -> list[int]:
    """The distinct values of ``codes`` in the order they first appear."""
    distinct, first = np.unique(codes, return_index=True)
    return distinct[np.argsort(first, kind="stable")].tolist()
