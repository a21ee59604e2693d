"""The trainer: batching, player table, splits, schedule, and `chessgru train` end to end."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import chess
import numpy as np
import pytest
import torch

from chessgru.cli import build_parser, main
from chessgru.errors import UserError
from chessgru.games.pgn import GameInfo
from chessgru.games.table import GameTable
from chessgru.model import encoding
from chessgru.model.bundle import load_bundle
from chessgru.training import data
from chessgru.training import loop as train
from chessgru.training.config import FINE_TUNE_DEFAULTS

HW = ["--threads", "1", "--device", "cpu"]
TINY = ["--from-scratch", "--hidden", "32", "--layers", "1", *HW]


def first_games(source: Path, n: int) -> str:
    """The first ``n`` games of a PGN file, as text."""
    text = source.read_text(encoding="utf-8", errors="replace")
    starts = [m.start() for m in re.finditer(r"^\[Event ", text, flags=re.M)]
    return text[: starts[n]] if len(starts) > n else text


@pytest.fixture(scope="module")
def morphy30(shared_pgn: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pgn") / "morphy30.pgn"
    path.write_text(first_games(shared_pgn / "masters/Morphy.pgn", 30), encoding="utf-8")
    return path


# --- a corpus-shaped object from encode_game, no PGN reader involved -----------------------


def fake_corpus(
    games: list[tuple[str, str, list[str]]], dates: list[str] | None = None
) -> SimpleNamespace:
    """Games given as (white, black, SAN moves), with Elo 1500/2500 and a blitz clock."""
    infos, tokens, positions, offsets = [], [], [], [0]
    for white, black, sans in games:
        board = chess.Board()
        moves = []
        for san in sans:
            moves.append(board.push_san(san))
        t, p = encoding.encode_game(moves)
        tokens.append(t)
        positions.append(p)
        offsets.append(offsets[-1] + len(t))
        number = len(infos) + 1
        date = dates[number - 1] if dates else "2000.01.01"
        infos.append(
            GameInfo("x.pgn", number, white, black, "*", date, 1500, 2500, "180+2", None, None)
        )
    return SimpleNamespace(
        games=GameTable.from_infos(infos),
        offsets=np.asarray(offsets, dtype=np.int64),
        tokens=np.concatenate(tokens),
        positions=np.concatenate(positions),
        game_tokens=lambda i: np.concatenate(tokens)[offsets[i] : offsets[i + 1]],
    )


def random_lines(n: int, seed: int = 0) -> list[list[str]]:
    """``n`` distinct random legal games of 6-16 plies (SAN)."""
    rng = np.random.default_rng(seed)
    lines: list[list[str]] = []
    while len(lines) < n:
        board, sans = chess.Board(), []
        for _ in range(int(rng.integers(6, 17))):
            move = rng.choice(list(board.legal_moves))
            sans.append(board.san(move))
            board.push(move)
        if sans not in lines:
            lines.append(sans)
    return lines


LINES = [
    ["e4", "e5", "Nf3", "Nc6", "Bb5"],
    ["d4", "d5", "c4"],
    ["e4", "c5"],
    ["Nf3", "d5", "g3", "Nf6", "Bg2", "e6", "O-O"],
]


def test_make_batch_shifts_moves_and_conditions_each_mover() -> None:
    corpus = fake_corpus([("A", "B", LINES[0]), ("B", "C", LINES[1])])
    players = ["population", "A", "B"]
    cond = data.game_conditions(corpus, players)
    lengths = data.game_lengths(corpus, 200)
    batch = data.make_batch(corpus, np.array([0, 1]), cond, lengths)
    assert batch.tokens_in.shape == (2, 5)
    assert batch.tokens_in[0, 0] == data.BOS
    assert torch.equal(batch.tokens_in[0, 1:], batch.targets[0, :4])
    assert batch.targets[1, 3:].tolist() == [data.IGNORE, data.IGNORE]
    assert batch.n_tokens == 8
    # A (row 1) moves at even plies of game 0, B (row 2) at odd; C is unknown -> population.
    assert batch.cond[0, :5, 0].tolist() == [1, 2, 1, 2, 1]
    assert batch.cond[1, :3, 0].tolist() == [2, 0, 2]
    assert batch.cond[0, :2, 1].tolist() == [encoding.elo_bucket(1500), encoding.elo_bucket(2500)]
    assert batch.cond[0, 0, 2] == encoding.SPEEDS.index("blitz")
    dropped = np.array([[True, False], [False, False]])
    masked = data.make_batch(corpus, np.array([0, 1]), cond, lengths, dropped)
    assert masked.cond[0, :5, 0].tolist() == [0, 2, 0, 2, 0]
    assert masked.players[0, :5].tolist() == [1, 2, 1, 2, 1]  # the truth stays for metrics


def test_truncation_and_empty_shard_batch() -> None:
    corpus = fake_corpus([("A", "B", LINES[3])])
    lengths = data.game_lengths(corpus, 4)
    cond = data.game_conditions(corpus, ["population"])
    assert data.make_batch(corpus, np.array([0]), cond, lengths).targets.shape == (1, 4)
    empty = data.make_batch(corpus, np.array([], dtype=np.int64), cond, lengths)
    assert empty.targets.shape == (1, 1) and empty.n_tokens == 0


def test_epoch_plan_is_seeded_covers_every_game_once_and_fits_the_budget() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 150, size=500)
    games = np.arange(0, 500, 2)
    plan = data.plan_epoch(games, lengths, 1000, seed=7, epoch=3)
    assert sorted(np.concatenate(plan).tolist()) == games.tolist()
    assert all(len(b) == 1 or len(b) * lengths[b].max() <= 1000 for b in plan)
    again = data.plan_epoch(games, lengths, 1000, seed=7, epoch=3)
    assert all(np.array_equal(a, b) for a, b in zip(plan, again, strict=True))
    other = data.plan_epoch(games, lengths, 1000, seed=7, epoch=4)
    assert not all(np.array_equal(a, b) for a, b in zip(plan, other, strict=False))
    padded = sum(len(b) * lengths[b].max() for b in plan)
    assert padded < 1.25 * lengths[games].sum()  # length bucketing keeps padding small


def test_player_table_by_min_games_and_by_name() -> None:
    counts = Counter({"Tal, Mihail": 12, "Fischer, Robert": 30, "NN": 50, "Once": 1})
    assert data.select_players(counts, 10) == ["Fischer, Robert", "Tal, Mihail"]
    assert data.select_players(counts, 10, ["tal mihail"]) == ["Tal, Mihail"]
    assert data.select_players(counts, 10, known=["population", "Once"])[0] == "Once"
    with pytest.raises(UserError, match="Tal, Mihail"):
        data.select_players(counts, 10, ["Tal, Mikhail X"])


def test_validation_split_is_by_game_and_seeded() -> None:
    train_idx, val_idx = data.split_validation(range(100), 0.1, seed=3)
    assert len(val_idx) == 10 and not set(train_idx) & set(val_idx)
    assert np.array_equal(val_idx, data.split_validation(range(100), 0.1, seed=3)[1])
    assert len(data.split_validation(range(5), 0.01, seed=3)[1]) == 1


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    config = train.TrainConfig(lr=1.0, warmup=0.1)
    rates = [train.lr_at(s, 100, config) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(rates[9:]))
    assert train.lr_at(100, 100, config) == pytest.approx(0.0)


def test_holdout_games_never_reach_training_or_validation() -> None:
    games = [("A", "B", line) for line in random_lines(20)]
    corpus = fake_corpus(games, [f"20{i:02d}.01.01" for i in range(20)])
    config = train.TrainConfig(epochs=3, holdout_fraction=0.2, min_games=1, batch_tokens=8)
    plan = data.make_plan(corpus, config)
    assert set(plan.held_out.tolist()) == set(range(16, 20))  # the newest 20% of A (and B)
    seen = {int(g) for epoch in plan.epochs for batch in epoch for g in batch}
    assert not seen & set(plan.held_out.tolist())
    assert not set(plan.val.tolist()) & set(plan.held_out.tolist())
    assert seen | set(plan.val.tolist()) == set(range(16))


def test_held_keys_leave_out_copies_of_another_files_test_games() -> None:
    from chessgru.games import split

    lines = random_lines(12, seed=3)
    dates = [f"20{i:02d}.01.01" for i in range(12)]
    source = fake_corpus([("A", "B", line) for line in lines], dates)  # the evaluation's files
    test = split.holdout(source, ["A"], 0.25)
    assert test == {9, 10, 11}
    keys = {split.game_key(source, i) for i in test}
    # The training collection has those games under other names and dates, plus others.
    extra = random_lines(20, seed=4)
    corpus = fake_corpus([("Tal, M.", "X", line) for line in lines[6:] + extra])
    config = train.TrainConfig(epochs=1, holdout_fraction=0.25, min_games=1, batch_tokens=8)
    plan = data.make_plan(corpus, config, held_keys=keys)
    assert set(plan.held_out.tolist()) == {3, 4, 5}  # lines 9-11, wherever they sit
    trained = {int(g) for batch in plan.epochs[0] for g in batch} | set(plan.val.tolist())
    assert trained == set(range(len(corpus.games))) - {3, 4, 5}


# --- `chessgru train` ---------------------------------------------------------------------


@pytest.mark.slow
def test_train_end_to_end_predict_and_fine_tune(
    shared_pgn: Path, morphy30: Path, tmp_path: Path
) -> None:
    from chessgru.predict import Predictor

    out = tmp_path / "m.chessgru"
    log = tmp_path / "train.log"
    args = [str(morphy30), "--out", str(out), "--epochs", "2", "--min-games", "3"]
    assert main(["train", *args, *TINY, "--log", str(log)]) == 0
    bundle = load_bundle(out)
    assert bundle.player_names[0] == "population"
    assert "Morphy, Paul" in bundle.player_names
    assert bundle.train_config["epochs"] == 2
    assert bundle.data["games"] == 30 and bundle.data["train_games"] < 30
    assert bundle.metrics["val_positions"] > 0 and 0 <= bundle.metrics["val_top3"] <= 1
    assert "val loss" in log.read_text()
    assert not (tmp_path / "m.chessgru.ckpt").exists()  # superseded by the model file
    predictor = Predictor.load(out)
    predictor.new_game()
    predictor.set_player(chess.WHITE, "Morphy, Paul")
    top = predictor.top(3)
    assert len(top) == 3 and all(move in chess.Board().legal_moves for move, _ in top)

    # Fine-tuning: the first model's players keep their rows, new opponents are appended.
    more = tmp_path / "more.pgn"
    more.write_text(first_games(shared_pgn / "masters/Morphy.pgn", 60)[len(morphy30.read_text()) :])
    tuned = tmp_path / "tuned.chessgru"
    args = [str(more), "--out", str(tuned), "--epochs", "1", "--min-games", "2", "--from", str(out)]
    assert main(["train", *args, *HW]) == 0
    after = load_bundle(tuned)
    assert after.player_names[: len(bundle.player_names)] == bundle.player_names
    assert len(after.player_names) > len(bundle.player_names)
    assert after.config.hidden == 32 and after.train_config["from_model"] == str(out)


@pytest.mark.slow
def test_train_fine_tunes_the_shipped_base_model_by_default(
    morphy30: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chessgru.model.bundle import load_bundle
    from chessgru.paths import base_model_path

    base_path = base_model_path()
    assert base_path is not None, "the package ships assets/base.chessgru"
    base = load_bundle(base_path)
    out = tmp_path / "me.chessgru"
    args = [str(morphy30), "--out", str(out), "--min-games", "3", "--max-steps", "2", *HW]
    assert main(["train", *args]) == 0
    tuned = load_bundle(out)
    assert tuned.train_config["from_model"] == str(base_path)
    assert (tuned.train_config["epochs"], tuned.train_config["lr"]) == (3, 5e-4)
    assert tuned.config.hidden == base.config.hidden
    assert tuned.player_names[: len(base.player_names)] == base.player_names
    assert "Morphy, Paul" in tuned.player_names
    assert 0 < tuned.metrics["start_val_top1"] <= tuned.metrics["start_val_top3"] <= 1
    # The base players keep the games they learned from; the printed table lists this run's.
    known = base.players[-1]
    assert tuned.players[len(base.players) - 1]["games"] == known["games"] > 0
    printed = capsys.readouterr().out
    assert "Morphy, Paul" in printed and "before fine-tuning: top-1" in printed
    assert f"\n{known['name']} " not in printed

    # --tune players: the network is the base model's to the bit, only player rows move.
    only = tmp_path / "rows.chessgru"
    args = [str(morphy30), "--out", str(only), "--min-games", "3", "--max-steps", "2", *HW]
    assert main(["train", *args, "--tune", "players"]) == 0
    rows = load_bundle(only)
    for name, tensor in base.state_dict.items():
        if name.startswith("player_emb."):
            n = tensor.shape[0]
            assert not torch.equal(rows.state_dict[name][:n], tensor)
        else:
            assert torch.equal(rows.state_dict[name], tensor), name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hidden", "64"], "--hidden shape a new network: add --from-scratch"),
        (["--from-scratch", "--from", "x.chessgru"], "--from and --from-scratch exclude"),
        (["--players", "Kasparov"], "No games of player 'Kasparov'"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--holdout", "1.5"], "--holdout must be between 0 and 1"),
    ],
)
def test_bad_options_exit_2(
    morphy30: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "m.chessgru"
    assert main(["train", str(morphy30), "--out", str(out), *HW, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_player_options_take_one_name_each_and_leave_the_pgn_alone() -> None:
    parser = build_parser()
    argv = ["train", "--players", "Doe, John", "games.pgn", "--player", "Roe, Jane"]
    args = parser.parse_args([*argv, "--holdout-players", "Doe, John", "-o", "m.chessgru"])
    assert args.pgn == ["games.pgn"]
    assert args.players == ["Doe, John", "Roe, Jane"]
    assert args.holdout_players == ["Doe, John"]
    args = parser.parse_args(["evaluate", "--players", "Tal, Mihail", "games.pgn"])
    assert args.pgn == ["games.pgn"] and args.players == ["Tal, Mihail"]


def test_missing_and_empty_pgn_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "m.chessgru")
    assert main(["train", str(tmp_path / "nope.pgn"), "--out", out, *TINY]) == 2
    empty = tmp_path / "empty.pgn"
    empty.write_text("")
    assert main(["train", str(empty), "--out", out, *TINY]) == 2
    err = capsys.readouterr().err
    assert err.count("chessgru: ") == 2 and "Traceback" not in err


def test_resume_without_checkpoint_or_with_a_damaged_one(
    morphy30: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.chessgru"
    base = ["train", str(morphy30), "--out", str(out), "--resume", *TINY]
    assert main(base) == 2
    assert "no checkpoint" in capsys.readouterr().err
    (tmp_path / "m.chessgru.ckpt").write_bytes(b"PK\x03\x04 not a checkpoint")
    assert main(base) == 2
    assert "damaged" in capsys.readouterr().err


def test_help_states_the_defaults_the_trainer_really_uses() -> None:
    """`--help` spells defaults out (the options themselves default to None so that
    TrainConfig/ModelConfig stay the one source): the two must not drift apart."""
    import argparse

    from chessgru.commands import train as command
    from chessgru.commands import train_settings as settings
    from chessgru.model.network import ModelConfig

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    config, model = train.TrainConfig(), ModelConfig(n_players=1)
    checked = 0
    for action in parser._actions:
        found = re.search(
            r"\(default ([0-9.]+)(?:; ([0-9.]+) when fine-tuning)?\)", action.help or ""
        )
        if not found:
            continue
        if action.dest in settings._TRAIN_FIELDS:
            field = settings._TRAIN_FIELDS[action.dest]
            real = getattr(config, field)
        else:
            field, real = "", getattr(model, settings._MODEL_FIELDS[action.dest])
        assert float(found.group(1)) == real, action.option_strings
        if found.group(2):
            assert float(found.group(2)) == FINE_TUNE_DEFAULTS[field], action.option_strings
        checked += 1
    assert checked >= 8


TOWER = ["--tower-blocks", "1", "--tower-channels", "8", "--hidden", "16", "--layers", "1"]


def test_a_tower_model_fine_tunes_with_its_tower_frozen(morphy30: Path, tmp_path: Path) -> None:
    from chessgru.model.bundle import load_bundle

    out = tmp_path / "tower.chessgru"
    args = [str(morphy30), "--out", str(out), "--epochs", "1", "--min-games", "3"]
    assert main(["train", *args, "--from-scratch", *TOWER, *HW]) == 0
    tuned = tmp_path / "tuned.chessgru"
    args = [str(morphy30), "--out", str(tuned), "--epochs", "1", "--from", str(out), *HW]
    assert main(["train", *args]) == 0
    before, after = load_bundle(out), load_bundle(tuned)
    assert after.train_config["tune"] == "head"  # auto: a tower model keeps its tower
    tower = [k for k in before.state_dict if k.startswith("tower.")]
    assert tower and all(torch.equal(before.state_dict[k], after.state_dict[k]) for k in tower)
    assert not torch.equal(
        before.state_dict["gru.weight_hh_l0"], after.state_dict["gru.weight_hh_l0"]
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_train_runs_on_the_gpu(morphy30: Path, tmp_path: Path) -> None:
    from chessgru.model.bundle import load_bundle

    out = tmp_path / "gpu.chessgru"
    args = [str(morphy30), "--out", str(out), "--max-steps", "3", "--from-scratch", *TOWER]
    assert main(["train", *args, "--device", "cuda", "--precision", "bf16"]) == 0
    assert load_bundle(out).train_config["device"] == "cuda"


def test_a_finished_run_is_trained_longer_with_resume(
    morphy30: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same settings with a larger --max-steps and --resume go on from the finished
    model (its weights, its step, its learning curve); other settings are refused."""
    out = tmp_path / "m.chessgru"
    run = ["train", str(morphy30), "--out", str(out), *TINY, "--batch-size", "128"]
    assert main([*run, "--max-steps", "3", "--val-every", "1"]) == 0
    short = load_bundle(out)
    capsys.readouterr()
    assert main([*run, "--max-steps", "6", "--val-every", "1", "--resume"]) == 0
    err = capsys.readouterr().err
    assert "finished 3 steps of this run: extending it to 6" in err
    assert "resuming at step 3" in err
    longer = load_bundle(out)
    assert [h["step"] for h in longer.metrics["history"] if "val_top1" in h] == [1, 2, 3, 4, 5, 6]
    assert longer.metrics["history"][:3] == short.metrics["history"][:3]
    assert longer.train_config["max_steps"] == 6
    assert any(not torch.equal(longer.state_dict[k], v) for k, v in short.state_dict.items()), (
        "the extension did not train"
    )
    # Another learning rate is another run: nothing to extend, and the model stays.
    assert main([*run, "--max-steps", "9", "--lr", "0.01", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "was trained on other games or with other settings" in err
    assert load_bundle(out).train_config["max_steps"] == 6
    # The same max_steps again: it is finished, not another run's.
    assert main([*run, "--max-steps", "6", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "has already trained 6 steps; a larger --max-steps" in err
    assert "other settings" not in err
