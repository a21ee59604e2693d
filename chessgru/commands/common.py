"""Options several commands share (who plays, how names merge), parsed the same way."""

from __future__ import annotations

import argparse
from typing import Any

from chessgru.games import names


def add_player_option(parser: Any, flag: str, help_text: str) -> None:
    """``--FLAG NAME``, repeatable, collected in ``args.<flag>s`` (also spelled ``--FLAGs``).

    One name per flag: names like "Doe, John" hold commas and spaces, and a name list of
    unknown length would swallow the PGN paths that follow it.
    """
    parser.add_argument(
        f"--{flag}",
        f"--{flag}s",
        dest=flag.replace("-", "_") + "s",
        action="append",
        default=[],
        metavar="NAME",
        help=f"{help_text} (repeatable: --{flag} A --{flag} B)",
    )


def add_name_options(parser: Any) -> None:
    """``--alias NAME=CANONICAL`` (repeatable), ``--aliases FILE`` and ``--no-merge``."""
    parser.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="NAME=CANONICAL",
        help="count player NAME as CANONICAL (repeatable)",
    )
    parser.add_argument("--aliases", metavar="FILE", help="file of NAME = CANONICAL lines")
    parser.add_argument(
        "--no-merge", action="store_true", help="do not merge spellings of the same name"
    )


def aliases(args: argparse.Namespace) -> dict[str, str]:
    """The aliases of ``--aliases FILE`` then ``--alias`` (UserError when malformed)."""
    found = names.read_aliases(args.aliases) if args.aliases else {}
    found.update(names.parse_aliases(args.alias))
    return found
