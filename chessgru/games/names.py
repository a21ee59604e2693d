"""Player identity: which spellings in PGN headers are the same person.

Databases spell one player many ways ("Karpov, Anatoly", "Karpov,Ana", "Karpov,An"). Two
spellings merge when they differ only in case, spacing, accents or punctuation, or when
they are "Surname, Given" names with the same surname whose given names are
prefix-compatible ("An" abbreviates "Anatoly"). An abbreviation that fits two different
full names ("Carlsen,M" with "Carlsen,Magnus" and "Carlsen,Martin") merges only when one
of them is at least :data:`DOMINANCE` times more frequent than the others together;
otherwise it stays on its own, because a wrong merge mixes two people's games silently
while a missed one only costs the user an ``--alias``. Online handles (no comma) merge
by case and punctuation only. The canonical name of a group is its most frequent spelling,
unless the user named one with an alias.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chessgru.errors import UserError

#: The name of row 0 of every model: anyone the model does not know.
POPULATION = "population"

#: How much more frequent one full name must be for an ambiguous abbreviation to join it.
DOMINANCE = 10

_WORD = re.compile(r"[^\W_]+")
#: Consultation and team games ("Caruana,Fabiano:Green,Lee", "Alekhine/Reilly") name
#: several people; they never merge into one of them.
_TEAM_MARKS = (":", "/", "&", ";")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(name: str) -> str:
    """Key ignoring case, spacing, accents, punctuation: "Karpov, Anatoly " -> "karpovanatoly"."""
    return "".join(_WORD.findall(_fold(name)))


def _structure(name: str) -> tuple[str, tuple[str, ...]] | None:
    """(surname key, given-name words) of a "Surname, Given" name; None for a handle."""
    if "," not in name or any(mark in name for mark in _TEAM_MARKS):
        return None
    surname, given = name.split(",", 1)
    key = normalise(surname)
    words = tuple(_WORD.findall(_fold(given)))
    return (key, words) if key and words else None


def _extends(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return len(longer) >= len(shorter) and all(
        a.startswith(b) for a, b in zip(longer, shorter, strict=False)
    )


@dataclass
class Merge:
    """Spellings counted as one player: the canonical name and games per spelling."""

    canonical: str
    spellings: dict[str, int] = field(default_factory=dict)


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _merge_structured(counts: Mapping[str, int], union: _Union) -> None:
    """Join abbreviations to the full given names they fit (see module docstring)."""
    by_surname: dict[str, dict[tuple[str, ...], list[str]]] = {}
    for raw in counts:
        parts = _structure(raw)
        if parts is not None:
            by_surname.setdefault(parts[0], {}).setdefault(parts[1], []).append(raw)
    for forms in by_surname.values():
        weight = {words: sum(counts[r] for r in raws) for words, raws in forms.items()}
        maximal = [w for w in forms if not any(o != w and _extends(o, w) for o in forms)]
        for words, raws in forms.items():
            if words in maximal:
                continue
            fits = sorted((o for o in maximal if _extends(o, words)), key=lambda o: -weight[o])
            others = sum(weight[o] for o in fits[1:])
            if len(fits) == 1 or weight[fits[0]] >= DOMINANCE * others:
                union.join(forms[fits[0]][0], raws[0])


def resolve_names(
    counts: Mapping[str, int],
    aliases: Mapping[str, str] | None = None,
    merge: bool = True,
) -> tuple[dict[str, str], list[Merge]]:
    """Map every raw spelling in ``counts`` (spelling -> games) to its canonical name.

    ``aliases`` maps a spelling (matched ignoring case, spacing and punctuation) to the
    name it should count as; the alias target becomes its group's canonical name.
    Returns the mapping and one :class:`Merge` per group of two or more spellings.
    """
    union = _Union()
    by_key: dict[str, list[str]] = {}
    for raw in counts:
        union.find(raw)
        by_key.setdefault(normalise(raw), []).append(raw)
    if merge:
        for raws in by_key.values():
            for other in raws[1:]:
                union.join(raws[0], other)
        _merge_structured(counts, union)
    targets: list[str] = []
    for source, target in (aliases or {}).items():
        target = " ".join(target.split())
        targets.append(target)
        for raw in by_key.get(normalise(source), []):
            union.join(target, raw)
        for raw in by_key.get(normalise(target), []) if merge else ():
            union.join(target, raw)
        union.find(target)
    groups: dict[str, list[str]] = {}
    for raw in counts:
        groups.setdefault(union.find(raw), []).append(raw)
    canonical_of_root: dict[str, str] = {}
    for target in targets:
        canonical_of_root.setdefault(union.find(target), target)
    mapping: dict[str, str] = {}
    merges: list[Merge] = []
    for root, raws in groups.items():
        # Most games first; ties go to the longer (more informative) spelling, then by text.
        raws.sort(key=lambda r: (-counts[r], -len(r), r))
        canonical = canonical_of_root.get(root, raws[0])
        for raw in raws:
            mapping[raw] = canonical
        if len(raws) > 1 or canonical != raws[0]:
            merges.append(Merge(canonical, {r: counts[r] for r in raws}))
    merges.sort(key=lambda m: (-sum(m.spellings.values()), m.canonical))
    return mapping, merges


def parse_aliases(items: Iterable[str]) -> dict[str, str]:
    """``NAME=CANONICAL`` strings (from ``--alias``) as a mapping; UserError when malformed."""
    aliases: dict[str, str] = {}
    for item in items:
        name, sep, canonical = item.partition("=")
        if not sep or not name.strip() or not canonical.strip():
            raise UserError(f"Alias {item!r} is not of the form NAME=CANONICAL.")
        aliases[" ".join(name.split())] = " ".join(canonical.split())
    return aliases


def read_aliases(path: str | Path) -> dict[str, str]:
    """An aliases file: ``NAME = CANONICAL`` per line; blank lines and ``#`` comments ignored."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"Cannot read the aliases file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252", errors="replace")
    lines = [ln for ln in (raw.strip() for raw in text.splitlines()) if ln and ln[0] != "#"]
    try:
        return parse_aliases(lines)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from exc


