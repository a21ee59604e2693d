"""The PGN reader: real files, broken files, compression, encodings, the fast SAN path."""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
from collections import Counter
from pathlib import Path

import chess
import chess.pgn
import pytest
import zstandard

from chessgru.errors import UserError
from chessgru.games import pgn
from chessgru.games.pgn import GameInfo, SkippedGame, find_pgn_files, read_games
from chessgru.model.encoding import encode_game

SNIPPET = """[Event "Casual"]
[Site "Zürich"]
[Date "2020.01.02"]
[White "Müller,  Hans"]
[Black "Karpov, Anatoly"]
[Result "1-0"]
[WhiteElo "2100"]
[BlackElo "?"]
[TimeControl "180+2"]

1. e4 {a comment} e5 (1... c5 2. Nf3 (2. c3) d6) 2. Nf3 $1 Nc6 3. Bb5 a6 1-0

[Event "Crazy"]
[Variant "Crazyhouse"]
[White "a"]
[Black "b"]
[Result "*"]

1. e4 e5 *

[Event "Puzzle"]
[SetUp "1"]
[FEN "8/8/8/8/8/8/6k1/4K2R w K - 0 1"]
[Result "*"]

1. O-O *

[Event "Bad"]
[White "x"]
[Black "y"]
[Result "*"]

1. e4 e5 2. Ke3 Nc6 *

[Event "Empty"]
[White "x"]
[Black "y"]
[Result "*"]

*
"""


def _results(path: Path) -> tuple[list[tuple[GameInfo, list[chess.Move]]], list[SkippedGame]]:
    games, skipped = [], []
    for item in read_games(path):
        (skipped if isinstance(item, SkippedGame) else games).append(item)
    return games, skipped


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_snippet_headers_moves_and_skip_reasons(tmp_path: Path) -> None:
    games, skipped = _results(_write(tmp_path, "s.pgn", SNIPPET.encode()))
    assert len(games) == 1
    info, moves = games[0]
    assert (info.white, info.black, info.result) == ("Müller, Hans", "Karpov, Anatoly", "1-0")
    assert (info.white_elo, info.black_elo, info.time_control) == (2100, None, "180+2")
    assert (info.date, info.event, info.site, info.number) == ("2020.01.02", "Casual", "Zürich", 1)
    assert [m.uci() for m in moves] == ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "a7a6"]
    assert [(s.number, s.reason) for s in skipped] == [
        (2, "variant Crazyhouse"),
        (3, "FEN start"),
        (4, "illegal move 'Ke3' at ply 3"),
        (5, "no moves"),
    ]
    assert all(s.source == str(tmp_path / "s.pgn") for s in skipped)


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        (".pgn.gz", gzip.compress),
        (".pgn.bz2", bz2.compress),
        (".pgn.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
        (".PGN", lambda b: b),
    ],
)
def test_compressed_files_read_the_same(tmp_path: Path, suffix: str, compress) -> None:
    plain = _results(_write(tmp_path, "a.pgn", SNIPPET.encode()))
    packed = _results(_write(tmp_path, "b" + suffix, compress(SNIPPET.encode())))
    assert [(i.white, m) for i, m in packed[0]] == [(i.white, m) for i, m in plain[0]]
    assert [s.reason for s in packed[1]] == [s.reason for s in plain[1]]


def test_latin1_cp1252_and_bom(tmp_path: Path) -> None:
    latin = _write(tmp_path, "l.pgn", SNIPPET.replace("Zürich", "Zürich – x").encode("cp1252"))
    bom = _write(tmp_path, "b.pgn", b"\xef\xbb\xbf" + SNIPPET.encode("utf-8"))
    assert _results(latin)[0][0][0].white == "Müller, Hans"
    assert _results(latin)[0][0][0].site == "Zürich – x"
    assert _results(bom)[0][0][0].event == "Casual"
    mixed = SNIPPET.encode("utf-8") + b"\n" + SNIPPET.replace("Casual", "Café").encode("latin-1")
    events = [g.event for g, _ in _results(_write(tmp_path, "m.pgn", mixed))[0]]
    assert events == ["Casual", "Café"]


