"""Within-game adaptation: does what a person played earlier help predict their next move?

For each player (the most frequent name in their PGN file), per the evaluation protocol
(oldest 80% train, newest 20% test), the personal fit (prior only, as ``chessgru train``
does by default) runs on their oldest ``--n`` train games, and their first
``--test-games`` test games are replayed in order, as one long session. Top-1 over the
legal moves at their own moves (all plies, plies >= 10, plies >= 20) for:

* ``full``: the network reading the whole game (the GRU state carries every move so far);
* ``last k``: the same network restarted ``k`` plies before each move (BOS, then the last
  ``k`` moves, each with its real board): what the carried state adds beyond them;
  ``last 0`` sees the board only;
* ``+prior``: ``full`` blended with the fitted prior (what the app predicts now);
* ``+prior, in-game``: the prior's counts also take the person's moves so far in this game;
* ``+prior, session``: ... also their moves in the earlier test games (a refit after every
  game, which the app's learning after each game gives);
* ``+prior, session+in-game``: both.

    OMP_NUM_THREADS=1 nice -n 19 python training/eval_ingame.py --model assets/base.chessgru
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from chessgru.games.corpus import load_corpus
from chessgru.games.split import protocol_split
from chessgru.model.bundle import build_model, load_bundle
from chessgru.model.prior import PersonalPrior, blend
from chessgru.training import personal

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "pgn"
PLAYERS = ("online/cmrade_lichess.pgn", "online/falc0nfeast_chesscom.pgn")
CUTS = (0, 2, 8)
FROM_PLY = (0, 10, 20)


def windows(games: personal.PersonGames, k: int) -> personal.PersonGames:
    """One short game per person's move: the ``k`` plies before it, then the move itself."""
    out = personal.PersonGames([], [], [], [])
    for tok, pos, cond, mine in zip(*games._parts(), strict=True):
        for ply in np.flatnonzero(mine).tolist():
            start = max(0, ply - k)
            out.tokens.append(tok[start : ply + 1])
            out.positions.append(pos[start : ply + 1])
            out.cond.append(cond[start : ply + 1])
            last = np.zeros(ply + 1 - start, dtype=bool)
            last[-1] = True
            out.mine.append(last)
    return out


def top1(probs, scored: personal.Scored) -> list[float]:
    """Top-1 over the scored moves at plies >= each of :data:`FROM_PLY`."""
    hits = np.array([np.argmax(p) == c for p, c in zip(probs, scored.played, strict=True)])
    return [float(hits[scored.plies >= f].mean()) for f in FROM_PLY]


def online(probs, scored, games, prior: PersonalPrior, row: int, *, session: bool, game: bool):
    """``probs`` blended with ``prior``'s counts plus the person's moves as they are played."""
    counts = copy.deepcopy(prior.table(row))
    strength = prior.strength.get(row, 4.0)
    out, at = [], 0
    for tok, mine in zip(games.tokens, games.mine, strict=True):
        now: dict[int, dict[int, int]] = {}  # this game's moves
        for token in tok[mine].tolist():
            key = int(scored.keys[at])
            seen = Counter(counts.get(key, {}))
            if game:
                seen.update(now.get(key, {}))
            legal = scored.legal[at]
            c = np.array([seen.get(int(t), 0) for t in legal], dtype=np.float64)
            out.append(blend(probs[at], c, strength))
            moves = now.setdefault(key, {})
            moves[token] = moves.get(token, 0) + 1
            at += 1
        if session:
            for key, moves in now.items():
                table = counts.setdefault(key, {})
                for token, n in moves.items():
                    table[token] = table.get(token, 0) + n
    return out


def evaluate(bundle, path: Path, n: int, test_games: int) -> dict:
    corpus = load_corpus([path], progress=False)
    name = Counter(p for g in corpus.games for p in (g.white, g.black)).most_common(1)[0][0]
    train, test = protocol_split(corpus, name)
    test = test[:test_games]
    base = build_model(bundle)
    model, row = personal.with_person(base)
    prior = PersonalPrior()
    fit_games = personal.person_games(corpus, name, train[:n])
    fit = personal.fit_person(model, row, name, fit_games, prior)
    games = personal.person_games(corpus, name, test)
    scored = personal.scored_moves(games)
    full = personal.legal_probs(model, games, scored, row)
    arms = {"full": top1(full, scored)}
    for k in CUTS:
        cut = windows(games, k)
        arms[f"last {k}"] = top1(personal.legal_probs(model, cut, scored, row), scored)
    arms["+prior"] = top1(
        personal.blended(full, scored, prior, row, prior.strength.get(row)), scored
    )
    for label, session, game in (
        ("+prior, in-game", False, True),
        ("+prior, session", True, False),
        ("+prior, session+in-game", True, True),
    ):
        probs = online(full, scored, games, prior, row, session=session, game=game)
        arms[label] = top1(probs, scored)
    moves = [int((scored.plies >= f).sum()) for f in FROM_PLY]
    result = {"player": name, "n": n, "fit": fit.choice, "strength": fit.strength}
    result.update({"test_games": len(test), "moves": moves, "arms": arms})
    print(json.dumps(result), file=sys.stderr)
    return result


def markdown(results: list[dict]) -> str:
    """One row per player and arm: top-1 at all plies / plies >= 10 / plies >= 20."""
    lines = ["| player | arm | all | >= 10 | >= 20 |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r['player']} | moves | " + " | ".join(map(str, r["moves"])) + " |")
        for arm, figures in r["arms"].items():
            lines.append(f"| {r['player']} | {arm} | " + " | ".join(f"{x:.1%}" for x in figures))
    return "\n".join(line if line.endswith("|") else line + " |" for line in lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("assets/base.chessgru"))
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared PGN folder")
    parser.add_argument("--players", nargs="+", default=list(PLAYERS), help="files under --shared")
    parser.add_argument("--n", type=int, default=30, help="train games the prior is fitted on")
    parser.add_argument("--test-games", type=int, default=100, help="first test games replayed")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    bundle = load_bundle(args.model)
    results = [evaluate(bundle, args.shared / p, args.n, args.test_games) for p in args.players]
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
