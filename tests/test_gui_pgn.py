"""PGN files on the board: chessgru's own reader on a thread, the game list, dropping a file."""

from __future__ import annotations

import gzip
from pathlib import Path

import chess
from gui_fakes import close_boxes, games_text, sans, status, wait_read


def test_gzipped_pgn_opens(qtbot, make_app, tmp_path: Path) -> None:
    path = tmp_path / "games.pgn.gz"
    path.write_bytes(gzip.compress(games_text(3).encode()))
    app = make_app()
    assert app.window.open_pgn(str(path))
    wait_read(qtbot, app)
    assert app.game.moves == sans("e4 e5 Nf3") and app.game.white == "Morphy, Paul"
    assert len(app.window.pgn_file.games) == 3 and "3 games" in status(app)


def test_binary_file_named_pgn_is_a_message(qtbot, make_app, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pgn"
    junk.write_bytes(bytes(range(256)) * 800)  # every byte value: no game in it
    fake_gz = tmp_path / "fake.pgn.gz"
    fake_gz.write_bytes(b"[Event not gzip at all")
    app = make_app()
    for path in (junk, fake_gz):
        assert app.window.open_pgn(str(path))
        wait_read(qtbot, app)
        assert path.name in status(app) and app.game.moves == []
        close_boxes()
    app.window.play(sans("e4")[0])  # the board still plays
    assert app.game.moves == sans("e4")


def test_latin1_names_are_read(qtbot, make_app, tmp_path: Path) -> None:
    path = tmp_path / "latin1.pgn"
    path.write_bytes(games_text(1, white="Portisch, Lajos", black="Sjöberg, Åke").encode("latin-1"))
    app = make_app()
    app.window.open_pgn(str(path))
    wait_read(qtbot, app)
    assert app.game.headers["Black"] == "Sjöberg, Åke"
    assert app.window.top_bar.note.text() == "Sjöberg, Åke: not in the model"


def test_chess_com_dump_without_blank_lines(qtbot, make_app, tmp_path: Path) -> None:
    glued = games_text(2).replace("1-0\n\n[Event", "1-0\n[Event")
    app = opened(qtbot, make_app, tmp_path / "dump.pgn", glued)
    assert len(app.window.pgn_file.games) == 2


def test_a_null_move_game_is_skipped_with_its_reason(qtbot, make_app, tmp_path: Path) -> None:
    text = '[White "A"]\n[Black "B"]\n\n1. e4 -- 2. d4 *\n\n' + games_text(1)
    app = opened(qtbot, make_app, tmp_path / "null.pgn", text)
    assert app.game.moves == sans("e4 e5 Nf3")  # the first readable game
    assert "game 1: null move at ply 2" in status(app)
    assert_every_ply_predicted(qtbot, app)


def opened(qtbot, make_app, path: Path, text: str):
    """A new board that has read `text` written to `path`."""
    path.write_text(text)
    app = make_app()
    app.window.open_pgn(str(path))
    wait_read(qtbot, app)
    return app


def assert_every_ply_predicted(qtbot, app) -> None:
    plies = range(len(app.game.moves) + 1)
    qtbot.waitUntil(lambda: all(app.predictions.dist(p) for p in plies), timeout=3000)
    board = chess.Board(app.game.start_fen)
    for ply, move in enumerate([*app.game.moves, None]):
        assert all(m in board.legal_moves for m, _ in app.predictions.dist(ply)), ply
        if move is not None:
            board.push(move)


def test_a_game_from_a_set_up_position_opens_there(qtbot, make_app, tmp_path: Path) -> None:
    """Odds games (Dad gives his queen) open from their FEN; each ply gets legal predictions."""
    odds = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNB1KBNR w KQkq - 0 1"
    text = f'[White "Dad"]\n[Black "Kid"]\n[FEN "{odds}"]\n\n1. e4 e5 2. Nf3 *\n'
    app = opened(qtbot, make_app, tmp_path / "odds.pgn", text)
    assert app.game.start_fen == odds and app.game.moves == sans("e4 e5 Nf3", chess.Board(odds))
    assert "skipped" not in status(app)
    assert_every_ply_predicted(qtbot, app)


def test_a_puzzle_diagram_opens_ready_to_play(qtbot, make_app, tmp_path: Path) -> None:
    """A position without moves whose Result is 1-0 (a puzzle) is to be played, not over."""
    fen = "7k/8/6K1/8/8/8/8/R7 w - - 0 1"
    text = f'[White "Dad"]\n[Black "Kid"]\n[Result "1-0"]\n[FEN "{fen}"]\n\n1-0\n'
    app = opened(qtbot, make_app, tmp_path / "puzzle.pgn", text)
    assert app.game.start_fen == fen and app.game.moves == []
    app.window.play(chess.Move.from_uci("a1a8"))  # mate in one
    assert app.game.moves == [chess.Move.from_uci("a1a8")] and app.game.board.is_checkmate()