def test_games_run_together_without_blank_lines_keep_their_headers(tmp_path: Path) -> None:
    text = "".join(
        f'[Event "E{i}"]\n[White "W{i}"]\n[Black "B{i}"]\n[Result "*"]\n\n1. e4 e5 2. Nf3 *\n'
        for i in range(5)
    )
    games, skipped = _results(_write(tmp_path, "c.pgn", text.encode()))
    assert [g.white for g, _ in games] == [f"W{i}" for i in range(5)]
    assert not skipped and all(len(m) == 3 for _, m in games)


def test_lichess_from_position_is_a_fen_start(tmp_path: Path) -> None:
    text = (
        '[White "a"]\n[Black "b"]\n[Variant "From Position"]\n'
        '[FEN "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"]\n\n1... e5 *\n\n'
        '[White "a"]\n; a comment line between tags\n[Black "b"]\n[Variant "From Position"]\n'
        '[FEN "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"]\n\n1. e4 *\n'
    )
    games, skipped = _results(_write(tmp_path, "f.pgn", text.encode()))
    assert [s.reason for s in skipped] == ["FEN start"]
    assert [(g.black, len(m)) for g, m in games] == [("b", 1)]


ODDS = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNB1KBNR w KQkq - 0 1"  # White gives the queen


def test_the_board_reads_set_up_positions_training_does_not(tmp_path: Path) -> None:
    """A queen-odds game and a diagram without moves open on the board (fen_starts);
    Chess960 and impossible positions are skipped with their reason; a standard FEN
    header is a standard game. Without fen_starts (training) every FEN start is skipped."""
    text = (
        f'[White "Dad"]\n[Black "Kid"]\n[SetUp "1"]\n[FEN "{ODDS}"]\n\n1. e4 e5 2. Nf3 *\n\n'
        '[White "a"]\n[Black "b"]\n[FEN "8/8/8/8/8/8/6k1/4K2R w K - 0 1"]\n\n*\n\n'
        '[White "c"]\n[Black "d"]\n'
        '[FEN "bqnb1rkr/pp3ppp/3ppn2/2p5/5P2/P2P4/NPP1P1PP/BQ1BNRKR w HFhf - 2 9"]\n\n9. g3 *\n\n'
        '[White "e"]\n[Black "f"]\n[FEN "8/8/8/8/8/8/8/8 w - - 0 1"]\n\n*\n\n'
        f'[White "g"]\n[Black "h"]\n[FEN "{chess.STARTING_FEN}"]\n\n1. d4 *\n\n'
        '[White "i"]\n[Black "j"]\n[FEN "not a position"]\n\n1. e4 *\n\n'
        # Rook odds written with the standard castling rights: the a1 rook is gone.
        '[White "k"]\n[Black "l"]\n'
        '[FEN "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/1NBQKBNR w KQkq - 0 1"]\n\n1. e4 *\n'
    )
    path = _write(tmp_path, "odds.pgn", text.encode())
    shown = list(read_games(path, fen_starts=True))
    games = [g for g in shown if isinstance(g, tuple)]
    [(odds, moves), (diagram, none), (standard, _), (rook_odds, _)] = games
    assert rook_odds.fen == "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/1NBQKBNR w Kkq - 0 1"
    assert odds.fen == ODDS and [m.uci() for m in moves] == ["e2e4", "e7e5", "g1f3"]
    assert diagram.fen == "8/8/8/8/8/8/6k1/4K2R w K - 0 1" and none == []
    assert standard.fen is None and standard.white == "g"
    reasons = {s.number: s.reason for s in shown if isinstance(s, SkippedGame)}
    assert reasons == {3: "Chess960 start", 4: "impossible FEN start", 6: "invalid FEN start"}
    games, skipped = _results(path)
    assert [g.white for g, _ in games] == ["g"] and games[0][0].fen is None
    assert [s.reason for s in skipped] == ["FEN start"] * 6


