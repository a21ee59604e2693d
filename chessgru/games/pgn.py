"""Streaming PGN reader: files and folders, compressed or not, any encoding, broken input.

Reading is two steps. A line-level *splitter* cuts the byte stream into game texts; it
starts a new game whenever a tag line (``[Tag "..."]``) follows movetext outside a comment,
which recovers files that run games together without the blank line python-chess needs
(chess.com API dumps). Each game text is then decoded on its own (UTF-8, else CP1252,
else Latin-1: several collections mix encodings) and parsed by python-chess with a
lightweight visitor that keeps the mainline only; side lines cost nothing.

A broken game never stops a run: it comes back as a :class:`SkippedGame` with a short
reason, and reading goes on with the next game.
"""

from __future__ import annotations

import io
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import chess
import chess.pgn

from chessgru.games.files import PGN_SUFFIXES as PGN_SUFFIXES
from chessgru.games.files import DamagedFile, damage_reason, open_binary, read_lines
from chessgru.games.files import find_pgn_files as find_pgn_files
from chessgru.games.san import plain_san
from chessgru.model.encoding import encode_move, position_words

#: Bump when the reader's output for the same bytes changes (invalidates corpus caches).
#: 2: UTF-16 and CR-only files, damaged compressed files, odd ratings.
READER_VERSION = 2

# "From Position" is lichess's name for standard chess from a FEN (the FEN rule decides).
_STANDARD_VARIANTS = {"standard", "chess", "normal", "classical", "from position", ""}
_RESULTS = {"1-0", "0-1", "1/2-1/2", "*"}
_TAG_LINE = re.compile(rb'^\s*\[\s*[A-Za-z0-9_]+\s+"')
_STARTING_BOARD_FEN = chess.STARTING_FEN.split(" ")[:4]


@dataclass(frozen=True, slots=True)
class GameInfo:
    """Headers of one game that chessgru uses; names are as written (whitespace-normalised)."""

    source: str
    number: int
    white: str
    black: str
    result: str
    date: str
    white_elo: int | None
    black_elo: int | None
    time_control: str | None
    event: str | None
    site: str | None
    #: The starting position when it is not the standard one (only when a reader asked
    #: for such games: training always starts from the standard position).
    fen: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedGame:
    """A game that was not used, and why (reported to the user, never raised)."""

    source: str
    number: int
    reason: str


def reason_kind(reason: str) -> str:
    """A reason without its game's detail: "illegal move 'Nf9' at ply 3" -> "illegal move"."""
    return reason.split(" '", 1)[0].split(" at ply", 1)[0]


def skip_summary(skipped: Iterable[SkippedGame]) -> str:
    """Counts by kind of reason, most first: "3 FEN start, 1 variant Crazyhouse"."""
    counts = Counter(reason_kind(s.reason) for s in skipped)
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def skip_line(skipped: Sequence[SkippedGame]) -> str:
    """One line for a command's log: the skipped games by reason, every damaged file by
    name (its games after the damage are lost, which a count alone would hide)."""
    damaged = sorted(
        {f"{s.source} ({s.reason})" for s in skipped if s.reason.startswith("damaged file")}
    )
    named = f"; damaged: {', '.join(damaged)}" if damaged else ""
    return (
        f"{len(skipped)} games skipped ({skip_summary(skipped)}){named}; "
        "`chessgru players --verbose PGN...` lists each with its file and number"
    )


# ----------------------------------------------------------------------------- splitting


