"""One module per ``chessgru`` command: argument definitions and a thin ``run``.

The work itself lives in the core modules (pgn, train, predict, evaluate, gui); these
modules only turn arguments into calls and results into text or JSON.
"""
