"""Two DDP processes (gloo, CPU) train the same weights as one process on the same data.

Each rank takes its share of every global batch and the loss is normalised by the global
number of plies, so the averaged gradient is the single-process gradient; only the order
of floating-point sums differs. Dropout inside the network draws per rank, so it is off.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from chessgru.model.bundle import load_bundle
from chessgru.model.network import ChessGRU
from tests.test_train import first_games

pytestmark = pytest.mark.slow

ARGS = [
    "--from-scratch", "--hidden", "32", "--layers", "1", "--dropout", "0",
    "--threads", "1", "--device", "cpu",
    "--precision", "fp32",
    "--epochs", "2", "--batch-size", "512", "--seed", "3", "--min-games", "3",
]  # fmt: skip


def test_two_processes_match_one(shared_pgn: Path, tmp_path: Path) -> None:
    pgn = tmp_path / "games.pgn"
    pgn.write_text(first_games(shared_pgn / "masters/Morphy.pgn", 30), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    single, double = tmp_path / "one.chessgru", tmp_path / "two.chessgru"
    train = ["-m", "chessgru", "train", str(pgn)]
    subprocess.run(
        [sys.executable, *train, "--out", str(single), *ARGS],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    ddp = subprocess.run(
        [*launcher, *train, "--out", str(double), *ARGS],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert " x2 " in ddp.stderr  # it really ran as two ranks
    a, b = load_bundle(single), load_bundle(double)
    assert a.player_names == b.player_names
    assert a.data["train_games"] == b.data["train_games"]
    torch.manual_seed(3)
    start = ChessGRU(a.config).state_dict()  # the trainer's initial weights (same seed)
    moved = max(float((a.state_dict[k] - v).abs().max()) for k, v in start.items())
    assert moved > 1e-2  # training really changed the weights, so matching means something
    for name, tensor in a.state_dict.items():
        torch.testing.assert_close(b.state_dict[name], tensor, rtol=0, atol=2e-4, msg=name)
    assert a.metrics["val_loss"] == pytest.approx(b.metrics["val_loss"], abs=1e-4)
