"""The side column: predictions and analysis above, the move list below, split by a handle.

At the default 1180x690 window the predictions, the lines, `who`, the live score and the
move list do not all fit one above the other; stacked in one layout the move list got
about two rows. Here the upper part scrolls and the move list keeps at least
``MOVE_ROWS`` rows; dragging the handle gives either part more.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QTableView, QVBoxLayout, QWidget

#: Rows of the move list visible at first, whatever the window's height.
MOVE_ROWS = 8


class SideColumn(QSplitter):
    """A vertical splitter: ``upper`` widgets in a scroll area, the titled move list below."""

    def __init__(self, upper: list[QWidget], title: QWidget, moves: QTableView) -> None:
        super().__init__(Qt.Orientation.Vertical)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 4, 0)
        for widget in upper:
            layout.addWidget(widget)
        layout.addStretch(1)
        self.upper = QScrollArea()
        self.upper.setWidget(content)
        self.upper.setWidgetResizable(True)
        self.upper.setFrameShape(QFrame.Shape.NoFrame)
        self.upper.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lower = QWidget()
        layout = QVBoxLayout(self.lower)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(title)
        layout.addWidget(moves, 1)
        self.addWidget(self.upper)
        self.addWidget(self.lower)
        self.setChildrenCollapsible(False)
        # the rows, the table's header and the title
        self.lower_height = (MOVE_ROWS + 2) * moves.verticalHeader().defaultSectionSize() + 6
        self._dragged = False
        self.splitterMoved.connect(self._on_drag)

    def _on_drag(self) -> None:
        self._dragged = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Until the user drags the handle, it follows the size: the upper part gets what
        it needs, but never more than leaves the move list ``MOVE_ROWS`` rows."""
        super().resizeEvent(event)
        if not self._dragged and self.height() > 0:
            content = self.upper.widget().sizeHint().height()
            lower = max(self.lower_height, self.height() - content)
            self.setSizes([max(1, self.height() - lower), lower])
