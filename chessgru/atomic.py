"""Atomic file writes: a killed process leaves the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` for the caller to write; then replace ``path``.

    When the block returns, the temporary file is flushed to disk and renamed over
    ``path`` (a rename within one folder is atomic); when it raises, the temporary file is
    removed. The file gets mode 0o666 less the umask, as ``open`` would give it, even when
    the writer makes its own 0600 file (safetensors does, like ``mkstemp``): a model file
    is meant to be shared.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        mode = stat.S_IMODE(tmp.stat().st_mode)  # 0o666 less the umask, set by the kernel
        yield tmp
        tmp.chmod(mode)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
