"""What a personal fit changed, in chess terms: "Dad as White: e4 47% -> 79% (played 11 of 14)".

For each person: their first move as White and their replies to 1.e4 and 1.d4 as Black
(the population's probability, the fitted one, and how often they played it), their most
characteristic choices (positions they reached several times where the fit moved the
prediction most), and the held-back validation top-1 before and after. The same summary
goes to the console and into the model file's header.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import chess
import numpy as np
import torch

from chessgru.model import encoding
from chessgru.model.network import BOS, ChessGRU
from chessgru.model.prior import PersonalPrior, position_keys
from chessgru.training.personal import PersonFit, PersonGames

#: Openings the report always looks at: (who the person is, the moves before their choice).
OPENINGS = (("White", ()), ("Black against 1.e4", ("e2e4",)), ("Black against 1.d4", ("d2d4",)))
#: Characteristic choices are looked for in the first this many plies.
CHARACTERISTIC_PLIES = 16


@torch.inference_mode()
def next_move(
    model: ChessGRU,
    row: int,
    prior: PersonalPrior,
    prefix: Sequence[chess.Move],
    elo: int = 0,
    speed: int = 0,
) -> dict[chess.Move, float]:
    """Probabilities of ``row``'s next move after ``prefix`` (prior blended when they have one)."""
    board = chess.Board()
    tokens_in, positions = [BOS], [encoding.position_words(board)]
    for move in prefix:
        tokens_in.append(encoding.encode_move(move, board.turn))
        board.push(move)
        positions.append(encoding.position_words(board))
    n = len(tokens_in)
    cond = [[row if t == n - 1 else 0, elo, speed] for t in range(n)]
    words = np.asarray(positions, dtype=np.uint64)
    logits, _ = model(
        torch.tensor([tokens_in]),
        torch.from_numpy(words.view(np.int64)[None]),
        torch.tensor([cond]),
    )
    tokens, moves = encoding.legal_tokens(board)
    legal = logits[0, -1].double().numpy()[tokens]
    probs = np.exp(legal - legal.max())
    probs /= probs.sum()
    probs = prior.apply(row, int(position_keys(words[-1:])[0]), tokens, probs)
    return dict(zip(moves, probs.tolist(), strict=True))


def _choices(games: PersonGames, prefix: Sequence[str]) -> Counter[str]:
    """The person's moves (UCI) right after ``prefix`` in their games, when it is their turn."""
    ply = len(prefix)
    choices: Counter[str] = Counter()
    for tok, m in zip(games.tokens, games.mine, strict=True):
        if len(tok) <= ply or not m[ply]:
            continue
        board, moves = chess.Board(), []
        for token in tok[: ply + 1].tolist():
            moves.append(encoding.decode_move(token, board))
            board.push(moves[-1])
        if [mv.uci() for mv in moves[:ply]] == list(prefix):
            choices[moves[ply].uci()] += 1
    return choices


def habits(games: PersonGames) -> list[tuple[str, list[chess.Move], chess.Move, int, int]]:
    """Their most frequent move in each of :data:`OPENINGS` they reached.

    Each as (who, the moves before, their move, times played, times reached).
    """
    out = []
    for who, prefix_uci in OPENINGS:
        counts = _choices(games, prefix_uci)
        if counts:
            uci, played = counts.most_common(1)[0]
            prefix = [chess.Move.from_uci(u) for u in prefix_uci]
            out.append((who, prefix, chess.Move.from_uci(uci), played, counts.total()))
    return out


def usual_cond(games: PersonGames) -> tuple[int, int]:
    """The person's most frequent (Elo bucket, speed) when they move."""
    pairs: Counter[tuple[int, int]] = Counter()
    for cond, m in zip(games.cond, games.mine, strict=True):
        for elo, speed in cond[m][:, 1:].tolist():
            pairs[(elo, speed)] += 1
    return pairs.most_common(1)[0][0] if pairs else (0, 0)


def _line(prefix: Sequence[chess.Move]) -> str:
    return chess.Board().variation_san(prefix) if prefix else "the start"


