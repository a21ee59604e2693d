"""Atomic file writes: a killed process leaves the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

#: A temporary file older than this was left by a killed writer (writing even the biggest
#: model or checkpoint takes seconds), so the next write of the same file removes it.
STALE_TMP_SECONDS = 3600


def describe_os_error(exc: OSError) -> str:
    """A few words for a failed write: "the disk is full", "permission denied", ..."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()


def _tmp_name(path: Path) -> str:
    return f".{path.name}.{secrets.token_hex(6)}.tmp"


def remove_stale_tmp(path: Path) -> None:
    """Delete the temporary files that killed writers of ``path`` left behind."""
    cutoff = time.time() - STALE_TMP_SECONDS
    with contextlib.suppress(OSError):  # an unreadable folder has nothing to clean
        for tmp in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                    tmp.unlink()


def check_writable(path: str | Path) -> None:
    """Raise OSError now if ``path``'s folder cannot take a new file (before a long run).

    Creates the folder if needed and a probe file in it, the same way atomic_write will.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    probe = path.with_name(_tmp_name(path))
    os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    probe.unlink()


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` for the caller to write; then replace ``path``.

    When the block returns, the temporary file is flushed to disk and renamed over
    ``path`` (a rename within one folder is atomic); when it raises, the temporary file is
    removed. The file gets mode 0o666 less the umask, as ``open`` would give it, even when
    the writer makes its own 0600 file (safetensors does, like ``mkstemp``): a model file
    is meant to be shared. Temporary files of killed earlier writers are removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(path)
    tmp = path.with_name(_tmp_name(path))
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
