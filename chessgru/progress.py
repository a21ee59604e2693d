"""Progress bars on stderr: tqdm when stderr is a terminal, silent otherwise.

Pipes, CI logs and ``--json`` consumers never see bar debris; people at a terminal see
a rate (games/s, moves/s) so a slow run is visibly slow.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress_bar(
    desc: str, *, total: int | None = None, unit: str = "games", enabled: bool = True, **kwargs: Any
) -> tqdm:
    """A tqdm bar on stderr, disabled unless ``enabled`` and stderr is a terminal.

    Use as a context manager and call ``update(n)``; a disabled bar costs nothing.
    """
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        file=sys.stderr,
        disable=not (enabled and sys.stderr.isatty()),
        dynamic_ncols=True,
        leave=False,
        **kwargs,
    )
