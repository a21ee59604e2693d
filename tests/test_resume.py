"""A training run killed with SIGKILL resumes from its checkpoint and ends where an
uninterrupted run ends (same seed, CPU, one thread: bit-for-bit deterministic)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from chessgru.model.bundle import load_bundle
from tests.test_train import first_games

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="SIGKILL")]

ARGS = [
    "--from-scratch", "--hidden", "32", "--layers", "1", "--threads", "1", "--device", "cpu",
    "--epochs", "4", "--batch-size", "256", "--checkpoint-every", "3", "--seed", "5",
    "--min-games", "3",
]  # fmt: skip


def _command(pgn: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "chessgru", "train", str(pgn), "--out", str(out), *ARGS, *extra]


def test_killed_run_resumes_to_the_same_weights(shared_pgn: Path, tmp_path: Path) -> None:
    pgn = tmp_path / "games.pgn"
    pgn.write_text(first_games(shared_pgn / "masters/Morphy.pgn", 30), encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "0"}

    whole = tmp_path / "whole.chessgru"
    subprocess.run(_command(pgn, whole), env=env, check=True, capture_output=True, timeout=300)

    killed = tmp_path / "killed.chessgru"
    checkpoint = tmp_path / "killed.chessgru.ckpt"
    proc = subprocess.Popen(
        _command(pgn, killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert running, "the run ended before it wrote a checkpoint; nothing was interrupted"
    assert checkpoint.exists() and not killed.exists()

    resumed = subprocess.run(
        _command(pgn, killed, "--resume"), env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming at step" in resumed.stderr
    a, b = load_bundle(whole), load_bundle(killed)
    assert a.metrics["history"] == b.metrics["history"]
    for name, tensor in a.state_dict.items():
        torch.testing.assert_close(b.state_dict[name], tensor, rtol=0, atol=1e-6, msg=name)
