"""Player identity: which spellings merge, which stay apart, and user aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from chessgru.errors import UserError
from chessgru.games.names import normalise, parse_aliases, read_aliases, resolve_names

# Spelling lists from MANIFEST.md (games per spelling in the players' own files).
KARPOV = {"Karpov, Anatoly": 2462, "Karpov,Ana": 817, "Karpov,An": 250}
KASPAROV = {"Kasparov, Gary": 1563, "Kasparov,G": 554, "Kasparov, G.": 2, "Kasparov,Georgy": 8}
POLGAR = {"Polgar, Judit": 977, "Polgar,Ju": 848, "Polgar, Susan": 40, "Polgar,Zsu": 12}
CARLSEN = {"Carlsen,M": 1414, "Carlsen,Magnus": 9, "Carlsen,H": 1}
MORPHY = {"Morphy, Paul ": 211, "Morphy, Alonzo": 5, "Morphy, Ernest": 4}


def _groups(counts: dict[str, int], **kwargs) -> dict[str, set[str]]:
    mapping, _ = resolve_names(counts, **kwargs)
    groups: dict[str, set[str]] = {}
    for raw, canonical in mapping.items():
        groups.setdefault(canonical, set()).add(raw)
    return groups


def test_normalise_ignores_case_spacing_accents_punctuation() -> None:
    assert normalise("Morphy, Paul ") == normalise("morphy,paul") == "morphypaul"
    assert normalise("Vachier-Lagrave, M.") == normalise("Vachier Lagrave,M")
    assert normalise("Wälbers") == normalise("Walbers")


def test_karpov_spellings_merge_into_one_player() -> None:
    mapping, merges = resolve_names(KARPOV)
    assert set(mapping.values()) == {"Karpov, Anatoly"}
    (merge,) = merges
    assert merge.canonical == "Karpov, Anatoly"
    assert merge.spellings == KARPOV
    assert sum(merge.spellings.values()) == 3529


def test_kasparov_abbreviation_joins_the_dominant_full_name() -> None:
    groups = _groups(KASPAROV)
    assert groups["Kasparov, Gary"] == {"Kasparov, Gary", "Kasparov,G", "Kasparov, G."}
    assert groups["Kasparov,Georgy"] == {"Kasparov,Georgy"}


def test_polgar_sisters_stay_apart() -> None:
    groups = _groups(POLGAR)
    assert groups["Polgar, Judit"] == {"Polgar, Judit", "Polgar,Ju"}
    assert groups["Polgar, Susan"] == {"Polgar, Susan"}
    assert groups["Polgar,Zsu"] == {"Polgar,Zsu"}


def test_carlsen_father_is_not_magnus_and_canonical_is_most_frequent() -> None:
    groups = _groups(CARLSEN)
    assert groups["Carlsen,M"] == {"Carlsen,M", "Carlsen,Magnus"}
    assert groups["Carlsen,H"] == {"Carlsen,H"}


def test_abbreviation_fitting_two_similar_full_names_is_not_merged() -> None:
    groups = _groups({"Carlsen,M": 1414, "Carlsen,Magnus": 9, "Carlsen,Martin": 7})
    assert all(len(g) == 1 for g in groups.values())


def test_morphy_trailing_space_and_relatives() -> None:
    mapping, merges = resolve_names({**MORPHY, "Morphy,Paul": 3, "morphy, paul": 1})
    assert mapping["Morphy,Paul"] == mapping["morphy, paul"] == "Morphy, Paul "
    assert mapping["Morphy, Alonzo"] == "Morphy, Alonzo"
    assert mapping["Morphy, Ernest"] == "Morphy, Ernest"
    assert len(merges) == 1


def test_handles_merge_only_by_case_and_punctuation() -> None:
    groups = _groups(
        {"DrDrunkenstein": 900, "drdrunkenstein": 3, "DrDrunk": 5, "Dr.Drunkenstein": 2}
    )
    assert groups["DrDrunkenstein"] == {"DrDrunkenstein", "drdrunkenstein", "Dr.Drunkenstein"}
    assert groups["DrDrunk"] == {"DrDrunk"}


def test_consultation_games_do_not_merge_into_one_player() -> None:
    groups = _groups({"Caruana,F": 5110, "Caruana,Fabiano:Green,Lee": 1, "Alekhine/Reilly": 4})
    assert groups["Caruana,F"] == {"Caruana,F"}
    assert groups["Caruana,Fabiano:Green,Lee"] == {"Caruana,Fabiano:Green,Lee"}


def test_no_merge_keeps_every_spelling() -> None:
    mapping, merges = resolve_names(KARPOV, merge=False)
    assert mapping == {k: k for k in KARPOV}
    assert merges == []


def test_aliases_join_accounts_and_name_the_group() -> None:
    counts = {**CARLSEN, "DrDrunkenstein": 984, "DannyTheDonkey": 105}
    aliases = parse_aliases(["DrDrunkenstein=Carlsen, Magnus", "dannythedonkey = Carlsen, Magnus"])
    mapping, merges = resolve_names(counts, aliases)
    magnus = {"Carlsen,M", "Carlsen,Magnus", "DrDrunkenstein", "DannyTheDonkey"}
    assert {mapping[r] for r in magnus} == {"Carlsen, Magnus"}
    assert mapping["Carlsen,H"] == "Carlsen,H"
    assert merges[0].canonical == "Carlsen, Magnus"
    assert sum(merges[0].spellings.values()) == 1414 + 9 + 984 + 105
    # Aliases still apply when automatic merging is off.
    mapping, _ = resolve_names(counts, aliases, merge=False)
    assert mapping["DrDrunkenstein"] == "Carlsen, Magnus"
    assert mapping["Carlsen,M"] == "Carlsen,M"


def test_alias_parsing_and_file(tmp_path: Path) -> None:
    path = tmp_path / "aliases.txt"
    path.write_text("# mine\nDrDrunkenstein = Carlsen, Magnus\n\nfoo=Bar\n", encoding="utf-8")
    assert read_aliases(path) == {"DrDrunkenstein": "Carlsen, Magnus", "foo": "Bar"}
    with pytest.raises(UserError, match="NAME=CANONICAL"):
        parse_aliases(["no equals sign"])
    with pytest.raises(UserError):
        read_aliases(tmp_path / "missing.txt")


def test_real_spellings_from_the_masters_files(shared_pgn: Path) -> None:
    from chessgru.games.corpus import load_corpus

    corpus = load_corpus(shared_pgn / "masters/Carlsen_to2012.pgn", workers=1, progress=False)
    counts = corpus.player_games()
    assert counts["Carlsen,M"] == 1423  # his one game against his father included
    assert counts["Carlsen,H"] == 1
    assert "Carlsen,Magnus" not in counts


def test_surname_matches_only_the_surname() -> None:
    from chessgru.games.names import surname_matches

    known = ["Tal, Mihail", "Talbot, Jim", "Carlsen,M", "Carlsen,H", "cmrade"]
    assert surname_matches("tal", known) == ["Tal, Mihail"]
    assert surname_matches("Carlsen", known) == ["Carlsen,H", "Carlsen,M"]
    assert surname_matches("CMRADE", known) == ["cmrade"]
    assert surname_matches("", known) == []
