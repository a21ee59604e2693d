"""The board's settings: typed values over QSettings, persisted on every change.

Widgets read and write these through one object so a change made in a menu (arrows off,
flip) reaches every view through ``changed`` and survives a restart.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal

SHOW_FOR = ("both", "white", "black", "none")

# key -> default; the default's type is the value's type.
DEFAULTS: dict[str, object] = {
    "flipped": False,
    "arrows": True,
    "threshold": 0.02,
    "top_k": 5,
    "auto_flip": False,
    "auto_queen": False,
    "model_path": "",
    "white": "population",
    "black": "population",
    "show_for": "both",
    # The family's library (gui/family.py).
    "learn_after_game": False,
    "previous_model": "",  # the model before the last learning ("base": the shipped one)
    "lichess_url": "https://lichess.org",
    "chesscom_url": "https://api.chess.com",
}


def _coerce(value: object, default: object) -> object:
    """QSettings hands back strings from INI files: turn them into the default's type."""
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)
    if isinstance(default, int):
        return int(value)  # type: ignore[arg-type]
    if isinstance(default, float):
        return float(value)  # type: ignore[arg-type]
    return str(value)


class Settings(QObject):
    """Persistent settings with a signal; `store` lets tests use a private file."""

    changed = Signal(str)  # key

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store if store is not None else QSettings("chessgru", "chessgru")

    def get(self, key: str) -> object:
        """The stored value of `key`, or its default when absent or unreadable."""
        default = DEFAULTS[key]
        value = self._store.value(key, default)
        try:
            value = _coerce(value, default)
        except (TypeError, ValueError):
            return default
        if key == "show_for" and value not in SHOW_FOR:
            return default
        return value

    def set(self, key: str, value: object) -> None:
        """Store `value` under `key` and announce it when it changed."""
        value = _coerce(value, DEFAULTS[key])
        if self.get(key) == value and self._store.contains(key):
            return
        self._store.setValue(key, value)
        self._store.sync()
        self.changed.emit(key)

    # Typed shortcuts for the values read most often.
    @property
    def flipped(self) -> bool:
        return bool(self.get("flipped"))

    @property
    def arrows(self) -> bool:
        return bool(self.get("arrows"))

    @property
    def threshold(self) -> float:
        return float(self.get("threshold"))  # type: ignore[arg-type]

    @property
    def top_k(self) -> int:
        return int(self.get("top_k"))  # type: ignore[arg-type]

    @property
    def show_for(self) -> str:
        return str(self.get("show_for"))
