"""`chessgru evaluate`: not built yet."""

from __future__ import annotations

import argparse

from chessgru.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `chessgru evaluate`."""


def run(args: argparse.Namespace) -> int:
    """Run `chessgru evaluate`."""
    raise UserError("'evaluate' is not available in this build yet.")
