"""Learning the family: fit each person of the library onto a model, measure each person.

The library's games are written to a temporary PGN file (people named as the library
names them) and handed to the personal fit of ``chessgru train`` (its default,
``chessgru.training.personal_fit.fit_people``): each person's move-frequency prior,
checked on their own newest games, the network untouched, in seconds, so it can run
after every game. The new model goes to a new file in the data folder's ``models/``, so
the model it started from stays where it was and one click goes back to it. Each person
is scored on their newest games (held back from the fit) before and after, top-1 over
their own moves, and the fit's report says in chess terms what changed ("Dad as White: e4
47% -> 79%").

``python -m chessgru.library.learn`` runs one learning in its own process (the GUI's
worker) and reports on stdout as JSON lines: ``{"step": n, "total": t}`` after each
person, then ``{"model": path, "scores": [...], "report": [...], "message": text}`` or
``{"error": sentence}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chessgru.errors import UserError
from chessgru.library.export import write_pgn
from chessgru.library.store import Library
from chessgru.paths import base_model_path, data_dir

KEEP_MODELS = 3  # learned models kept in models/ (the current one, the one before, one more)


@dataclass(frozen=True)
class PersonScore:
    """Top-1 of one person's own moves in their newest games, held back from the fit,
    before (the starting model) and after (the fitted one)."""

    name: str
    moves: int
    before: float
    after: float

    def line(self) -> str:
        return f"{self.name}: top-1 {self.before:.0%} -> {self.after:.0%} on their newest games"


@dataclass(frozen=True)
class Learned:
    """A finished learning: the new model file and how each person's predictions changed."""

    model: Path
    scores: list[PersonScore]
    #: Per person, the fit's headline in chess terms ("Dad as White: e4 47% -> 79% ...").
    highlights: list[str] = field(default_factory=list)
    #: The whole report of the fit, as ``chessgru train`` prints it.
    report: list[str] = field(default_factory=list)

    def message(self) -> str:
        scores = "; ".join(s.line() for s in self.scores) or "Nobody new was learned."
        return ". ".join([scores, *self.highlights])


def models_dir() -> Path:
    """Where learned models live (``$CHESSGRU_DATA/models``)."""
    return data_dir() / "models"


def export_for_training(library: Library, folder: Path) -> tuple[Path, list[str]]:
    """Write the library's games to ``folder/library.pgn``; returns it and the people in it."""
    games = library.games(with_moves_only=True)
    if not games:
        raise UserError("The library has no games to learn from yet; play or import some.")
    path = folder / "library.pgn"
    write_pgn(path, games, overwrite=True)
    people = [p.name for p in library.people() if p.games > 0]
    return path, people


def held_back_scores(reports: Sequence[dict]) -> list[PersonScore]:
    """Each person's top-1 on the newest games their fit held back (games it did not learn
    from: scoring the games a prior has counted would show its memory, up to 100%)."""
    return [
        PersonScore(fit["name"], fit["val_moves"], fit["before"]["top1"], fit["after"]["top1"])
        for fit in (r["fit"] for r in reports)
        if fit["val_moves"]
    ]


def _prune(keep: Sequence[Path]) -> None:
    """Delete learned models beyond the newest KEEP_MODELS (never one in ``keep``)."""
    learned = sorted(models_dir().glob("family-*.chessgru"), reverse=True)
    for path in learned[KEEP_MODELS:]:
        if path not in keep:
            path.unlink(missing_ok=True)


def learn(
    library_path: str | Path | None = None,
    start: str | Path | None = None,
    *,
    threads: int | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> Learned:
    """Fit the library's people onto ``start`` (None = the shipped base model); a new file.

    ``on_step(done, total)`` is called after each person.
    """
    from chessgru.training.personal_fit import fit_people
    from chessgru.training.personal_report import headline

    start_path = Path(start) if start else base_model_path()
    if start_path is None:
        raise UserError("There is no model to start learning from.")
    out = models_dir() / time.strftime("family-%Y%m%d-%H%M%S.chessgru")
    with Library(library_path) as library, tempfile.TemporaryDirectory() as tmp:
        pgn, people = export_for_training(library, Path(tmp))
        result = fit_people(
            [pgn],
            start_path,
            out,
            players=people,
            threads=threads,
            show_progress=False,
            on_person=on_step,
        )
    _prune(keep=[out, start_path])
    highlights = [line for r in result.reports if (line := headline(r))]
    return Learned(out, held_back_scores(result.reports), highlights, result.lines())


def main(argv: Sequence[str] | None = None) -> int:
    """One learning in this process, reported as JSON lines on stdout (for the GUI)."""
    parser = argparse.ArgumentParser(prog="python -m chessgru.library.learn")
    parser.add_argument("--library", help="library file (default: in $CHESSGRU_DATA)")
    parser.add_argument("--start", help="model to start from (default: the shipped base)")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)

    def emit(**fields: object) -> None:
        print(json.dumps(fields), flush=True)

    try:
        learned = learn(
            args.library,
            args.start,
            threads=args.threads,
            on_step=lambda n, t: emit(step=n, total=t),
        )
    except UserError as exc:
        emit(error=str(exc))
        return 2
    emit(
        model=str(learned.model),
        scores=[asdict(s) for s in learned.scores],
        report=learned.report,
        message=learned.message(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