def surname_matches(name: str, known: Iterable[str]) -> list[str]:
    """Known names whose surname is ``name`` ("Tal" -> ["Tal, Mihail"]), for typed names.

    Only for what a person types: a PGN header "Tal" must not silently become Tal, Mihail.
    """
    key = normalise(name)
    return sorted(k for k in known if key and normalise(k.split(",")[0]) == key)


def quoted(names: Iterable[str]) -> str:
    """Names listed for a message; quoted because names themselves contain commas."""
    return ", ".join(f"'{n}'" for n in names)


class PlayerNames:
    """Which model row a player's name means: the one resolver of the CLI and the GUI.

    Used by Predictor, the CLI and the GUI. A plain object over a model's players entries,
    read-only once built, so the GUI may share it between threads.
    """

    def __init__(self, players: Sequence[dict[str, Any]]) -> None:
        self.entries = [dict(p) for p in players]
        self._exact = {p["name"]: i for i, p in reversed(list(enumerate(players)))}
        self._keys: dict[str, int] = {}
        by_games = sorted(range(len(players)), key=lambda i: -int(players[i].get("games", 0)))
        for i in by_games:  # on a clash the player with more games wins
            for name in [players[i]["name"], *players[i].get("aliases", ())]:
                self._keys.setdefault(normalise(name), i)

    @property
    def players(self) -> list[str]:
        """Names by row ("population" first)."""
        return [p["name"] for p in self.entries]

    def resolve(self, name: str | int) -> int:
        """Row of a typed ``name``: exact, alias or spelling, unique surname; else UserError.

        An ambiguous surname lists the candidates; an unknown name the nearest known ones.
        """
        if isinstance(name, int):
            if not 0 <= name < len(self.entries):
                raise UserError(f"player number {name} is not in this model.")
            return name
        index = self.find(name)
        if index is not None:
            return index
        by_surname = surname_matches(name, self.players[1:])
        if len(by_surname) == 1:
            return self._exact[by_surname[0]]
        if by_surname:
            raise UserError(
                f"'{name}' could be any of {quoted(by_surname[:6])}; give the full name."
            )
        near = self._nearest(name)
        known = len(self.entries) - 1
        hint = f"nearest known: {quoted(near)}" if near else f"it knows {known} players"
        raise UserError(
            f"the model does not know the player '{name}' ({hint}); "
            f"use '{POPULATION}' for the population model."
        )

    def find(self, name: str) -> int | None:
        """Embedding row of ``name`` (exact, "population", alias, spelling variant), else None."""
        if name in self._exact:
            return self._exact[name]
        if name.strip().casefold() == POPULATION:
            return 0
        return self._keys.get(normalise(name))

    def _nearest(self, name: str, n: int = 5) -> list[str]:
        """Known names that look like ``name``, whole or by one word ("Karpow" -> Karpov)."""
        query = normalise(name)
        scores = []
        for entry in self.entries[1:]:
            score = 0.0
            for spelling in [entry["name"], *entry.get("aliases", ())]:
                for key in [normalise(spelling), *map(normalise, re.split(r"[\s,.]+", spelling))]:
                    if len(key) >= 3:
                        score = max(score, difflib.SequenceMatcher(None, query, key).ratio())
            if score >= 0.6:
                scores.append((-score, entry["name"]))
        return [found for _, found in sorted(scores)[:n]]
