"""Reliability probe: hostile or unlucky inputs through the real CLI (issue 15, re-run).

Each case writes its own small crafted files (PGNs, damaged archives, crafted model
headers, a corrupted cache entry) into a temporary folder, runs ``python -m chessgru ...``
there as a user would (with its own ``CHESSGRU_CACHE``) and *checks* the outcome: the exit
status, no traceback, the key words of the message, the files that must stay untouched,
appear or go away. It prints ``held``, ``BROKE`` or ``skipped`` and a one-line reason per
case, then "N of M cases hold" (skipped cases not counted). Item 8 (memory) is measured by
``bench_memory.py``. The exit status is 0 whatever the verdicts: it is a measurement.
It is one file of ~70 short cases on purpose: a reader checks the whole probe in one place.

Run from the repository root (about 5 minutes; be kind to a busy machine)::

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python tests/benchmarks/probe_reliability.py
    .venv/bin/python tests/benchmarks/probe_reliability.py --only "4 truncated" --json

The issue's own commands use ``../shared/data/pgn/online/bmar_chesscom.pgn`` and
``masters/Capablanca.pgn`` (or ``$CHESSGRU_SHARED_PGN``) when present, crafted games if
not. As root, the cases that need file permissions are skipped (root reads and writes
anyway), and the full-disk cases mount a 1 MB tmpfs (skipped where that is refused).
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import functools
import gzip
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import chess
import zstandard

_HERE = Path(__file__).resolve()
SHARED = Path(os.environ.get("CHESSGRU_SHARED_PGN") or _HERE.parents[3] / "shared/data/pgn")
TINY = ["--from-scratch", "--hidden", "16", "--layers", "1", "--threads", "1", "--device", "cpu"]
TINY += ["--min-games", "1"]
N, BIG = 60, 1500  # games of a crafted file; of one to truncate (several compressed blocks)
ROOT = getattr(os, "geteuid", lambda: 1)() == 0
OLD = time.time() - 2 * 3600  # a leftover of a killed run: older than any live write
CRAZY = '[White "a"]\n[Black "b"]\n[Variant "Crazyhouse"]\n\n1. e4 *\n\n'
ILLEGAL = '[White "a"]\n[Black "b"]\n\n1. e4 e5 2. Ke3 *\n\n'
FEN = '[White "a"]\n[Black "b"]\n[FEN "8/8/8/4k3/8/8/4K3/4R3 w - - 0 1"]\n\n1. Re2 *\n\n'

Outcome = tuple[list[str], str]  # the problems (none: held) and a note on what was seen
Run = subprocess.CompletedProcess[str]
Case = tuple[str, str, Callable[[Path], Outcome]]  # item, name, what to do in a fresh folder


class Skip(Exception):
    """The case cannot be probed here (the message says why)."""


@functools.cache
def pgn(n: int, seed: int, tags: str = "") -> str:
    """``n`` random legal games of up to 12 plies between Player0..Player3."""
    games = []
    for number in range(n):
        rng, board, sans = random.Random(seed * 1_000_003 + number), chess.Board(), []
        while len(sans) < 12 and not board.is_game_over():
            move = rng.choice(list(board.legal_moves))
            sans.append(board.san(move))
            board.push(move)
        text = " ".join(f"{i // 2 + 1}. {s}" if i % 2 == 0 else s for i, s in enumerate(sans))
        games.append(
            f'[Event "probe"]\n[White "Player{number % 4}"]\n[Black "Player{(number + 1) % 4}"]\n'
            f'{tags}[Date "2020.01.{number % 28 + 1:02d}"]\n[Result "*"]\n\n{text} *\n\n'
        )
    return "".join(games)


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def real(name: str, n: int) -> bytes:
    """A real game file of the shared data, or ``n`` crafted games without it."""
    path = SHARED / name
    return path.read_bytes() if path.is_file() else pgn(n, 5).encode()


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else "(nothing printed)"


def cli(where: Path, *args: str, cache: Path | None = None, timeout: float = 300) -> Run:
    """``python -m chessgru ARGS`` in ``where``, with its own cache and data folders."""
    env = dict(os.environ, OMP_NUM_THREADS="1", CHESSGRU_DATA=str(where / "data"))
    env["CHESSGRU_CACHE"] = str(cache or where / "cache")
    command = [sys.executable, "-m", "chessgru", *args]
    try:
        return subprocess.run(
            command, cwd=where, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return Run(command, -1, "", f"timed out after {timeout:.0f} s")


def expect(
    r: Run, rc: int, has: Sequence[str] = (), lacks: Sequence[str] = (), one: bool = False
) -> Outcome:
    """What went wrong in ``r``: exit status, traceback, missing or unwanted words.

    A refusal (exit 2) ends with one "chessgru: " line; ``one``: stderr is only that line.
    """
    if r.returncode == -1:
        return [r.stderr], ""
    bad = [f"exit {r.returncode}, want {rc}"] if r.returncode != rc else []
    if "Traceback" in r.stderr:
        bad.append("traceback: " + last_line(r.stderr))
    elif rc == 2 and not last_line(r.stderr).startswith("chessgru: "):
        bad.append("no closing 'chessgru: ' sentence")
    if one and r.stderr.count("\n") != 1:
        bad.append(f"stderr has {r.stderr.count(chr(10))} lines, want one sentence")
    bad += [f"no {w!r} in the output" for w in has if w not in r.stdout + r.stderr]
    bad += [f"{w!r} in the output" for w in lacks if w in r.stdout + r.stderr]
    skips = [line for line in r.stderr.splitlines() if "games skipped (" in line]
    return bad, f"exit {r.returncode}: {last_line(skips[0] if skips else r.stderr or r.stdout)}"


def kept(path: Path, before: bytes, what: str) -> list[str]:
    return [] if path.is_file() and path.read_bytes() == before else [f"{what} was changed"]


def players_json(d: Path, *paths: str) -> tuple[Outcome, dict]:
    r = cli(d, "players", *paths, "--json", "--verbose", "--workers", "1")
    (problems, note), report = expect(r, 0), {}
    if r.returncode == 0 and not problems:
        report = json.loads(r.stdout)
        note = f"{report['games']} games, skipped: {report['skipped']['reasons']}"
    return (problems, note), report


class Probe:
    """The inputs several cases share, made once and only when a case asks for them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @functools.cached_property
    def model(self) -> Path:
        """A tiny model of Player0..Player3, trained through the CLI."""
        (where := self.root / "setup").mkdir()
        write(where / "base.pgn", pgn(N, 0))
        r = cli(where, "train", "base.pgn", "--out", "m.chessgru", "--max-steps", "2", *TINY)
        if r.returncode != 0:
            raise SystemExit(f"probe: cannot train the shared tiny model: {last_line(r.stderr)}")
        return where / "m.chessgru"

    def copy_model(self, d: Path, name: str = "m.chessgru") -> Path:
        return Path(shutil.copy(self.model, d / name))

    @functools.cached_property
    def cache_entry(self) -> tuple[Path, Path, dict[str, bytes], str]:
        """A folder whose cache holds one entry: the folder, the entry, its files, `players`."""
        (where := self.root / "cache-entry").mkdir()
        write(where / "g.pgn", pgn(N, 9, '[Site "https://lichess.org/abcdefgh"]\n'))
        r = cli(where, "players", "g.pgn", "--json", "--workers", "1")
        (entry,) = [e for e in (where / "cache").iterdir() if not e.name.startswith(".")]
        return where, entry, {f.name: f.read_bytes() for f in entry.iterdir()}, r.stdout


