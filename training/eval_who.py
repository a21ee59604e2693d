"""The figures of `chessgru who` and `chessgru lines` in the README, on games no model saw.

Test games: each masters player's newest 20% (``protocol_split`` on the masters files), which
the shipped base model held out (training/base_model.toml). A fixed-seed sample keeps the
run to minutes: ``--games`` test games per player (the player's own side is ranked) and
``--positions`` positions per player for the lines.

* who: the rank of the true person among every person the model knows, after 20 and 40
  plies and the whole game, exactly as ``chessgru who`` ranks (shortlist + exact rescoring),
  and for 5 and 10 games of the same person pooled (scores added). Baseline: each person's
  opening tree (their move frequencies in the base model's training games, smoothed with
  everyone's), ranking by the same summed log-probabilities. A model with personal priors
  (training/base_priors.py) is ranked as `chessgru who` ranks it ("prior"), by the fast
  scores alone ("fast": the population's forward and each person's counts, no rescoring),
  and without the priors ("model": the shared-state shortlist, first network only).
* lines: how often the actual next 2, 4 and 6 plies are one of the 5 lines of a search of
  that depth, for the model (the game's two players) and for the opening tree's most
  frequent continuations (each side's own tree where it played the position, else
  everyone's; a line ends where the tree does).

    python training/eval_who.py [--model M] [--games 10] [--positions 20] [--seed 0]
        [--methods prior,fast,model] [--json who.json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import chess
import numpy as np
import torch
from opening_trees import Trees

from chessgru.analysis.game import PreparedGame, prepare_game
from chessgru.analysis.lines import beam_lines
from chessgru.analysis.prior_scores import PriorIndex, side_inputs
from chessgru.analysis.who import (
    SHORTLIST,
    exact_scores,
    has_shared_state,
    shared_state_scores,
    shift,
)
from chessgru.games.corpus import Corpus, load_corpus
from chessgru.games.split import game_key, matching_games, protocol_split
from chessgru.model import encoding
from chessgru.model.prior import board_key
from chessgru.predict import Predictor

DATA = Path(__file__).resolve().parents[2] / "shared/data/pgn"
BROAD = "broad/pgnmentor_players_all.pgn.gz"
PLAYERS = [
    "Alekhine, Alexander", "Capablanca, Jose Raul", "Carlsen,M", "Fischer, Robert James",
    "Karpov, Anatoly", "Kasparov, Gary", "Morphy, Paul", "Polgar, Judit", "Tal, Mihail",
]  # fmt: skip
CUTOFFS = (20, 40, None)  # plies of the game seen; None = the whole game
POOLS = (5, 10)
DEPTHS = (2, 4, 6)


def game_moves(corpus: Corpus, i: int) -> list[chess.Move]:
    board, moves = chess.Board(), []
    for token in corpus.game_tokens(i):
        move = encoding.decode_move(int(token), board)
        moves.append(move)
        board.push(move)
    return moves


class SideScores:
    """One test game side: the model's scores as `who` computes them (with and without the
    personal priors), and the tree's."""

    def __init__(
        self, model, game: PreparedGame, side: chess.Color, trees: Trees, prior: PriorIndex
    ) -> None:
        self.model, self.game, self.side, self.prior = model, game, side, prior
        plies = game.sides[side].plies.tolist()
        self.counts = {c: sum(1 for p in plies if c is None or p < c) for c in CUTOFFS}
        self.approx = shared_state_scores(model, game, side)  # [P, S] or None (a tower)
        self.inputs = side_inputs(game, side)
        n_rows = len(model.player_emb.weight)
        if len(prior):
            population = exact_scores(model, game, side, [0]).expand(n_rows, -1)
            self.fast_prior = prior.blend(*self.inputs, population, range(n_rows))
        self.exact: dict[int, torch.Tensor] = {}  # row -> per-ply exact log-probs
        self.exact_prior: dict[int, torch.Tensor] = {}  # the same, blended with the prior
        self.tree = self._tree(trees, plies, n_rows)  # [S, P]

    def _tree(self, trees: Trees, plies: list[int], n_rows: int) -> np.ndarray:
        board, out, at = chess.Board(), [], set(plies)
        for ply, move in enumerate(self.game.moves):
            if ply in at:
                key = board_key(board)
                played = encoding.encode_move(move, board.turn)
                n_legal = board.legal_moves.count()
                out.append(trees.log_probs(key, played, n_legal, n_rows))
            board.push(move)
        return np.asarray(out).reshape(len(plies), n_rows)

    def need(self, rows: list[int]) -> None:
        missing = [r for r in rows if r not in self.exact]
        if missing:
            found = exact_scores(self.model, self.game, self.side, missing)
            self.exact.update(zip(missing, found, strict=True))
            blended = self.prior.blend(*self.inputs, found, missing)
            self.exact_prior.update(zip(missing, blended, strict=True))

    def fast_total(self, cutoff: int | None, prior: bool) -> torch.Tensor:
        fast = self.fast_prior if prior else self.approx
        return fast[:, : self.counts[cutoff]].sum(1)

    def exact_total(self, row: int, cutoff: int | None, prior: bool) -> float:
        exact = self.exact_prior if prior else self.exact
        return float(exact[row][: self.counts[cutoff]].sum())

    def tree_total(self, cutoff: int | None) -> np.ndarray:
        return self.tree[: self.counts[cutoff]].sum(0)


