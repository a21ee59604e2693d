"""Few-shot curves of the personal fit: how well a model predicts a person after N of their games.

For each player (the most frequent name in their PGN file), per the evaluation protocol
(``chessgru.games.split.protocol_split``: oldest 80% train, newest 20% test), the personal
fit (``chessgru.training.personal``) runs on their oldest N train games for each N, and
every method is scored on the same test moves (top-1 over the legal moves, all plies and
plies >= 10):

* ``population``: the model with the person shown as the population (row 0);
* ``tree``: the opening tree: the person's most frequent move in the exact position in the
  N games, else the population's from the broad 20k-game sample, else a random legal move;
* ``embedding``: their tuned embedding row alone; ``prior``: the population network
  blended with their move-frequency prior; ``embedding+prior``: both (strengths chosen on
  their held-back games inside the N);
* ``fit``: what the personal fit chose after validating (falls back to the population);
* ``ft-players+prior`` / ``ft-all+prior`` (``--finetune players all``): the gradient
  fine-tune of ``chessgru train --tune players|all`` on the N games (3 epochs), then the
  personal fit on that network starting from the person's fine-tuned row; scored with the
  fine-tuned row alone (``ft-players``, ``ft-all``) and with the validated fit;
* ``default``: what ``chessgru train`` does by default (``fit_people_corpus``): the whole
  fine-tune with the person's newest fifth held back, the personal fit on it and on the
  starting network, the fine-tuned network kept only when the held-back games say so;
* ``own row``: for masters the base model already knows, the row it trained for them on
  their oldest 80% (a reference: a person with thousands of games in the full training).

Masters are presented as new people: the population row stands in for "a base trained
without them", an approximation, because the shipped base trained on their train games.
Test games are a fixed-seed sample (``--test-games``) to keep a player to a few minutes.
Also records the habits (most frequent first move as White, replies to 1.e4 and 1.d4 as
Black in the test games: predicted probability vs actual share) and the fit's seconds.

    OMP_NUM_THREADS=1 nice -n 19 python training/eval_fewshot.py --model assets/base.chessgru \\
        --players online/cmrade_lichess.pgn online/falc0nfeast_chesscom.pgn --ns 10 30 100 all \\
        --test-games 30 --steps 0 --threads 1 --finetune players all --default --out fewshot.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from chessgru.evaluation.baselines import MoveCounts, OpeningTree, position_keys
from chessgru.games.corpus import load_corpus
from chessgru.games.split import protocol_split
from chessgru.model.bundle import build_model, load_bundle
from chessgru.model.network import ModelConfig
from chessgru.model.prior import PersonalPrior
from chessgru.training import personal
from chessgru.training.config import FINE_TUNE_DEFAULTS, PLAYERS_ONLY_LR, TrainConfig
from chessgru.training.fit import fit_corpus
from chessgru.training.personal_fit import fit_people_corpus
from chessgru.training.personal_report import habits, next_move, usual_cond
from chessgru.training.runtime import resolve_runtime

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "pgn"
PLAYERS = (
    "online/cmrade_lichess.pgn",
    "online/falc0nfeast_chesscom.pgn",
    "masters/Capablanca.pgn",
    "masters/Carlsen_to2012.pgn",
)
NS = ("10", "30", "100", "300", "all")
MIN_PLY = 10


def _top1(probs, scored, prior=None, row=0, strength=None) -> tuple[float, float]:
    """Top-1 over all the scored moves and over those at plies >= 10."""
    ranked = personal.blended(probs, scored, prior, row, strength)
    hits = np.array(
        [np.argmax(p) == played for p, played in zip(ranked, scored.played, strict=True)]
    )
    late = scored.plies >= MIN_PLY
    return float(hits.mean()), float(hits[late].mean())


def _tree(fit_games: personal.PersonGames, population: MoveCounts, scored) -> tuple[float, float]:
    """The opening tree's top-1: the person's N games, then the population sample, then random."""
    mine = list(zip(fit_games.positions, fit_games.tokens, fit_games.mine, strict=True))
    keys = np.concatenate([position_keys(p[m]) for p, _, m in mine])
    tokens = np.concatenate([t[m] for _, t, m in mine])
    tree = OpeningTree(MoveCounts.build(keys, tokens), population)
    hits = np.array(
        [
            tree.hits(int(k), int(legal[played]), len(legal))[0]
            for k, legal, played in zip(scored.keys, scored.legal, scored.played, strict=True)
        ]
    )
    late = scored.plies >= MIN_PLY
    return float(hits.mean()), float(hits[late].mean())


def _opening(probs, scored) -> dict[str, float]:
    """The opening's share of the scored moves (plies < 10) and the population's top-1 there:
    a method that only knows the person's openings adds at most ``share * (1 - top1)``."""
    early = scored.plies < MIN_PLY
    hits = np.array([np.argmax(p) == y for p, y in zip(probs, scored.played, strict=True)])
    return {"share": float(early.mean()), "top1": float(hits[early].mean()) if early.any() else 0.0}