def train(d: Path, pgns: str, out: str, *extra: str, steps: str = "1") -> Run:
    """A tiny training of the space-separated files ``pgns``."""
    return cli(d, "train", *pgns.split(), "--out", out, "--max-steps", steps, *TINY, *extra)


def games(d: Path, seed: int = 4) -> str:
    return write(d / "g.pgn", pgn(N, seed)).name


# Items 1-3: what `train --out` may replace, divergence, where it cannot write ---------------


def out_is_input(p: Probe, d: Path) -> Outcome:
    before = write(d / "games.pgn", real("online/bmar_chesscom.pgn", N)).read_bytes()
    r = cli(d, "train", "games.pgn", "--max-steps", "1", "--threads", "1", "--out", "games.pgn")
    problems, note = expect(r, 2, ["not a chessgru model file"])
    return problems + kept(d / "games.pgn", before, "the input PGN"), note


def read_only_model(p: Probe, d: Path) -> Outcome:
    (model := p.copy_model(d)).chmod(0o444)
    problems, note = expect(train(d, games(d), "m.chessgru"), 2, ["read-only"])
    note += " (chessgru checks the mode bits itself, so root is probed too)" if ROOT else ""
    return problems + kept(model, p.model.read_bytes(), "the read-only model"), note


def replaced_by_good(p: Probe, d: Path) -> Outcome:
    before = p.copy_model(d).read_bytes()
    problems, note = expect(train(d, games(d), "m.chessgru", "--seed", "1"), 0)
    if (d / "m.chessgru").read_bytes() == before:
        problems.append("the model was not replaced")
    problems += expect(cli(d, "players", "m.chessgru"), 0)[0]
    return problems + [f"left: {t.name}" for t in d.glob(".m.chessgru.*.tmp")], note


