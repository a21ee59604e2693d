"""A guard against PySide6 6.12.0's reference-count bug on Python before 3.12.

In PySide6 6.12.0 every signal emission through a Python wrapper drops one reference it
never took: ``signal.emit()`` from Python takes one from ``True``, and a signal that Qt
emits on a wrapped object (``QAction.setChecked``, ``trigger``) takes one from ``None``.
Python 3.12+ makes these singletons immortal, so nothing happens there; on 3.10 and 3.11
the count reaches zero after a few thousand emissions and the interpreter aborts
("deallocating None"), which is minutes of play on the board. The guard detects the leak
once and then gives the three singletons a count that no session can use up, which is what
3.12 does for every interpreter.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

_RESERVE = 1 << 40  # references added to each singleton: ~10^12 emissions
_done = False


class _Probe(QObject):
    ping = Signal(object)


def _counts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def leaks_singleton_refs(rounds: int = 20) -> bool:
    """Whether emitting signals here loses references to None, True or False."""
    probe, action = _Probe(), QAction()
    action.setCheckable(True)
    before = _counts()
    for i in range(rounds):
        probe.ping.emit(i)
        action.setChecked(i % 2 == 0)
    after = _counts()
    return any(b - a >= rounds // 2 for a, b in zip(after, before, strict=True))


def protect_singletons() -> bool:
    """Apply the guard when this Python and PySide6 need it; True when it was applied."""
    global _done
    if _done or sys.version_info >= (3, 12) or not leaks_singleton_refs():
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every PyObject; id() is the object's address.
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE
    _done = True
    return True