def _coverage(counts: PersonalPrior, row: int, scored) -> tuple[float, float]:
    """Share of the scored moves (all, plies < 10) whose exact position is in the fit games:
    the only moves where the person's own move counts can say anything."""
    table = counts.table(row)
    seen = np.array([int(k) in table for k in scored.keys])
    early = scored.plies < MIN_PLY
    return float(seen.mean()), float(seen[early].mean()) if early.any() else 0.0


def _habits(model, row, prior, test: personal.PersonGames, cond) -> list[dict]:
    """Predicted probability of their usual opening moves against their share in the test games."""
    return [
        {
            "as": who,
            "move": move.uci(),
            "predicted": next_move(model, row, prior, prefix, *cond).get(move, 0.0),
            "actual": played / reached,
            "of": reached,
        }
        for who, prefix, move, played, reached in habits(test)
    ]


def finetuned(model_path: Path, corpus, name: str, indices, tune: str, threads: int):
    """``chessgru train --tune tune`` on the games ``indices``: (model, person's row, cpu s)."""
    cpu = time.process_time()
    lr = PLAYERS_ONLY_LR if tune == "players" else FINE_TUNE_DEFAULTS["lr"]
    config = TrainConfig(
        **{**FINE_TUNE_DEFAULTS, "lr": lr},
        players=(name,),
        from_model=str(model_path),
        tune=tune,
        threads=threads,
        precision="fp32",
        device="cpu",
    )
    rt = resolve_runtime("cpu", "fp32", threads)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ft.chessgru"
        sub = corpus.subset(indices)
        fit_corpus(sub, config, ModelConfig(), out, rt=rt, log=lambda _: None, show_progress=False)
        bundle = load_bundle(out)
    names = bundle.player_names
    return (
        build_model(bundle),
        names.index(name) if name in names else 0,
        (time.process_time() - cpu),
    )


def _finetune_arms(model_path, corpus, name, idx, fit_games, test_g, scored, tunes, threads):
    """Top-1 of each gradient fine-tune alone and followed by the validated personal fit."""
    out = {}
    for tune in tunes:
        model, row, cpu = finetuned(model_path, corpus, name, idx, tune, threads)
        alone = personal.legal_probs(model, test_g, scored, row)
        prior = PersonalPrior()
        fit = personal.fit_person(model, row, name, fit_games, prior, start_row=row, steps=0)
        out[f"ft-{tune}"] = _top1(alone, scored)
        out[f"ft-{tune}+prior"] = _top1(alone, scored, prior, row, prior.strength.get(row))
        out[f"ft-{tune} cpu"] = cpu + fit.cpu_seconds
    return out


