"""``fit_people``: PGN files and a model file in, the model with everyone's personal fit out.

The default of ``chessgru train`` when fine-tuning, and of the Family menu's learning
(chosen on the few-shot curves of training/README.md):

1. the network is fine-tuned on the games as ``--tune all`` does (``--tune head`` for a
   model with a tower), with each chosen person's newest fifth held back;
2. each chosen person gets an embedding row (new people a copy of the population row,
   known people keep theirs as the starting point) and the personal fit of
   :mod:`chessgru.training.personal` (their move-frequency prior, checked on those
   held-back games), on the fine-tuned network and on the starting one;
3. the fine-tuned network is kept only when, on the held-back games, it predicts no
   person worse (log-likelihood) and everyone together no worse (top-1) than the starting
   network with their fits; otherwise the starting network is kept, and the report says so.

``network=None`` (``--tune personal``) skips steps 1 and 3: seconds, the network untouched.
The model file keeps every earlier prior and adds the new ones; the per-person report goes
to the console and into the header (``personal.people``, ``personal.network``).
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from chessgru.errors import UserError
from chessgru.games import split
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.model.bundle import Bundle, build_model, load_bundle, player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.model.prior import PersonalPrior
from chessgru.training import data, personal
from chessgru.training.config import FINE_TUNE_DEFAULTS, TrainConfig
from chessgru.training.personal_report import person_report, report_lines

# The network's fine-tune stops after this many steps (~160k plies in 4,096-ply batches):
# the three passes over falc0nfeast's training games in the largest few-shot arm take 27,
# so the figures of training/README.md are unchanged, while 3,000 games get about one pass
# instead of three and the whole fit stays within minutes (issue 11: < 5 min).
NETWORK_MAX_STEPS = 40

#: Held-back moves below which a fine-tuned network is neither trained nor kept. Ten games
#: hold back two (~80 moves): a check that small passed a network that cost Fischer 1.5
#: points of top-1 on his later games (training/README.md, masters as new people); at 30
#: games the network had added at most 0.1 point over the person's prior alone.
MIN_CHECK_MOVES = 300


@dataclass
class PeopleResult:
    """What ``fit_people`` wrote: the model file, the per-person report, the network's fate."""

    out: Path
    reports: list[dict[str, Any]]
    network: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report as console lines."""
        lines = [line for r in self.reports for line in report_lines(r)]
        return lines + ([f"network: {self.network['note']}"] if self.network else [])


@dataclass
class _Fitted:
    """One network with everyone's personal fit on it."""

    model: ChessGRU
    entries: list[dict[str, Any]]
    prior: PersonalPrior
    fits: list[personal.PersonFit]
    games: list[personal.PersonGames]


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
    network: str | None = "auto",
    on_person: Callable[[int, int], None] | None = None,
) -> PeopleResult:
    """Fit every chosen person in the PGN ``paths`` onto the model ``start``; write ``out``.

    ``network``: how the network is fine-tuned first ("auto", "all", "head"; None: not at
    all). ``on_person(done, total)`` is called after each person (the GUI's progress).
    """
    if threads:
        torch.set_num_threads(threads)
    corpus = load_corpus(paths, aliases=aliases, merge_names=merge_names, progress=show_progress)
    if not corpus.games:
        raise UserError(
            f"The PGN files hold no usable games ({len(corpus.skipped)} skipped as unreadable)."
        )
    return fit_people_corpus(
        corpus,
        start,
        out,
        players=players,
        min_games=min_games,
        threads=threads,
        seed=seed,
        network=network,
        on_person=on_person,
        show_progress=show_progress,
    )


def fit_people_corpus(
    corpus: Corpus,
    start: Path,
    out: Path,
    *,
    players: Sequence[str] = (),
    min_games: int = 10,
    threads: int | None = None,
    seed: int = 0,
    network: str | None = "auto",
    on_person: Callable[[int, int], None] | None = None,
    show_progress: bool = False,
) -> PeopleResult:
    """:func:`fit_people` on a loaded corpus (the few-shot curves call it on subsets)."""
    bundle = load_bundle(start)
    chosen = data.select_players(data.player_counts(corpus), min_games, players)
    if not chosen:
        raise UserError(
            f"No player has {min_games} games in the PGN files; name one with --player."
        )
    steps = len(chosen) * (2 if network else 1)
    progress = _Progress(on_person, steps)
    entries = [dict(p) for p in bundle.players]
    fitted = _fit_everyone(
        build_model(bundle), entries, bundle.prior, corpus, chosen, seed, progress
    )
    population = fitted.model  # its row 0 is the starting model's population
    note: dict[str, Any] = {}
    too_few = _too_few(sum(f.val_moves for f in fitted.fits))
    if network and too_few:  # no check could keep a fine-tuned network: do not train one
        note = too_few
        progress.add(len(chosen))
    elif network:
        tuned = _fine_tune(corpus, chosen, start, network, threads, show_progress)
        if tuned is None:
            note = {"kept": False, "note": "too few games to fine-tune and check the network"}
        else:
            entries = [dict(p) for p in tuned.players]
            model = build_model(tuned)
            fits = _fit_everyone(
                model, entries, bundle.prior, corpus, chosen, seed, progress, counted=False
            )
            fitted, note = _choose(fitted, fits)
    reports = [
        person_report(fitted.model, row, fitted.prior, fit, games, population=population)
        for fit, games, row in zip(fitted.fits, fitted.games, _rows(fitted, chosen), strict=True)
    ]
    old = bundle.personal.get("people", {})
    people = {**old, **{r["fit"]["name"]: r for r in reports}}
    save_bundle(
        out,
        fitted.model,
        fitted.entries,
        train_config={**bundle.train_config, "personal_from": str(start), "network": network},
        data=bundle.data,
        metrics=bundle.metrics,
        prior=fitted.prior,
        personal={"people": people, **({"network": note} if note else {})},
    )
    return PeopleResult(out, reports, note)