def test_tag_like_line_inside_a_comment_does_not_split(tmp_path: Path) -> None:
    text = '[White "a"]\n[Black "b"]\n\n1. e4 {see\n[Event "x"] here} e5 2. Nf3 *\n'
    games, _ = _results(_write(tmp_path, "c.pgn", text.encode()))
    assert len(games) == 1 and len(games[0][1]) == 3


def test_find_pgn_files(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    for name in ("d/a.pgn", "d/e/b.PGN.GZ", "d/c.txt", "d/e/f.pgn.zst"):
        (tmp_path / name).write_bytes(b"")
    found = find_pgn_files([tmp_path / "d"])
    assert [p.name for p in found] == ["a.pgn", "b.PGN.GZ", "f.pgn.zst"]
    with pytest.raises(UserError, match="does not exist"):
        find_pgn_files([tmp_path / "missing.pgn"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="No PGN files"):
        find_pgn_files([tmp_path / "empty"])
    with pytest.raises(UserError):
        find_pgn_files([])


def _slow_tokens(text: str) -> list[list[str]]:
    """Mainlines as python-chess's own parser reads them (the reference)."""
    handle, out = io.StringIO(text), []
    while (game := chess.pgn.read_game(handle)) is not None:
        out.append([m.uci() for m in game.mainline_moves()])
    return out


def test_plain_san_agrees_with_python_chess_on_pins_checks_and_en_passant() -> None:
    # Pinned knight (only the other one may go to d2), en passant, check evasions,
    # promotions and under-promotions, castling both sides, pawn double steps.
    text = (
        "1. d4 e5 2. dxe5 Bb4+ 3. Nd2 Nc6 4. Ngf3 d5 5. exd6 Qxd6 6. a3 Bxd2+ 7. Nxd2 Qxd2+"
        " 8. Qxd2 Bd7 9. e4 O-O-O 10. Qxd7+ Rxd7 11. Ba6 bxa6 12. O-O Nf6 *\n\n"
        "1. h4 g5 2. hxg5 f5 3. g6 f4 4. g7 f3 5. gxh8=N fxg2 6. Nf7 gxf1=Q+ 7. Kxf1 *\n\n"
        "1. e4 d5 2. e5 f5 3. exf6 Nxf6 4. Ke2 Ng4 5. Ke1 Nxf2 *\n"
    )
    got = [[m.uci() for m in moves] for _, moves in _results_from_text(text)]
    assert got == _slow_tokens(text)


def _results_from_text(text: str) -> list[tuple[GameInfo, list[chess.Move]]]:
    parsed = pgn.parse_texts("t", pgn.split_games(io.BytesIO(text.encode())))
    return [(g.info, g.moves) for g in parsed if g.info is not None]


def test_pinned_piece_move_is_illegal(tmp_path: Path) -> None:
    # After 1. e4 e5 2. Qh5 f6?? ... the f-pawn is not pinned; here the e7 pawn... use a
    # knight pinned to its king by a bishop: 1. d4 e6 2. c4 Bb4+ 3. Nc3 and 4. Nd5 is illegal.
    text = '[White "a"]\n[Black "b"]\n\n1. d4 e6 2. c4 Bb4+ 3. Nc3 Nf6 4. Nd5 *\n'
    _, skipped = _results(_write(tmp_path, "p.pgn", text.encode()))
    assert [s.reason for s in skipped] == ["illegal move 'Nd5' at ply 7"]


def test_tokens_and_positions_match_the_reference_encoder() -> None:
    text = "1. e4 c5 2. Nf3 d6 3. d4 cxd4 4. Nxd4 Nf6 5. Nc3 a6 6. Be3 e5 7. Nb3 Be6 *\n"
    (game,) = list(pgn.parse_texts("t", [text.encode()]))
    tokens, words = encode_game(game.moves)
    assert list(game.tokens) == tokens.tolist()
    assert list(game.words) == words.reshape(-1).tolist()


# ----------------------------------------------------------------------------- real data


@pytest.mark.slow
def test_every_shared_file_reads(shared_pgn: Path) -> None:
    # broad/ is covered by test_corpus (the 20k sample) and amateur/ by the test below:
    # read whole, the two alone would take most of CI's time.
    files = [p for p in find_pgn_files([shared_pgn]) if p.parent.name not in ("broad", "amateur")]
    assert len(files) >= 50
    for path in files:
        for item in read_games(path):
            assert isinstance(item, SkippedGame) or len(item[1]) > 0


def test_the_amateur_export_reads_with_ratings_and_time_controls(shared_pgn: Path) -> None:
    path = shared_pgn / "amateur/lichess_amateur_132k.pgn.zst"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    head = list(itertools.islice(read_games(path), 2000))
    games = [item for item in head if not isinstance(item, SkippedGame)]
    assert len(games) == 2000  # MANIFEST: every game was checked with python-chess
    assert sum(g.white_elo is not None and g.time_control is not None for g, _ in games) > 1900


@pytest.mark.parametrize(
    ("name", "games", "skipped"),
    [
        pytest.param("masters/Tal.pgn", 2431, 0, marks=pytest.mark.slow),
        ("masters/Capablanca.pgn", 597, 0),
        pytest.param("masters/Karpov.pgn", 3529, 0, marks=pytest.mark.slow),
        pytest.param("masters/PolgarJ.pgn", 1825, 0, marks=pytest.mark.slow),
        ("online/cmrade_lichess.pgn", 464, 10),
    ],
)
def test_counts_match_the_manifest(shared_pgn: Path, name: str, games: int, skipped: int) -> None:
    ok, bad = _results(shared_pgn / name)
    assert (len(ok), len(bad)) == (games, skipped)
    assert all(s.reason == "no moves" for s in bad)


def test_concatenated_chesscom_dump_recovers_every_game(shared_pgn: Path) -> None:
    path = shared_pgn / "nasty/chesscom-api-concat_MagnusCarlsen_missing-headers.pgn"
    games, skipped = _results(path)
    assert len(games) + len(skipped) == 334
    assert all(g.white != "?" and g.black != "?" for g, _ in games)
    assert sum("MagnusCarlsen" in (g.white, g.black) for g, _ in games) == len(games)
    assert Counter(s.reason for s in skipped) == {"variant Chess960": 21, "no moves": 1}
    # Every game really is its own: the move counts agree with the PlyCount-free reference.
    assert len({g.number for g, _ in games}) == len(games)


def test_skip_reasons_on_nasty_files(shared_pgn: Path) -> None:
    nasty = shared_pgn / "nasty"
    reasons = {
        "dhtmlchess/1001bwtc_FEN-only-no-moves.pgn": {"FEN start": 1000},
        "python-chess/knightvuillaume-jannlee-zh-lichess.pgn": {"variant Crazyhouse": 1},
        "python-chess/cutechess-fischerrandom.pgn": {"variant fischerandom": 4},
        "pgn-read/Little_01.pgn": {"illegal move 'B1-d3' at ply 2": 1},
    }
    for name, expected in reasons.items():
        _, skipped = _results(nasty / name)
        assert Counter(s.reason for s in skipped) == expected, name
        assert all(s.number >= 1 and s.source.endswith(name.split("/")[-1]) for s in skipped)


@pytest.mark.slow
def test_non_utf8_masters_files_keep_accented_names(shared_pgn: Path) -> None:
    games, _ = _results(shared_pgn / "masters/PolgarJ.pgn")
    names = {g.white for g, _ in games} | {g.black for g, _ in games}
    assert "Wälbers, W." in names
    assert not any("\ufffd" in n for n in names)
    # Karpov's file has a Latin-1 no-break space after a name: whitespace, so dropped.
    games, _ = _results(shared_pgn / "masters/Karpov.pgn")
    assert "Bidjukov" in {g.black for g, _ in games}


def test_plain_san_agrees_with_python_chess_on_real_games(shared_pgn: Path) -> None:
    text = (shared_pgn / "masters/Tal.pgn").read_text(encoding="utf-8")
    head = text[: len(text) // 8]
    head = head[: head.rfind("[Event ")]
    got = [[m.uci() for m in moves] for _, moves in _results_from_text(head)]
    assert len(got) > 250
    assert got == _slow_tokens(head)