def model_rank(
    sides: list[SideScores], true_row: int, cutoff: int | None, shortlist: int, prior: bool
) -> int:
    """Rank (1 = first) of ``true_row`` among rows 1.. as `who` ranks: the shortlist
    rescored exactly, the rest moved by the median difference (``shortlist=0``: fast only)."""
    scores = sum(s.fast_total(cutoff, prior) for s in sides)
    scores[0] = -math.inf  # the population is not a candidate
    if shortlist:
        short = torch.topk(scores, shortlist).indices.tolist()
        for s in sides:
            s.need(short)
        exact = torch.tensor([sum(s.exact_total(r, cutoff, prior) for s in sides) for r in short])
        scores = scores + shift(scores[short], exact)
        scores[short] = exact
    return int((scores[1:] >= scores[true_row]).sum())  # ties count against the person


def tree_rank(sides: list[SideScores], true_row: int, cutoff: int | None) -> int:
    scores = sum(s.tree_total(cutoff) for s in sides)[1:]
    return int((scores >= scores[true_row - 1]).sum())  # ties count against the person


def tree_lines(trees: Trees, board: chess.Board, rows: dict, depth: int, n: int) -> list:
    """The opening tree's ``n`` most frequent continuations (products of frequencies)."""
    beams = [(0.0, board.copy(stack=False), ())]
    for _ in range(depth):
        options = []
        for log_p, b, moves in beams:
            key = board_key(b)
            ranked = trees.ranked(key, rows[b.turn])[: 2 * n]
            if not ranked:
                options.append((log_p, b, moves))  # the tree ends here; so does the line
            for token, freq in ranked:
                move = encoding.decode_move(token, b)
                if b.is_legal(move):
                    nb = b.copy(stack=False)
                    nb.push(move)
                    options.append((log_p + math.log(freq), nb, (*moves, move)))
        options.sort(key=lambda o: -o[0])
        beams = options[: 2 * n]
    return [moves for _, _, moves in beams[:n]]


