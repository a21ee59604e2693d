"""`chessgru gui`: not built yet."""

from __future__ import annotations

import argparse

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru gui`."""


def run(args: argparse.Namespace) -> int:
    """Run `chessgru gui`."""
    raise UserError("'gui' is not available in this build yet.")
