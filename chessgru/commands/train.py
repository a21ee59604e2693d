"""`chessgru train`: not built yet."""

from __future__ import annotations

import argparse

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru train`."""


def run(args: argparse.Namespace) -> int:
    """Run `chessgru train`."""
    raise UserError("'train' is not available in this build yet.")
