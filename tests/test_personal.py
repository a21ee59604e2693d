"""The personal fit: prior maths, the model file, the predictor, the fallback and the CLI."""

from __future__ import annotations

from pathlib import Path

import chess
import numpy as np
import pytest
import torch
from safetensors import safe_open

from chessgru import cli
from chessgru.games.corpus import load_corpus
from chessgru.games.split import player_games
from chessgru.model import encoding
from chessgru.model.bundle import load_bundle, player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.model.prior import PersonalPrior, blend, position_keys
from chessgru.predict import Predictor
from chessgru.training import personal, personal_fit

CONFIG = ModelConfig(n_players=2, hidden=16, layers=1, embed=8, board_dim=16, player_dim=4)
E4 = chess.Move.from_uci("e2e4")


def _game(white: str, black: str, day: int, sans: str) -> str:
    return (
        f'[Event "t"]\n[White "{white}"]\n[Black "{black}"]\n[Date "2024.01.{day:02d}"]\n'
        f'[Result "*"]\n\n{sans} *\n\n'
    )


def write_family(path: Path) -> Path:
    """Dad and Kid: Dad always opens 1.e4, Kid answers 1...c5.

    A third move pair that differs per game keeps the games distinct (the split counts a
    move sequence once).
    """
    games = []
    for day in range(1, 31):
        i = day // 2  # distinct within Dad's White games and within his Black games
        tail = f"3. {('a3', 'h3', 'b3', 'g3')[i % 4]} {('a6', 'h6', 'b6', 'g6')[i // 4]}"
        if day % 2:
            games.append(_game("Dad", "Kid", day, f"1. e4 c5 2. Nf3 d6 {tail}"))
        else:
            games.append(_game("Kid", "Dad", day, f"1. d4 d5 2. c4 e6 {tail}"))
    path.write_text("".join(games))
    return path


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    torch.manual_seed(3)
    path = tmp_path / "base.chessgru"
    save_bundle(path, ChessGRU(CONFIG), [player_entry("population"), player_entry("Tal")])
    return path


def test_blend_trusts_counts_more_the_more_often_chosen() -> None:
    probs = np.array([0.5, 0.5])
    assert blend(probs, np.zeros(2), 4.0) is probs
    assert blend(probs, np.array([1.0, 0.0]), None) is probs
    once = blend(probs, np.array([1.0, 0.0]), 4.0)
    often = blend(probs, np.array([11.0, 0.0]), 4.0)
    assert 0.5 < once[0] < often[0] < 1.0
    assert once.sum() == pytest.approx(1.0) and often.sum() == pytest.approx(1.0)


def test_prior_round_trips_through_the_model_file(model_path: Path, tmp_path: Path) -> None:
    bundle = load_bundle(model_path)
    assert bundle.prior.rows() == [] and bundle.personal == {}  # files without a prior load
    prior = PersonalPrior()
    keys = np.array([2**63 + 5, 7], dtype=np.uint64)
    prior.add(1, keys, np.array([3, 4]))
    prior.strength[1] = 2.0
    out = tmp_path / "personal.chessgru"
    model = ChessGRU(CONFIG)
    save_bundle(out, model, bundle.players, prior=prior, personal={"people": {"Tal": {}}})
    again = load_bundle(out)
    assert again.prior.counts == {}, "a file's counts stay packed until a row is used"
    assert again.prior.table(1) == prior.counts[1] and again.prior.strength == {1: 2.0}
    assert again.prior.packed == {} and again.prior.lookup(1, 2**63 + 5) == {3: 1}
    with safe_open(str(out), framework="pt") as f:  # 16-bit columns where they fit
        assert f.get_tensor("prior.token").dtype == torch.int16
        assert f.get_tensor("prior.key").dtype == torch.int64
    assert again.personal["people"] == {"Tal": {}}


def test_predictor_blends_the_prior_live_and_in_batch(model_path: Path) -> None:
    bundle = load_bundle(model_path)
    plain = Predictor.from_bundle(bundle)
    plain.set_player(chess.WHITE, "Tal")
    before = plain.probabilities()[E4]
    words = encoding.position_words(chess.Board())
    key = position_keys(np.asarray([words], dtype=np.uint64))  # as the corpus keys
    bundle.prior.add(1, key, np.array([encoding.encode_move(E4, chess.WHITE)]))
    bundle.prior.strength[1] = 1.0
    fitted = Predictor.from_bundle(bundle)
    fitted.set_player(chess.WHITE, "Tal")
    live = fitted.probabilities()[E4]
    assert live == pytest.approx((1 + before) / 2)  # one count at strength 1
    batch = fitted.predict_game([E4], white="Tal", k=None)[0]
    assert dict(batch)[E4] == pytest.approx(live)
    population = dict(Predictor.from_bundle(bundle).predict_game([E4], k=None)[0])
    assert population[E4] < live


