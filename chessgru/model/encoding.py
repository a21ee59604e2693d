"""The move vocabulary and the position encoding the model sees.

Decision: moves are encoded *from the mover's point of view*. A Black move is mirrored
vertically (rank 1 <-> rank 8) before it is looked up, so ``e7e5`` by Black and ``e2e4`` by
White are the same token. The model then learns one set of move shapes ("push the king's
pawn two squares") instead of two, which halves what it has to learn from a few hundred
games; the side to move is known from the position (see :func:`position_words`). This is
the convention of lc0 and Maia.

The vocabulary holds every from-square/to-square pair that a queen or a knight could make
on an empty board (1792 moves; castling is the king's two-square move, as python-chess
writes it in standard chess), plus the under-promotions from the 7th to the 8th rank
(3 pieces x 22 pawn moves = 66). A queen promotion is the plain from/to move: any pawn move
to the last rank without an under-promotion token is a queen promotion. 1858 tokens.

Positions are stored as nine unsigned 64-bit words (see :func:`position_words`) so a cache
of millions of positions stays small and the model unpacks them to planes on its device.
"""

from __future__ import annotations

from collections.abc import Iterable

import chess
import numpy as np

#: Bump when the meaning of a token or of a position word changes: caches and model files
#: written by another version are rejected instead of silently misread.
ENCODER_VERSION = 1

_UNDERPROMOTIONS = (chess.KNIGHT, chess.BISHOP, chess.ROOK)


def _build_vocabulary() -> list[tuple[int, int, int | None]]:
    moves: list[tuple[int, int, int | None]] = []
    for from_sq in chess.SQUARES:
        fr, ff = chess.square_rank(from_sq), chess.square_file(from_sq)
        for to_sq in chess.SQUARES:
            if to_sq == from_sq:
                continue
            tr, tf = chess.square_rank(to_sq), chess.square_file(to_sq)
            dr, df = abs(tr - fr), abs(tf - ff)
            if dr == 0 or df == 0 or dr == df or {dr, df} == {1, 2}:
                moves.append((from_sq, to_sq, None))
    for ff in range(8):
        from_sq = chess.square(ff, 6)
        for tf in (ff - 1, ff, ff + 1):
            if 0 <= tf < 8:
                for piece in _UNDERPROMOTIONS:
                    moves.append((from_sq, chess.square(tf, 7), piece))
    return moves


#: Token -> (from square, to square, under-promotion piece or None), mover's frame.
VOCABULARY: tuple[tuple[int, int, int | None], ...] = tuple(_build_vocabulary())
VOCAB_SIZE = len(VOCABULARY)
_INDEX: dict[tuple[int, int, int | None], int] = {m: i for i, m in enumerate(VOCABULARY)}


def _frame(square: int, turn: chess.Color) -> int:
    return square if turn == chess.WHITE else chess.square_mirror(square)


def encode_move(move: chess.Move, turn: chess.Color) -> int:
    """Token of ``move`` played by the side ``turn``; raises KeyError for a non-chess move."""
    promo = move.promotion if move.promotion in _UNDERPROMOTIONS else None
    return _INDEX[(_frame(move.from_square, turn), _frame(move.to_square, turn), promo)]


def decode_move(token: int, board: chess.Board) -> chess.Move:
    """The move that ``token`` means for the side to move on ``board`` (may be illegal)."""
    from_sq, to_sq, promo = VOCABULARY[token]
    from_sq, to_sq = _frame(from_sq, board.turn), _frame(to_sq, board.turn)
    is_pawn = board.piece_type_at(from_sq) == chess.PAWN
    if promo is None and is_pawn and chess.square_rank(to_sq) in (0, 7):
        promo = chess.QUEEN
    return chess.Move(from_sq, to_sq, promo)


def legal_tokens(board: chess.Board) -> tuple[np.ndarray, list[chess.Move]]:
    """Tokens of the legal moves on ``board``, with the moves in the same order.

    Only standard chess is encoded; the model never proposes a move outside this list,
    which is how every prediction stays legal.
    """
    moves = list(board.generate_legal_moves())
    tokens = np.fromiter((encode_move(m, board.turn) for m in moves), np.int64, len(moves))
    return tokens, moves


