"""Game setup: each side's rating and the game's time control (the model conditions on
both), and whether the clocks run. The dialog only edits a copy; the window applies it."""

from __future__ import annotations

import re

import chess
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from chessgru.gui.game import Conditions

#: (PGN TimeControl, label) offered in the list; any "seconds+increment" may be typed.
TIME_CONTROLS = (
    ("", "unknown"),
    ("60+0", "1+0 bullet"),
    ("180+2", "3+2 blitz"),
    ("300+3", "5+3 blitz"),
    ("600+5", "10+5 rapid"),
    ("900+10", "15+10 rapid"),
    ("1800+0", "30+0 classical"),
    ("5400+30", "90+30 classical"),
)
_TC = re.compile(r"^\s*(\d+)(?:\s*\+\s*(\d+))?\s*$")


def parse_time_control(text: str) -> tuple[int, int] | None:
    """(seconds, increment) of a PGN TimeControl "300+3" (or a label from the list), else None."""
    for value, label in TIME_CONTROLS:
        if text.strip() == label:
            text = value
    match = _TC.match(text.split(" ")[0] if text else "")
    if not match or int(match.group(1)) == 0:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


class SetupDialog(QDialog):
    """Ratings (0 = unknown), time control, clocks on or off."""

    def __init__(self, conditions: Conditions, clocks: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Game setup")
        self.elo = {}
        form = QFormLayout(self)
        for color, side in ((chess.WHITE, "White"), (chess.BLACK, "Black")):
            box = QSpinBox()
            box.setRange(0, 3500)
            box.setSingleStep(50)
            box.setSpecialValueText("unknown")
            box.setValue(conditions.elo(color) or 0)
            self.elo[color] = box
            form.addRow(f"{side}'s rating (Elo)", box)
        self.time_control = QComboBox()
        self.time_control.setEditable(True)
        for value, label in TIME_CONTROLS:
            self.time_control.addItem(label, value)
        self.time_control.setToolTip('minutes+increment from the list, or seconds as "300+3"')
        self.time_control.setEditText(
            next((label for v, label in TIME_CONTROLS if v == conditions.time_control), None)
            or conditions.time_control
            or "unknown"
        )
        form.addRow("Time control", self.time_control)
        self.clocks = QCheckBox("Run clocks for this time control (hot-seat)")
        self.clocks.setChecked(clocks)
        form.addRow(self.clocks)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.elo[chess.WHITE].setFocus()
        self.elo[chess.WHITE].selectAll()  # typing replaces "unknown"

    def conditions(self) -> Conditions:
        """What the dialog shows, as the game's conditions."""
        tc = parse_time_control(self.time_control.currentText())
        return Conditions(
            self.elo[chess.WHITE].value() or None,
            self.elo[chess.BLACK].value() or None,
            f"{tc[0]}+{tc[1]}" if tc else None,
        )
