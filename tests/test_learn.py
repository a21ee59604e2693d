"""Learning from the library: `chessgru train --library` and the GUI's learning process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from family_data import family_library, tiny_model

from chessgru.cli import main
from chessgru.library import learn
from chessgru.model.bundle import load_bundle
from chessgru.predict import Predictor
from chessgru.training import personal_fit


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("CHESSGRU_DATA", str(tmp_path / "data"))
    family_library(tmp_path / "data" / "library.sqlite3")
    return tmp_path


def test_train_from_the_library(data: Path, capsys) -> None:
    start = tiny_model(data / "tiny.chessgru")
    out = data / "family.chessgru"
    argv = ["train", "--library", "--from", str(start), "--out", str(out)]
    assert main([*argv, "--max-steps", "2", "--threads", "1"]) == 0
    assert load_bundle(out).player_names == ["population", "Dad", "Kid"]
    assert "model written to" in capsys.readouterr().out
    # The default is the personal fit: every person of the library, reported in chess terms.
    personal = data / "personal.chessgru"
    assert main(["train", "--library", "--from", str(start), "--out", str(personal)]) == 0
    printed = capsys.readouterr().out
    assert "Dad: 6 games" in printed and "Kid: 6 games" in printed, printed
    fitted = load_bundle(personal)
    assert fitted.player_names == ["population", "Dad", "Kid"]
    assert set(fitted.personal["people"]) == {"Dad", "Kid"}
    assert main(["train", "--out", str(out)]) == 2
    assert "or --library" in capsys.readouterr().err


def test_learn_writes_a_new_model_and_scores_each_person(data: Path, monkeypatch) -> None:
    # Six games each hold back too few moves to check a fine-tuned network: allow it here,
    # so the whole path (fine-tune, both networks, the choice) runs.
    monkeypatch.setattr(personal_fit, "MIN_CHECK_MOVES", 0)
    start = tiny_model(data / "tiny.chessgru")
    steps: list[tuple[int, int]] = []
    learned = learn.learn(start=start, threads=1, on_step=lambda *s: steps.append(s))
    assert learned.model.parent == data / "data" / "models"
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]  # each person on both networks
    assert start.is_file()  # the model it started from stays: one click goes back
    predictor = Predictor.load(learned.model)
    assert predictor.find_player("Dad") == 1 and predictor.find_player("Kid") == 2
    assert [s.name for s in learned.scores] == ["Dad", "Kid"]
    dad = learned.scores[0]
    assert dad.moves > 0 and 0 <= dad.before <= 1 and 0 <= dad.after <= 1
    assert learned.message().startswith("Dad: top-1 ")
    assert learned.report[0].startswith("Dad: 6 games")
    assert any(line.startswith("Kid: 6 games") for line in learned.report)
    assert learned.report[-1].startswith("network: ")
    people = load_bundle(learned.model).personal["people"]
    assert set(people) == {"Dad", "Kid"}
    # Scored on the games the fit held back, not on games the prior has counted.
    assert dad.moves == people["Dad"]["fit"]["val_moves"]
    assert dad.after == people["Dad"]["fit"]["after"]["top1"]


def test_the_learning_process_reports_json_lines(data: Path, capsys) -> None:
    start = tiny_model(data / "tiny.chessgru")
    assert learn.main(["--start", str(start), "--threads", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"step": 1, "total": 4}
    assert Path(lines[-1]["model"]).is_file() and "Kid: top-1" in lines[-1]["message"]
    empty = data / "empty.sqlite3"
    assert learn.main(["--library", str(empty), "--start", str(start)]) == 2
    assert "no games to learn from" in capsys.readouterr().out


def test_too_few_held_back_moves_skip_the_network_fine_tune(data: Path, monkeypatch) -> None:
    """With six games each no check could keep a fine-tuned network: it is not trained
    (seconds saved after every game), the report says why, the progress still ends."""
    monkeypatch.setattr(personal_fit, "_fine_tune", lambda *a, **k: pytest.fail("trained"))
    start = tiny_model(data / "tiny.chessgru")
    steps: list[tuple[int, int]] = []
    learned = learn.learn(start=start, threads=1, on_step=lambda *s: steps.append(s))
    assert steps[-1] == (4, 4)
    assert "too few held-back moves" in learned.report[-1]
    network = load_bundle(learned.model).personal["network"]
    assert network["kept"] is False