def test_fit_falls_back_when_the_habit_does_not_hold(tmp_path: Path) -> None:
    """Dad played 1.e4 for 24 games, then switched to 1.d4: his old habit must not ship."""
    games = []
    for day in range(1, 31):
        opening = "1. e4 e5 2. Nf3 Nc6" if day <= 24 else "1. d4 d5 2. c4 e6"
        tail = f"3. {('a3', 'h3', 'b3', 'g3', 'a4', 'h4')[day % 6]} {'ahbg'[day // 6 % 4]}6"
        games.append(_game("Dad", "Kid", day, f"{opening} {tail}"))
    (tmp_path / "f.pgn").write_text("".join(games))
    corpus = load_corpus([tmp_path / "f.pgn"], progress=False)
    games_ = personal.person_games(corpus, "Dad", player_games(corpus, "Dad"))
    assert len(games_) == 30
    torch.manual_seed(3)
    model, row = personal.with_person(ChessGRU(CONFIG))
    prior = PersonalPrior()
    fit = personal.fit_person(model, row, "Dad", games_, prior, steps=0)
    assert fit.choice == "population" and "population model is used" in fit.note
    assert prior.rows() == []
    assert torch.equal(model.player_emb.weight[row], model.player_emb.weight[0])


@pytest.mark.parametrize("tune", [[], ["--tune", "personal"]], ids=["default", "personal"])
def test_train_personal_shows_the_habit_and_stores_the_report(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tune: list[str]
) -> None:
    pgn = write_family(tmp_path / "family.pgn")
    out = tmp_path / "family.chessgru"
    args = ["train", str(pgn), "--out", str(out), "--from", str(model_path)]
    assert cli.main([*args, *tune, "--min-games", "5"]) == 0
    printed = capsys.readouterr().out
    assert "Dad as White: e4" in printed and "(played 15 of 15)" in printed
    assert "Kid as Black against 1.e4: c5" in printed
    bundle = load_bundle(out)
    report = bundle.personal["people"]["Dad"]
    assert report["fit"]["choice"] != "population"
    dad = report["openings"][0]
    assert dad["after"] > dad["before"] + 0.3
    predictor = Predictor.load(out)
    predictor.set_player(chess.WHITE, "Dad")
    assert predictor.probabilities()[E4] == pytest.approx(dad["after"], abs=1e-6)
    assert bundle.player_names[:2] == ["population", "Tal"]  # known rows keep their place


def test_a_training_option_asks_for_the_gradient_fine_tune(
    model_path: Path, tmp_path: Path
) -> None:
    """--epochs (or --lr, --max-steps, ...) without --tune trains the network, as before."""
    pgn = write_family(tmp_path / "family.pgn")
    out = tmp_path / "tuned.chessgru"
    args = ["train", str(pgn), "--out", str(out), "--from", str(model_path), "--threads", "1"]
    assert cli.main([*args, "--epochs", "1", "--min-games", "5"]) == 0
    bundle = load_bundle(out)
    assert bundle.train_config["tune"] == "all" and "people" not in bundle.personal
    base = load_bundle(model_path).state_dict["gru.weight_hh_l0"]
    assert not torch.equal(bundle.state_dict["gru.weight_hh_l0"], base)


def _fits(*figures: tuple[str, int, float, float]) -> personal_fit._Fitted:
    """A network's fits: (name, held-back moves, top-1, log-loss) per person."""
    fits = []
    for name, moves, top1, nll in figures:
        fit = personal.PersonFit(name, 10, 100, "prior", 1.0, val_games=2, val_moves=moves)
        fit.before, fit.after = {"top1": 0.3, "nll": 3.0}, {"top1": top1, "nll": nll}
        fits.append(fit)
    return personal_fit._Fitted(ChessGRU(CONFIG), [], PersonalPrior(), fits, [])


def test_the_fine_tuned_network_is_kept_only_when_no_person_is_predicted_worse() -> None:
    start = _fits(("Dad", 200, 0.40, 2.0), ("Kid", 200, 0.30, 2.5))
    better = _fits(("Dad", 200, 0.45, 1.9), ("Kid", 200, 0.32, 2.4))
    chosen, note = personal_fit._choose(start, better)
    assert chosen is better and note["kept"] and "35.0% -> 38.5%" in note["note"]
    assert better.fits[0].before == start.fits[0].before  # "before": the starting model
    kid_worse = _fits(("Dad", 200, 0.50, 1.8), ("Kid", 200, 0.32, 2.6))
    chosen, note = personal_fit._choose(start, kid_worse)
    assert chosen is start and not note["kept"] and "predicts Kid worse" in note["note"]
    fewer_hits = _fits(("Dad", 200, 0.36, 1.9), ("Kid", 200, 0.30, 2.4))
    chosen, note = personal_fit._choose(start, fewer_hits)
    assert chosen is start and "held-back top-1 35.0% -> 33.0%" in note["note"]


def test_a_check_on_a_few_held_back_moves_never_keeps_the_fine_tuned_network() -> None:
    """Two held-back games cannot tell a better network from noise: the start stays."""
    start = _fits(("Dad", 40, 0.40, 2.0), ("Kid", 40, 0.30, 2.5))
    better = _fits(("Dad", 40, 0.50, 1.5), ("Kid", 40, 0.40, 2.0))
    chosen, note = personal_fit._choose(start, better)
    assert chosen is start and not note["kept"]
    assert "too few held-back moves (80, fewer than 300)" in note["note"]
