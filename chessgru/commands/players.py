"""`chessgru players`: not built yet."""

from __future__ import annotations

import argparse

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru players`."""


def run(args: argparse.Namespace) -> int:
    """Run `chessgru players`."""
    raise UserError("'players' is not available in this build yet.")
