"""`chessgru train` never loses a file: --out checks, divergence, a full disk (issue 15)."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import chess
import numpy as np
import pytest
import torch

from chessgru.atomic import describe_os_error
from chessgru.cli import main
from chessgru.errors import UserError
from chessgru.model import encoding
from chessgru.model.bundle import HEADER_KEY, load_bundle, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.training import checkpoint as ckpt_mod
from chessgru.training import fit as fit_mod
from chessgru.training import loop
from chessgru.training import report as train_report
from tests.crafted import file_size_limit, write_pgn

TINY = ["--from-scratch", "--hidden", "16", "--layers", "1", "--threads", "1", "--device", "cpu"]


@pytest.fixture()
def games(tmp_path: Path) -> Path:
    return write_pgn(tmp_path / "games.pgn", 40)


def train(games: Path, out: Path, *extra: str) -> int:
    return main(["train", str(games), "--out", str(out), "--max-steps", "2", *TINY, *extra])


def tiny_model_file(path: Path) -> Path:
    save_bundle(path, ChessGRU(ModelConfig(hidden=8, layers=1, embed=8, board_dim=8)), ["p"])
    return path


def test_out_never_overwrites_the_input_pgn(games: Path, capsys) -> None:
    before = games.read_bytes()
    assert train(games, games) == 2
    assert "not a chessgru model file" in capsys.readouterr().err
    assert games.read_bytes() == before


def test_out_never_replaces_a_read_only_model(games: Path, tmp_path: Path, capsys) -> None:
    model = tiny_model_file(tmp_path / "m.chessgru")
    model.chmod(0o444)
    before = model.read_bytes()
    assert train(games, model) == 2
    assert "read-only" in capsys.readouterr().err
    assert model.read_bytes() == before


def test_an_existing_model_is_replaced_by_a_good_one(games: Path, tmp_path: Path) -> None:
    model = tiny_model_file(tmp_path / "m.chessgru")
    assert train(games, model) == 0
    assert load_bundle(model).config.hidden == 16


def test_unwritable_out_folder_fails_before_training(
    games: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the model could never be written")

    monkeypatch.setattr("chessgru.training.fit.run_training", no_training)
    assert train(games, blocker / "m.chessgru") == 2
    assert "Cannot write a model file in" in capsys.readouterr().err


def test_full_disk_keeps_the_checkpoint_and_says_how_to_resume(
    games: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """The model file's write fails in the kernel (as on a full disk): one sentence, the
    checkpoint kept, and --resume writes the model once there is room."""
    out = tmp_path / "m.chessgru"
    real = fit_mod.save_bundle

    def on_a_full_disk(*args, **kwargs):
        with file_size_limit(4096):
            return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(fit_mod, "save_bundle", on_a_full_disk)
        assert train(games, out) == 2
    err = capsys.readouterr().err
    assert f"Could not write {out}" in err and "--resume" in err and "Traceback" not in err
    assert not out.exists()
    assert (tmp_path / "m.chessgru.ckpt").is_file()
    assert not list(tmp_path.glob(".*.tmp"))
    assert train(games, out, "--resume") == 0
    assert load_bundle(out).config.hidden == 16


def test_a_checkpoint_that_cannot_be_written_keeps_the_previous_one(
    games: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    out, saves = tmp_path / "m.chessgru", []
    real = ckpt_mod.save

    def second_on_a_full_disk(path, *args, **kwargs):
        saves.append(path)
        if len(saves) == 1:
            return real(path, *args, **kwargs)
        kept = path.read_bytes()
        with file_size_limit(4096):
            try:
                return real(path, *args, **kwargs)
            finally:
                assert path.read_bytes() == kept

    monkeypatch.setattr(ckpt_mod, "save", second_on_a_full_disk)
    assert train(games, out, "--checkpoint-every", "1") == 2
    err = capsys.readouterr().err
    assert "Could not write the checkpoint" in err and "--resume" in err
    assert "Traceback" not in err and len(saves) == 2
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_full_disk_is_named_as_such() -> None:
    assert describe_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) == (
        "the disk is full"
    )


def _poison(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every training step leaves NaN weights behind, as a far too large --lr does."""
    real = loop.train_step

    def step(model, *args, **kwargs):
        figures = real(model, *args, **kwargs)
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(float("nan"))
        return figures

    monkeypatch.setattr(loop, "train_step", step)