def diverges(p: Probe, d: Path, issue: bool) -> Outcome:
    before = p.copy_model(d).read_bytes()
    if issue:  # the issue's own command, the base model fine-tuned
        write(d / "Capablanca.pgn", real("masters/Capablanca.pgn", 600))
        args = ["Capablanca.pgn", "--epochs", "1", "--lr", "1", "--threads", "1"]
        r = cli(d, "train", *args, "--out", "m.chessgru", timeout=600)
    else:
        r = train(d, games(d), "m.chessgru", "--lr", "1e30", steps="2")
    problems, note = expect(r, 2, ["diverged"], lacks=["loss nan", "nan%"])
    if r.returncode == 0:
        loss, tops = (
            re.findall(r"val loss (\S+)", r.stderr),
            re.findall(r"top-1 ([\d.]+%)", r.stdout),
        )
        note = f"exit 0: val loss {loss[-1:]}, top-1 {' after, '.join(tops[:2])} before"
    return problems + kept(d / "m.chessgru", before, "the previous model"), note


def nan_weights(p: Probe, d: Path) -> Outcome:
    header, data = read_st(p.model)
    name = next(k for k, v in header.items() if k != "__metadata__" and v["dtype"] == "F32")
    at = header[name]["data_offsets"][0]
    nan = data[:at] + struct.pack("<f", float("nan")) + data[at + 4 :]
    bad = write_st(d / "nan.chessgru", header, nan)
    r = cli(d, "predict", "--model", bad.name, "--moves", "e4", "--json", "--player", "Player1")
    return expect(r, 2, [bad.name, "not numbers"], lacks=["NaN"], one=True)


