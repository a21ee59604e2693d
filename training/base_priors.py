"""Give the base model's named people their personal move-frequency priors: one command.

    python training/base_priors.py assets/base.chessgru --out runs/base-prior.chessgru
    python training/base_priors.py runs/first.chessgru --recipe training/base_model.toml \\
        --out runs/first-prior.chessgru    # the first network (the base before 2026-11-24)

Each named person's counts (:mod:`chessgru.model.prior`) come from the recipe's own
training games (the held-out masters games, every copy of them, stay out), pruned to keep
the file small: only the first ``--plies`` plies of a game, only positions the person
reached at least ``--min-visits`` times. One strength is shared by everyone, fitted on
held-back training games (every 20th by a hash of its moves; the counts for the fit leave
them out): the value of a grid that maximises the likelihood of their moves under
``(count + s p_net) / (total + s)``. The weights, players and header are copied unchanged
(the population and people without counts predict as before); the prior is written with
the model as the ``prior.*`` tensors and the strengths in the header. Deterministic.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import chess
import numpy as np
import tomllib
import torch
from safetensors import safe_open

from chessgru.analysis.game import prepare_game
from chessgru.analysis.prior_scores import PriorIndex, side_inputs
from chessgru.analysis.who import exact_scores
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.games.split import game_key, holdout, matching_games
from chessgru.model import encoding
from chessgru.model.bundle import build_model, load_bundle, save_bundle
from chessgru.model.prior import PersonalPrior, position_keys
from chessgru.training.data import game_conditions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GRID = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
FIT_EVERY = 20  # every 20th training game (by a hash of its moves) fits the strength
FIT_GAMES = 2000  # at most this many of them (the first by index): the fit runs the network


def load_games(recipe: dict) -> tuple[Corpus, set[int]]:
    """The recipe's training files with named people, and the games to leave out."""
    data = recipe["data"]
    root = (ROOT / data["root"]).resolve()
    population = set(data.get("population_from", []))
    train = [root / p for p in data["train"] if p not in population]
    corpus = load_corpus(train, workers=1, progress=False)
    skip: set[int] = set()
    if data.get("holdout", 0) > 0:
        files = [root / p for p in data.get("holdout_from") or data["train"]]
        source = load_corpus(files, workers=1, progress=False)
        players = data.get("holdout_players") or list(source.player_games())
        held = holdout(source, players, data["holdout"])
        skip = matching_games(corpus, {game_key(source, i) for i in held})
    return corpus, skip


def mover_plies(corpus: Corpus, names: list[str], skip: set[int], plies: int) -> dict:
    """Plies below ``plies`` of every game not in ``skip`` whose mover has a row."""
    lengths = np.diff(corpus.offsets)
    game = np.repeat(np.arange(len(corpus.games)), lengths)
    ply = np.arange(len(game)) - np.repeat(corpus.offsets[:-1], lengths)
    cond = game_conditions(corpus, names)
    row = np.where(ply % 2 == 0, cond[game, 0], cond[game, 1])
    keep = (ply < plies) & (row > 0) & ~np.isin(game, np.fromiter(skip, np.int64, len(skip)))
    where = np.flatnonzero(keep)
    fit = np.array([zlib.crc32(game_key(corpus, i)) % FIT_EVERY == 0 for i in range(len(cond))])
    return {
        "game": game[where],
        "row": row[where],
        "key": position_keys(np.asarray(corpus.positions[where])),
        "token": np.asarray(corpus.tokens[where]).astype(np.int64),
        "fit": fit,
    }


def count(row: np.ndarray, key: np.ndarray, token: np.ndarray, min_visits: int) -> PersonalPrior:
    """Counts per (row, position, move), positions a row reached under ``min_visits`` dropped."""
    order = np.lexsort((token, key, row))
    row, key, token = row[order], key[order], token[order]
    new = np.ones(len(row), dtype=bool)
    new[1:] = (row[1:] != row[:-1]) | (key[1:] != key[:-1]) | (token[1:] != token[:-1])
    start = np.flatnonzero(new)
    n = np.diff(np.append(start, len(row)))
    row, key, token = row[start], key[start], token[start]
    place = np.ones(len(row), dtype=bool)  # first entry of each (row, key)
    place[1:] = (row[1:] != row[:-1]) | (key[1:] != key[:-1])
    group = np.cumsum(place) - 1
    visits = np.bincount(group, n)[group]
    ok = visits >= min_visits
    prior = PersonalPrior()
    for r, k, t, c in zip(
        row[ok].tolist(), key[ok].tolist(), token[ok].tolist(), n[ok].tolist(), strict=True
    ):
        prior.counts.setdefault(r, {}).setdefault(k, {})[t] = c
    return prior


