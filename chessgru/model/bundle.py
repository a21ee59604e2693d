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
import math
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save

from chessgru import __version__
from chessgru.atomic import atomic_write, check_writable, describe_os_error
from chessgru.errors import UserError
from chessgru.model import encoding
from chessgru.model.network import ChessGRU, ModelConfig
from chessgru.model.prior import TENSOR_PREFIX, PersonalPrior

FORMAT_VERSION = 1
HEADER_KEY = "chessgru"
SUFFIX = ".chessgru"
#: Sane bounds of ModelConfig settings read from a file: any int setting (n_players has
#: its own, one row per person; a count of layers or blocks has its own, as each costs a
#: module to build), any float (a dropout is below 1). Checked before the network is
#: built, so a crafted file cannot ask for a 480 GB allocation or a minute of building.
MAX_SETTING = 1 << 16
MAX_PLAYERS = 1 << 24
MAX_DEPTH = 256


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


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: dataclasses as dicts, NaN and infinities as null (JSON has neither)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
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
    check_out_path(path)
    entries = _players(players)
    if len(entries) != model.config.n_players:
        raise ValueError(f"{len(entries)} players for {model.config.n_players} embedding rows")
    header = {
        "format_version": FORMAT_VERSION,
        "encoder_version": encoding.ENCODER_VERSION,
        "vocab_size": model.config.vocab_size,
        "chessgru_version": __version__,
        "model_config": model.config.to_dict(),
        "train_config": json_safe(train_config) or {},
        "players": entries,
        "data": json_safe(dict(data or {})),
        "metrics": json_safe(dict(metrics or {})),
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
    if not all_finite(tensors):
        raise UserError(
            f"The weights for {path} are not all finite numbers (the training diverged); "
            "nothing was written."
        )
    # Serialised in memory and written by Python: safetensors' own file writer reports a
    # full disk as a SafetensorError, which would escape every OSError handler.
    blob = save(tensors, metadata={HEADER_KEY: json.dumps(json_safe(header), allow_nan=False)})
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        f.write(blob)


def all_finite(tensors: Mapping[str, torch.Tensor]) -> bool:
    """Whether every floating-point weight is a finite number (no NaN, no infinity)."""
    return all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point())


def is_model_file(path: str | Path) -> bool:
    """Whether ``path`` is a chessgru model file (reads the safetensors header only)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            return HEADER_KEY in (f.metadata() or {})
    except Exception:  # safetensors raises its own and OS errors alike: not ours
        return False


def check_out_path(path: str | Path) -> None:
    """UserError unless a model can be written to ``path``: checked before a long run.

    Only a chessgru model file is ever replaced (never a PGN given by mistake, never a
    read-only model), and the folder must take a new file.
    """
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name like me.chessgru.")
    if path.exists():
        if not is_model_file(path):
            raise UserError(
                f"{path} exists and is not a chessgru model file; choose another name "
                "(only a model file is ever replaced)."
            )
        if not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR:
            raise UserError(f"The model file {path} is read-only; it is left as it is.")
    try:
        check_writable(path)
    except OSError as exc:
        raise UserError(
            f"Cannot write a model file in {path.parent}: {describe_os_error(exc)}."
        ) from exc


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


def _check_setting(name: str, value: Any) -> None:
    """ValueError unless a ModelConfig setting is in its sane range (by type and name)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        top = MAX_PLAYERS if name == "n_players" else MAX_SETTING
        if name.split("_")[-1] in ("layers", "blocks"):  # layers, tower_blocks; not n_players
            top = MAX_DEPTH
        if not 0 <= value <= top:
            raise ValueError(f"model setting {name} = {value} is out of range")
    elif isinstance(value, float):
        top = 1.0 if "dropout" in name else float(MAX_SETTING)
        if not 0.0 <= value < top:
            raise ValueError(f"model setting {name} = {value} is out of range")


def _read_config(raw: Any) -> ModelConfig:
    """The ModelConfig of a header, every setting checked; ValueError when unusable."""
    if not isinstance(raw, dict):
        raise ValueError("model_config is not an object")
    config = ModelConfig.from_dict(raw)
    for f in dataclasses.fields(config):
        _check_setting(f.name, getattr(config, f.name))
    return config


def _read_players(raw: Any) -> list[dict[str, Any]]:
    """The players list of a header, each field of the type it must have; else ValueError."""
    if not isinstance(raw, list):
        raise ValueError("players is not a list")
    for p in raw:
        ok = (
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and p["name"].strip()
            and isinstance(p.get("aliases", []), list)
            and all(isinstance(a, str) for a in p.get("aliases", []))
            and all(_count(p.get(k, 0)) for k in ("games", "moves"))
        )
        if not ok:
            raise ValueError("damaged player entry")
    return _players(raw)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shapes_fit(config: ModelConfig, tensors: Mapping[str, torch.Tensor]) -> bool:
    """Whether the file's weights are exactly those the config asks for.

    The network is built on the "meta" device, which allocates nothing, so a header that
    asks for an enormous network is caught before any memory is taken for it.
    """
    try:
        with torch.device("meta"):
            shapes = {k: tuple(v.shape) for k, v in ChessGRU(config).state_dict().items()}
    except (ValueError, RuntimeError, TypeError, OverflowError):
        return False
    return shapes == {k: tuple(v.shape) for k, v in tensors.items()}


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
        if not isinstance(header, dict):
            raise ValueError("the header is not an object")
        version = int(header["format_version"])
        encoder_version = int(header["encoder_version"])
        config = _read_config(header["model_config"])
        players = _read_players(header["players"])
        if any(
            not isinstance(header.get(k) or {}, dict) for k in ("train_config", "data", "metrics")
        ):
            raise ValueError("a header section is not an object")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UserError(f"model file {path} has a damaged header.") from exc
    if version > FORMAT_VERSION:
        raise UserError(
            f"model file {path} was written by a newer chessgru (format {version}); "
            "update chessgru to open it."
        )
    if encoder_version != encoding.ENCODER_VERSION:
        raise UserError(
            f"model file {path} uses move encoding {encoder_version}, this chessgru uses "
            f"{encoding.ENCODER_VERSION}; retrain the model with this version."
        )
    if config.vocab_size != encoding.VOCAB_SIZE:
        raise UserError(
            f"model file {path} predicts over {config.vocab_size} moves, this chessgru over "
            f"{encoding.VOCAB_SIZE}; it was made by another program or is damaged."
        )
    if len(players) != config.n_players:
        raise UserError(f"model file {path} has a damaged header (player list).")
    extra = {k: tensors.pop(k) for k in [k for k in tensors if k.startswith(TENSOR_PREFIX)]}
    if not _shapes_fit(config, tensors):
        raise UserError(f"model file {path} does not match its own settings (damaged).")
    if not all_finite(tensors) or not all_finite(extra):
        raise UserError(
            f"model file {path} holds weights that are not numbers (its training diverged); "
            "retrain it with a smaller --lr."
        )
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
