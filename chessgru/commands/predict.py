"""`chessgru predict`: not built yet."""

from __future__ import annotations

import argparse

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru predict`."""


def run(args: argparse.Namespace) -> int:
    """Run `chessgru predict`."""
    raise UserError("'predict' is not available in this build yet.")
