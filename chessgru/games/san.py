"""SAN without move generation: the common moves of real games found with a few masks.

Reading a PGN is dominated by ``Board.parse_san``, which generates the legal moves to a
square for every move. :func:`plain_san` answers the plain cases exactly and gives up
(None) on anything unusual, which then goes the slow, exact way.
"""

from __future__ import annotations

import chess

_PIECES = {"N": chess.KNIGHT, "B": chess.BISHOP, "R": chess.ROOK, "Q": chess.QUEEN, "K": chess.KING}
_FILES = "abcdefgh"
_RANKS = "12345678"


def plain_san(board: chess.Board, san: str) -> chess.Move | None:
    """The move of a plain SAN ("e4", "exd5", "Nf3", "Qxe7"), else None for board.parse_san.

    ``Board.parse_san`` generates every legal move to a square (about 7 us); most moves in
    real games have one obvious origin that a few mask operations find, and a move of a
    piece that is not on a line with its own king, with the king not in check, is legal
    without further work. Anything unusual (castling, promotions, disambiguation, more
    than one candidate, en passant, a possible pin) goes the slow, exact way.
    """
    n = len(san)
    if n < 2 or n > 4 or san[-2] not in _FILES or san[-1] not in _RANKS:
        return None
    to_sq = _FILES.index(san[-2]) + 8 * _RANKS.index(san[-1])
    turn = board.turn
    ours = board.occupied_co[turn]
    theirs = board.occupied_co[not turn]
    to_bb = chess.BB_SQUARES[to_sq]
    if ours & to_bb:
        return None
    step = 8 if turn else -8
    head = san[0]
    if n == 2:  # pawn push
        if to_sq >> 3 in (0, 7) or (theirs & to_bb):
            return None
        from_sq = to_sq - step
        if not 0 <= from_sq < 64:
            return None
        if not board.pawns & ours & chess.BB_SQUARES[from_sq]:
            if board.occupied & chess.BB_SQUARES[from_sq] or (to_sq >> 3) != (3 if turn else 4):
                return None
            from_sq -= step
            if not board.pawns & ours & chess.BB_SQUARES[from_sq]:
                return None
    elif n == 4 and san[1] == "x" and head in _FILES:  # pawn capture, not en passant
        if to_sq >> 3 in (0, 7) or not theirs & to_bb:
            return None
        from_sq = to_sq - step + _FILES.index(head) - (to_sq & 7)
        if abs(_FILES.index(head) - (to_sq & 7)) != 1 or not 0 <= from_sq < 64:
            return None
        if not board.pawns & ours & chess.BB_SQUARES[from_sq]:
            return None
    elif head in _PIECES and (n == 3 or (n == 4 and san[1] == "x")):
        if n == 4 and not theirs & to_bb:
            return None
        candidates = board.attackers_mask(turn, to_sq) & board.pieces_mask(_PIECES[head], turn)
        if not candidates or candidates & (candidates - 1):
            return None
        from_sq = candidates.bit_length() - 1
    else:
        return None
    move = chess.Move(from_sq, to_sq)
    king = board.king(turn)
    if king is None:
        return None
    # Only an enemy slider on the line through the king and the piece can pin it.
    sliders = theirs & (board.queens | board.rooks | board.bishops)
    unpinnable = from_sq != king and not chess.BB_RAYS[king][from_sq] & sliders
    if unpinnable and not board.attackers_mask(not turn, king):
        return move
    return None if board.is_into_check(move) else move