def default_arm(model_path: Path, corpus, name: str, indices, test_g, scored, threads) -> dict:
    """Top-1 of the default ``chessgru train`` fit on the games ``indices``, and its CPU s."""
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "default.chessgru"
        result = fit_people_corpus(
            corpus.subset(indices), model_path, out, players=[name], threads=threads
        )
        bundle = load_bundle(out)
    row = bundle.player_names.index(name)
    probs = personal.legal_probs(build_model(bundle), test_g, scored, row)
    return {
        "default": _top1(probs, scored, bundle.prior, row, bundle.prior.strength.get(row)),
        "default kept network": bool(result.network.get("kept")),
        "default cpu": time.process_time() - cpu,
    }


def evaluate_player(
    bundle,
    path: Path,
    population: MoveCounts,
    ns,
    test_games: int,
    steps: int,
    model_path: Path | None = None,
    tunes=(),
    threads: int = 1,
    default: bool = False,
) -> dict:
    corpus = load_corpus([path], progress=False)
    name = Counter(n for g in corpus.games for n in (g.white, g.black)).most_common(1)[0][0]
    train, test = protocol_split(corpus, name)
    rng = np.random.default_rng(0)
    if len(test) > test_games:
        test = sorted(rng.choice(test, size=test_games, replace=False).tolist())
    base = build_model(bundle)
    test_g = personal.person_games(corpus, name, test)
    scored = personal.scored_moves(test_g)
    pop_probs = personal.legal_probs(base, test_g, scored, 0)
    result = {
        "player": name,
        "file": str(path),
        "train_games": len(train),
        "test_games": len(test),
        "test_moves": len(scored.played),
        "population": _top1(pop_probs, scored),
        "opening": _opening(pop_probs, scored),
        "by_n": {},
    }
    own = bundle.player_names.index(name) if name in bundle.player_names else None
    if own is not None:
        result["own_row"] = _top1(personal.legal_probs(base, test_g, scored, own), scored)
    cond = usual_cond(test_g)
    result["habits_population"] = _habits(base, 0, PersonalPrior(), test_g, cond)
    for n in ns:
        k = len(train) if n == "all" else int(n)
        if k > len(train):
            continue
        fit_games = personal.person_games(corpus, name, train[:k])
        model, row = personal.with_person(base)
        prior = PersonalPrior()
        fit = personal.fit_person(model, row, name, fit_games, prior, steps=steps)
        tuned = model.player_emb.weight.data[row].clone()
        model.player_emb.weight.data[row] = fit.tuned
        emb_probs = personal.legal_probs(model, test_g, scored, row)
        counts = personal.prior_of(fit_games, row)
        model.player_emb.weight.data[row] = tuned
        fit_probs = personal.legal_probs(model, test_g, scored, row)
        entry = {
            "games": k,
            "tree": _tree(fit_games, population, scored),
            "seen": _coverage(counts, row, scored),
            "embedding": _top1(emb_probs, scored),
            "prior": _top1(pop_probs, scored, counts, row, fit.best["prior"]),
            "embedding+prior": _top1(emb_probs, scored, counts, row, fit.best["embedding+prior"]),
            "fit": _top1(fit_probs, scored, prior, row, prior.strength.get(row)),
            "choice": fit.choice,
            "strength": fit.strength,
            "val": [fit.before, fit.after],
            "seconds": fit.seconds,
            "cpu_seconds": fit.cpu_seconds,
            "habits": _habits(model, row, prior, test_g, cond),
        }
        entry.update(
            _finetune_arms(
                model_path, corpus, name, train[:k], fit_games, test_g, scored, tunes, threads
            )
        )
        if default:
            entry.update(default_arm(model_path, corpus, name, train[:k], test_g, scored, threads))
        result["by_n"][n] = entry
        print(
            f"  {name} N={k}: "
            + ", ".join(
                f"{m} {entry[m][0]:.3f}/{entry[m][1]:.3f}"
                for m in entry
                if isinstance(entry[m], tuple)
            )
            + f" (population {result['population'][0]:.3f}; {fit.choice}, {fit.seconds:.1f}s,"
            f" cpu {fit.cpu_seconds:.1f}s)",
            file=sys.stderr,
        )
    return result


