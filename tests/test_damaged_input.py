"""Damaged, unreadable and unusual files: the games before the damage are kept, the damage
is reported, the other files go on (issue 15, items 4, 5, 6 and 10)."""

from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import pytest
import zstandard

from chessgru.cli import main
from chessgru.games import pgn
from chessgru.games.corpus import load_corpus
from chessgru.model.bundle import save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from tests.crafted import pgn_text, random_game_text, write_pgn

N = 60  # games in each crafted file
BIG = 1500  # games of a truncated file: several compressed blocks (bz2 level 1, zstd)


def compressed(kind: str, data: bytes) -> bytes:
    if kind == "gz":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data, compresslevel=1)
    return zstandard.ZstdCompressor().compress(data)


def damaged(folder: Path, case: str) -> Path:
    """A compressed PGN of N (BIG if truncated) games, damaged as ``case`` says."""
    kind, how = case.split("-")
    data = pgn_text(BIG if how == "truncated" else N, seed=1).encode()
    path = folder / f"damaged.pgn.{kind}"
    blob = compressed(kind, data)
    if how == "truncated":
        blob = blob[: len(blob) * 2 // 3]
    elif how == "garbage":
        blob += b"this is not compressed data" * 10
    elif how == "foreign":
        blob = data  # a plain PGN under a compressed name
    path.write_bytes(blob)
    return path


CASES = ["gz-truncated", "bz2-truncated", "zst-truncated", "gz-garbage", "gz-foreign"]


@pytest.mark.parametrize("case", CASES)
def test_a_damaged_file_keeps_its_games_and_the_others_go_on(tmp_path: Path, case: str) -> None:
    bad = damaged(tmp_path, case)
    good = write_pgn(tmp_path / "good.pgn", N, seed=2)
    corpus = load_corpus([bad, good], workers=1, progress=False)
    mine = [g for g in corpus.games if g.source == str(bad)]
    reports = [s for s in corpus.skipped if s.source == str(bad)]
    assert len([g for g in corpus.games if g.source == str(good)]) == N
    assert "damaged file" in reports[-1].reason  # the last, after any fragment of a game
    assert reports[-1].number == len(mine) + len(reports)
    if case.endswith("truncated"):
        assert 0 < len(mine) < BIG
    elif case.endswith("garbage"):
        assert len(mine) == N


@pytest.mark.parametrize("case", ["gz-truncated", "zst-truncated"])
def test_commands_report_a_damaged_file_instead_of_a_traceback(
    tmp_path: Path, case: str, capsys
) -> None:
    bad = damaged(tmp_path, case)
    assert main(["players", str(bad), "--verbose", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{bad} game" in out and "damaged file" in out
    last = list(pgn.read_games(bad))[-1]
    assert isinstance(last, pgn.SkippedGame) and "damaged file" in last.reason


@pytest.mark.parametrize("case", ["gz-truncated", "bz2-truncated", "gz-garbage", "gz-foreign"])
def test_evaluate_and_train_name_the_damaged_file(tmp_path: Path, case: str, capsys) -> None:
    """Both go on with the other files, and say which file lost games and why (evaluate
    on stderr: its stdout may be the JSON report)."""
    bad = damaged(tmp_path, case)
    good = write_pgn(tmp_path / "good.pgn", N, seed=2)
    argv = ["evaluate", str(bad), str(good), "--no-model", "--min-games", "5", "--json"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert f"damaged: {bad} (damaged file" in err and "Traceback" not in err
    out = tmp_path / "m.chessgru"
    tiny = ["--from-scratch", "--hidden", "16", "--layers", "1", "--max-steps", "1"]
    assert main(["train", str(bad), str(good), "--out", str(out), *tiny, "--threads", "1"]) == 0
    assert f"damaged: {bad} (damaged file" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"this is no PGN", None])
def test_predict_pgn_with_nothing_usable_is_an_error(
    tmp_path: Path, content: bytes | None, capsys
) -> None:
    """Nothing to predict is exit 2 and one sentence, like `players` (None: a plain PGN
    under a .gz name, which is damaged as a gzip file)."""
    path = tmp_path / "games.pgn"
    if content is None:
        path = damaged(tmp_path, "gz-foreign")
    else:
        path.write_bytes(content)
    model = tmp_path / "m.chessgru"
    save_bundle(model, ChessGRU(ModelConfig(hidden=8, layers=1, embed=8, board_dim=8)), ["p"])
    assert main(["predict", "--model", str(model), "--pgn", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"No usable games in {path}" in err and "Traceback" not in err


def deny(monkeypatch: pytest.MonkeyPatch, secret: Path) -> None:
    """Reading ``secret`` fails as an unreadable file would (chmod does not stop root)."""
    real_open, real_scandir = Path.open, os.scandir

    def open_(self: Path, *args, **kwargs):
        if self == secret:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def scandir(path="."):
        if isinstance(path, str | os.PathLike) and Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_file_is_reported_and_the_others_read(tmp_path: Path, monkeypatch) -> None:
    secret = write_pgn(tmp_path / "secret.pgn", 5)
    good = write_pgn(tmp_path / "good.pgn", N)
    deny(monkeypatch, secret)
    corpus = load_corpus([tmp_path], workers=1, progress=False)
    assert {g.source for g in corpus.games} == {str(good)}
    assert [(s.source, s.reason) for s in corpus.skipped] == [
        (str(secret), "unreadable file (permission denied)")
    ]


def test_an_unreadable_subfolder_is_reported(tmp_path: Path, monkeypatch) -> None:
    secret = tmp_path / "private"
    secret.mkdir()
    write_pgn(secret / "hidden.pgn", 5)
    write_pgn(tmp_path / "good.pgn", N)
    deny(monkeypatch, secret)
    corpus = load_corpus([tmp_path], workers=1, progress=False)
    assert len(corpus.games) == N
    assert [(s.source, s.reason) for s in corpus.skipped] == [
        (str(secret), "unreadable folder (the PGN files in it were not read)")
    ]


@pytest.mark.parametrize("value", ["²", "٣٤٥", "-5", "1_500", "1e3", "", " ", "\x00", "9" * 400])
def test_any_rating_header_reads(tmp_path: Path, value: str) -> None:
    game = random_game_text(0, seed=3).replace("[Result", f'[WhiteElo "{value}"]\n[Result')
    path = tmp_path / "elo.pgn"
    path.write_text(game, encoding="utf-8")
    ((info, moves),) = list(pgn.read_games(path))
    assert info.white_elo is None and moves


@pytest.mark.parametrize(
    "encoding, newline",
    [("utf-16", "\n"), ("utf-16-le", "\n"), ("utf-16-be", "\r\n"), ("utf-8", "\r")],
)
def test_utf16_and_old_mac_line_ends_read_every_game(
    tmp_path: Path, encoding: str, newline: str
) -> None:
    text = pgn_text(N, seed=4).replace('"Player1"', '"Plàyer1"')
    path = tmp_path / "odd.pgn"
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    reference = tmp_path / "plain.pgn"
    reference.write_text(text, encoding="utf-8")
    corpus = load_corpus([path], workers=1, progress=False)
    expected = load_corpus([reference], workers=1, progress=False, use_cache=False)
    assert len(corpus.games) == N and not corpus.skipped
    assert [g.white for g in corpus.games] == [g.white for g in expected.games]
    assert (corpus.tokens == expected.tokens).all()


def test_a_full_cache_disk_is_one_sentence_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    import errno

    from chessgru import paths
    from chessgru.errors import UserError
    from chessgru.games import cache

    def disk_full(self, name: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache.EntryWriter, "_write", disk_full)
    with pytest.raises(UserError, match="the disk is full"):
        load_corpus([write_pgn(tmp_path / "g.pgn", 5)], workers=1, progress=False)
    assert not list(paths.cache_dir().glob(".tmp-*"))
