"""Learning the family: fine-tune a model on the library's games, measure each person.

The library's games are written to a temporary PGN file (people named as the library
names them) and handed to today's fine-tune, ``chessgru.training.fit.fit``, unchanged.
The new model goes to a new file in the data folder's ``models/``, so the model it
started from stays where it was and one click goes back to it. Each person is scored on
their newest games before and after, top-1 over their own moves.

``python -m chessgru.library.learn`` runs one learning in its own process (the GUI's
worker) and reports on stdout as JSON lines: ``{"step": n, "total": t}`` while it trains,
then ``{"model": path, "scores": [...], "message": text}`` or ``{"error": sentence}``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import chess

from chessgru.errors import UserError
from chessgru.library.export import write_pgn
from chessgru.library.records import GameRecord
from chessgru.library.store import Library
from chessgru.paths import base_model_path, data_dir

SCORED_GAMES = 10  # each person's newest games in the before/after message
KEEP_MODELS = 3  # learned models kept in models/ (the current one, the one before, one more)
_STEP = re.compile(r"step (\d+)/(\d+)")


@dataclass(frozen=True)
class PersonScore:
    """Top-1 of one person's own moves in their newest games, before and after learning."""

    name: str
    moves: int
    before: float
    after: float

    def line(self) -> str:
        return f"{self.name}: top-1 {self.before:.0%} -> {self.after:.0%} on their last games"


@dataclass(frozen=True)
class Learned:
    """A finished learning: the new model file and how each person's predictions changed."""

    model: Path
    scores: list[PersonScore]

    def message(self) -> str:
        return "; ".join(s.line() for s in self.scores) or "The model was fine-tuned."


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


def _own_moves_top1(predictor, games: Sequence[GameRecord], name: str) -> tuple[int, int]:
    """(top-1 hits, moves) of ``name``'s own moves in ``games`` under ``predictor``."""
    row = predictor.find_player(name) or 0
    hits = total = 0
    for game in games:
        moves = [chess.Move.from_uci(u) for u in game.moves]
        white = row if game.white_name == name else 0
        black = row if game.black_name == name else 0
        for ply, top in enumerate(predictor.predict_game(moves, white, black, k=1)):
            if ply >= len(moves) or (ply % 2 == 0) != (game.white_name == name):
                continue
            total += 1
            hits += bool(top) and top[0][0] == moves[ply]
    return hits, total


def score_people(
    library: Library, people: Sequence[str], before: str | Path | None, after: str | Path
) -> list[PersonScore]:
    """Each person's top-1 on their newest games under the ``before`` and ``after`` models."""
    from chessgru.predict import Predictor

    old, new = Predictor.load(before), Predictor.load(after)
    scores = []
    for name in people:
        games = library.games(person=name, with_moves_only=True)[:SCORED_GAMES]
        hits_before, moves = _own_moves_top1(old, games, name)
        hits_after, _ = _own_moves_top1(new, games, name)
        if moves:
            scores.append(PersonScore(name, moves, hits_before / moves, hits_after / moves))
    return scores


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
    max_steps: int | None = None,
    threads: int | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> Learned:
    """Fine-tune ``start`` (None = the shipped base model) on the library; a new model file."""
    from chessgru.model.network import ModelConfig
    from chessgru.training.config import FINE_TUNE_DEFAULTS, TrainConfig
    from chessgru.training.fit import fit

    start_path = Path(start) if start else base_model_path()
    if start_path is None:
        raise UserError("There is no model to start learning from.")
    out = models_dir() / time.strftime("family-%Y%m%d-%H%M%S.chessgru")
    with Library(library_path) as library, tempfile.TemporaryDirectory() as tmp:
        pgn, people = export_for_training(library, Path(tmp))
        config = TrainConfig(
            **FINE_TUNE_DEFAULTS,
            players=tuple(people),
            from_model=str(start_path),
            max_steps=max_steps,
            threads=threads,
            log_every=1,
        )
        fit([pgn], config, ModelConfig(), out, log_file=_StepLog(on_step), show_progress=False)
        scores = score_people(library, people, start_path, out)
    _prune(keep=[out, start_path])
    return Learned(out, scores)


class _StepLog:
    """A log "file" that turns the trainer's "step n/t" lines into progress calls."""

    def __init__(self, on_step: Callable[[int, int], None] | None) -> None:
        self.on_step = on_step

    def write(self, text: str) -> int:
        found = _STEP.search(text)
        if found and self.on_step is not None:
            self.on_step(int(found.group(1)), int(found.group(2)))
        return len(text)

    def flush(self) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """One learning in this process, reported as JSON lines on stdout (for the GUI)."""
    parser = argparse.ArgumentParser(prog="python -m chessgru.library.learn")
    parser.add_argument("--library", help="library file (default: in $CHESSGRU_DATA)")
    parser.add_argument("--start", help="model to fine-tune (default: the shipped base)")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)

    def emit(**fields: object) -> None:
        print(json.dumps(fields), flush=True)

    try:
        learned = learn(
            args.library,
            args.start,
            max_steps=args.max_steps,
            threads=args.threads,
            on_step=lambda n, t: emit(step=n, total=t),
        )
    except UserError as exc:
        emit(error=str(exc))
        return 2
    emit(
        model=str(learned.model),
        scores=[asdict(s) for s in learned.scores],
        message=learned.message(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