def _characteristic(
    model: ChessGRU,
    row: int,
    prior: PersonalPrior,
    games: PersonGames,
    cond: tuple[int, int],
    population: ChessGRU,
) -> list[dict[str, Any]]:
    """Up to three early positions they reached 3+ times where the fit raised their choice most."""
    seen: dict[int, tuple[list[chess.Move], Counter[str]]] = {}
    for tok, pos, m in zip(games.tokens, games.positions, games.mine, strict=True):
        board, moves = chess.Board(), []
        keys = position_keys(pos[:CHARACTERISTIC_PLIES])
        for ply, token in enumerate(tok[:CHARACTERISTIC_PLIES].tolist()):
            move = encoding.decode_move(token, board)
            if m[ply]:
                entry = seen.setdefault(int(keys[ply]), (list(moves), Counter()))
                entry[1][move.uci()] += 1
            moves.append(move)
            board.push(move)
    shown = {prefix for _, prefix in OPENINGS}  # already in the openings lines
    frequent = [
        (p, c)
        for p, c in seen.values()
        if c.total() >= 3 and c.most_common(1)[0][1] >= 2 and tuple(m.uci() for m in p) not in shown
    ]
    frequent.sort(key=lambda pc: -pc[1].total())
    out = []
    for prefix, counts in frequent[:20]:
        uci, played = counts.most_common(1)[0]
        move = chess.Move.from_uci(uci)
        before = next_move(population, 0, PersonalPrior(), prefix, *cond).get(move, 0.0)
        after = next_move(model, row, prior, prefix, *cond).get(move, 0.0)
        board = chess.Board()
        for mv in prefix:
            board.push(mv)
        out.append(
            {
                "after_moves": _line(prefix),
                "move": board.san(move),
                "before": before,
                "after": after,
                "played": played,
                "of": counts.total(),
            }
        )
    out.sort(key=lambda c: -(c["after"] - c["before"]))
    return [c for c in out if c["after"] > c["before"]][:3]


def person_report(
    model: ChessGRU,
    row: int,
    prior: PersonalPrior,
    fit: PersonFit,
    games: PersonGames,
    population: ChessGRU | None = None,
) -> dict[str, Any]:
    """The report of one fitted person: openings, characteristic choices, validation.

    The "before" figures are ``population``'s row 0 (default ``model``'s): the starting
    network when the fit also fine-tuned it.
    """
    cond = usual_cond(games)
    population = population or model
    openings = []
    for who, prefix, move, played, reached in habits(games):
        board = chess.Board()
        for mv in prefix:
            board.push(mv)
        openings.append(
            {
                "as": who,
                "move": board.san(move),
                "before": next_move(population, 0, PersonalPrior(), prefix, *cond).get(move, 0.0),
                "after": next_move(model, row, prior, prefix, *cond).get(move, 0.0),
                "played": played,
                "of": reached,
            }
        )
    return {
        "fit": fit.to_dict(),
        "openings": openings,
        "characteristic": _characteristic(model, row, prior, games, cond, population),
    }


def headline(report: dict[str, Any]) -> str | None:
    """One person's most telling line: the opening habit the fit raised most, or why it
    fell back (None when it kept the population and there is nothing to say)."""
    fit = report["fit"]
    raised = [o for o in report["openings"] if o["after"] > o["before"]]
    if not raised:
        return f"{fit['name']}: {fit['note']}" if fit["note"] else None
    o = max(raised, key=lambda o: o["after"] - o["before"])
    return (
        f"{fit['name']} as {o['as']}: {o['move']} {o['before']:.0%} -> {o['after']:.0%} "
        f"(played {o['played']} of {o['of']})"
    )


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report of one person as console lines."""
    fit = report["fit"]
    name = fit["name"]
    lines = [f"{name}: {fit['games']} games, {fit['moves']} moves; fit: {fit['choice']}"]
    for o in report["openings"]:
        lines.append(
            f"  {name} as {o['as']}: {o['move']} {o['before']:.0%} -> {o['after']:.0%} "
            f"(played {o['played']} of {o['of']})"
        )
    for c in report["characteristic"]:
        lines.append(
            f"  after {c['after_moves']}: {c['move']} {c['before']:.0%} -> {c['after']:.0%} "
            f"(played {c['played']} of {c['of']})"
        )
    if fit["before"]:
        lines.append(
            f"  validation top-1 on their newest {fit['val_games']} games "
            f"({fit['val_moves']} moves): {fit['before']['top1']:.1%} -> {fit['after']['top1']:.1%}"
        )
    if fit["note"]:
        lines.append(f"  note: {fit['note']}")
    return lines