def fit_strength(
    model: torch.nn.Module,
    corpus: Corpus,
    names: list[str],
    games: list[int],
    prior: PersonalPrior,
    plies: int,
) -> dict:
    """Log-likelihood gain per grid strength on the fit games' first ``plies`` plies, over
    the network alone, at the moves whose mover has counts in the position (each side
    with its own row, as predictions run)."""
    cond = game_conditions(corpus, names)
    rows = set(prior.counts)
    prior.strength = dict.fromkeys(rows, 1.0)
    probs, hits, totals = [], [], []
    for i in games:
        board, moves = chess.Board(), []
        for token in corpus.game_tokens(i)[:plies]:
            moves.append(encoding.decode_move(int(token), board))
            board.push(moves[-1])
        info = corpus.games[i]
        game = prepare_game(moves, None, info.white_elo, info.black_elo, info.time_control)
        for side, row in ((chess.WHITE, int(cond[i, 0])), (chess.BLACK, int(cond[i, 1]))):
            if row not in rows or not len(game.sides[side]):
                continue
            keys, played = side_inputs(game, side)
            p = exact_scores(model, game, side, [row], opponent=int(cond[i, 1 if side else 0]))[
                0
            ].exp()
            for key, token, q in zip(keys.tolist(), played.tolist(), p.tolist(), strict=True):
                seen = prior.counts[row].get(key)
                if seen:
                    probs.append(q)
                    hits.append(seen.get(token, 0))
                    totals.append(sum(seen.values()))
    p, h, t = np.asarray(probs), np.asarray(hits, float), np.asarray(totals, float)
    base = float(np.log(p).sum())
    gains = {s: float(np.log((h + s * p) / (t + s)).sum()) - base for s in GRID}
    return {"moves": len(p), "gain_nats": gains}


def file_dtype(path: Path) -> torch.dtype:
    """The dtype of the file's floating weights (fp16 for the shipped base)."""
    with safe_open(str(path), "pt") as f:
        for name in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
            tensor = f.get_slice(name)
            if tensor.get_dtype() in ("F16", "BF16", "F32"):
                return {"F16": torch.float16, "BF16": torch.bfloat16}.get(
                    tensor.get_dtype(), torch.float32
                )
    return torch.float32


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="the base model file")
    parser.add_argument("--out", type=Path, required=True, help="the model file to write")
    parser.add_argument("--recipe", type=Path, default=HERE / "base_tower.toml")
    parser.add_argument("--plies", type=int, default=30, help="count the first N plies")
    parser.add_argument("--min-visits", type=int, default=2, help="keep positions reached k+ times")
    parser.add_argument("--strength", type=float, help="skip the fit, use this strength")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()
    bundle = load_bundle(args.model)
    if bundle.prior.strength:
        print("the model already has personal priors; give a base model.", file=sys.stderr)
        return 2
    model, names = build_model(bundle), bundle.player_names
    recipe = tomllib.loads(args.recipe.read_text(encoding="utf-8"))
    corpus, skip = load_games(recipe)
    plies = mover_plies(corpus, names, skip, args.plies)
    print(f"{len(plies['row']):,} plies loaded in {time.time() - started:.0f} s", file=sys.stderr)
    report: dict = {"plies": args.plies, "min_visits": args.min_visits}
    if args.strength is None:
        held = plies["fit"][plies["game"]]
        rest = [plies[f][~held] for f in ("row", "key", "token")]
        prior = count(*rest, args.min_visits)
        games = np.unique(plies["game"][held])[:FIT_GAMES].tolist()
        fit = fit_strength(model, corpus, names, games, prior, args.plies)
        strength = max(fit["gain_nats"], key=fit["gain_nats"].get)
        report["fit"] = {"games": len(games), **fit}
        print(f"fit on {len(games)} games: {fit}", file=sys.stderr)
    else:
        strength = args.strength
    prior = count(plies["row"], plies["key"], plies["token"], args.min_visits)
    prior.strength = dict.fromkeys(sorted(prior.counts), float(strength))
    report["strength"] = strength
    report["people"] = len(prior.strength)
    report["entries"] = len(PriorIndex.of(prior))
    save_bundle(
        args.out,
        model,
        bundle.players,
        train_config=bundle.train_config,
        data=bundle.data,
        metrics=bundle.metrics,
        dtype=file_dtype(args.model),
        prior=prior,
        personal={"base_priors": report},
    )
    size = args.out.stat().st_size
    print(f"{report} -> {args.out} ({size / 1e6:.1f} MB, {time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