def unwritable_out(p: Probe, d: Path, read_only: bool) -> Outcome:
    if read_only and ROOT:
        raise Skip("root ignores permissions")
    if read_only:
        (d / "locked").mkdir(mode=0o555)
    else:
        write(d / "locked", "a file, not a folder")
    try:
        r = train(d, games(d), "locked/m.chessgru")
    finally:
        (d / "locked").chmod(0o755)
    return expect(r, 2, ["Cannot write a model file in"], lacks=["val loss"])


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]
    if not shutil.which("mount") or subprocess.run(mount, capture_output=True).returncode:
        raise Skip("cannot mount a 1 MB tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def full_disk(p: Probe, d: Path, checkpoints: bool) -> Outcome:
    """The tiny model is 2 MB, its checkpoint 8 MB: neither fits in 1 MB."""
    where = ["--checkpoint-dir", "disk"] if checkpoints else ["--checkpoint-dir", "ckpt"]
    out = "m.chessgru" if checkpoints else "disk/m.chessgru"
    with small_disk(d / "disk") as disk:
        r = train(d, games(d), out, *where, steps="2")
        problems, note = expect(r, 2, ["disk is full", "--resume"])
        problems += [f"left on the full disk: {f.name}" for f in disk.iterdir()]
    if not checkpoints:
        if not (d / "ckpt" / "m.chessgru.ckpt").is_file():
            problems.append("no checkpoint kept")
        r = train(d, "g.pgn", out, *where, "--resume", steps="2")
        problems += [f"--resume, disk free: {p}" for p in expect(r, 0)[0]]
    return problems, note


# Item 4: damaged compressed files ---------------------------------------------------------


def damaged(d: Path, kind: str, how: str) -> Path:
    data = pgn(BIG if how == "truncated" else N, 1).encode()
    if kind == "gz":
        blob = gzip.compress(data)
    else:
        blob = bz2.compress(data, 1) if kind == "bz2" else zstandard.compress(data)
    if how == "truncated":
        blob = blob[: len(blob) * 2 // 3]
    elif how == "garbage":
        blob += b"this is not compressed data" * 10
    elif how == "non-gzip":
        blob = data  # a plain PGN under a .gz name
    return write(d / f"damaged.pgn.{kind}", blob)


def damaged_case(p: Probe, d: Path, kind: str, how: str, command: str) -> Outcome:
    bad, good = damaged(d, kind, how), write(d / "good.pgn", pgn(N, 2))
    low, high = {"truncated": (1, BIG - 1), "garbage": (N, N), "non-gzip": (0, 0)}[how]
    if command == "players":
        (problems, note), report = players_json(d, bad.name, good.name)
        if report:
            got = report["games"] + report["duplicates"] - N
            problems += [] if low <= got <= high else [f"{got} games used, want {low}-{high}"]
            if not any(s["file"] == bad.name for s in report["skipped"]["games"]):
                problems.append("the damaged file is not named")
        return problems, note
    if command == "train":
        r = train(d, f"{bad.name} {good.name}", "m.chessgru")
        problems, note = expect(r, 0, ["damaged file", "players --verbose"])
        used = re.search(r"(\d+) games: ", r.stderr)
        if not used or not low <= int(used[1]) - N <= high:
            problems.append(f"trained on {used and used[1]} games, want {N} + {low}-{high}")
        return problems, note
    model = p.copy_model(d).name
    if command == "evaluate":
        r = cli(d, "evaluate", "--model", model, bad.name, good.name, "--min-games", "1")
        return expect(r, 0, [bad.name, "damaged"])
    r = cli(d, "predict", "--model", model, "--pgn", bad.name)
    if high == 0:  # nothing usable: a failure, as `players` says of such a file
        return expect(r, 2, ["damaged"])
    problems, note = expect(r, 0, ["damaged file"])
    return problems + ([] if r.stdout.strip() else ["no position predicted"]), note


# Items 7 and 12: crafted model headers ----------------------------------------------------


def read_st(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def write_st(path: Path, header: dict, data: bytes) -> Path:
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return write(path, struct.pack("<Q", len(text)) + text + data)


def put(path: str, value: object) -> Callable[[dict], object]:
    """An edit that sets ``header[a][b]...`` for the dotted ``path`` (digits index lists)."""

    def edit(header: dict) -> dict:
        *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = header
        for key in parents:
            node = node[key]
        node[last] = value
        return header

    return edit


CRAFTS: dict[str, Callable[[dict], object]] = {
    "player name null": put("players.1.name", None),
    "player name a number": put("players.1.name", 7),
    "header nested 100,000 deep": lambda h: '{"a": ' * 100_000 + "1" + "}" * 100_000,
    "hidden=-5": put("model_config.hidden", -5),
    "layers=0": put("model_config.layers", 0),
    "dropout=5": put("model_config.dropout", 5.0),
    "hidden=200000 (480 GB)": put("model_config.hidden", 200_000),
    "vocab_size=1000": put("model_config.vocab_size", 1000),
}


def crafted(p: Probe, d: Path, label: str, command: str) -> Outcome:
    """A copy of the tiny model whose chessgru header is edited as ``label`` says."""
    header, data = read_st(p.model)
    new = CRAFTS[label](json.loads(header["__metadata__"]["chessgru"]))
    header["__metadata__"]["chessgru"] = new if isinstance(new, str) else json.dumps(new)
    bad = write_st(d / "crafted.chessgru", header, data).name
    args = {
        "predict": ["predict", "--model", bad, "--moves", "e4", "--player", "Player1"],
        "players": ["players", bad],
        "evaluate": ["evaluate", "--model", bad, games(d), "--min-games", "1"],
    }[command]
    r = cli(d, *args)
    problems, note = expect(r, 2, [bad], one=True)
    if re.search(r"encoding (\d+), this chessgru uses \1\b", r.stderr):
        problems.append("the message names the same encoding twice")
    return problems + ([] if "vocab" not in label or "1000" in r.stderr else ["no '1000'"]), note


# Items 5, 6, 9-12: unreadable, odd headers, the cache, odd text, skips, leftovers ---------


def unreadable(p: Probe, d: Path, folder: bool) -> Outcome:
    if ROOT:
        raise Skip("root ignores permissions")
    (d / "in").mkdir()
    write(d / "in" / "good.pgn", pgn(N, 2))
    secret = d / "in" / ("private" if folder else "secret.pgn")
    if folder:
        secret.mkdir()
    write(secret / "hidden.pgn" if folder else secret, pgn(5, 6))
    secret.chmod(0)
    try:
        (problems, note), report = players_json(d, "in")
    finally:
        secret.chmod(0o755)
    named = any(
        s["file"] == f"in/{secret.name}" for s in report.get("skipped", {}).get("games", [])
    )
    return problems + ([] if named else ["the unreadable path is not named"]), note


def odd_ratings(p: Probe, d: Path, command: str) -> Outcome:
    odd = ["²", "٣٤٥", "9" * 400, "\x00", "1e3", ""]
    tags = [f'[WhiteElo "{v}"]\n[BlackElo "{v}"]\n' for v in odd]
    write(d / "elo.pgn", pgn(N, 7) + "".join(pgn(1, 30 + i, t) for i, t in enumerate(tags)))
    if command == "train":
        return expect(train(d, "elo.pgn", "m.chessgru"), 0, [f"{N + len(odd)} games: "])
    (problems, note), report = players_json(d, "elo.pgn")
    wrong = report and report["games"] != N + len(odd)
    return problems + ([f"want {N + len(odd)} games"] if wrong else []), note


def corrupt_cache(p: Probe, d: Path, target: str) -> Outcome:
    """Damage one file of a cache entry, keeping every size; `players` must not notice."""
    where, entry, snapshot, reference = p.cache_entry
    for name, content in snapshot.items():
        (entry / name).write_bytes(content)
    damage = bytearray(snapshot[target])
    if target == "meta.json":  # a renamed player, valid JSON of the same size
        damage = bytearray(bytes(damage).replace(b'"Player1"', b'"Player9"'))
    else:  # one bit of one row (headers.bin: the first game's White)
        damage[4 if target == "headers.bin" else len(damage) // 16 * 8] ^= 1
    assert damage != snapshot[target] and len(damage) == len(snapshot[target]), target
    (entry / target).write_bytes(damage)
    r = cli(where, "players", "g.pgn", "--json", "--workers", "1")
    problems, note = expect(r, 0)
    note = f"exit {r.returncode}, the entry rebuilt, the same `players --json` as before"
    problems += [] if r.stdout == reference else ["a different result than before the damage"]
    rebuilt = (entry / target).is_file() and (entry / target).read_bytes() == snapshot[target]
    return problems + ([] if rebuilt else ["the damaged entry was not rebuilt"]), note


def odd_text(p: Probe, d: Path, encoding: str, newline: str) -> Outcome:
    text = pgn(N, 8).replace('"Player1"', '"Plàyer1"').replace("\n", newline)
    write(d / "odd.pgn", text.encode(encoding))
    (problems, note), report = players_json(d, "odd.pgn")
    names = {x["name"] for x in report.get("players", [])}
    ok = report.get("games") == N and "Plàyer1" in names
    return problems + ([] if ok else [f"want {N} games with 'Plàyer1'"]), note


def skips(p: Probe, d: Path, extra: str, n: int, want: list[str]) -> Outcome:
    write(d / "g.pgn", (pgn(n, 10) if n else "") + extra)
    return expect(train(d, "g.pgn", "m.chessgru"), 0 if n else 2, want, ["unreadable"])


def stale_tmp(p: Probe, d: Path, cache: bool) -> Outcome:
    """atomic.py and cache.py: the next write removes leftovers older than an hour, only."""
    if cache:
        (d / "cache").mkdir()
        old, fresh = d / "cache" / ".tmp-killed", d / "cache" / ".tmp-live"
        for leftover in (old, fresh):
            leftover.mkdir()
            write(leftover / "tokens.bin", b"x" * 4096)
    else:
        old, fresh = d / ".m.chessgru.0123456789ab.tmp", d / ".m.chessgru.ba9876543210.tmp"
        for leftover in (old, fresh):
            write(leftover, b"x" * 4096)
        p.copy_model(d)
    os.utime(old, (OLD, OLD))
    run = (
        cli(d, "players", games(d), "--workers", "1") if cache else train(d, games(d), "m.chessgru")
    )
    problems, note = expect(run, 0)
    problems += [f"{old.name} (2 h old) is still there"] if old.exists() else []
    return problems + ([] if fresh.exists() else [f"{fresh.name} (new) was removed"]), note


def cases(p: Probe) -> list[Case]:
    def case(item: str, name: str, fn: Callable[..., Outcome], *args: object) -> Case:
        return item, name, lambda d: fn(p, d, *args)

    out = [
        case("1", "train --out the input PGN", out_is_input),
        case("1", "train --out a read-only model (chmod 444)", read_only_model),
        case("1", "train --out an existing model, a good run", replaced_by_good),
        case("2", "train Capablanca --epochs 1 --lr 1 over a model", diverges, True),
        case("2", "train --lr 1e30 (a NaN loss) over a model", diverges, False),
        case("2", "predict --json, a NaN weight in the model", nan_weights),
        case("3", "train --out in a 'folder' that is a file", unwritable_out, False),
        case("3", "train --out in a read-only folder (chmod 555)", unwritable_out, True),
        case("3", "train --out on a full disk", full_disk, False),
        case("3", "train --checkpoint-dir on a full disk", full_disk, True),
    ]
    damages = [("gz", "truncated"), ("bz2", "truncated"), ("gz", "non-gzip"), ("gz", "garbage")]
    for (kind, how), command in [(k, c) for k in damages for c in ("players", "train")] + [
        (k, c) for k in damages for c in ("evaluate", "predict --pgn")
    ]:
        out.append(
            case("4", f"{how} .{kind} x {command}", damaged_case, kind, how, command.split()[0])
        )
    out += [
        case("4", "truncated .zst x players", damaged_case, "zst", "truncated", "players"),
        case("5", "unreadable PGN in a folder (chmod 000)", unreadable, False),
        case("5", "unreadable subfolder (chmod 000)", unreadable, True),
        case("6", "Elo headers ², ٣٤٥, 400 digits, NUL x players", odd_ratings, "players"),
        case("6", "Elo headers ², ٣٤٥, 400 digits, NUL x train", odd_ratings, "train"),
    ]
    for label in list(CRAFTS)[:-1]:
        for command in ("predict", "players", "evaluate"):
            out.append(case("7", f"model header {label} x {command}", crafted, label, command))
    for target in ("tokens", "positions", "keys", "headers", "sites", "offsets", "site_offsets"):
        out.append(case("9", f"cache entry, a bit of {target}.bin", corrupt_cache, f"{target}.bin"))
    want_skips = ["2 games skipped", "1 variant Crazyhouse", "1 illegal move", "players --verbose"]
    out += [
        case("9", "cache entry, a player renamed in meta.json", corrupt_cache, "meta.json"),
        case("10", "UTF-16 PGN x players", odd_text, "utf-16", "\n"),
        case("10", "old-Mac CR-only PGN x players", odd_text, "utf-8", "\r"),
        case("11", "train reports skipped games by reason", skips, CRAZY + ILLEGAL, N, want_skips),
        case("11", "train on FEN starts only", skips, FEN * 3, 0, ["no usable games", "FEN start"]),
        case("11", "train on Crazyhouse only", skips, CRAZY * 3, 0, ["no usable games", "Crazy"]),
        case(
            "12",
            "model of another vocabulary size x predict",
            crafted,
            "vocab_size=1000",
            "predict",
        ),
        case("12", "predict --moves with a null move", null_move),
        case("12", "players on an empty file", empty_file),
        case("12", "a stale .tmp of a killed model write", stale_tmp, False),
        case("12", "a stale .tmp- folder in the cache", stale_tmp, True),
    ]
    return out


def null_move(p: Probe, d: Path) -> Outcome:
    args = ["--model", p.copy_model(d).name, "--player", "Player1", "--moves", "e4 -- e5"]
    return expect(cli(d, "predict", *args), 2, ["move 2", "'--'"], one=True)


def empty_file(p: Probe, d: Path) -> Outcome:
    r = cli(d, "players", write(d / "empty.pgn", "").name)
    return expect(r, 2, ["No usable games in", "empty.pgn"], one=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", metavar="SUBSTRING", help="only the cases whose line has it")
    parser.add_argument("--json", action="store_true", help="one JSON report on stdout")
    args = parser.parse_args(argv)
    start, rows = time.perf_counter(), []
    with tempfile.TemporaryDirectory(prefix="chessgru-probe-") as tmp:
        probe = Probe(Path(tmp))
        only = (args.only or "").lower()
        chosen = [c for c in cases(probe) if only in f"{c[0]} {c[1]}".lower()]
        for i, (item, name, fn) in enumerate(chosen):
            (d := Path(tmp) / f"case{i:02d}").mkdir()
            t0 = time.perf_counter()
            try:
                problems, note = fn(d)
                status = "BROKE" if problems else "held"
                reason = f"{'; '.join(problems)} [{note}]" if problems else note
            except Skip as exc:
                status, reason = "skipped", f"skipped ({exc})"
            reason = " ".join(reason.replace(f"{d}/", "").split())
            seconds = round(time.perf_counter() - t0, 1)
            row = {"item": item, "case": name, "status": status, "reason": reason}
            rows.append(row | {"seconds": seconds})
            if not args.json:
                print(f"{status:<8}{item:>3}  {name:<50} {reason}", flush=True)
    held = sum(r["status"] == "held" for r in rows)
    total = sum(r["status"] != "skipped" for r in rows)
    elapsed = round(time.perf_counter() - start)
    memory = "memory grows with the input: measured separately (bench_memory.py)"
    if args.json:
        report = {"held": held, "total": total, "skipped": len(rows) - total, "cases": rows}
        print(json.dumps(report | {"separately": {"8": memory}, "seconds": elapsed}, indent=1))
    else:
        print(f"{'-':<8}{'8':>3}  {memory}")
        print(f"{held} of {total} cases hold ({len(rows) - total} skipped), {elapsed} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