def split_games(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Cut PGN bytes into game texts; a tag line after movetext starts a new game.

    Braces are tracked so a ``[`` line inside a multi-line comment does not split; a tag
    line after a blank line always does, so one unclosed comment cannot swallow the file.
    A text may still hold several header-less games (python-chess separates those).
    """
    current: list[bytes] = []
    seen_movetext = False
    depth = 0
    prev_blank = False
    first = True
    for line in lines:
        if first:
            line = line.removeprefix(b"\xef\xbb\xbf")
            first = False
        stripped = line.strip()
        if not stripped:
            current.append(line)
            prev_blank = True
            continue
        if stripped[:1] == b"[" and _TAG_LINE.match(line):
            if seen_movetext and (depth == 0 or prev_blank):
                yield b"".join(current)
                current = []
                seen_movetext = False
                depth = 0
        elif stripped[:1] not in (b"%", b";"):  # escape and comment lines are neutral
            seen_movetext = True
            if depth or b"{" in line:
                depth = max(0, depth + line.count(b"{") - line.count(b"}"))
        current.append(line)
        prev_blank = False
    if current:
        yield b"".join(current)


def decode(data: bytes) -> str:
    """Text of one game: UTF-8 when it is valid, else CP1252, else Latin-1 (never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ----------------------------------------------------------------------------- parsing


def _name(value: str | None) -> str:
    return " ".join(value.split()) if value else "?"


def _elo(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    # isdigit() alone accepts "²" and other digits that int() refuses.
    plain = value.isascii() and value.isdigit() and len(value) <= 5
    return int(value) if plain and int(value) > 0 else None


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value if value and value not in ("?", "-") else None


def _plain_tokens(turn: chess.Color) -> list[int]:
    """encode_move for every from/to pair (-1 where no token), indexed from << 6 | to."""
    table = []
    for from_sq in chess.SQUARES:
        for to_sq in chess.SQUARES:
            try:
                table.append(encode_move(chess.Move(from_sq, to_sq), turn))
            except KeyError:
                table.append(-1)
    return table


#: Token lookup for moves without under-promotion (a list index beats encode_move's dict
#: of tuples in the per-ply loop); index by colour (False = Black, True = White).
_PLAIN_TOKENS = (_plain_tokens(chess.BLACK), _plain_tokens(chess.WHITE))


class MainlineVisitor(chess.pgn.BaseVisitor["MainlineVisitor"]):
    """Collects headers and the mainline (moves, tokens, positions); skips everything else.

    The first error becomes the skip reason instead of being raised; a game that cannot
    be used is reported through :attr:`reason`. Games from a set-up position (a FEN
    header) are skipped unless :attr:`fen_starts`: the board can show them, training
    cannot use them (every game the model learns from starts from the standard position).
    """

    fen_starts = False

    def begin_game(self) -> None:
        self.headers: dict[str, str] = {}
        self.moves: list[chess.Move] = []
        self.tokens = array("H")
        self.words = array("Q")
        self.reason: str | None = None
        self.start: str | None = None  # the FEN of a non-standard starting position
        self._at_start = True
        self._san = ""

    def visit_header(self, tagname: str, tagvalue: str) -> None:
        self.headers[tagname] = tagvalue

    def end_headers(self) -> chess.pgn.SkipType | None:
        variant = self.headers.get("Variant", "").strip()
        if variant.lower() not in _STANDARD_VARIANTS:
            self.reason = f"variant {variant}"
            return chess.pgn.SKIP
        fen = self.headers.get("FEN")
        if fen is not None and fen.split()[:4] != _STARTING_BOARD_FEN and not self.fen_starts:
            self.reason = "FEN start"
            return chess.pgn.SKIP
        return None

    def visit_board(self, board: chess.Board) -> None:
        # python-chess calls this for the starting position and after moves; only the
        # start matters, and only for a reader that asked for set-up positions.
        if not self._at_start:
            return
        self._at_start = False
        if not self.fen_starts or board.move_stack or "FEN" not in self.headers:
            return
        # Odds positions are often written with the standard castling rights ("KQkq"
        # without the h1 rook): drop the impossible rights rather than the game.
        board.castling_rights = board.clean_castling_rights()
        fen = board.fen()
        if fen.split()[:4] == _STARTING_BOARD_FEN:
            return
        if board.chess960:
            self.reason = "Chess960 start"
        elif not board.is_valid():
            self.reason = "impossible FEN start"
        else:
            self.start = fen

    def begin_variation(self) -> chess.pgn.SkipType:
        return chess.pgn.SKIP

    def begin_parse_san(self, board: chess.Board, san: str) -> chess.pgn.SkipType | None:
        if self.reason is not None:
            return chess.pgn.SKIP
        self._san = san
        return None

    def parse_san(self, board: chess.Board, san: str) -> chess.Move:
        return plain_san(board, san) or board.parse_san(san)

    def visit_move(self, board: chess.Board, move: chess.Move) -> None:
        if self.reason is not None:
            return
        if not move:
            self.reason = f"null move at ply {len(self.moves) + 1}"
            return
        turn = board.turn
        promotion = move.promotion
        if promotion is None or promotion == chess.QUEEN:
            token = _PLAIN_TOKENS[turn][move.from_square << 6 | move.to_square]
        else:
            token = encode_move(move, turn)
        if token < 0:  # cannot happen in standard chess; never let it stop a run
            self.reason = f"unencodable move '{self._san}' at ply {len(self.moves) + 1}"
            return
        self.moves.append(move)
        self.tokens.append(token)
        self.words.extend(position_words(board))

    def handle_error(self, error: Exception) -> None:
        if self.reason is not None:
            return
        if self._at_start:  # before the board: its FEN is unreadable
            self.reason = "invalid FEN start"
        else:
            first_word = str(error).split(" ", 1)[0]
            kind = first_word if first_word in ("illegal", "ambiguous", "invalid") else "unreadable"
            self.reason = f"{kind} move '{self._san}' at ply {len(self.moves) + 1}"

    def result(self) -> MainlineVisitor:
        return self


class _AnyStartVisitor(MainlineVisitor):
    fen_starts = True


@dataclass(slots=True)
class ParsedGame:
    """One parsed game text: info or skip, and for a usable game its arrays."""

    info: GameInfo | None
    skipped: SkippedGame | None
    moves: list[chess.Move]
    tokens: array
    words: array


def _info(source: str, number: int, headers: dict[str, str], fen: str | None) -> GameInfo:
    result = headers.get("Result", "*").strip()
    return GameInfo(
        source=source,
        number=number,
        white=_name(headers.get("White")),
        black=_name(headers.get("Black")),
        result=result if result in _RESULTS else "*",
        date=(headers.get("Date") or "????.??.??").strip(),
        white_elo=_elo(headers.get("WhiteElo")),
        black_elo=_elo(headers.get("BlackElo")),
        time_control=_optional(headers.get("TimeControl")),
        event=_optional(headers.get("Event")),
        site=_optional(headers.get("Site")),
        fen=fen,
    )


def parse_texts(
    source: str, texts: Iterable[bytes], first_number: int = 1, *, fen_starts: bool = False
) -> Iterator[ParsedGame]:
    """Parse game texts (from :func:`split_games`), numbering games from ``first_number``.

    ``fen_starts``: also give games from a set-up position (``GameInfo.fen``), and such a
    position with no moves (a diagram): for the board, never for training.
    """
    number = first_number
    visitor_class = _AnyStartVisitor if fen_starts else MainlineVisitor
    for data in texts:
        handle = io.StringIO(decode(data))
        while True:
            visitor = chess.pgn.read_game(handle, Visitor=visitor_class)
            if visitor is None:
                break
            reason = visitor.reason
            if reason is None and not visitor.moves and visitor.start is None:
                if not visitor.headers:
                    continue  # stray text between games (e.g. a lone comment), not a game
                reason = "no moves"
            if reason is not None:
                skipped = SkippedGame(source, number, reason)
                yield ParsedGame(None, skipped, [], visitor.tokens, visitor.words)
            else:
                info = _info(source, number, visitor.headers, visitor.start)
                yield ParsedGame(info, None, visitor.moves, visitor.tokens, visitor.words)
            number += 1


def game_texts(path: Path) -> Iterator[bytes]:
    """The game texts of one file, streamed; DamagedFile after the last readable game.

    The text being read when the damage came is given too: its moves up to there are
    real moves (a fragment that does not parse is skipped with its own reason).
    """
    damage: list[OSError | EOFError] = []

    def until_damage(lines: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from lines
        except (OSError, EOFError) as exc:
            damage.append(exc)

    try:
        with open_binary(path) as stream:
            yield from split_games(until_damage(read_lines(stream)))
    except (OSError, EOFError) as exc:
        damage.append(exc)
    if damage:
        raise DamagedFile(damage_reason(path, damage[0])) from damage[0]


def read_games(
    path: Path, *, fen_starts: bool = False
) -> Iterator[tuple[GameInfo, list[chess.Move]] | SkippedGame]:
    """Stream the games of one PGN file: (info, mainline moves) or a SkippedGame.

    A damaged file gives its games up to the damage, then a SkippedGame saying why.
    ``fen_starts`` as in :func:`parse_texts`.
    """
    number = 0
    try:
        for game in parse_texts(str(path), game_texts(Path(path)), fen_starts=fen_starts):
            if game.info is not None:
                number = game.info.number
                yield game.info, game.moves
            else:
                assert game.skipped is not None
                number = game.skipped.number
                yield game.skipped
    except DamagedFile as exc:
        yield SkippedGame(str(path), number + 1, str(exc))
