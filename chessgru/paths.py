"""Where chessgru finds its shipped files and keeps its caches."""

from __future__ import annotations

import os
import sys
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


def data_dir() -> Path:
    """Folder for the user's own files (the game library, learned models).

    ``$CHESSGRU_DATA`` when set (tests and scripts move it), else the platform's
    convention: ``%APPDATA%\\chessgru`` on Windows, ``~/Library/Application Support/chessgru``
    on macOS, ``$XDG_DATA_HOME/chessgru`` (default ``~/.local/share/chessgru``) elsewhere.
    A small function instead of a dependency: three rules cover the platforms we ship to.
    """
    env = os.environ.get("CHESSGRU_DATA")
    if env:
        return Path(env)
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        root = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        return root / "chessgru"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "chessgru"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "chessgru"