def test_a_diverging_training_stops_and_keeps_the_previous_model(
    games: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    model = tiny_model_file(tmp_path / "m.chessgru")
    before = model.read_bytes()
    _poison(monkeypatch)
    assert train(games, model, "--epochs", "2") == 2
    assert "diverged" in capsys.readouterr().err
    assert model.read_bytes() == before


@pytest.mark.parametrize("steps", [["--epochs", "1"], ["--max-steps", "3"]])
def test_a_finite_but_exploded_loss_is_divergence_too(
    games: Path, tmp_path: Path, capsys, monkeypatch, steps: list[str]
) -> None:
    """--lr 1 on Capablanca's games kept the loss finite but at 144.8 nats, far worse than
    a uniform guess (7.5): stopped like a NaN, whether the run ends on an epoch or inside
    one. (The crafted games are too easy to explode for real, so the validation says it.)"""
    model = tiny_model_file(tmp_path / "m.chessgru")
    before = model.read_bytes()
    monkeypatch.setattr(loop, "validation_figures", lambda *args: (144.8, 0.0))
    argv = ["train", str(games), "--out", str(model), *TINY, "--batch-size", "64"]
    assert main([*argv, *steps]) == 2
    err = capsys.readouterr().err
    assert "diverged" in err and "worse than a uniform guess" in err and "Traceback" not in err
    assert model.read_bytes() == before


def test_a_nan_score_is_a_miss_never_a_hit() -> None:
    board = chess.Board()
    target = encoding.encode_move(chess.Move.from_uci("e2e4"), chess.WHITE)
    logits = np.full(encoding.VOCAB_SIZE, np.nan, dtype=np.float32)
    rank, _ = train_report._rank_of_target(logits, board, target)
    assert rank > 0


def test_non_finite_weights_are_never_written_nor_loaded(tmp_path: Path) -> None:
    net = ChessGRU(ModelConfig(hidden=8, layers=1, embed=8, board_dim=8))
    with torch.no_grad():
        net.head[-1].bias[0] = float("inf")
    with pytest.raises(UserError, match="not all finite"):
        save_bundle(tmp_path / "bad.chessgru", net, ["p"])
    assert not (tmp_path / "bad.chessgru").exists()
    good = tiny_model_file(tmp_path / "m.chessgru")
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(good), framework="pt") as f:
        metadata = f.metadata()
    tensors = load_file(str(good))
    tensors["head.4.bias"][3] = float("nan")
    save_file(tensors, str(good), metadata=metadata)
    with pytest.raises(UserError, match="not numbers"):
        load_bundle(good)


def test_the_header_never_holds_nan(tmp_path: Path) -> None:
    path = tmp_path / "m.chessgru"
    net = ChessGRU(ModelConfig(hidden=8, layers=1, embed=8, board_dim=8))
    save_bundle(path, net, ["p"], metrics={"val_loss": float("nan"), "h": [float("inf")]})
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata()[HEADER_KEY]
    assert "NaN" not in raw and "Infinity" not in raw
    assert json.loads(raw)["metrics"] == {"val_loss": None, "h": [None]}


def test_temporary_files_of_killed_writes_are_cleaned(tmp_path: Path) -> None:
    path = tiny_model_file(tmp_path / "m.chessgru")
    old = tmp_path / ".m.chessgru.0123456789ab.tmp"
    fresh = tmp_path / ".m.chessgru.ba9876543210.tmp"  # maybe another writer, right now
    for leftover in (old, fresh):
        leftover.write_bytes(b"x" * 100)
    os.utime(old, (time.time() - 2 * 3600,) * 2)
    tiny_model_file(path)
    assert not old.exists() and fresh.exists()


def test_train_reports_the_games_it_skipped_by_reason(tmp_path: Path, capsys) -> None:
    path = write_pgn(tmp_path / "games.pgn", 40)
    with path.open("a", encoding="utf-8") as f:
        f.write('[White "a"]\n[Black "b"]\n[Variant "Crazyhouse"]\n\n1. e4 *\n\n')
        f.write('[White "a"]\n[Black "b"]\n\n1. e4 e5 2. Ke3 *\n\n')
    assert train(path, tmp_path / "m.chessgru") == 0
    err = capsys.readouterr().err
    assert "2 games skipped (1 variant Crazyhouse, 1 illegal move)" in err
    assert "players --verbose" in err


def test_nothing_usable_says_why_not_unreadable(tmp_path: Path, capsys) -> None:
    path = tmp_path / "fen.pgn"
    fen = "8/8/8/4k3/8/8/4K3/4R3 w - - 0 1"
    path.write_text(f'[White "a"]\n[Black "b"]\n[FEN "{fen}"]\n\n1. Re2 *\n\n' * 3)
    assert train(path, tmp_path / "m.chessgru") == 2
    err = capsys.readouterr().err
    assert "no usable games (3 skipped: 3 FEN start)" in err and "unreadable" not in err


@pytest.mark.parametrize(
    "text", ["", "\n\n", '[White "a"]\n[Black "b"]\n[Variant "Atomic"]\n\n*\n']
)
def test_players_on_a_file_without_games_exits_2(tmp_path: Path, text: str, capsys) -> None:
    path = tmp_path / "empty.pgn"
    path.write_text(text)
    assert main(["players", str(path)]) == 2
    assert "No usable games in" in capsys.readouterr().err