def population_counts(path: Path) -> MoveCounts:
    """Move counts of every mover in the broad sample: the opening tree's population part."""
    corpus = load_corpus([path], progress=False)
    return MoveCounts.build(position_keys(corpus.positions), corpus.tokens)


def markdown(results: list[dict], tunes=(), default: bool = False) -> str:
    """The README table: top-1 all plies / plies >= 10 per player and N."""
    methods = ("tree", "embedding", "prior", "embedding+prior", "fit")
    methods += tuple(f"ft-{t}{suffix}" for t in tunes for suffix in ("", "+prior"))
    methods += ("default",) if default else ()
    head = "| player | N | population | " + " | ".join(methods) + " | chosen | fit s (cpu) |"
    extra = [f"ft-{t} cpu" for t in tunes] + (["default cpu"] if default else [])
    head += "".join(f" {x} s |" for x in extra)
    lines = [head, "|" + " --- |" * (len(methods) + 5 + len(extra))]
    for r in results:
        pop = r["population"]
        for e in r["by_n"].values():
            cells = [f"{e[m][0]:.1%} / {e[m][1]:.1%}" for m in methods]
            lines.append(
                f"| {r['player']} | {e['games']} | {pop[0]:.1%} / {pop[1]:.1%} | "
                + " | ".join(cells)
                + f" | {e['choice']} | {e['seconds']:.0f} ({e['cpu_seconds']:.0f}) |"
                + "".join(f" {e[x]:.0f} |" for x in extra)
            )
        if "own_row" in r:
            own = r["own_row"]
            lines.append(f"| {r['player']} | own row | {own[0]:.1%} / {own[1]:.1%} |" + " |" * 7)
    lines += [
        "",
        "| player | N | test moves whose position the N games reached (all / plies < 10) "
        "| opening: share of moves, population top-1 |",
        "|" + " --- |" * 4,
    ]
    for r in results:
        opening = f"{r['opening']['share']:.1%}, {r['opening']['top1']:.1%}"
        for e in r["by_n"].values():
            seen = f"{e['seen'][0]:.1%} / {e['seen'][1]:.1%}"
            lines.append(f"| {r['player']} | {e['games']} | {seen} | {opening} |")
    lines += [
        "",
        "| player | N | as | move | predicted | actual in test (games) |",
        "|" + " --- |" * 6,
    ]
    for r in results:
        for n, shown in [("population", r["habits_population"])] + [
            (str(e["games"]), e["habits"]) for e in r["by_n"].values()
        ]:
            for h in shown:
                lines.append(
                    f"| {r['player']} | {n} | {h['as']} | {h['move']} | {h['predicted']:.0%} | "
                    f"{h['actual']:.0%} ({h['of']}) |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("assets/base.chessgru"))
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared PGN folder")
    parser.add_argument("--players", nargs="+", default=list(PLAYERS), help="files under --shared")
    parser.add_argument("--ns", nargs="+", default=list(NS))
    parser.add_argument("--test-games", type=int, default=40, help="test games sampled per player")
    parser.add_argument("--steps", type=int, default=12, help="embedding steps of the fit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--finetune",
        nargs="*",
        default=[],
        choices=("players", "all", "head"),
        help="also score these gradient fine-tunes (then the personal fit on top)",
    )
    parser.add_argument(
        "--default", action="store_true", help="also score the default `chessgru train` fit"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    parser.add_argument("--markdown", type=Path, default=None, help="write the tables")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    bundle = load_bundle(args.model)
    population = population_counts(args.shared / "broad" / "pgnmentor_players_sample20k.pgn.gz")
    results = []
    for player in args.players:
        results.append(
            evaluate_player(
                bundle,
                args.shared / player,
                population,
                args.ns,
                args.test_games,
                args.steps,
                args.model,
                args.finetune,
                args.threads,
                args.default,
            )
        )
        if args.out:
            args.out.write_text(json.dumps(results, indent=1))
    table = markdown(results, args.finetune, args.default)
    if args.markdown:
        args.markdown.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
