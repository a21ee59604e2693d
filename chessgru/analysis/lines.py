"""What comes next? The likeliest continuations for two given people, by beam search.

Each beam carries its own GRU state: one batched model step per ply advances every beam,
so a depth-6 search costs six small forwards after the moves played so far. A line's
probability is the product of its moves' probabilities, each over the legal moves of its
position for the person to move there, so every line is legal by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import chess
import numpy as np
import torch
from torch import nn

from chessgru.model import encoding
from chessgru.model.network import BOS


@dataclass(frozen=True)
class Line:
    """A continuation: its moves (from the given position), their SAN and its probability."""

    moves: tuple[chess.Move, ...]
    san: tuple[str, ...]
    p: float
    move_probs: tuple[float, ...]


@dataclass
class _Beam:
    board: chess.Board
    moves: tuple[chess.Move, ...]
    probs: tuple[float, ...]
    log_p: float


def _words(board: chess.Board) -> list[int]:
    return [w - (1 << 64) if w >= 1 << 63 else w for w in encoding.position_words(board)]


@torch.inference_mode()
def step(
    model: nn.Module,
    boards: Sequence[chess.Board],
    tokens_in: Sequence[int],
    cond: Sequence[tuple[int, int, int]],
    hidden: torch.Tensor | None,
) -> tuple[list[np.ndarray], torch.Tensor]:
    """One batched ply: the legal moves' log-probabilities of each board and the new state.

    Row ``i`` is ``boards[i]`` with the previous move ``tokens_in[i]`` and the mover's
    ``cond[i]``; ``hidden [layers, B, H]`` holds each row's carried state (None at ply 0).
    The log-probabilities follow ``encoding.legal_tokens(boards[i])``'s order.
    """
    positions = torch.tensor([[_words(b)] for b in boards], dtype=torch.long)
    tokens = torch.tensor([[t] for t in tokens_in], dtype=torch.long)
    conds = torch.tensor([[c] for c in cond], dtype=torch.long)
    logits, hidden = model(tokens, positions, conds, hidden)
    out = []
    for i, board in enumerate(boards):
        legal = torch.from_numpy(encoding.legal_tokens(board)[0])
        out.append(torch.log_softmax(logits[i, 0, legal].double(), 0).numpy())
    return out, hidden


def _start(
    model: nn.Module,
    board: chess.Board,
    moves: Sequence[chess.Move],
    conds: dict[chess.Color, tuple[int, int, int]],
) -> tuple[int, torch.Tensor | None, chess.Board]:
    """Read the moves so far in one forward: the next input token, the state, the board."""
    board = board.copy(stack=False)
    if not moves:
        return BOS, None, board
    tokens, positions, cond = [BOS], [], []
    for move in moves:
        positions.append(_words(board))
        cond.append(conds[board.turn])
        tokens.append(encoding.encode_move(move, board.turn))
        board.push(move)
    with torch.inference_mode():
        _, hidden = model(
            torch.tensor([tokens[:-1]]), torch.tensor([positions]), torch.tensor([cond])
        )
    return tokens[-1], hidden, board


def beam_lines(
    model: nn.Module,
    moves: Sequence[chess.Move],
    white: tuple[int, int, int],
    black: tuple[int, int, int],
    depth: int = 6,
    lines: int = 5,
    board: chess.Board | None = None,
    width: int | None = None,
) -> list[Line]:
    """The ``lines`` likeliest continuations of ``depth`` plies after ``moves``, best first.

    ``white`` and ``black`` are the movers' conditioning triples (player row, Elo bucket,
    speed). ``width`` beams are kept per ply (default ``2 * lines``) so a line that starts
    with the second-best move can still win. A line ends early at mate or a draw.
    """
    conds = {chess.WHITE: white, chess.BLACK: black}
    token, hidden, start = _start(model, board or chess.Board(), moves, conds)
    width = max(width or 2 * lines, lines)
    beams = [_Beam(start, (), (), 0.0)]
    tokens_in = [token]
    for _ in range(depth):
        live = [i for i, b in enumerate(beams) if not b.board.is_game_over()]
        if not live:
            break
        state = None if hidden is None else hidden[:, live]
        boards = [beams[i].board for i in live]
        cond = [conds[b.turn] for b in boards]
        scores, state = step(model, boards, [tokens_in[i] for i in live], cond, state)
        options = [(b.log_p, i, None, None) for i, b in enumerate(beams) if i not in live]
        for row, i in enumerate(live):
            legal = encoding.legal_tokens(beams[i].board)[1]
            for j in np.argsort(-scores[row], kind="stable")[:width]:
                options.append((beams[i].log_p + scores[row][j], i, row, legal[j]))
        options.sort(key=lambda o: -o[0])
        beams, tokens_in, rows = _advance(beams, tokens_in, options[:width])
        hidden = None if state is None else state[:, [r if r is not None else 0 for r in rows]]
    return [Line(b.moves, _sans(start, b.moves), math.exp(b.log_p), b.probs) for b in beams[:lines]]


def _advance(
    beams: list[_Beam], tokens_in: list[int], chosen: list
) -> tuple[list[_Beam], list[int], list[int | None]]:
    """The beams after one ply: each chosen option's board, input token and state row."""
    new_beams, new_tokens, rows = [], [], []
    for log_p, i, row, move in chosen:
        beam = beams[i]
        if move is None:  # a finished game keeps its line and probability
            new_beams.append(beam)
            new_tokens.append(tokens_in[i])
            rows.append(None)
            continue
        board = beam.board.copy(stack=False)
        token = encoding.encode_move(move, board.turn)
        board.push(move)
        p = math.exp(log_p - beam.log_p)
        new_beams.append(_Beam(board, (*beam.moves, move), (*beam.probs, p), log_p))
        new_tokens.append(token)
        rows.append(row)
    return new_beams, new_tokens, rows


def _sans(board: chess.Board, moves: Sequence[chess.Move]) -> tuple[str, ...]:
    board = board.copy(stack=False)
    out = []
    for move in moves:
        out.append(board.san(move))
        board.push(move)
    return tuple(out)


def numbered(board: chess.Board, sans: tuple[str, ...]) -> str:
    """SAN moves with move numbers from ``board`` ("12... Nf6 13. e5")."""
    number, turn, words = board.fullmove_number, board.turn, []
    for i, san in enumerate(sans):
        if turn == chess.WHITE:
            words.append(f"{number}. {san}")
        elif i == 0:
            words.append(f"{number}... {san}")
        else:
            words.append(san)
        if turn == chess.BLACK:
            number += 1
        turn = not turn
    return " ".join(words)
