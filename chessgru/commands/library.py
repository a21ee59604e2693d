"""`chessgru library`: the people in the game library, their games, and PGN export."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru library`."""
    parser.add_argument(
        "--library", metavar="FILE", help="library file (default: in $CHESSGRU_DATA)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.add_argument(
        "--export", type=Path, metavar="PGN", help="write the games to this new PGN file"
    )
    parser.add_argument("--person", metavar="NAME", help="only this person's games (--export)")
    people = parser.add_argument_group("people")
    people.add_argument("--add-person", metavar="NAME", help="add someone to the library")
    people.add_argument("--rating", type=int, help="their rating (with --add-person)")
    people.add_argument("--lichess", metavar="USER", help="their lichess username")
    people.add_argument("--chesscom", metavar="USER", help="their chess.com username")


def run(args: argparse.Namespace) -> int:
    """Run `chessgru library`."""
    from chessgru.library.export import write_pgn
    from chessgru.library.store import Library

    with Library(args.library) as library:
        if args.add_person:
            person = library.add_person(args.add_person, args.rating, args.lichess, args.chesscom)
            if not args.json:
                print(f"added {person.name} ({person.games} games in the library)")
        if args.export:
            written = write_pgn(args.export, library.games(person=args.person))
            if not args.json:
                print(f"{written} games written to {args.export}")
        people = library.people()
        total = library.count_games()
        path = library.path
    if args.json:
        print(
            json.dumps(
                {"library": str(path), "games": total, "people": [asdict(p) for p in people]},
                indent=2,
            )
        )
        return 0
    if args.add_person or args.export:
        return 0
    print(f"{path}: {total} games, {len(people)} people")
    width = max((len(p.name) for p in people), default=4)
    for p in people:
        accounts = ", ".join(
            f"{site} {user}"
            for site, user in (("lichess", p.lichess), ("chess.com", p.chesscom))
            if user
        )
        rating = f"rating {p.rating}" if p.rating else ""
        print(f"  {p.name:<{width}}  {p.games:>6} games  {rating}  {accounts}".rstrip())
    return 0
