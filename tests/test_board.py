"""The board-reading network: input planes, the policy map, the tower model end to end."""

from __future__ import annotations

import chess
import numpy as np
import pytest
import torch
from test_model import game_inputs

from chessgru.model import board, encoding
from chessgru.model.network import ChessGRU, ModelConfig

TOWER = ModelConfig(
    n_players=4,
    hidden=32,
    layers=1,
    embed=16,
    board_dim=32,
    player_dim=8,
    tower_blocks=2,
    tower_channels=16,
)


def planes_after(sans: str) -> torch.Tensor:
    """Planes of the position after ``sans``, whose last move is the previous move."""
    b = _board(sans)
    last = b.pop()
    token = encoding.encode_move(last, b.turn)
    b.push(last)
    words = np.asarray(encoding.position_words(b), dtype=np.uint64).view(np.int64)
    return board.board_planes(torch.from_numpy(words)[None], torch.tensor([token]))[0]


def _board(sans: str) -> chess.Board:
    b = chess.Board()
    for san in sans.split():
        b.push_san(san)
    return b


def test_policy_map_gives_every_token_its_own_slot() -> None:
    index = board.POLICY_INDEX
    assert index.shape == (encoding.VOCAB_SIZE,)
    assert len(set(index.tolist())) == encoding.VOCAB_SIZE
    assert int(index.max()) < board.POLICY_PLANES * 64
    # e2e4 in the mover's frame: straight ahead (direction 0), two squares, from e2.
    e2e4 = encoding.encode_move(chess.Move.from_uci("e2e4"), chess.WHITE)
    assert index[e2e4] == (0 * 7 + 1) * 64 + chess.E2
    # A knight under-promotion straight ahead: the first under-promotion planes.
    a7a8n = encoding.encode_move(chess.Move.from_uci("a7a8n"), chess.WHITE)
    assert index[a7a8n] == (64 + 1) * 64 + chess.A7


def test_planes_are_seen_from_the_mover_with_the_last_move() -> None:
    p = planes_after("e4")  # Black to move after 1.e4
    assert p.shape == (board.PLANES, 8, 8)
    assert p[0, 1].sum() == 8  # Black's own pawns: the 2nd rank in Black's frame
    assert p[6, 6, 4] == 0 and p[6, 4, 4] == 1  # White's pawn e4 -> e5 in Black's frame
    # The previous move e2e4 seen by Black: from e7 to e5 (mirrored squares).
    assert p[12].nonzero().tolist() == [[6, 4]]
    assert p[13].nonzero().tolist() == [[4, 4]]
    assert p[14:18].sum() == 4 * 64  # all four castling rights
    assert p[19].sum() == 64  # mover is Black
    assert p[20].sum() == 64  # the constant plane
    white = planes_after("e4 e5")
    assert white[19].sum() == 0


def test_first_ply_has_no_previous_move_and_en_passant_is_marked() -> None:
    tokens_in, positions, _ = game_inputs("e4 a6 e5 d5")
    p = board.board_planes(positions[0], tokens_in[0])
    assert p[0, 12:14].sum() == 0  # BOS: no previous-move squares
    # After 3...d5 White may take en passant on d6: rank 6 (index 5), file d.
    assert planes_after("e4 a6 e5 d5")[18].nonzero().tolist() == [[5, 3]]
    assert planes_after("e4 a6 e5")[18].sum() == 0


def test_tower_model_step_matches_forward() -> None:
    torch.manual_seed(0)
    model = ChessGRU(TOWER).eval()
    with torch.no_grad():  # the zero-initialised gains would hide a mismatch in the tower
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    tokens_in, positions, cond = game_inputs("e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6")
    with torch.inference_mode():
        full, final = model(tokens_in, positions, cond)
        hidden = None
        for t in range(tokens_in.shape[1]):
            logits, hidden = model.step(tokens_in[:, t], positions[:, t], cond[:, t], hidden)
            torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(hidden, final)


@pytest.mark.parametrize("recurrent", [True, False])
def test_forward_players_reads_the_board_once_and_matches_forward(recurrent: bool) -> None:
    """Scoring many candidate players of one game (who): the tower runs once, the logits
    are those of the game repeated under each conditioning."""
    torch.manual_seed(0)
    model = ChessGRU(dataclass_replace(TOWER, recurrent=recurrent)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    tokens_in, positions, cond = game_inputs("e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6")
    many = cond.repeat(4, 1, 1)
    many[:, 0::2, 0] = torch.arange(4)[:, None]  # White's player differs per row
    calls = []
    model.tower.register_forward_hook(lambda _m, args, _out: calls.append(len(args[0])))
    with torch.inference_mode():
        shared = model.forward_players(tokens_in, positions, many)
        repeated, _ = model(tokens_in.expand(4, -1), positions.expand(4, -1, -1), many)
    assert calls == [tokens_in.shape[1], 4 * tokens_in.shape[1]]
    torch.testing.assert_close(shared, repeated, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(shared[0], shared[1])


def test_a_position_does_not_depend_on_the_rest_of_the_batch() -> None:
    """No batch statistics: one live position scores as it does inside a training batch."""
    torch.manual_seed(0)
    model = ChessGRU(dataclass_replace(TOWER, recurrent=False)).eval()
    tokens_in, positions, cond = game_inputs("d4 Nf6 c4 e6 Nc3 Bb4")
    with torch.inference_mode():
        together, hidden = model(tokens_in, positions, cond)
        alone, _ = model(tokens_in[:, 3:4], positions[:, 3:4], cond[:, 3:4])
    assert hidden is None
    torch.testing.assert_close(alone[:, 0], together[:, 3])


def test_player_and_history_reach_the_tower_model_prediction() -> None:
    torch.manual_seed(0)
    model = ChessGRU(TOWER).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    tokens_in, positions, cond = game_inputs("e4 e5 Nf3")
    other = cond.clone()
    other[..., 0] = 3
    with torch.inference_mode():
        assert not torch.allclose(
            model(tokens_in, positions, cond)[0], model(tokens_in, positions, other)[0]
        )


def test_tower_model_trains_every_parameter() -> None:
    torch.manual_seed(0)
    model = ChessGRU(TOWER).train()
    tokens_in, positions, cond = game_inputs("e4 e5 Nf3 Nc6")
    logits, _ = model(tokens_in, positions, cond)
    torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.tensor([0, 1, 2, 3])).backward()
    assert not [name for name, p in model.named_parameters() if p.grad is None]


def test_inconsistent_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="tower"):
        ChessGRU(ModelConfig(recurrent=False))
    with pytest.raises(ValueError, match="board_input"):
        ChessGRU(dataclass_replace(TOWER, board_input=False))


def dataclass_replace(config: ModelConfig, **changes: object) -> ModelConfig:
    return ModelConfig.from_dict({**config.to_dict(), **changes})
