"""`who` through the personal priors: the fast path for any network, and the base priors."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import chess
import numpy as np
import pytest
import torch

from chessgru.analysis import who
from chessgru.analysis.game import prepare_game
from chessgru.analysis.prior_scores import PriorIndex, side_inputs
from chessgru.analysis.who import rank
from chessgru.model import encoding
from chessgru.model.bundle import load_bundle, player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.model.prior import PersonalPrior, board_key, position_keys
from chessgru.predict import Predictor

ROOT = Path(__file__).resolve().parents[1]
TOWER = ModelConfig(
    n_players=8, hidden=16, layers=1, embed=8, board_dim=16, player_dim=4,
    tower_blocks=1, tower_channels=4,
)  # fmt: skip
NAMES = ["population", "Tal", "Karpov", "Kasparov", "Fischer", "Spassky", "Petrosian", "Botvinnik"]
OWN = {  # each person's own White repertoire
    1: "e4 e5 f4 exf4 Nf3 g5 Bc4 g4 O-O",
    2: "d4 Nf6 c4 e6 Nf3 b6 g3 Bb7 Bg2",
    3: "c4 e5 g3 Nf6 Bg2 d5 cxd5 Nxd5 Nc3",
    4: "e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3",
}


def moves_of(sans: str) -> list[chess.Move]:
    board = chess.Board()
    return [board.push_san(san) for san in sans.split()]


def prior_of(games: dict[int, str], strength: float = 1.0, times: int = 3) -> PersonalPrior:
    """Each row's counts from its own White games, played ``times`` times."""
    prior = PersonalPrior()
    for row, sans in games.items():
        game = prepare_game(moves_of(sans))
        keys, played = side_inputs(game, chess.WHITE)
        for _ in range(times):
            prior.add(row, keys, played)
        prior.strength[row] = strength
    return prior


@pytest.fixture(scope="module")
def tower() -> ChessGRU:
    torch.manual_seed(0)
    return ChessGRU(TOWER).eval()


@pytest.mark.parametrize("row", sorted(OWN))
def test_known_person_ranks_first_by_their_prior_on_a_tower(tower, monkeypatch, row) -> None:
    scored: list[int] = []
    exact = who.exact_scores
    monkeypatch.setattr(
        who,
        "exact_scores",
        lambda m, g, s, rows, *a, **k: scored.extend(rows) or exact(m, g, s, rows, *a, **k),
    )
    assert not who.has_shared_state(tower)
    index = PriorIndex.of(prior_of(OWN))
    assert who.is_fast(tower, index) and not who.is_fast(tower, PriorIndex.of(None))
    game = prepare_game(moves_of(OWN[row]))
    ranking = rank(tower, NAMES, [(game, chess.WHITE)], shortlist=2, prior=index)
    assert ranking.players[0] == row and ranking.names[0] == NAMES[row]
    assert sorted(ranking.players) == list(range(1, len(NAMES)))
    assert ranking.probs.sum() == pytest.approx(1.0)
    assert len(scored) == 3 and scored[0] == 0 and row in scored  # population, then shortlist


def test_exact_rescoring_is_the_predictors_blended_probabilities(tmp_path, tower) -> None:
    prior = prior_of(OWN, strength=2.5, times=2)
    path = tmp_path / "tower.chessgru"
    save_bundle(path, tower, [player_entry(n) for n in NAMES], prior=prior)
    predictor = Predictor.load(path)
    moves = moves_of("e4 e5 f4 exf4 Nf3 g5 Bc4 d6 d4")  # leaves Tal's book at move 4
    game = prepare_game(moves)
    index = PriorIndex.of(predictor.prior)
    ranking = rank(predictor.model, NAMES, [(game, chess.WHITE)], shortlist=len(NAMES), prior=index)
    for row, score in zip(ranking.players, ranking.scores, strict=True):
        dists = predictor.predict_game(moves, white=row, k=None)
        expected = sum(math.log(dict(dists[p])[moves[p]]) for p in range(0, len(moves), 2))
        assert score == pytest.approx(expected, abs=1e-4)


def test_blend_leaves_rows_without_counts_and_unseen_positions_alone() -> None:
    prior = prior_of({1: OWN[1]}, strength=4.0)
    prior.counts[2] = dict(prior.counts[1])  # counts without a strength: not in use
    index = PriorIndex.of(prior)
    game = prepare_game(moves_of("e4 e5 f4 d5 Nf3"))
    keys, played = side_inputs(game, chess.WHITE)
    log_p = torch.full((3, 3), math.log(0.1))
    out = index.blend(keys, played, log_p, [3, 1, 2])
    torch.testing.assert_close(out[[0, 2]], log_p[[0, 2]])
    # Tal played e4 and f4 three times each; after 2...d5 he has no counts.
    expected = math.log((3 + 4.0 * 0.1) / (3 + 4.0))
    torch.testing.assert_close(out[1], torch.tensor([expected, expected, math.log(0.1)]))


def _script():
    spec = importlib.util.spec_from_file_location("base_priors", ROOT / "training/base_priors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_base_priors_count_prunes_rare_positions() -> None:
    count = _script().count
    row = np.array([1, 1, 1, 1, 2, 2])
    key = np.array([7, 7, 7, 9, 7, 9], dtype=np.uint64)
    token = np.array([5, 5, 6, 5, 5, 5])
    prior = count(row, key, token, 2)
    assert prior.counts == {1: {7: {5: 2, 6: 1}}}
    assert count(row, key, token, 1).counts[2] == {7: {5: 1}, 9: {5: 1}}


def test_a_file_with_priors_predicts_as_before_for_the_others(tmp_path, tower) -> None:
    plain, with_prior = tmp_path / "plain.chessgru", tmp_path / "prior.chessgru"
    players = [player_entry(n) for n in NAMES]
    save_bundle(plain, tower, players, dtype=torch.float16)
    save_bundle(with_prior, tower, players, dtype=torch.float16, prior=prior_of({1: OWN[1]}))
    assert load_bundle(with_prior).prior.rows() == [1]
    moves = moves_of(OWN[1])
    before, after = Predictor.load(plain), Predictor.load(with_prior)
    for white in (0, 2):
        assert after.predict_game(moves, white=white, k=None) == before.predict_game(
            moves, white=white, k=None
        )
    assert after.predict_game(moves, white=1, k=3) != before.predict_game(moves, white=1, k=3)


def test_a_boards_key_is_the_corpus_key_even_with_a_piece_on_h8() -> None:
    """A piece on h8 sets a word's top bit: built from a plain list those words became
    floats and lost their low bits, so eval_who's opening-tree baseline looked up keys that
    matched nothing and scored every candidate the same (a tie the true person won)."""
    board = chess.Board()  # the rook on h8
    game = prepare_game([chess.Move.from_uci("e2e4")], board)
    keys, _ = side_inputs(game, chess.WHITE)
    assert board_key(board) == int(keys[0])
    with pytest.raises(TypeError):
        position_keys(np.asarray([[float(w) for w in encoding.position_words(board)]]))
