"""A local stand-in for lichess and chess.com: their game APIs, in their real formats, on
127.0.0.1, with faults on demand (HTTP 429, a connection cut mid-stream).

Games are random legal games (seeded), written as each site writes them: lichess's export
headers and blank lines, chess.com's headers, clock comments and absolute archive URLs.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import chess


def random_moves(seed: int, plies: int = 30) -> list[str]:
    """SAN of a random legal game of at most ``plies`` plies."""
    rng = random.Random(seed)
    board = chess.Board()
    sans = []
    while len(sans) < plies and not board.is_game_over():
        move = rng.choice(list(board.legal_moves))
        sans.append(board.san(move))
        board.push(move)
    return sans


def movetext(sans: list[str], result: str, clocks: bool = False) -> str:
    parts = []
    for i, san in enumerate(sans):
        number = f"{i // 2 + 1}{'.' if i % 2 == 0 else '...'} " if clocks or i % 2 == 0 else ""
        clock = " {[%clk 0:02:59.9]}" if clocks else ""
        parts.append(f"{number}{san}{clock}")
    return " ".join([*parts, result])


@dataclass
class OnlineGame:
    white: str
    black: str
    start: datetime
    seed: int
    result: str = "1-0"

    @property
    def ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    def lichess(self) -> str:
        s = self.start
        return (
            f'[Event "Rated Blitz game"]\n[Site "https://lichess.org/g{self.seed:07d}"]\n'
            f'[Date "{s:%Y.%m.%d}"]\n[White "{self.white}"]\n[Black "{self.black}"]\n'
            f'[Result "{self.result}"]\n[UTCDate "{s:%Y.%m.%d}"]\n[UTCTime "{s:%H:%M:%S}"]\n'
            '[WhiteElo "1523"]\n[BlackElo "1490"]\n[WhiteRatingDiff "+6"]\n'
            '[BlackRatingDiff "-6"]\n[Variant "Standard"]\n[TimeControl "180+2"]\n'
            '[ECO "C20"]\n[Termination "Normal"]\n\n'
            f"{movetext(random_moves(self.seed), self.result)}\n\n\n"
        )

    def chesscom(self, variant: bool = False) -> str:
        s = self.start
        extra = (
            '[Variant "Chess960"]\n[SetUp "1"]\n'
            '[FEN "bbqnnrkr/pppppppp/8/8/8/8/PPPPPPPP/BBQNNRKR w HFhf - 0 1"]\n'
            if variant
            else ""
        )
        return (
            f'[Event "Live Chess"]\n[Site "Chess.com"]\n[Date "{s:%Y.%m.%d}"]\n[Round "-"]\n'
            f'[White "{self.white}"]\n[Black "{self.black}"]\n[Result "{self.result}"]\n'
            f"{extra}"
            '[CurrentPosition "8/8/8/8/8/8/8/8 w - -"]\n[Timezone "UTC"]\n[ECO "C20"]\n'
            f'[UTCDate "{s:%Y.%m.%d}"]\n[UTCTime "{s:%H:%M:%S}"]\n[WhiteElo "812"]\n'
            f'[BlackElo "790"]\n[TimeControl "600"]\n[Termination "{self.white} won by '
            f'resignation"]\n[StartTime "{s:%H:%M:%S}"]\n[EndDate "{s:%Y.%m.%d}"]\n'
            f'[EndTime "{s:%H:%M:%S}"]\n[Link "https://www.chess.com/game/live/{self.seed}"]\n\n'
            f"{movetext(random_moves(self.seed), self.result, clocks=True)}\n\n"
        )


def day(n: int, month: int = 1) -> datetime:
    return datetime(2024, month, n, 18, 30, n, tzinfo=timezone.utc)


@dataclass
class FakeSites:
    """The state the server serves; tests add games and faults and read ``requests``."""

    lichess: dict[str, list[OnlineGame]] = field(default_factory=dict)
    chesscom: dict[str, list[OnlineGame]] = field(default_factory=dict)
    variants: set[int] = field(default_factory=set)  # chess.com seeds served as Chess960
    faults: list[tuple[str, str]] = field(default_factory=list)  # (path part, kind), used once
    requests: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)
    url: str = ""

    def fault(self, path: str) -> str | None:
        for i, (part, kind) in enumerate(self.faults):
            if part in path:
                del self.faults[i]
                return kind
        return None


def _handler(sites: FakeSites) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            sites.requests.append((parts.path, query, self.headers.get("User-Agent", "")))
            kind = sites.fault(parts.path)
            if kind and kind.startswith("429"):
                retry = {"Retry-After": kind[4:]} if kind[4:] else {}
                return self._send(429, b"Too many requests", "text/plain", retry)
            path = parts.path.strip("/").split("/")
            if path[:3] == ["api", "games", "user"]:
                return self._lichess(path[3], query, kind == "cut")
            if path[:2] == ["pub", "player"] and path[3:] == ["games", "archives"]:
                return self._archives(path[2])
            if path[:2] == ["pub", "player"] and path[-1] == "pgn":
                return self._month(path[2], int(path[4]), int(path[5]), kind == "cut")
            return self._send(404, b'{"error":"Not found"}', "application/json")

        def _send(self, code: int, body: bytes, kind: str, headers: dict | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, texts: list[str], cut: bool) -> None:
            """Chunked, one game per chunk; ``cut`` stops half way into a game and hangs up."""
            self.send_response(200)
            self.send_header("Content-Type", "application/x-chess-pgn")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            keep = len(texts) // 2 if cut else len(texts)
            for text in texts[:keep]:
                data = text.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            if cut:
                half = texts[keep].encode()[:200]
                self.wfile.write(b"%x\r\n%s" % (len(half) * 2, half))  # promises more
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")

        def _lichess(self, name: str, query: dict, cut: bool) -> None:
            games = sites.lichess.get(name.lower())
            if games is None:
                return self._send(404, b'{"error":"Not found"}', "application/json")
            since = int(query.get("since", ["0"])[0])
            chosen = sorted((g for g in games if g.ms >= since), key=lambda g: g.ms)
            if query.get("sort") != ["dateAsc"]:
                chosen.reverse()  # lichess's default: newest first
            self._stream([g.lichess() for g in chosen], cut)

        def _archives(self, name: str) -> None:
            games = sites.chesscom.get(name.lower())
            if games is None:
                body = json.dumps({"code": 0, "message": f'User "{name}" not found.'})
                return self._send(404, body.encode(), "application/json")
            months = sorted({(g.start.year, g.start.month) for g in games})
            urls = [
                f"https://api.chess.com/pub/player/{name.lower()}/games/{y}/{m:02d}"
                for y, m in months
            ]
            self._send(200, json.dumps({"archives": urls}).encode(), "application/json")

        def _month(self, name: str, year: int, month: int, cut: bool) -> None:
            games = [
                g
                for g in sites.chesscom.get(name.lower(), [])
                if (g.start.year, g.start.month) == (year, month)
            ]
            self._stream([g.chesscom(g.seed in sites.variants) for g in games], cut)

    return Handler


class FakeServer:
    """The fake sites served from a thread on 127.0.0.1 (an ephemeral port)."""

    def __init__(self) -> None:
        self.sites = FakeSites()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.sites))
        self.server.daemon_threads = True
        self.sites.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return self.sites.url

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
