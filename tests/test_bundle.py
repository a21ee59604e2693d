"""The model file: round trips, atomic writes, and one plain sentence for every bad file."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from chessgru.errors import UserError
from chessgru.model import bundle as bundle_mod
from chessgru.model import encoding
from chessgru.model.bundle import HEADER_KEY, build_model, load_bundle, player_entry, save_bundle
from chessgru.model.network import ChessGRU, ModelConfig
from tests.crafted import file_size_limit

CONFIG = ModelConfig(n_players=3, hidden=32, layers=2, embed=16, board_dim=32, player_dim=8)
PLAYERS = [
    player_entry("population", games=10, moves=400),
    player_entry("Carlsen,M", ["Carlsen, Magnus"], 7, 300),
    "Tal,M",
]


@pytest.fixture
def model() -> ChessGRU:
    torch.manual_seed(0)
    return ChessGRU(CONFIG).eval()


@pytest.fixture
def saved(tmp_path: Path, model: ChessGRU) -> Path:
    path = tmp_path / "m.chessgru"
    save_bundle(path, model, PLAYERS, train_config={"epochs": 2}, data={"games": 10}, metrics={})
    return path


def header_of(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()[HEADER_KEY])


def rewrite_header(path: Path, **changes: object) -> None:
    header = {**header_of(path), **changes}
    save_file(load_file(str(path)), str(path), metadata={HEADER_KEY: json.dumps(header)})


def test_round_trip_is_exact(saved: Path, model: ChessGRU) -> None:
    loaded = load_bundle(saved)
    assert loaded.config == CONFIG
    assert loaded.player_names == ["population", "Carlsen,M", "Tal,M"]
    assert loaded.players[1] == {
        "name": "Carlsen,M",
        "aliases": ["Carlsen, Magnus"],
        "games": 7,
        "moves": 300,
    }
    assert loaded.train_config == {"epochs": 2} and loaded.data == {"games": 10}
    assert loaded.header["encoder_version"] == encoding.ENCODER_VERSION
    rebuilt = build_model(loaded)
    assert not rebuilt.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[name], tensor), name


def test_fp16_file_is_smaller_and_loads_as_fp32(
    tmp_path: Path, saved: Path, model: ChessGRU
) -> None:
    half = tmp_path / "half.chessgru"
    save_bundle(half, model, PLAYERS, dtype=torch.float16)
    assert half.stat().st_size < 0.6 * saved.stat().st_size
    rebuilt = build_model(load_bundle(half))
    for name, tensor in model.state_dict().items():
        got = rebuilt.state_dict()[name]
        assert got.dtype == tensor.dtype
        torch.testing.assert_close(got, tensor, atol=2e-3, rtol=2e-3)


def test_dataclass_train_config_is_stored_as_a_dict(tmp_path: Path, model: ChessGRU) -> None:
    path = tmp_path / "m.chessgru"
    save_bundle(path, model, PLAYERS, train_config=CONFIG)
    assert load_bundle(path).train_config == CONFIG.to_dict()


def test_player_count_must_match_the_embedding(tmp_path: Path, model: ChessGRU) -> None:
    with pytest.raises(ValueError, match="2 players for 3"):
        save_bundle(tmp_path / "m.chessgru", model, PLAYERS[:2])


def test_write_is_atomic(tmp_path: Path, saved: Path, model: ChessGRU) -> None:
    """A write that fails halfway (the kernel refuses to grow the file, as on a full disk)
    leaves the old file whole and no temporary file, and says so as an OSError."""
    before = saved.read_bytes()
    with file_size_limit(4096), pytest.raises(OSError):
        save_bundle(saved, model, PLAYERS)
    assert saved.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [saved.name]


def test_saved_file_gets_the_umask_permissions(tmp_path: Path, model: ChessGRU) -> None:
    # A model file is meant to be shared: not mkstemp's private 0600.
    old = os.umask(0o022)
    try:
        save_bundle(tmp_path / "m.chessgru", model, PLAYERS)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.chessgru").stat().st_mode) == 0o644


def test_added_players_survive_a_round_trip(tmp_path: Path, model: ChessGRU) -> None:
    model.add_players(2)
    path = tmp_path / "grown.chessgru"
    save_bundle(path, model, [*PLAYERS, "A", "B"])
    assert build_model(load_bundle(path)).config.n_players == 5


def bad_files(tmp_path: Path, saved: Path) -> dict[str, tuple[Path, str]]:
    data = saved.read_bytes()
    cases: dict[str, tuple[Path, str]] = {}

    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    cases["missing"] = (tmp_path / "nope.chessgru", "does not exist")
    cases["directory"] = (tmp_path, "not a file")
    cases["empty"] = (write("empty.chessgru", b""), "is empty")
    cases["truncated"] = (write("cut.chessgru", data[: len(data) // 2]), "not a chessgru model")
    cases["header cut"] = (write("cut2.chessgru", data[:20]), "not a chessgru model")
    cases["random"] = (write("random.chessgru", bytes(range(256)) * 40), "not a chessgru model")
    cases["text"] = (write("notes.chessgru", b'[Event "x"]\n1. e4 e5\n'), "not a chessgru model")
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign), metadata={"format": "pt"})
    cases["foreign safetensors"] = (foreign, "not a chessgru model")
    pickled = tmp_path / "torch.pt"
    torch.save({"w": torch.zeros(3)}, pickled)
    assert zipfile.is_zipfile(pickled)
    cases["torch pickle"] = (pickled, "not a chessgru model")
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "directory",
        "empty",
        "truncated",
        "header cut",
        "random",
        "text",
        "foreign safetensors",
        "torch pickle",
    ],
)
def test_unusable_files_are_one_sentence(tmp_path: Path, saved: Path, case: str) -> None:
    path, message = bad_files(tmp_path, saved)[case]
    with pytest.raises(UserError, match=message) as err:
        load_bundle(path)
    assert "\n" not in str(err.value) and str(err.value).endswith(".")


def test_newer_format_is_refused(saved: Path) -> None:
    rewrite_header(saved, format_version=bundle_mod.FORMAT_VERSION + 1)
    with pytest.raises(UserError, match="newer chessgru"):
        load_bundle(saved)


def test_other_encoder_is_refused(saved: Path) -> None:
    rewrite_header(saved, encoder_version=encoding.ENCODER_VERSION + 1)
    with pytest.raises(UserError, match="move encoding"):
        load_bundle(saved)


@pytest.mark.parametrize(
    "changes",
    [
        {"model_config": {"hidden": "wide"}},
        {"model_config": {"wings": 1}},
        {"players": "everyone"},
        {"players": [player_entry("population")]},
        {"format_version": None},
    ],
)
def test_damaged_header_is_refused(saved: Path, changes: dict) -> None:
    rewrite_header(saved, **changes)
    with pytest.raises(UserError, match="damaged header"):
        load_bundle(saved)


def test_header_that_is_not_json_is_refused(saved: Path) -> None:
    save_file(load_file(str(saved)), str(saved), metadata={HEADER_KEY: "{not json"})
    with pytest.raises(UserError, match="damaged header"):
        load_bundle(saved)


def test_weights_that_do_not_fit_the_config_are_refused(saved: Path) -> None:
    config = {**CONFIG.to_dict(), "hidden": 64}
    rewrite_header(saved, model_config=config)
    with pytest.raises(UserError, match="does not match its own settings"):
        build_model(load_bundle(saved))
