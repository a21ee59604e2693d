"""Where chessgru finds its shipped files and keeps its caches."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

BASE_MODEL_NAME = "base.chessgru"


def asset(name: str) -> Path:
    """Path of a file shipped in ``chessgru.assets`` (works from a wheel and a checkout)."""
    return Path(str(resources.files("chessgru.assets").joinpath(name)))


def base_model_path() -> Path | None:
    """The shipped base model, or None when this install has none."""
    path = asset(BASE_MODEL_NAME)
    return path if path.is_file() else None


def cache_dir() -> Path:
    """Folder for the pre-tokenised PGN cache: ``$CHESSGRU_CACHE``, else the user cache dir."""
    env = os.environ.get("CHESSGRU_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "chessgru"