class _Progress:
    """Counts personal fits (one per person and network) for ``on_person``."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def add(self, n: int) -> None:
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)


def _rows(fitted: _Fitted, chosen: Sequence[str]) -> list[int]:
    names = [e["name"] for e in fitted.entries]
    return [names.index(name) for name in chosen]


def _fit_everyone(
    model: ChessGRU,
    entries: list[dict[str, Any]],
    prior: PersonalPrior,
    corpus: Corpus,
    chosen: Sequence[str],
    seed: int,
    progress: _Progress,
    *,
    counted: bool = True,
) -> _Fitted:
    """Every chosen person's row and personal fit on ``model`` (a copy of ``prior`` gets them).

    ``counted``: add their games to their header entry (a fine-tuned network's entries
    already count the games it trained on).
    """
    prior = copy.deepcopy(prior)
    rows = {p["name"]: i for i, p in enumerate(entries)}
    fitted = _Fitted(model, entries, prior, [], [])
    for name in chosen:
        games = personal.person_games(corpus, name, split.player_games(corpus, name))
        start_row = rows.get(name, 0)
        if name not in rows:
            model.add_players(1)
            rows[name] = model.config.n_players - 1
            entries.append(player_entry(name))
        row = rows[name]
        if counted:
            entries[row]["games"] = int(entries[row].get("games", 0)) + len(games)
            entries[row]["moves"] = int(entries[row].get("moves", 0)) + games.plies()
        fit = personal.fit_person(model, row, name, games, prior, start_row=start_row, seed=seed)
        fitted.fits.append(fit)
        fitted.games.append(games)
        progress.add(1)
    return fitted


def _fine_tune(
    corpus: Corpus,
    chosen: Sequence[str],
    start: Path,
    tune: str,
    threads: int | None,
    show_progress: bool,
) -> Bundle | None:
    """The network fine-tuned as ``--tune tune`` on ``corpus`` without each chosen person's
    newest fifth (their held-back games); None when nothing is left to train on."""
    from chessgru.training.fit import fit_corpus
    from chessgru.training.loop import make_logger
    from chessgru.training.runtime import resolve_runtime

    config = TrainConfig(
        **FINE_TUNE_DEFAULTS,
        max_steps=NETWORK_MAX_STEPS,
        players=tuple(chosen),
        from_model=str(start),
        tune=tune,
        threads=threads,
        holdout_fraction=personal.VALIDATION_FRACTION,
        holdout_players=tuple(chosen),
    )
    rt = resolve_runtime(config.device, config.precision, threads)
    log = make_logger(None, rt) if show_progress else (lambda _line: None)
    with tempfile.TemporaryDirectory(prefix="chessgru-network-") as tmp:
        out = Path(tmp) / "network.chessgru"
        try:
            fit_corpus(
                corpus, config, ModelConfig(), out, rt=rt, log=log, show_progress=show_progress
            )
        except UserError:  # no game left once the held-back ones are out
            return None
        return load_bundle(out)


def _too_few(moves: int) -> dict[str, Any] | None:
    """The network note when ``moves`` held-back moves cannot check a fine-tune, else None."""
    if moves >= MIN_CHECK_MOVES:
        return None
    note = (
        f"too few held-back moves ({moves}, fewer than {MIN_CHECK_MOVES}) to trust a "
        "fine-tuned network; the starting network is used"
    )
    return {"kept": False, "note": note}


def _choose(start: _Fitted, tuned: _Fitted) -> tuple[_Fitted, dict[str, Any]]:
    """The fine-tuned network when it is no worse on the held-back games, else the start."""
    pairs = [(s, t) for s, t in zip(start.fits, tuned.fits, strict=True) if s.val_moves]
    moves = sum(s.val_moves for s, _ in pairs)
    hits = (
        sum(s.after["top1"] * s.val_moves for s, _ in pairs),
        sum(t.after["top1"] * t.val_moves for _, t in pairs),
    )
    worse = [t.name for s, t in pairs if t.after["nll"] > s.after["nll"]]
    figures = {"val_moves": moves, "top1_start": hits[0] / max(moves, 1)}
    figures["top1_tuned"] = hits[1] / max(moves, 1)
    change = f"held-back top-1 {figures['top1_start']:.1%} -> {figures['top1_tuned']:.1%}"
    if not moves:
        return start, {**figures, "kept": False, "note": "no held-back games to check it on"}
    if too_few := _too_few(moves):
        return start, {**figures, **too_few}
    if worse or hits[1] < hits[0]:
        why = f"it predicts {', '.join(worse)} worse" if worse else change
        note = f"the fine-tuned network is not kept ({why}); the starting network is used"
        return start, {**figures, "kept": False, "note": note}
    for s, t in zip(start.fits, tuned.fits, strict=True):
        t.before = s.before  # "before" is the starting model, whatever network follows
    note = f"fine-tuned and kept ({change} over {moves} moves)"
    return tuned, {**figures, "kept": True, "note": note}
