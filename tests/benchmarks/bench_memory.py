"""Peak memory of a command and all its worker processes (Linux /proc), sampled as it runs.

Run: ``.venv/bin/python tests/benchmarks/bench_memory.py [--every 2] [--log F] -- CMD ...``
e.g. ``... -- .venv/bin/chessgru players ../shared/data/pgn/amateur --workers 1``.

Reports the peak of the biggest single process (its VmHWM, exact), the highest sum of
the resident memory of the whole process tree seen at a sample (workers included), and
the games parsed so far at each sample (from the size of the ``headers.bin`` being
written in $CHESSGRU_CACHE, 40 bytes a game), so a run too long to finish still gives
memory against input size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

_ROW_BYTES = 40  # one game's header row in the cache (chessgru.games.table.FIELDS, int32)


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _games_written(cache: Path | None) -> int:
    if cache is None:
        return 0
    total = 0
    for file in cache.glob("*/headers.bin"):  # pathlib's * matches the .tmp- folders too
        with contextlib.suppress(OSError):  # renamed or removed meanwhile
            total += file.stat().st_size // _ROW_BYTES
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--log", type=Path, help="append one JSON line per sample here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    cache = Path(os.environ["CHESSGRU_CACHE"]) if "CHESSGRU_CACHE" in os.environ else None
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak_tree_kb, peak_hwm_kb, samples = 0, 0, 0
    log = args.log.open("a") if args.log else None
    while proc.poll() is None:
        pids = _tree(proc.pid)
        tree_kb = sum(_status_kb(p, "VmRSS") for p in pids)
        peak_hwm_kb = max(peak_hwm_kb, _status_kb(proc.pid, "VmHWM"))
        peak_tree_kb = max(peak_tree_kb, tree_kb)
        samples += 1
        if log:
            sample = {"s": round(time.monotonic() - start, 1), "tree_mb": tree_kb // 1024}
            sample |= {"hwm_mb": peak_hwm_kb // 1024, "processes": len(pids)}
            sample["games_written"] = _games_written(cache)
            log.write(json.dumps(sample) + "\n")
            log.flush()
        time.sleep(args.every)
    # The exact peak of the biggest single process, from the kernel (between samples too).
    peak_hwm_kb = max(peak_hwm_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    summary = {
        "command": " ".join(command),
        "exit": proc.returncode,
        "seconds": round(time.monotonic() - start, 1),
        "peak_one_process_mb": peak_hwm_kb // 1024,
        "peak_tree_mb": peak_tree_kb // 1024,
        "samples": samples,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
