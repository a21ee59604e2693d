"""The network: board features, forward/step agreement, growing the player table."""

from __future__ import annotations

import chess
import numpy as np
import pytest
import torch

from chessgru.model import encoding
from chessgru.model.network import BOARD_FEATURES, BOS, ChessGRU, ModelConfig, board_features

SMALL = ModelConfig(n_players=4, hidden=32, layers=2, embed=16, board_dim=32, player_dim=8)


def words(board: chess.Board) -> torch.Tensor:
    return torch.from_numpy(
        np.asarray(encoding.position_words(board), dtype=np.uint64).view(np.int64).copy()
    )


def planes(board: chess.Board) -> torch.Tensor:
    return board_features(words(board))[: 12 * 64].view(12, 8, 8)


def game_inputs(sans: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    board = chess.Board()
    moves = []
    for san in sans.split():
        moves.append(board.parse_san(san))
        board.push(moves[-1])
    tokens, positions = encoding.encode_game(moves)
    tokens_in = torch.tensor([BOS, *tokens[:-1].tolist()])
    pos = torch.from_numpy(positions.view(np.int64).copy())
    cond = torch.tensor([[1 + i % 2, 5, 2] for i in range(len(moves))])
    return tokens_in[None], pos[None], cond[None]


def test_config_round_trips_and_rejects_unknown_keys() -> None:
    assert ModelConfig.from_dict(SMALL.to_dict()) == SMALL
    with pytest.raises(ValueError, match="wings"):
        ModelConfig.from_dict({**SMALL.to_dict(), "wings": 2})
    with pytest.raises(ValueError, match="hidden"):
        ModelConfig.from_dict({"hidden": "wide"})
    with pytest.raises(ValueError, match="board_input"):
        ModelConfig.from_dict({"board_input": 1})
    assert ModelConfig.from_dict({"dropout": 0}).dropout == 0
    # Files written while the model had its own player dropout still load.
    assert ModelConfig.from_dict({**SMALL.to_dict(), "player_dropout": 0.0}) == SMALL


def test_board_features_are_seen_from_the_mover() -> None:
    start = chess.Board()
    black = chess.Board()
    black.turn = chess.BLACK
    feats = board_features(words(start))
    assert feats.shape == (BOARD_FEATURES,)
    assert planes(start)[0, 1].tolist() == [1.0] * 8  # own pawns on the 2nd rank
    assert planes(start)[6, 6].tolist() == [1.0] * 8  # opponent pawns on the 7th
    assert planes(start)[5, 0, 4] == 1  # own king on e1
    # Black to move in the same position sees the mirror image: the same planes.
    assert torch.equal(planes(black), planes(start))
    assert feats[768:772].tolist() == [1, 1, 1, 1]  # all castling rights
    assert board_features(words(black))[-1] == 1 and feats[-1] == 0


def test_board_features_mirror_castling_and_en_passant() -> None:
    board = chess.Board("r3k2r/8/8/8/3pP3/8/8/R3K2R b Kq e3 0 1")  # Black to move, d4xe3 e.p.
    feats = board_features(words(board))
    own_oo, own_ooo, opp_oo, opp_ooo = feats[768:772].tolist()
    assert (own_oo, own_ooo, opp_oo, opp_ooo) == (0, 1, 1, 0)
    assert feats[772:780].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]  # the e-file
    p = planes(board)
    assert p[0, 4, 3] == 1  # Black's d4 pawn is on d5 from Black's side
    assert p[6, 4, 4] == 1  # White's e4 pawn is on e5 from Black's side


def test_bit_63_is_unpacked() -> None:
    board = chess.Board("7k/8/8/8/8/8/8/K7 w - - 0 1")  # a black king on h8 = bit 63
    assert planes(board)[11, 7, 7] == 1


@pytest.mark.parametrize("board_input", [True, False])
def test_step_matches_forward(board_input: bool) -> None:
    torch.manual_seed(0)
    model = ChessGRU(ModelConfig(**{**SMALL.to_dict(), "board_input": board_input})).eval()
    tokens_in, positions, cond = game_inputs("e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6")
    with torch.inference_mode():
        full, final = model(tokens_in, positions, cond)
        hidden = None
        for t in range(tokens_in.shape[1]):
            logits, hidden = model.step(tokens_in[:, t], positions[:, t], cond[:, t], hidden)
            torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)
    assert full.shape == (1, tokens_in.shape[1], encoding.VOCAB_SIZE)
    torch.testing.assert_close(hidden, final, atol=1e-5, rtol=1e-5)


def test_conditioning_changes_the_prediction() -> None:
    torch.manual_seed(0)
    model = ChessGRU(SMALL).eval()
    tokens_in, positions, cond = game_inputs("e4")
    other = cond.clone()
    other[..., 0] = 3
    with torch.inference_mode():
        assert not torch.allclose(
            model(tokens_in, positions, cond)[0], model(tokens_in, positions, other)[0]
        )


def test_add_players_copies_the_population_row() -> None:
    torch.manual_seed(0)
    model = ChessGRU(SMALL).eval()
    before = model.player_emb.weight.detach().clone()
    model.add_players(3)
    assert model.config.n_players == 7
    weight = model.player_emb.weight.detach()
    assert torch.equal(weight[:4], before)
    assert all(torch.equal(weight[i], before[0]) for i in range(4, 7))
    tokens_in, positions, cond = game_inputs("e4 e5")
    as_new = cond.clone()
    as_new[..., 0] = 6
    population = cond.clone()
    population[..., 0] = 0
    with torch.inference_mode():
        torch.testing.assert_close(
            model(tokens_in, positions, as_new)[0], model(tokens_in, positions, population)[0]
        )
    assert model.player_emb.weight.requires_grad


def test_gradients_reach_every_parameter() -> None:
    torch.manual_seed(0)
    model = ChessGRU(SMALL).train()
    tokens_in, positions, cond = game_inputs("e4 e5 Nf3 Nc6")
    logits, _ = model(tokens_in, positions, cond)
    torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.tensor([0, 1, 2, 3])).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing
