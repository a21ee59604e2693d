"""The installed package: entry points and run-time files are found without a checkout path."""

from __future__ import annotations

import subprocess
import sys

from chessgru import __version__
from chessgru.cli import main
from chessgru.paths import asset, base_model_path


def test_icon_is_a_package_asset() -> None:
    icon = asset("icon.svg")
    assert icon.is_file()
    assert "chessgru/assets" in icon.as_posix() or icon.parent.name == "assets"


def test_base_model_path_is_none_or_a_file() -> None:
    path = base_model_path()
    assert path is None or path.is_file()


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "chessgru", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"chessgru {__version__}"


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_shipped_base_model_predicts_for_masters_and_anyone() -> None:
    import chess

    from chessgru.predict import Predictor

    assert base_model_path() is not None, "assets/base.chessgru is part of the package"
    predictor = Predictor.load()  # the default everywhere: no --model needed
    assert predictor.resolve_player("Tal") == predictor.resolve_player("Tal, Mihail")
    predictor.set_player(chess.WHITE, "Capablanca, Jose Raul")
    predictor.set_player(chess.BLACK, "population")
    for uci in ("e2e4", "e7e5", "g1f3"):
        top = predictor.top(5)
        assert all(predictor.board.is_legal(move) for move, _ in top)
        assert abs(sum(p for _, p in predictor.top(None)) - 1) < 1e-4
        predictor.push(chess.Move.from_uci(uci))


def test_shipped_base_carries_its_peoples_priors_so_who_is_fast() -> None:
    """Without them the GUI's "plays like" panel is off for a board-tower base (the
    exact ranking of 2,898 people takes minutes a game)."""
    from chessgru.analysis.prior_scores import PriorIndex
    from chessgru.analysis.who import is_fast
    from chessgru.predict import Predictor

    predictor = Predictor.load()
    assert len(predictor.prior.rows()) > 2000, "training/base_priors.py before ship_base.py"
    tal = predictor.resolve_player("Tal, Mihail")
    assert predictor.prior.table(tal), "Tal's own move counts are in the base"
    assert is_fast(predictor.model, PriorIndex.of(predictor.prior))
