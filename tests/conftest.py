"""Shared fixtures: where the real games live, and a skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The board's fakes and fixtures (make_app, settings), for every GUI test file.
pytest_plugins = ["gui_fakes"]

SHARED_PGN = Path(
    os.environ.get("CHESSGRU_SHARED_PGN", Path(__file__).resolve().parents[2] / "shared/data/pgn")
)


@pytest.fixture(scope="session")
def shared_pgn() -> Path:
    """``../shared/data/pgn``; tests that take it skip when the folder is absent."""
    if not SHARED_PGN.is_dir():
        pytest.skip(f"real PGN data not found at {SHARED_PGN} (set CHESSGRU_SHARED_PGN)")
    return SHARED_PGN


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets an empty PGN cache and data folder unless it sets its own."""
    monkeypatch.setenv("CHESSGRU_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path_factory.mktemp("data")))