def rates(ranks: list[int]) -> dict:
    r = np.asarray(ranks)
    return {
        "n": len(r),
        "top1": float(np.mean(r <= 1)),
        "top5": float(np.mean(r <= 5)),
        "median_rank": float(np.median(r)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model file (default: the shipped base)")
    parser.add_argument("--games", type=int, default=10, help="test games per player")
    parser.add_argument("--positions", type=int, default=20, help="lines positions per player")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shortlist", type=int, default=SHORTLIST)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--methods",
        default="prior,fast,model",
        help="prior: as `who` ranks with the priors; fast: their fast scores alone (no "
        "rescoring); model: without priors (shared-state shortlist, first network only)",
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()
    predictor = Predictor.load(args.model)
    model, n_rows = predictor.model, len(predictor.players)
    prior = PriorIndex.of(predictor.prior)
    usable = {"prior": len(prior), "fast": len(prior), "model": has_shared_state(model)}
    kinds = [k for k in args.methods.split(",") if usable[k]]
    masters = load_corpus([DATA / "masters"], progress=False)
    combined = load_corpus([DATA / BROAD, DATA / "masters"], progress=False)
    test = {p: protocol_split(masters, p)[1] for p in PLAYERS}
    held = {game_key(masters, i) for games in test.values() for i in games}
    row_of = {name: predictor.find_player(name) or 0 for name in combined.player_games()}
    trees = Trees.build(combined, row_of, matching_games(combined, held))
    print(f"loaded in {time.time() - started:.0f} s", file=sys.stderr)
    rng = random.Random(args.seed)
    short = {"prior": args.shortlist, "fast": 0, "model": args.shortlist}
    who: dict[str, dict[str, list[int]]] = {k: {} for k in (*kinds, "tree")}
    lines = {"model": {d: [] for d in DEPTHS}, "tree": {d: [] for d in DEPTHS}}
    for player in PLAYERS:
        row = predictor.resolve_player(player)
        sample = rng.sample(test[player], min(args.games, len(test[player])))
        sides = []
        for i in sample:
            info = masters.games[i]
            game = prepare_game(
                game_moves(masters, i), None, info.white_elo, info.black_elo, info.time_control
            )
            side = chess.WHITE if info.white == player else chess.BLACK
            s = SideScores(model, game, side, trees, prior)
            sides.append(s)
            color = "white" if side == chess.WHITE else "black"
            for cutoff in CUTOFFS:
                label = f"{cutoff or 'game'}/{color}"
                for kind in kinds:
                    who[kind].setdefault(label, []).append(
                        model_rank([s], row, cutoff, short[kind], kind != "model")
                    )
                who["tree"].setdefault(label, []).append(tree_rank([s], row, cutoff))
        for size in POOLS:
            for start in range(0, len(sides) - size + 1, size):
                pool = sides[start : start + size]
                for kind in kinds:
                    who[kind].setdefault(f"pool{size}", []).append(
                        model_rank(pool, row, None, short[kind], kind != "model")
                    )
                who["tree"].setdefault(f"pool{size}", []).append(tree_rank(pool, row, None))
        for _ in range(args.positions):
            i = rng.choice(test[player])
            moves, info = game_moves(masters, i), masters.games[i]
            if len(moves) < max(DEPTHS) + 1:
                continue
            ply = rng.randrange(0, len(moves) - max(DEPTHS))
            board = chess.Board()
            for move in moves[:ply]:
                board.push(move)
            white = predictor.player_cond(row_of.get(info.white, 0), info.white_elo)
            black = predictor.player_cond(row_of.get(info.black, 0), info.black_elo)
            tree_rows = {chess.WHITE: white[0], chess.BLACK: black[0]}
            for depth in DEPTHS:
                actual = tuple(moves[ply : ply + depth])
                found = beam_lines(model, moves[:ply], white, black, depth, 5)
                lines["model"][depth].append(any(line.moves == actual for line in found))
                from_tree = tree_lines(trees, board, tree_rows, depth, 5)
                lines["tree"][depth].append(actual in from_tree)
        print(f"{player}: done at {time.time() - started:.0f} s", file=sys.stderr)
    report = {
        "seed": args.seed,
        "games_per_player": args.games,
        "positions_per_player": args.positions,
        "candidates": n_rows - 1,
        "shortlist": args.shortlist,
        "who": {m: {k: rates(v) for k, v in by.items()} for m, by in who.items()},
        "lines": {m: {d: float(np.mean(v)) for d, v in by.items()} for m, by in lines.items()},
        "lines_positions": len(lines["model"][2]),
        "seconds": round(time.time() - started),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