def legal_mask(board: chess.Board) -> np.ndarray:
    """Boolean mask over the vocabulary: True where the token is a legal move."""
    mask = np.zeros(VOCAB_SIZE, dtype=bool)
    mask[legal_tokens(board)[0]] = True
    return mask


#: Layout of :func:`position_words`: six piece-type bitboards, two colour bitboards, flags.
POSITION_WORDS = 9
#: Bits of the flags word.
FLAG_WHITE_TO_MOVE = 1 << 0
FLAG_WHITE_OO, FLAG_WHITE_OOO, FLAG_BLACK_OO, FLAG_BLACK_OOO = 1 << 1, 1 << 2, 1 << 3, 1 << 4
#: En-passant file + 1 in bits 5..8 (0 = no en-passant square).
FLAG_EP_SHIFT = 5


def position_words(board: chess.Board) -> tuple[int, ...]:
    """The position before a move as nine 64-bit words, in White's frame.

    ``(pawns, knights, bishops, rooks, queens, kings, white, black, flags)``; the model
    turns them into planes seen from the mover's side. Cheap: attribute reads only (the
    PGN reader calls it for every ply it reads).
    """
    flags = FLAG_WHITE_TO_MOVE if board.turn == chess.WHITE else 0
    cr = board.castling_rights
    if cr:  # most positions of a game have no castling rights left
        flags |= (
            (FLAG_WHITE_OO if cr & chess.BB_H1 else 0)
            | (FLAG_WHITE_OOO if cr & chess.BB_A1 else 0)
            | (FLAG_BLACK_OO if cr & chess.BB_H8 else 0)
            | (FLAG_BLACK_OOO if cr & chess.BB_A8 else 0)
        )
    ep = board.ep_square
    if ep is not None and board.has_legal_en_passant():
        flags |= ((ep & 7) + 1) << FLAG_EP_SHIFT
    occupied = board.occupied_co
    return (
        board.pawns,
        board.knights,
        board.bishops,
        board.rooks,
        board.queens,
        board.kings,
        occupied[chess.WHITE],
        occupied[chess.BLACK],
        flags,
    )


def encode_game(
    moves: Iterable[chess.Move], board: chess.Board | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Tokens (uint16, one per ply) and positions before each ply (uint64, ply x 9).

    ``moves`` must be legal from ``board`` (default: the standard start); the caller
    replays them anyway while parsing, so this is the reference, not the fast path.
    """
    board = chess.Board() if board is None else board.copy(stack=False)
    tokens: list[int] = []
    words: list[tuple[int, ...]] = []
    for move in moves:
        words.append(position_words(board))
        tokens.append(encode_move(move, board.turn))
        board.push(move)
    return (
        np.asarray(tokens, dtype=np.uint16),
        np.asarray(words, dtype=np.uint64).reshape(-1, POSITION_WORDS),
    )


#: Conditioning of the mover at each ply: (player index, Elo bucket, speed class).
#: Player 0 is the population (anyone the model does not know by name).
COND_FIELDS = 3
ELO_BUCKETS = 16  # 0 = unknown, then 200-point bins from <800 to >=3400 (1..15)
SPEEDS = ("unknown", "bullet", "blitz", "rapid", "classical", "correspondence")


def elo_bucket(elo: int | None) -> int:
    """Bucket of a rating: 0 when unknown, else 1..ELO_BUCKETS-1 in 200-point bins."""
    if elo is None or elo <= 0:
        return 0
    return int(min(max((elo - 600) // 200, 1), ELO_BUCKETS - 1))


def speed_class(time_control: str | None) -> int:
    """Index into :data:`SPEEDS` from a PGN TimeControl tag ("180+2", "1/259200", "-").

    Uses lichess's estimate (base seconds + 40 x increment) so "60+0" is bullet and
    "900+10" rapid; daily games ("1/86400") are correspondence.
    """
    if not time_control or time_control in ("-", "?"):
        return 0
    first = time_control.split(":")[0]
    if "/" in first:
        return SPEEDS.index("correspondence")
    try:
        base, _, inc = first.partition("+")
        total = float(base) + 40 * float(inc or 0)
    except ValueError:
        return 0
    if total < 180:
        return SPEEDS.index("bullet")
    if total < 480:
        return SPEEDS.index("blitz")
    if total < 1500:
        return SPEEDS.index("rapid")
    return SPEEDS.index("classical")
