"""``fit_people``: PGN files and a model file in, the same network with everyone's personal fit out.

The fast path of ``chessgru train`` (``--tune personal``): the network is not trained; each
selected person gets an embedding row (new people a copy of the population row, known
people keep theirs as the starting point) and the personal fit of
:mod:`chessgru.training.personal`, validated on their own newest games. The model file
keeps every earlier prior and adds the new ones; the per-person report goes to the console
and into the header (``personal.people``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from chessgru.errors import UserError
from chessgru.games import split
from chessgru.games.corpus import load_corpus
from chessgru.model.bundle import build_model, load_bundle, player_entry, save_bundle
from chessgru.training import data, personal
from chessgru.training.personal_report import person_report, report_lines


@dataclass
class PeopleResult:
    """What ``fit_people`` wrote: the model file and the per-person report."""

    out: Path
    reports: list[dict[str, Any]]

    def lines(self) -> list[str]:
        """The report as console lines."""
        return [line for r in self.reports for line in report_lines(r)]


def fit_people(
    paths: Sequence[str | Path],
    start: Path,
    out: Path,
    *,
    players: Sequence[str] = (),
    min_games: int = 10,
    aliases: dict[str, str] | None = None,
    merge_names: bool = True,
    threads: int | None = None,
    seed: int = 0,
    show_progress: bool = True,
) -> PeopleResult:
    """Fit every chosen person in the PGN ``paths`` onto the model ``start``; write ``out``."""
    if threads:
        torch.set_num_threads(threads)
    corpus = load_corpus(paths, aliases=aliases, merge_names=merge_names, progress=show_progress)
    if not corpus.games:
        raise UserError(
            f"The PGN files hold no usable games ({len(corpus.skipped)} skipped as unreadable)."
        )
    bundle = load_bundle(start)
    model = build_model(bundle)
    counts = data.player_counts(corpus)
    chosen = data.select_players(counts, min_games, players)
    if not chosen:
        raise UserError(
            f"No player has {min_games} games in the PGN files; name one with --player."
        )
    entries = [dict(p) for p in bundle.players]
    rows = {p["name"]: i for i, p in enumerate(entries)}
    prior = bundle.prior
    reports = []
    for name in chosen:
        indices = split.player_games(corpus, name)
        games = personal.person_games(corpus, name, indices)
        start_row = rows.get(name, 0)
        if name not in rows:
            model.add_players(1)
            rows[name] = model.config.n_players - 1
            entries.append(player_entry(name))
        row = rows[name]
        entries[row]["games"] = int(entries[row].get("games", 0)) + len(games)
        entries[row]["moves"] = int(entries[row].get("moves", 0)) + games.plies()
        fit = personal.fit_person(model, row, name, games, prior, start_row=start_row, seed=seed)
        reports.append(person_report(model, row, prior, fit, games))
    old = bundle.personal.get("people", {})
    people = {**old, **{r["fit"]["name"]: r for r in reports}}
    save_bundle(
        out,
        model,
        entries,
        train_config={**bundle.train_config, "personal_from": str(start)},
        data=bundle.data,
        metrics=bundle.metrics,
        prior=prior,
        personal={"people": people},
    )
    return PeopleResult(out, reports)
