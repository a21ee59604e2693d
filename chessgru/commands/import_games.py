"""`chessgru import`: bring games into the library from PGN files, lichess or chess.com."""

from __future__ import annotations

import argparse
import sys
import time

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru import` (one sub-command per source)."""
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    pgn = sources.add_parser("pgn", help="PGN files or folders", description="Import PGN files.")
    pgn.add_argument("files", nargs="+", metavar="FILE", help="PGN files or folders")
    for site, title, default in (
        ("lichess", "lichess", "https://lichess.org"),
        ("chesscom", "chess.com", "https://api.chess.com"),
    ):
        command = sources.add_parser(
            site,
            help=f"a {title} account's games",
            description=f"Import a {title} account's games (only new ones on a repeat).",
        )
        command.add_argument("username", metavar="NAME", help=f"{title} username")
        command.add_argument(
            "--person",
            metavar="NAME",
            help="whose account this is (default: the person with this username, else a "
            "new person named after it)",
        )
        command.add_argument(
            "--api-url", default=default, metavar="URL", help=f"API base URL (default {default})"
        )
    for command in sources.choices.values():
        command.add_argument(
            "--library", metavar="FILE", help="library file (default: in $CHESSGRU_DATA)"
        )


def run(args: argparse.Namespace) -> int:
    """Run `chessgru import`; prints the summary, exits 1 when the source failed part way."""
    from chessgru.library import online
    from chessgru.library.ingest import import_pgn_files
    from chessgru.library.store import Library
    from chessgru.progress import progress_bar

    with Library(args.library) as library:
        if args.source == "pgn":
            summary = import_pgn_files(library, args.files)
        else:
            importer = online.import_lichess if args.source == "lichess" else online.import_chesscom
            site = online.SITE_NAMES[args.source]
            with progress_bar(f"{site} {args.username}") as bar:

                def wait(seconds: float) -> None:
                    print(f"{site} asks us to slow down: waiting {seconds:.0f} s", file=sys.stderr)
                    time.sleep(seconds)

                summary = importer(
                    library,
                    args.username,
                    person=args.person,
                    api_url=args.api_url,
                    sleep=wait,
                    on_progress=lambda s: bar.update(s.received - bar.n),
                )
    print(summary.line())
    for line in summary.skip_lines():
        print(f"  skipped {line}")
    if summary.error:
        raise UserError(summary.error)
    return 0
