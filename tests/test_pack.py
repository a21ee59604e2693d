"""The travelling corpus: pack, unpack to the same arrays, train from it in timed pieces."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import chess
import numpy as np
import pytest

from chessgru.errors import UserError
from chessgru.games.corpus import load_corpus
from chessgru.model.bundle import load_bundle
from chessgru.training import pack

ROOT = Path(__file__).resolve().parents[1]
GAMES = """[White "Dad"]
[Black "Kid"]
[WhiteElo "1450"]
[TimeControl "600+5"]

1. e4 c5 2. Nf3 d6 3. d4 cxd4 4. Nxd4 Nf6 5. Nc3 a6 6. Be3 e5 7. Nb3 Be6 8. f3 Be7
9. Qd2 O-O 10. O-O-O Nbd7 11. g4 b5 12. g5 b4 1-0

[White "Kid"]
[Black "Dad"]
[BlackElo "1500"]

1. e4 e6 2. e5 d5 3. exd6 Bxd6 4. d4 h5 5. h4 g5 6. hxg5 h4 7. g6 h3 8. g7 hxg2
9. gxh8=N gxh1=R 10. Nf7 Kxf7 0-1

[White "Grandpa"]
[Black "Dad"]

1. d4 d5 2. c4 e6 3. Nc3 Nf6 4. Bg5 Be7 5. e3 O-O 6. Nf3 h6 7. Bh4 b6 1/2-1/2
"""


@pytest.fixture
def corpus(tmp_path: Path):
    path = tmp_path / "family.pgn"
    path.write_text(GAMES)
    return load_corpus([path], progress=False)


def test_a_pack_unpacks_to_the_same_games(corpus, tmp_path: Path) -> None:
    path = tmp_path / "family.pack.npz"
    header = pack.write_pack(path, corpus, [0, 1, 2], extra={"note": "x"}, workers=1)
    assert header["games"] == 3 and header["note"] == "x"
    unpacked, read_header = pack.read_pack(path, workers=1)
    assert read_header == header
    np.testing.assert_array_equal(unpacked.offsets, corpus.offsets)
    np.testing.assert_array_equal(unpacked.tokens, corpus.tokens)
    np.testing.assert_array_equal(unpacked.positions, corpus.positions)
    for mine, theirs in zip(unpacked.games, corpus.games, strict=True):
        assert (mine.white, mine.black, mine.white_elo, mine.black_elo, mine.time_control) == (
            theirs.white,
            theirs.black,
            theirs.white_elo,
            theirs.black_elo,
            theirs.time_control,
        )
    # One byte a move before compression: under-promotions and castling included.
    assert path.stat().st_size < 4000


def test_a_subset_packs_only_those_games(corpus, tmp_path: Path) -> None:
    path = tmp_path / "two.pack.npz"
    pack.write_pack(path, corpus, [2, 0], workers=1)
    unpacked, _ = pack.read_pack(path, workers=1)
    assert [g.white for g in unpacked.games] == ["Grandpa", "Dad"]
    np.testing.assert_array_equal(unpacked.game_tokens(0), corpus.game_tokens(2))


def test_another_python_chess_or_a_damaged_pack_is_refused(
    corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "family.pack.npz"
    pack.write_pack(path, corpus, [0, 1, 2], workers=1)
    monkeypatch.setattr(chess, "__version__", "0.0.1")
    with pytest.raises(UserError, match="python-chess"):
        pack.read_pack(path, workers=1)
    monkeypatch.undo()
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserError, match="not a readable chessgru pack"):
        pack.read_pack(path, workers=1)


def _train_pack():
    spec = importlib.util.spec_from_file_location("train_pack", ROOT / "training/train_pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_training_from_a_pack_stops_in_time_and_resumes(
    corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = "train family.pgn --out m.chessgru --from-scratch --min-games 1 --epochs 2 "
    recipe += "--hidden 16 --layers 1 --tower-blocks 1 --tower-channels 8 --batch-size 64"
    path = tmp_path / "family.pack.npz"
    extra = {"players": ["population", "Dad", "Kid"], "recipe": recipe}
    pack.write_pack(path, corpus, [0, 1, 2], extra=extra, workers=1)
    out = tmp_path / "m.chessgru"
    argv = ["train_pack.py", str(path), "--out", str(out), "--device", "cpu", "--workers", "1"]
    train_pack = _train_pack()
    monkeypatch.setattr(sys, "argv", [*argv, "--minutes", "0"])
    assert train_pack.main() == train_pack.UNFINISHED  # time up after the first step
    assert (tmp_path / "m.chessgru.ckpt").exists() and not out.exists()
    assert (tmp_path / "family.pack.npz.d" / "stamp").exists()  # unpacked once, kept
    monkeypatch.setattr(sys, "argv", [*argv, "--minutes", "5"])
    assert train_pack.main() == 0
    bundle = load_bundle(out)
    assert bundle.player_names == ["population", "Dad", "Kid"]
    assert bundle.config.tower_blocks == 1
