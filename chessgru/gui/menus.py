"""Menus and shortcuts of the main window, and the shortcut list shown by F1 / `?`.

Every command is a QAction on a menu, so each one has its shortcut written next to it and
the help dialog is generated from the same actions (it can never list a stale key).

The menus drive the main window through ``Window``, the few things they need of it, so
this module never imports main_window.py (which imports it to build its menus).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox, QWidget

from chessgru import __version__

if TYPE_CHECKING:
    from chessgru.gui.game import GameState
    from chessgru.gui.predictions import Predictions
    from chessgru.gui.settings import Settings

TOP_K = (1, 3, 5, 8)
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1)
SHOW_FOR = (
    ("both", "Both players"),
    ("white", "White only"),
    ("black", "Black only"),
    ("none", "Nobody"),
)


class Window(Protocol):
    """What the menus need of the main window: its state and the commands they trigger."""

    game: GameState
    settings: Settings
    predictions: Predictions

    def menuBar(self) -> QMenuBar: ...
    def close(self) -> bool: ...
    def new_game(self, fen: str = ...) -> bool: ...
    def ask_fen(self) -> None: ...
    def open_pgn(self, path: str | None = None) -> bool: ...
    def save_pgn(self, path: str | None = None, with_predictions: bool = False) -> bool: ...
    def copy_fen(self) -> None: ...
    def paste_fen(self) -> None: ...
    def open_model(self, path: str | None = None) -> None: ...
    def setup_game(self) -> None: ...
    def show_game_list(self) -> None: ...
    def toggle(self, key: str) -> None: ...


def _add(
    menu: QMenu,
    actions: dict[str, QAction],
    name: str,
    text: str,
    slot: Callable[[], object],
    keys: tuple[str, ...] = (),
    checkable: bool = False,
) -> QAction:
    action = QAction(text, menu.parent())
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setCheckable(checkable)
    action.triggered.connect(lambda *_: slot())
    menu.addAction(action)
    actions[name] = action
    return action


def _radio(
    menu: QMenu,
    actions: dict[str, QAction],
    key: str,
    choices: list[tuple[object, str]],
    w: Window,
) -> None:
    group = QActionGroup(menu)
    for value, text in choices:
        action = _add(
            menu,
            actions,
            f"{key}:{value}",
            text,
            lambda v=value: w.settings.set(key, v),
            checkable=True,
        )
        group.addAction(action)


def build_menus(w: Window) -> dict[str, QAction]:
    """Create the menu bar of `w`; returns its actions by name (settings keys for toggles)."""
    bar = w.menuBar()
    a: dict[str, QAction] = {}
    game = bar.addMenu("&Game")
    _add(game, a, "new", "&New game", w.new_game, ("Ctrl+N",))
    _add(game, a, "new_fen", "New game from &FEN…", w.ask_fen, ("Ctrl+Shift+N",))
    _add(
        game, a, "setup", "Game set&up (ratings, time control, clocks)…", w.setup_game, ("Ctrl+G",)
    )
    game.addSeparator()
    _add(game, a, "resign", "&Resign (the side to move)", w.game.resign, ("Ctrl+R",))
    _add(game, a, "draw", "&Draw agreed", w.game.agree_draw, ("Ctrl+D",))
    game.addSeparator()
    _add(game, a, "open_pgn", "&Open PGN…", w.open_pgn, ("Ctrl+O",))
    _add(game, a, "game_list", "Game &list of the PGN…", w.show_game_list, ("Ctrl+L",))
    _add(game, a, "save_pgn", "&Save PGN…", w.save_pgn, ("Ctrl+S",))
    _add(
        game,
        a,
        "save_pgn_pred",
        "Save PGN with &predictions…",
        lambda: w.save_pgn(with_predictions=True),
        ("Ctrl+Shift+S",),
    )
    game.addSeparator()
    _add(game, a, "copy_fen", "&Copy FEN", w.copy_fen, ("Ctrl+C",))
    _add(game, a, "paste_fen", "&Paste FEN", w.paste_fen, ("Ctrl+V",))
    game.addSeparator()
    _add(game, a, "quit", "&Quit", w.close, ("Ctrl+Q",))

    moves = bar.addMenu("&Moves")
    _add(moves, a, "undo", "&Take back", w.game.undo, ("Ctrl+Z",))
    moves.addSeparator()
    _add(moves, a, "back", "&Back", lambda: w.game.go(w.game.ply - 1), ("Left",))
    _add(moves, a, "forward", "&Forward", lambda: w.game.go(w.game.ply + 1), ("Right",))
    _add(moves, a, "first", "&Start", lambda: w.game.go(0), ("Home",))
    _add(moves, a, "last", "&End", lambda: w.game.go(len(w.game.moves)), ("End",))
    moves.addSeparator()
    _add(
        moves,
        a,
        "auto_queen",
        "Always promote to a &queen",
        lambda: w.toggle("auto_queen"),
        checkable=True,
    )

    view = bar.addMenu("&View")
    _add(view, a, "flip", "&Flip board", lambda: w.toggle("flipped"), ("F", "Ctrl+F"))
    _add(
        view,
        a,
        "auto_flip",
        "&Auto-flip after each move",
        lambda: w.toggle("auto_flip"),
        checkable=True,
    )
    view.addSeparator()
    _add(
        view, a, "arrows", "Prediction &arrows", lambda: w.toggle("arrows"), ("A",), checkable=True
    )
    _radio(view.addMenu("Show predictions &for"), a, "show_for", list(SHOW_FOR), w)
    _radio(view.addMenu("&Number of predictions"), a, "top_k", [(k, f"Top {k}") for k in TOP_K], w)
    _radio(
        view.addMenu("Arrow &threshold"),
        a,
        "threshold",
        [(t, f"{100 * t:.0f}%" if t else "Off (all top moves)") for t in THRESHOLDS],
        w,
    )

    model = bar.addMenu("Mo&del")
    _add(model, a, "open_model", "&Open model…", w.open_model, ("Ctrl+M",))
    _add(model, a, "base_model", "Use the &base model", lambda: w.predictions.open_model(None))

    help_menu = bar.addMenu("&Help")
    _add(
        help_menu, a, "shortcuts", "&Keyboard shortcuts", lambda: show_shortcuts(w, a), ("F1", "?")
    )
    _add(help_menu, a, "about", "&About chessgru", lambda: show_about(w))
    return a


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(command, keys) for every action that has a shortcut, in menu order."""
    rows = []
    for action in actions.values():
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
        )
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), keys))
    return rows


def show_shortcuts(w: QWidget, actions: dict[str, QAction]) -> QMessageBox:
    """A non-blocking box listing every shortcut (plus the mouse gestures)."""
    rows = "".join(
        f"<tr><td>{text}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>"
        for text, keys in shortcut_rows(actions)
    )
    mouse = (
        "<p>Move: drag a piece, or click it and then its target. Right-click cancels. "
        "Hover a predicted move to see its arrow; double-click it to play it.</p>"
    )
    box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", "", parent=w)
    box.setText(f"<table>{rows}</table>{mouse}")
    box.open()
    return box


def show_about(w: QWidget) -> None:
    QMessageBox.about(
        w,
        "About chessgru",
        f"<b>chessgru {__version__}</b><p>Learns how specific people play chess from their "
        "games and shows, before each move, what they will most likely play.</p>"
        "<p>Licence: GPL-3.0-or-later.</p>",
    )
