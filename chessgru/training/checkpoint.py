"""Training checkpoints: written atomically, read without unpickling code.

A checkpoint is one ``torch.save`` file of plain tensors, numbers and strings (model
weights, the best weights so far, the AdamW state and the run's position as JSON), read
back with ``torch.load(weights_only=True)``, which refuses anything that would run code.
It is written to a temporary file, flushed to disk, then renamed over the old one, so a
run killed at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import torch

from chessgru.atomic import atomic_write, describe_os_error
from chessgru.errors import UserError
from chessgru.training.config import Progress

FORMAT = 1


def _progress_dict(state: Progress) -> dict[str, Any]:
    out = dataclasses.asdict(state)
    out["best_val"] = None if math.isinf(state.best_val) else state.best_val
    return out


def save(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: Progress,
    best: dict[str, torch.Tensor] | None,
    key: str,
) -> None:
    """Write the checkpoint for ``state`` to ``path`` atomically."""
    meta = {"format": FORMAT, "key": key, "progress": _progress_dict(state)}
    payload = {
        "meta": json.dumps(meta),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "best": best or {},
        "optimizer": optimizer.state_dict(),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # to a path, torch reports a full disk as a RuntimeError
    try:
        with atomic_write(path) as tmp, open(tmp, "wb") as f:
            f.write(buffer.getbuffer())
    except OSError as exc:
        raise UserError(
            f"Could not write the checkpoint {path}: {describe_os_error(exc)}; the previous "
            "checkpoint, if any, is kept: make room and run the same command with --resume."
        ) from exc


def restore(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    key: str,
) -> tuple[Progress, dict[str, torch.Tensor] | None]:
    """Load ``path`` into ``model`` and ``optimizer``; returns (Progress, best weights).

    UserError when there is no checkpoint, it is damaged, or it belongs to other data or
    settings (resuming it would silently train something else).
    """
    if not path.is_file():
        raise UserError(f"There is no checkpoint at {path} to resume from.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(payload["meta"])
        if meta.get("format") != FORMAT:
            raise ValueError("format")
    except Exception as exc:  # pickle, zip and key errors alike mean "damaged"
        raise UserError(f"The checkpoint {path} is damaged or not a chessgru checkpoint.") from exc
    if meta["key"] != key:
        raise UserError(
            f"The checkpoint {path} was made from other games or settings; "
            "run without --resume to start over."
        )
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    progress = meta["progress"]
    if progress["best_val"] is None:
        progress["best_val"] = math.inf
    return Progress(**progress), (payload["best"] or None)
