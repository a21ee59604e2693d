"""One module per ``chessgru`` command: argument definitions and a thin ``run``.

The work itself lives below (games, model, training, evaluation, predict, gui); these
modules only turn arguments into calls and results into text or JSON.
"""
