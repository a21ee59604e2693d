"""The model file (``.chessgru``): weights and everything needed to use them, in one file.

It is a safetensors file, so opening one never runs code (no pickle). Its metadata holds
one JSON header under the key ``"chessgru"``::

    format_version   this file layout (readers refuse newer ones)
    encoder_version  the move/position encoding the weights were trained on
    vocab_size       size of the move vocabulary
    model_config     ModelConfig.to_dict(): rebuilds the network
    train_config     how it was trained (free-form dict from the trainer)
    players          [{"name", "aliases", "games", "moves"}], index = embedding row,
                     row 0 = the population
    data             summary of the training data; metrics: the evaluation figures
    personal         (optional) the personal fit: prior strengths by row and the
                     per-person report (:mod:`chessgru.model.prior`); its counts are the
                     ``prior.*`` tensors. Files without it have no prior.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a killed
training run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from chessgru import __version__
from chessgru.atomic import atomic_write
from chessgru.errors import UserError
from chessgru.model import encoding
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.model.prior import TENSOR_PREFIX, PersonalPrior

FORMAT_VERSION = 1
HEADER_KEY = "chessgru"
SUFFIX = ".chessgru"


@dataclass
class Bundle:
    """A loaded model file: the config, fp32 weights, the players and the whole header."""

    path: Path
    config: ModelConfig
    state_dict: dict[str, torch.Tensor]
    players: list[dict[str, Any]]
    header: dict[str, Any] = field(default_factory=dict)
    prior: PersonalPrior = field(default_factory=PersonalPrior)

    @property
    def player_names(self) -> list[str]:
        """Names by embedding row ("population" first)."""
        return [p["name"] for p in self.players]

    @property
    def train_config(self) -> dict[str, Any]:
        return self.header.get("train_config") or {}

    @property
    def data(self) -> dict[str, Any]:
        return self.header.get("data") or {}

    @property
    def metrics(self) -> dict[str, Any]:
        return self.header.get("metrics") or {}

    @property
    def personal(self) -> dict[str, Any]:
        return self.header.get("personal") or {}


def player_entry(
    name: str, aliases: Sequence[str] = (), games: int = 0, moves: int = 0
) -> dict[str, Any]:
    """One ``players`` entry of the header."""
    return {"name": name, "aliases": list(aliases), "games": int(games), "moves": int(moves)}


def _players(players: Sequence[Mapping[str, Any] | str]) -> list[dict[str, Any]]:
    out = []
    for p in players:
        if isinstance(p, str):
            out.append(player_entry(p))
        else:
            out.append(
                player_entry(p["name"], p.get("aliases", ()), p.get("games", 0), p.get("moves", 0))
            )
    return out


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def save_bundle(
    path: str | Path,
    model: ChessGRU,
    players: Sequence[Mapping[str, Any] | str],
    *,
    train_config: Any = None,
    data: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    dtype: torch.dtype | None = None,
    prior: PersonalPrior | None = None,
    personal: Mapping[str, Any] | None = None,
) -> None:
    """Write ``model`` and its players to ``path`` atomically.

    ``players`` are header entries (or bare names), one per embedding row, row 0 the
    population. ``train_config`` may be a dataclass or a dict. ``dtype=torch.float16``
    halves the file (the shipped base model); floats are read back as float32.
    ``prior`` and ``personal`` (the personal fit's report) are stored when given.
    """
    path = Path(path)
    entries = _players(players)
    if len(entries) != model.config.n_players:
        raise ValueError(f"{len(entries)} players for {model.config.n_players} embedding rows")
    header = {
        "format_version": FORMAT_VERSION,
        "encoder_version": encoding.ENCODER_VERSION,
        "vocab_size": model.config.vocab_size,
        "chessgru_version": __version__,
        "model_config": model.config.to_dict(),
        "train_config": _jsonable(train_config) or {},
        "players": entries,
        "data": dict(data or {}),
        "metrics": dict(metrics or {}),
    }
    if prior is not None or personal:
        header["personal"] = {
            **dict(personal or {}),
            "strength": prior.header() if prior is not None else {},
        }
    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    if prior is not None:
        tensors.update(prior.tensors())
    with atomic_write(path) as tmp:
        save_file(tensors, str(tmp), metadata={HEADER_KEY: json.dumps(header)})


def _read(path: Path) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own and OS errors alike
        raise UserError(
            f"{path} is not a chessgru model file (damaged or another format)."
        ) from exc
    return metadata, tensors


def load_bundle(path: str | Path) -> Bundle:
    """Read a model file; any unusable file is a UserError with one plain sentence."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"model file {path} does not exist.")
    if not path.is_file():
        raise UserError(f"{path} is not a file, so it cannot be a chessgru model file.")
    if path.stat().st_size == 0:
        raise UserError(f"model file {path} is empty.")
    metadata, tensors = _read(path)
    if HEADER_KEY not in metadata:
        raise UserError(f"{path} is a safetensors file but not a chessgru model file.")
    try:
        header = json.loads(metadata[HEADER_KEY])
        version = int(header["format_version"])
        encoder_version = int(header["encoder_version"])
        config = ModelConfig.from_dict(header["model_config"])
        players = _players(header["players"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"model file {path} has a damaged header.") from exc
    if version > FORMAT_VERSION:
        raise UserError(
            f"model file {path} was written by a newer chessgru (format {version}); "
            "update chessgru to open it."
        )
    if encoder_version != encoding.ENCODER_VERSION or config.vocab_size != encoding.VOCAB_SIZE:
        raise UserError(
            f"model file {path} uses move encoding {encoder_version}, this chessgru uses "
            f"{encoding.ENCODER_VERSION}; retrain the model with this version."
        )
    if len(players) != config.n_players:
        raise UserError(f"model file {path} has a damaged header (player list).")
    extra = {k: tensors.pop(k) for k in [k for k in tensors if k.startswith(TENSOR_PREFIX)]}
    try:
        prior = PersonalPrior.from_file(extra, (header.get("personal") or {}).get("strength"))
    except (ValueError, TypeError, AttributeError) as exc:
        raise UserError(f"model file {path} has a damaged personal prior.") from exc
    state = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    return Bundle(
        path=path, config=config, state_dict=state, players=players, header=header, prior=prior
    )


def build_model(bundle: Bundle, device: str | torch.device = "cpu") -> ChessGRU:
    """The network of ``bundle`` with its weights, in eval mode on ``device``."""
    model = ChessGRU(bundle.config)
    try:
        model.load_state_dict(bundle.state_dict, strict=True)
    except RuntimeError as exc:
        raise UserError(
            f"model file {bundle.path} does not match its own settings (damaged)."
        ) from exc
    return model.to(device).eval()
